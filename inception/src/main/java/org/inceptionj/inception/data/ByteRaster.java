package org.inceptionj.inception.data;

import java.util.List;

/**
 * What the in-memory formats (IDX, CIFAR-10) share once decoded: N images of C×H×W unsigned bytes,
 * image-major and channel-major inside an image ({@link RasterDataset}'s layout), one byte label per
 * image and the class names. Immutable, so workers may read it concurrently.
 */
abstract class ByteRaster implements RasterDataset {
    private final String kind;
    final String source;
    final List<String> classes;
    final int channels;
    final int height;
    final int width;
    final byte[] pixels;
    final byte[] labels;

    /** {@code kind} names the format in messages ("IDX dataset", "CIFAR-10"). */
    ByteRaster(String kind, String source, List<String> classes, int channels, int height, int width, byte[] pixels,
               byte[] labels) {
        this.kind = kind;
        this.source = source;
        this.classes = classes;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.pixels = pixels;
        this.labels = labels;
    }

    @Override
    public String source() {
        return source;
    }

    @Override
    public int size() {
        return labels.length;
    }

    @Override
    public List<String> classes() {
        return classes;
    }

    @Override
    public int label(int i) {
        check(i);
        return labels[i] & 0xFF;
    }

    @Override
    public String describe(int i) {
        return source + " image " + i;
    }

    @Override
    public int channels() {
        return channels;
    }

    @Override
    public int height() {
        return height;
    }

    @Override
    public int width() {
        return width;
    }

    @Override
    public void pixels(int i, byte[] dst) {
        check(i);
        int n = channels * height * width;
        System.arraycopy(pixels, i * n, dst, 0, n);
    }

    private void check(int i) {
        if (i < 0 || i >= labels.length) {
            throw new IndexOutOfBoundsException(kind + " " + source + ": example " + i + " out of range [0, "
                    + labels.length + ")");
        }
    }
}
