package org.inceptionj.inception.data;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;

/**
 * A {@link Dataset} held in memory as 8-bit pixels of one size (IDX, CIFAR-10), so that a
 * {@link RasterTransform} can read the bytes without a {@link BufferedImage} in between.
 *
 * <p>Example {@code i} is {@link #channels()} planes of {@link #height()}×{@link #width()} bytes
 * (unsigned, 0..255), plane-major then row-major (CHW, as CIFAR-10 stores it): byte
 * {@code c·H·W + y·W + x} is channel c of pixel (x, y). One channel is grayscale, three are R, G, B.
 */
public interface RasterDataset extends Dataset {
    /** 1 (grayscale) or 3 (RGB). */
    int channels();

    /** Rows of every image. */
    int height();

    /** Columns of every image. */
    int width();

    /**
     * Copies example {@code i}'s C·H·W bytes (CHW order) into {@code dst} from index 0;
     * {@code dst.length} must be at least C·H·W.
     */
    void pixels(int i, byte[] dst);

    /** Example {@code i}'s C·H·W bytes in a new array ({@link #pixels(int, byte[])}). */
    default byte[] pixels(int i) {
        byte[] dst = new byte[channels() * height() * width()];
        pixels(i, dst);
        return dst;
    }

    /**
     * Example {@code i} as a TYPE_INT_RGB image: gray g becomes (g, g, g). Written straight into
     * the image's int buffer, so it costs one pass over H·W pixels.
     */
    @Override
    default BufferedImage image(int i) {
        int c = channels(), h = height(), w = width(), plane = h * w;
        byte[] px = pixels(i);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int[] rgb = ((DataBufferInt) img.getRaster().getDataBuffer()).getData();
        for (int p = 0; p < plane; p++) {
            int r = px[p] & 0xFF;
            int g = c == 1 ? r : px[plane + p] & 0xFF;
            int b = c == 1 ? r : px[2 * plane + p] & 0xFF;
            rgb[p] = (r << 16) | (g << 8) | b;
        }
        return img;
    }
}
