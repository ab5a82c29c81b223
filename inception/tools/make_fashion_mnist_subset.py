#!/usr/bin/env python3
"""Makes the Fashion-MNIST subset shipped inside the inception module (and its jar).

Usage: make_fashion_mnist_subset.py FULL_DIR OUT_DIR [BUDGET_BYTES]

FULL_DIR holds the full IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
test-images-idx3-ubyte.gz or t10k-..., gzipped or not). OUT_DIR receives:
  * test-images-idx3-ubyte.gz, test-labels-idx1-ubyte.gz: the whole test split, unchanged;
  * train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz: the first N training images, N the
    largest multiple of 10 for which every file in OUT_DIR together stays within BUDGET_BYTES
    (default 16,000,000). The training split interleaves the classes 0,1,...,9,0,1,... so any
    multiple-of-10 prefix holds N/10 images of each class.
Files are plain IDX compressed with gzip level 9, with no name and mtime 0 so that the output is
byte-for-byte reproducible (for a given zlib). Other layouts (row deltas, column-major) were
tried and saved only about 3%, not worth a non-standard reader. Prints N and the sizes.
Needs only the Python standard library.
"""
import gzip
import io
import os
import struct
import sys


def read_idx(directory, names):
    for name in names:
        for candidate in (name, name + ".gz"):
            path = os.path.join(directory, candidate)
            if os.path.exists(path):
                with open(path, "rb") as f:
                    data = f.read()
                return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    sys.exit("none of %s found in %s" % (names, directory))


def gz(data):
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=buf, mtime=0) as f:
        f.write(data)
    return buf.getvalue()


def subset(images, labels, n):
    magic, count, rows, cols = struct.unpack(">IIII", images[:16])
    assert magic == 0x803 and struct.unpack(">II", labels[:8]) == (0x801, count) and n <= count
    return (struct.pack(">IIII", magic, n, rows, cols) + images[16:16 + n * rows * cols],
            struct.pack(">II", 0x801, n) + labels[8:8 + n])


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    full, out = sys.argv[1], sys.argv[2]
    budget = int(sys.argv[3]) if len(sys.argv) == 4 else 16_000_000
    os.makedirs(out, exist_ok=True)
    test_images = read_idx(full, ["test-images-idx3-ubyte", "t10k-images-idx3-ubyte"])
    test_labels = read_idx(full, ["test-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"])
    train_images = read_idx(full, ["train-images-idx3-ubyte"])
    train_labels = read_idx(full, ["train-labels-idx1-ubyte"])
    files = {"test-images-idx3-ubyte.gz": gz(test_images), "test-labels-idx1-ubyte.gz": gz(test_labels)}
    # Everything else already in OUT_DIR (README, LICENSE, classes.txt) counts against the budget too.
    others = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out)
                 if os.path.isfile(os.path.join(out, f)) and not f.endswith("-ubyte.gz"))
    left = budget - others - sum(len(b) for b in files.values())

    def train_files(n):
        im, lb = subset(train_images, train_labels, n)
        return gz(im), gz(lb)

    # Binary search over multiples of 10: compressed size grows with n.
    lo, hi = 0, struct.unpack(">I", train_images[4:8])[0] // 10
    best = None
    while lo <= hi:
        mid = (lo + hi) // 2
        im, lb = train_files(mid * 10)
        if len(im) + len(lb) <= left:
            best, lo = (mid * 10, im, lb), mid + 1
        else:
            hi = mid - 1
    n, im, lb = best
    files["train-images-idx3-ubyte.gz"], files["train-labels-idx1-ubyte.gz"] = im, lb
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    total = others + sum(len(b) for b in files.values())
    print("train images kept: %d; IDX files: %d bytes; folder total: %d bytes (budget %d)"
          % (n, sum(len(b) for b in files.values()), total, budget))


if __name__ == "__main__":
    main()
