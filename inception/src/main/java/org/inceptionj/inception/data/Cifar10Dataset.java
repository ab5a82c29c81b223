package org.inceptionj.inception.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.inceptionj.inception.io.InvalidFileException;

/**
 * CIFAR-10 in its binary distribution ({@code cifar-10-binary.tar.gz}, unpacked), decoded once
 * into memory: 32×32 RGB images in 10 classes.
 *
 * <p>Each batch file is a sequence of {@value #RECORD_BYTES}-byte records: one label byte (0..9),
 * then 3072 pixel bytes, the R plane, the G plane and the B plane, each 32×32 row-major — already
 * the CHW layout of a {@link RasterDataset}. The training split is {@code data_batch_1.bin} …
 * {@code data_batch_5.bin} in that order, the test split {@code test_batch.bin}; they are looked
 * for in the folder given and, failing that, in its {@code cifar-10-batches-bin/} subfolder (the
 * name the archive unpacks to). Class names are the lines of {@code batches.meta.txt} next to the
 * batches when present, else {@link #CLASSES}.
 *
 * <p>Validated before anything large is allocated, each failure an {@link InvalidFileException}
 * naming the file: every batch must exist and be a positive multiple of {@value #RECORD_BYTES}
 * bytes long (a truncated batch fails from its size alone), all batches together at most
 * {@link IdxDataset#MAX_BYTES} pixel bytes (one array), and every label below the number of
 * classes; the class names file is read as {@link IdxDataset#readClassNames} reads it.
 */
public final class Cifar10Dataset extends ByteRaster {
    public static final int SIDE = 32;
    public static final int IMAGE_BYTES = 3 * SIDE * SIDE;
    public static final int RECORD_BYTES = 1 + IMAGE_BYTES;
    /** The subfolder {@code cifar-10-binary.tar.gz} unpacks to. */
    public static final String SUBFOLDER = "cifar-10-batches-bin";
    /** CIFAR-10's class names, label 0 first, as its {@code batches.meta.txt} lists them. */
    public static final List<String> CLASSES = List.of("airplane", "automobile", "bird", "cat", "deer", "dog",
            "frog", "horse", "ship", "truck");

    private Cifar10Dataset(String source, List<String> classes, byte[] pixels, byte[] labels) {
        super("CIFAR-10", source, classes, 3, SIDE, SIDE, pixels, labels); // N·3072 bytes, CHW per image
    }

    /** The batch file names of {@code split}, in reading order. */
    public static List<String> batchNames(Split split) {
        return split == Split.TRAIN
                ? List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin")
                : List.of("test_batch.bin");
    }

    /** The {@code split} of the CIFAR-10 binary batches in {@code dir} or {@code dir/cifar-10-batches-bin}. */
    public static Cifar10Dataset open(Path dir, Split split) {
        Objects.requireNonNull(split, "split");
        if (dir == null || !Files.isDirectory(dir)) {
            throw new InvalidFileException("CIFAR-10", dir, "no such directory");
        }
        List<String> names = batchNames(split);
        Path folder = dir;
        if (!Files.isRegularFile(dir.resolve(names.getFirst())) && Files.isDirectory(dir.resolve(SUBFOLDER))) {
            folder = dir.resolve(SUBFOLDER);
        }
        List<Path> files = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String n : names) {
            Path f = folder.resolve(n);
            if (Files.isRegularFile(f)) {
                files.add(f);
            } else {
                missing.add(n);
            }
        }
        if (!missing.isEmpty()) {
            throw new InvalidFileException("CIFAR-10", dir, split.label() + " split needs "
                    + String.join(", ", names) + "; missing from " + folder + ": " + String.join(", ", missing)
                    + (folder.equals(dir) ? " (nor is there a " + SUBFOLDER + "/ subfolder holding them)" : ""));
        }
        Path meta = folder.resolve("batches.meta.txt");
        List<String> classes = Files.isRegularFile(meta) ? IdxDataset.readClassNames(meta) : CLASSES;
        return read(files, classes, folder + " (" + split.label() + ")");
    }

    /** Reads the given batch files, in order, as one dataset; {@code source} names it in messages. */
    public static Cifar10Dataset read(List<Path> batches, List<String> classNames, String source) {
        if (batches == null || batches.isEmpty() || classNames == null || classNames.isEmpty()) {
            throw new IllegalArgumentException("CIFAR-10 " + source + ": no batch files or no class names given");
        }
        // Sizes first: a truncated batch fails before anything is allocated.
        long records = 0;
        long[] counts = new long[batches.size()];
        for (int k = 0; k < batches.size(); k++) {
            Path f = batches.get(k);
            long size;
            try {
                size = Files.size(f);
            } catch (IOException e) {
                throw new UncheckedIOException("CIFAR-10 batch " + f + ": cannot read its size (" + e.getMessage() + ")", e);
            }
            if (size == 0 || size % RECORD_BYTES != 0) {
                throw new InvalidFileException("CIFAR-10 batch", f, size + " bytes is not a positive multiple of the "
                        + RECORD_BYTES + "-byte record (1 label + 3·32·32 pixels)"
                        + (size > RECORD_BYTES ? "; " + size / RECORD_BYTES + " whole records and " + size % RECORD_BYTES
                        + " bytes left over: truncated or not a CIFAR-10 binary batch" : ""));
            }
            counts[k] = size / RECORD_BYTES;
            records += counts[k];
            if (records > IdxDataset.MAX_BYTES / IMAGE_BYTES) {
                throw new InvalidFileException("CIFAR-10 batch", f, "brings " + source + " to " + records
                        + " records, more than the " + IdxDataset.MAX_BYTES / IMAGE_BYTES + " one array of pixels can hold");
            }
        }
        int n = (int) records;
        byte[] pixels = new byte[n * IMAGE_BYTES], labels = new byte[n];
        int i = 0;
        for (int k = 0; k < batches.size(); k++) {
            Path f = batches.get(k);
            try (InputStream raw = Files.newInputStream(f);
                 DataInputStream in = new DataInputStream(new BufferedInputStream(raw, 1 << 16))) {
                for (long r = 0; r < counts[k]; r++, i++) {
                    labels[i] = in.readByte();
                    if ((labels[i] & 0xFF) >= classNames.size()) {
                        throw new InvalidFileException("CIFAR-10 batch", f, "record " + r + " has label "
                                + (labels[i] & 0xFF) + ", out of range for " + classNames.size() + " classes " + classNames);
                    }
                    in.readFully(pixels, i * IMAGE_BYTES, IMAGE_BYTES);
                }
            } catch (EOFException e) {
                throw new InvalidFileException("CIFAR-10 batch", f, "ended before its " + counts[k]
                        + " records were read (did it shrink while being read?)", e);
            } catch (IOException e) {
                throw new UncheckedIOException("CIFAR-10 batch " + f + ": cannot read (" + e.getMessage() + ")", e);
            }
        }
        return new Cifar10Dataset(source, List.copyOf(classNames), pixels, labels);
    }

    @Override
    public String describe(int i) {
        return "CIFAR-10 " + super.describe(i);
    }
}
