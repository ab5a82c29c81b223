package org.inceptionj.inception.image;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Reading JPEG and PNG files into 8-bit RGB, with every conversion stated:
 * <ul>
 *   <li>grayscale (8 or 16 bit), palette and RGBA images are converted to RGB (alpha is dropped,
 *       gray is replicated into the three channels);</li>
 *   <li>16-bit-per-channel PNGs are reduced to 8 bits per channel;</li>
 *   <li>CMYK / YCCK JPEGs are rejected (Java's decoder does not read them): convert them to RGB first;</li>
 *   <li>corrupt or truncated files, and files that are not JPEG or PNG, are rejected naming the file;</li>
 *   <li>images of any size ≥ 1×1 are accepted; the preprocessing resizes them (upsampling tiny ones).</li>
 * </ul>
 */
public final class Images {
    private Images() {
    }

    /** Reads {@code file} as an 8-bit RGB image ({@link BufferedImage#TYPE_INT_RGB}). */
    public static BufferedImage readRgb(Path file) {
        if (file == null) {
            throw new IllegalArgumentException("image: path is null");
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("image " + file + ": no such file");
        }
        BufferedImage img;
        try (InputStream raw = Files.newInputStream(file); ImageInputStream in = ImageIO.createImageInputStream(raw)) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new IllegalArgumentException("image " + file + ": not a JPEG or PNG file (unrecognized format)");
            }
            ImageReader reader = readers.next();
            String format = reader.getFormatName().toLowerCase();
            if (!format.equals("jpeg") && !format.equals("png")) {
                reader.dispose();
                throw new IllegalArgumentException("image " + file + ": format " + format + " is not supported; use JPEG or PNG");
            }
            try {
                reader.setInput(in);
                img = reader.read(0);
            } catch (javax.imageio.IIOException e) {
                String m = String.valueOf(e.getMessage());
                if (m.contains("Unsupported Image Type") || m.contains("CMYK") || m.contains("YCCK")) {
                    throw new IllegalArgumentException("image " + file + ": CMYK/YCCK JPEG is not supported; convert it to RGB", e);
                }
                throw new IllegalArgumentException("image " + file + ": corrupt or truncated " + format + " (" + m + ")", e);
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("image " + file + ": cannot be read (" + e.getMessage() + ")", e);
        } catch (RuntimeException e) {
            if (e instanceof IllegalArgumentException) {
                throw e;
            }
            throw new IllegalArgumentException("image " + file + ": corrupt or truncated (" + e + ")", e);
        }
        if (img == null || img.getWidth() < 1 || img.getHeight() < 1) {
            throw new IllegalArgumentException("image " + file + ": decodes to no pixels");
        }
        return toRgb(img);
    }

    /** Any image as 8-bit RGB (gray replicated, alpha dropped, 16-bit reduced). */
    public static BufferedImage toRgb(BufferedImage img) {
        if (img.getType() == BufferedImage.TYPE_INT_RGB) {
            return img;
        }
        BufferedImage rgb = new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = rgb.createGraphics();
        try {
            g.drawImage(img, 0, 0, null);
        } finally {
            g.dispose();
        }
        return rgb;
    }

    /**
     * The luminance of {@code img} in all three channels, as Pillow's {@code convert("L")} computes it:
     * L = (R·299 + G·587 + B·114) / 1000, rounded ((… + 500) / 1000 in integers). For models trained on
     * grayscale images (Fashion-MNIST, MNIST), which then see a colour picture the way their data looked.
     */
    public static BufferedImage luminance(BufferedImage img) {
        BufferedImage rgb = toRgb(img);
        int w = rgb.getWidth(), h = rgb.getHeight();
        int[] px = rgb.getRGB(0, 0, w, h, null, 0, w);
        for (int i = 0; i < px.length; i++) {
            int r = (px[i] >> 16) & 0xFF, g = (px[i] >> 8) & 0xFF, b = px[i] & 0xFF;
            int l = (r * 299 + g * 587 + b * 114 + 500) / 1000;
            px[i] = l << 16 | l << 8 | l;
        }
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        out.setRGB(0, 0, w, h, px, 0, w);
        return out;
    }

    /** Bilinear resize to exactly width × height. */
    public static BufferedImage resize(BufferedImage img, int width, int height) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("resize: target " + width + "x" + height + " is empty");
        }
        if (img.getWidth() == width && img.getHeight() == height) {
            return img;
        }
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.drawImage(img, 0, 0, width, height, null);
        } finally {
            g.dispose();
        }
        return out;
    }

    /** Pillow's fixed-point precision for 8-bit resampling: 32 − 8 − 2 bits. */
    private static final int PRECISION_BITS = 22;

    /**
     * Bilinear resize as Pillow's {@code Image.resize(size, BILINEAR)} computes it, and so as
     * torchvision's {@code Resize} does on PIL images: a triangle filter whose support widens with the
     * reduction factor (antialiasing when shrinking), coefficients in 22-bit fixed point, a horizontal
     * pass then a vertical pass, each rounded and clipped to 8 bits (Pillow's {@code Resample.c}).
     * Checked against Pillow's own output in the tests.
     */
    public static BufferedImage resizeLikePillow(BufferedImage img, int width, int height) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("resize: target " + width + "x" + height + " is empty");
        }
        BufferedImage rgb = toRgb(img);
        int inW = rgb.getWidth(), inH = rgb.getHeight();
        int[] px = rgb.getRGB(0, 0, inW, inH, null, 0, inW);
        Coefficients horizontal = Coefficients.of(inW, width);
        Coefficients vertical = Coefficients.of(inH, height);
        int[] tmp = px;
        int tmpW = inW;
        if (width != inW) {
            tmp = new int[width * inH];
            for (int y = 0; y < inH; y++) {
                for (int x = 0; x < width; x++) {
                    tmp[y * width + x] = horizontal.apply(px, y * inW, 1, x);
                }
            }
            tmpW = width;
        }
        int[] out = tmp;
        if (height != inH) {
            out = new int[width * height];
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    out[y * width + x] = vertical.apply(tmp, x, tmpW, y);
                }
            }
        }
        BufferedImage result = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        result.setRGB(0, 0, width, height, out, 0, width);
        return result;
    }

    /** Pillow's {@code precompute_coeffs} and {@code normalize_coeffs_8bpc} for the bilinear filter along one axis. */
    private record Coefficients(int[] first, int[] count, int[][] k) {
        static Coefficients of(int inSize, int outSize) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = 1.0 * filterScale; // the bilinear (triangle) filter has support 1
            int[] first = new int[outSize], count = new int[outSize];
            int[][] k = new int[outSize][];
            for (int o = 0; o < outSize; o++) {
                double center = (o + 0.5) * scale;
                int min = Math.max((int) (center - support + 0.5), 0);
                int max = Math.min((int) (center + support + 0.5), inSize) - min;
                double[] w = new double[max];
                double sum = 0;
                for (int i = 0; i < max; i++) {
                    double t = Math.abs((i + min - center + 0.5) / filterScale);
                    w[i] = t < 1.0 ? 1.0 - t : 0.0;
                    sum += w[i];
                }
                k[o] = new int[max];
                for (int i = 0; i < max; i++) {
                    double v = sum != 0.0 ? w[i] / sum : w[i];
                    k[o][i] = v < 0 ? (int) (-0.5 + v * (1 << PRECISION_BITS)) : (int) (0.5 + v * (1 << PRECISION_BITS));
                }
                first[o] = min;
                count[o] = max;
            }
            return new Coefficients(first, count, k);
        }

        /** Output sample o from src[base + (first[o] + i)·stride], i < count[o], per RGB channel. */
        int apply(int[] src, int base, int stride, int o) {
            int r = 1 << (PRECISION_BITS - 1), g = r, b = r;
            int[] w = k[o];
            int at = base + first[o] * stride;
            for (int i = 0; i < count[o]; i++, at += stride) {
                int p = src[at];
                r += ((p >> 16) & 0xFF) * w[i];
                g += ((p >> 8) & 0xFF) * w[i];
                b += (p & 0xFF) * w[i];
            }
            return clip8(r) << 16 | clip8(g) << 8 | clip8(b);
        }

        private static int clip8(int v) {
            if (v >= (1 << PRECISION_BITS << 8)) {
                return 255;
            }
            return v <= 0 ? 0 : v >> PRECISION_BITS;
        }
    }
}
