package org.inceptionj.inception.data;

import java.awt.image.BufferedImage;

import org.inceptionj.inception.image.Images;

/**
 * A {@link Transform} that works on raw 8-bit planes. A {@link DataLoader} whose dataset is a
 * {@link RasterDataset} hands it the dataset's bytes directly ({@link #apply(byte[], int, int, int, int, int)}),
 * skipping the {@link BufferedImage}; any other dataset goes through {@link #apply(BufferedImage, int, int)},
 * which unpacks the image to three planes first. Both paths give the same floats for the same pixels.
 */
public interface RasterTransform extends Transform {
    /**
     * The CHW view (3·size·size floats) of an image given as {@code channels} planes (1: gray,
     * 3: R, G, B) of {@code height}×{@code width} unsigned bytes, plane-major then row-major
     * ({@link RasterDataset}'s layout); example {@code index} in epoch {@code epoch}. Does not
     * modify {@code pixels}.
     */
    float[] apply(byte[] pixels, int channels, int height, int width, int epoch, int index);

    /** {@link #apply(byte[], int, int, int, int, int)} of the image's R, G and B planes. */
    @Override
    default float[] apply(BufferedImage image, int epoch, int index) {
        BufferedImage rgb = Images.toRgb(image);
        int w = rgb.getWidth(), h = rgb.getHeight(), plane = w * h;
        int[] argb = rgb.getRGB(0, 0, w, h, null, 0, w);
        byte[] planes = new byte[3 * plane];
        for (int p = 0; p < plane; p++) {
            planes[p] = (byte) (argb[p] >> 16);
            planes[plane + p] = (byte) (argb[p] >> 8);
            planes[2 * plane + p] = (byte) argb[p];
        }
        return apply(planes, 3, h, w, epoch, index);
    }
}
