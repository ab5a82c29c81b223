#!/usr/bin/env python3
"""Makes the image decoding golden files: small PNG and JPEG files of every kind the decoder reads,
each with the bytes of Pillow's Image.open(file).convert("RGB") next to it.

Usage: make_image_goldens.py OUT_DIR

OUT_DIR receives, for every case NAME:
  * NAME.png or NAME.jpg: the file to decode;
  * NAME.rgb: what Pillow makes of it, height x width x 3 bytes, row-major, no header;
and manifest.tsv with one line per case: file, width, height, Pillow's mode after Image.open,
a description. The test (ImageGoldenTest) decodes every file with Images.readRgb and compares.

The PNG files are written here byte by byte (every colour type and bit depth, Adam7 interlacing,
all five row filters, tRNS, gAMA, several IDAT chunks), so the cases do not depend on what an
encoder chooses. The JPEG files are written by Pillow (libjpeg-turbo): grayscale, YCbCr at
4:4:4, 4:2:2 and 4:2:0, progressive, restart markers, an odd size, RGB (Adobe transform 0), CMYK
(Adobe, inverted), an EXIF orientation tag and an embedded non-sRGB ICC profile. Two kinds Pillow
cannot write are made by patching bytes of files it wrote: YCCK (the CMYK file with its Adobe
transform set to 2, so the same component values are read as YCCK) and 4:4:0 (a 4:2:2 file with
its frame header's size and sampling factors changed so that its blocks read as 4:4:0).

Made with Pillow 12.3.0 (libjpeg-turbo 3.1) and NumPy; deterministic for given versions.
"""
import io
import os
import struct
import sys
import warnings
import zlib

import numpy as np
import PIL
from PIL import Image, ImageCms

RNG = np.random.default_rng(20261205)
WRITTEN = []  # the samples of every PNG written, to check that Pillow reads them back


# ---------------------------------------------------------------- PNG writer

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def pack_row(samples, depth):
    """One row of samples (width x channels, unsigned) as PNG packs them."""
    flat = samples.reshape(-1).astype(np.uint32)
    if depth == 16:
        return flat.astype(">u2").tobytes()
    if depth == 8:
        return flat.astype(np.uint8).tobytes()
    per_byte = 8 // depth
    pad = (-len(flat)) % per_byte
    flat = np.concatenate([flat, np.zeros(pad, np.uint32)]).reshape(-1, per_byte)
    out = np.zeros(len(flat), np.uint32)
    for i in range(per_byte):
        out |= flat[:, i] << (8 - depth * (i + 1))
    return out.astype(np.uint8).tobytes()


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))


def filter_rows(rows, bpp, first_filter):
    """Filters each packed row with filter type (first_filter + row) % 5: every type is used."""
    out = []
    prev = np.zeros(len(rows[0]) if rows else 0, np.int32)
    for r, raw in enumerate(rows):
        cur = np.frombuffer(raw, np.uint8).astype(np.int32)
        left = np.concatenate([np.zeros(bpp, np.int32), cur])[:len(cur)]      # the byte bpp to the left, 0 before
        upleft = np.concatenate([np.zeros(bpp, np.int32), prev])[:len(cur)]
        f = (first_filter + r) % 5
        if f == 0:
            d = cur
        elif f == 1:
            d = cur - left
        elif f == 2:
            d = cur - prev
        elif f == 3:
            d = cur - (left + prev) // 2
        else:
            d = cur - paeth(left, prev, upleft)
        out.append(bytes([f]) + (d & 0xFF).astype(np.uint8).tobytes())
        prev = cur
    return out


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def png(samples, depth, color_type, palette=None, trns=None, interlace=False, extra=b"", idat_parts=1):
    """samples: height x width x channels unsigned ints (palette indices for color type 3)."""
    WRITTEN.append((samples, depth, color_type))
    h, w, c = samples.shape
    bpp = max(1, c * depth // 8)
    if interlace:
        rows = []
        for p, (x0, y0, dx, dy) in enumerate(ADAM7):
            sub = samples[y0::dy, x0::dx]
            if sub.shape[0] == 0 or sub.shape[1] == 0:
                continue  # an empty pass has no rows, not even filter bytes
            rows += filter_rows([pack_row(sub[y], depth) for y in range(sub.shape[0])], bpp, p)
    else:
        rows = filter_rows([pack_row(samples[y], depth) for y in range(h)], bpp, 0)
    data = zlib.compress(b"".join(rows), 9)
    body = chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 1 if interlace else 0)) + extra
    if palette is not None:
        body += chunk(b"PLTE", bytes(np.asarray(palette, np.uint8).reshape(-1)))
    if trns is not None:
        body += chunk(b"tRNS", trns)
    step = -(-len(data) // idat_parts)
    for i in range(0, len(data), step):
        body += chunk(b"IDAT", data[i:i + step])
    return b"\x89PNG\r\n\x1a\n" + body + chunk(b"IEND", b"")


def rand(h, w, c, top):
    return RNG.integers(0, top + 1, (h, w, c), dtype=np.int64)


def png_cases():
    W, H = 23, 13
    cases = []
    for depth in (1, 2, 4, 8):
        cases.append(("png_gray%d" % depth, png(rand(H, W, 1, 2 ** depth - 1), depth, 0),
                      "gray, %d-bit" % depth))
    # 16-bit gray: Pillow opens it as I;16 and convert("RGB") clips each value to 255 (not the high byte),
    # so half the samples are below 256 to show the clip and the other half spans the whole range.
    g16 = rand(H, W, 1, 65535)
    g16[:, ::2] = rand(H, (W + 1) // 2, 1, 300)
    cases.append(("png_gray16", png(g16, 16, 0), "gray, 16-bit (Pillow clips to 255)"))
    g8 = rand(H, W, 1, 255)
    g8[0, :4, 0] = 77
    cases.append(("png_gray8_trns", png(g8, 8, 0, trns=struct.pack(">H", 77)), "gray, 8-bit, tRNS gray 77"))
    cases.append(("png_gray16_trns", png(g16, 16, 0, trns=struct.pack(">H", g16[0, 0, 0])), "gray, 16-bit, tRNS"))
    la = rand(H, W, 2, 255)
    la[0, :3] = [[128, 255], [128, 0], [200, 7]]  # opaque and transparent 128: alpha is dropped, not blended
    gamma = chunk(b"gAMA", struct.pack(">I", 45455))
    cases.append(("png_gray_alpha8", png(la, 8, 4, extra=gamma), "gray+alpha, 8-bit, with gAMA"))
    cases.append(("png_gray_alpha16", png(rand(H, W, 2, 65535), 16, 4), "gray+alpha, 16-bit"))
    cases.append(("png_rgb8", png(rand(H, W, 3, 255), 8, 2, idat_parts=3), "RGB, 8-bit, three IDAT chunks"))
    cases.append(("png_rgb16", png(rand(H, W, 3, 65535), 16, 2), "RGB, 16-bit"))
    rgb = rand(H, W, 3, 255)
    rgb[1, 1] = [1, 2, 3]
    srgb_chrm = chunk(b"sRGB", b"\x00") + chunk(b"gAMA", struct.pack(">I", 100000)) + chunk(
        b"cHRM", struct.pack(">8I", 31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000))
    cases.append(("png_rgb8_trns", png(rgb, 8, 2, trns=struct.pack(">3H", 1, 2, 3), extra=srgb_chrm),
                  "RGB, 8-bit, tRNS colour, sRGB/gAMA 1.0/cHRM chunks"))
    rgba = rand(H, W, 4, 255)
    rgba[0, :2, 3] = 0
    cases.append(("png_rgba8", png(rgba, 8, 6), "RGBA, 8-bit (alpha 0 keeps its colour)"))
    cases.append(("png_rgba16", png(rand(H, W, 4, 65535), 16, 6), "RGBA, 16-bit"))
    for depth in (1, 2, 4, 8):
        n = min(2 ** depth, 200)
        pal = rand(1, n, 3, 255)[0]
        cases.append(("png_palette%d" % depth, png(rand(H, W, 1, 2 ** depth - 1), depth, 3, palette=pal),
                      "palette, %d-bit" % depth))
    pal = rand(1, 6, 3, 255)[0]
    cases.append(("png_palette4_short", png(rand(H, W, 1, 15), 4, 3, palette=pal),
                  "palette, 4-bit, 6 colours: indices 6-15 are outside the palette"))
    pal = rand(1, 256, 3, 255)[0]
    cases.append(("png_palette8_trns", png(rand(H, W, 1, 255), 8, 3, palette=pal, trns=bytes(range(0, 256, 2))),
                  "palette, 8-bit, tRNS"))
    cases.append(("png_rgb8_interlaced", png(rand(H, W, 3, 255), 8, 2, interlace=True), "RGB, 8-bit, Adam7"))
    cases.append(("png_gray2_interlaced", png(rand(H, W, 1, 3), 2, 0, interlace=True), "gray, 2-bit, Adam7"))
    cases.append(("png_rgba16_interlaced", png(rand(H, W, 4, 65535), 16, 6, interlace=True), "RGBA, 16-bit, Adam7"))
    pal = rand(1, 16, 3, 255)[0]
    cases.append(("png_palette4_interlaced", png(rand(H, W, 1, 15), 4, 3, palette=pal, interlace=True),
                  "palette, 4-bit, Adam7"))
    cases.append(("png_rgb8_interlaced_3x2", png(rand(2, 3, 3, 255), 8, 2, interlace=True),
                  "RGB, 8-bit, Adam7, 3x2 (empty passes)"))
    cases.append(("png_gray1_1x1", png(np.ones((1, 1, 1), np.int64), 1, 0), "gray, 1-bit, 1x1"))
    return [(n, "png", d, desc) for n, d, desc in cases]


# ---------------------------------------------------------------- JPEG cases (Pillow writes them)

def photo(h, w):
    """A photograph stand-in: smooth gradients, a hard edge, a disc and some noise."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 255 * x / max(w - 1, 1)
    g = 255 * (0.5 + 0.5 * np.sin(y / 3.0 + x / 7.0))
    b = np.where(x + 2 * y > w, 220.0, 30.0)
    disc = (x - w * 0.6) ** 2 + (y - h * 0.4) ** 2 < (h / 4.0) ** 2
    r = np.where(disc, 250, r)
    g = np.where(disc, 40, g)
    img = np.stack([r, g, b], -1) + RNG.normal(0, 12, (h, w, 3))
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def save(im, **kw):
    buf = io.BytesIO()
    im.save(buf, "JPEG", **kw)
    return buf.getvalue()


def adobe_transform(data, value):
    """The JPEG with its Adobe APP14 transform byte set to value (0 CMYK/RGB, 1 YCbCr, 2 YCCK)."""
    at = data.find(b"Adobe")
    if at < 4 or data[at - 4:at - 2] != b"\xff\xee":
        raise SystemExit("no Adobe marker to patch")
    out = bytearray(data)
    out[at + 11] = value
    return bytes(out)


def sampling_440(data):
    """A 40x24 4:2:2 JPEG (an MCU of two Y blocks side by side, then Cb and Cr) made 4:4:0 by patching
    its frame header: Y sampled 1x2 and the size 24x47, so the same 9 MCUs, 3 across and 3 down,
    now stack their two Y blocks (the picture is scrambled, the data valid)."""
    sof = data.find(b"\xff\xc0")
    if sof < 0 or struct.unpack(">HH", data[sof + 5:sof + 9]) != (24, 40) or data[sof + 11] != 0x21:
        raise SystemExit("expected a 40x24 baseline 4:2:2 JPEG")
    out = bytearray(data)
    out[sof + 5:sof + 9] = struct.pack(">HH", 47, 24)
    out[sof + 11] = 0x12
    return bytes(out)


def jpeg_cases():
    H, W = 24, 40
    rgb = Image.fromarray(photo(H, W))
    cases = [
        ("jpeg_gray", save(rgb.convert("L"), quality=90), "grayscale"),
        ("jpeg_444", save(rgb, quality=90, subsampling=0), "YCbCr 4:4:4"),
        ("jpeg_422", save(rgb, quality=90, subsampling=1), "YCbCr 4:2:2"),
        ("jpeg_420", save(rgb, quality=90, subsampling=2), "YCbCr 4:2:0"),
        ("jpeg_420_q50", save(rgb, quality=50, subsampling=2), "YCbCr 4:2:0, quality 50"),
        ("jpeg_420_progressive", save(rgb, quality=90, subsampling=2, progressive=True), "YCbCr 4:2:0, progressive"),
        ("jpeg_420_restart", save(rgb, quality=90, subsampling=2, restart_marker_blocks=1),
         "YCbCr 4:2:0, a restart marker after every MCU"),
        ("jpeg_420_odd", save(Image.fromarray(photo(29, 37)), quality=85, subsampling=2), "YCbCr 4:2:0, 37x29"),
        ("jpeg_440", sampling_440(save(rgb, quality=90, subsampling=1)),
         "YCbCr 4:4:0, 24x47 (a 4:2:2 file with its sampling factors and size patched)"),
        ("jpeg_rgb", save(rgb, quality=90, keep_rgb=True), "RGB components (Adobe transform 0)"),
    ]
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
    cases.append(("jpeg_exif_rotated", save(rgb, quality=90, exif=exif.tobytes()),
                  "YCbCr 4:2:0 with EXIF orientation 6 (Pillow's convert does not rotate)"))
    lab = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes())
    lab[24:36] = struct.pack(">6H", 2026, 1, 1, 0, 0, 0)  # the header's creation time, fixed for reproducible files
    lab = bytes(lab)
    cases.append(("jpeg_icc_lab", save(rgb, quality=90, icc_profile=lab),
                  "YCbCr 4:2:0 with an embedded Lab ICC profile (Pillow's convert ignores it)"))
    cmyk_values = np.concatenate([photo(H, W), RNG.integers(0, 256, (H, W, 1), dtype=np.uint8)], -1)
    cmyk_values[:, : W // 4, 3] = 0
    cmyk = Image.fromarray(cmyk_values, "CMYK")
    cmyk_file = save(cmyk, quality=90)
    cases.append(("jpeg_cmyk", cmyk_file, "CMYK (Adobe marker, inverted as Photoshop writes it)"))
    cases.append(("jpeg_ycck", adobe_transform(cmyk_file, 2),
                  "YCCK (the CMYK file with Adobe transform 2: its components read as Y, Cb, Cr, K)"))
    return [(n, "jpg", d, desc) for n, d, desc in cases]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    lines = []
    warnings.simplefilter("ignore")  # Pillow suggests RGBA for palette images with tRNS
    pngs = png_cases()
    for (name, _, data, _), (samples, depth, color_type) in zip(pngs, WRITTEN):
        if depth == 8 or color_type == 3:
            # the writer's own check: Pillow reads back the very samples (8-bit kinds, palette indices)
            with Image.open(io.BytesIO(data)) as im:
                if not np.array_equal(np.asarray(im).reshape(samples.shape), samples):
                    sys.exit("writer check failed for " + name)
    for name, ext, data, desc in pngs + jpeg_cases():
        path = os.path.join(out, name + "." + ext)
        with open(path, "wb") as f:
            f.write(data)
        with Image.open(path) as im:
            mode = im.mode
            rgb = np.asarray(im.convert("RGB"))
        with open(os.path.join(out, name + ".rgb"), "wb") as f:
            f.write(rgb.tobytes())
        lines.append("%s.%s\t%d\t%d\t%s\t%s" % (name, ext, rgb.shape[1], rgb.shape[0], mode, desc))
    with open(os.path.join(out, "manifest.tsv"), "w") as f:
        f.write("# file\twidth\theight\tPillow mode\tdescription (made by inception/tools/make_image_goldens.py"
                " with Pillow %s)\n" % PIL.__version__)
        f.write("\n".join(lines) + "\n")
    total = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    print("%d cases, %d bytes in %s" % (len(lines), total, out))


if __name__ == "__main__":
    main()
