package org.inceptionj.inception.image;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.awt.image.DirectColorModel;
import java.awt.image.Raster;
import java.awt.image.SinglePixelPackedSampleModel;
import java.awt.image.WritableRaster;
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

    /** A {@link BufferedImage#TYPE_INT_RGB} image over packed 0xRRGGBB pixels (no copy). */
    static BufferedImage wrap(int[] px, int width, int height) {
        int[] masks = {0xFF0000, 0x00FF00, 0x0000FF};
        WritableRaster raster = Raster.createPackedRaster(new DataBufferInt(px, px.length), width, height, width, masks,
                null);
        return new BufferedImage(new DirectColorModel(24, masks[0], masks[1], masks[2]), raster, false, null);
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
        return resizeLikePillow(img, width, height, 0, 0, width, height);
    }

    /**
     * The {@code cw}×{@code ch} window at ({@code left}, {@code top}) of
     * {@link #resizeLikePillow(BufferedImage, int, int) resizeLikePillow(img, width, height)}, pixel for
     * pixel, computing only the window: each output pixel of Pillow's resampling depends on its own
     * coefficients alone, so the horizontal pass runs for the window's columns over the input rows
     * the window's rows need, then the vertical pass for the window's rows. Time and memory are those
     * of the input and the window, whatever {@code width}×{@code height} is (which may exceed what
     * an array holds: torchvision's resize-then-crop of a long image).
     */
    public static BufferedImage resizeLikePillow(BufferedImage img, int width, int height, int left, int top, int cw,
                                                 int ch) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("resize: target " + width + "x" + height + " is empty");
        }
        if (cw < 1 || ch < 1 || left < 0 || top < 0 || left > width - cw || top > height - ch) {
            throw new IllegalArgumentException("resize: window " + cw + "x" + ch + " at (" + left + ", " + top
                    + ") is not inside the " + width + "x" + height + " target");
        }
        BufferedImage rgb = toRgb(img);
        int inW = rgb.getWidth(), inH = rgb.getHeight();
        Packed in = Packed.of(rgb);
        // Pillow skips a pass whose size does not change (its coefficients would be the identity anyway).
        boolean horizontal = width != inW, vertical = height != inH;
        Coefficients cols = horizontal ? Coefficients.of(inW, width, left, cw) : null;
        Coefficients rows = vertical ? Coefficients.of(inH, height, top, ch) : null;
        // The input rows the vertical pass reads (or the window's rows when there is none).
        int firstRow = vertical ? rows.firstInput() : top;
        int lastRow = vertical ? rows.endInput() : top + ch;
        int tmpH = lastRow - firstRow;
        int[] tmp = new int[Math.multiplyExact(cw, tmpH)];
        for (int y = 0; y < tmpH; y++) {
            int base = in.offset() + (firstRow + y) * in.stride();
            for (int x = 0; x < cw; x++) {
                tmp[y * cw + x] = horizontal ? cols.apply(in.data(), base, 1, x) : in.data()[base + left + x];
            }
        }
        if (!vertical) {
            return wrap(tmp, cw, ch);
        }
        int[] out = new int[Math.multiplyExact(cw, ch)];
        for (int y = 0; y < ch; y++) {
            for (int x = 0; x < cw; x++) {
                out[y * cw + x] = rows.apply(tmp, x - firstRow * cw, cw, y);
            }
        }
        return wrap(out, cw, ch);
    }

    /** Packed 0xRRGGBB pixels of a TYPE_INT_RGB image: pixel (x, y) is {@code data[offset + y·stride + x]}. */
    private record Packed(int[] data, int offset, int stride) {
        static Packed of(BufferedImage rgb) {
            Raster r = rgb.getRaster();
            if (r.getDataBuffer() instanceof DataBufferInt buf && buf.getNumBanks() == 1
                    && r.getSampleModel() instanceof SinglePixelPackedSampleModel sm) {
                int offset = buf.getOffset() - r.getSampleModelTranslateY() * sm.getScanlineStride()
                        - r.getSampleModelTranslateX();
                return new Packed(buf.getData(), offset, sm.getScanlineStride());
            }
            int w = rgb.getWidth();
            return new Packed(rgb.getRGB(0, 0, w, rgb.getHeight(), null, 0, w), 0, w);
        }
    }

    /**
     * Pillow's {@code precompute_coeffs} and {@code normalize_coeffs_8bpc} for the bilinear filter
     * along one axis, for the outputs {@code from} … {@code from + count − 1} of {@code outSize}:
     * scale = in/out, filter scale fs = max(scale, 1), support = fs; output o centers at
     * (o + 0.5)·scale and reads inputs ⌊center − support + 0.5⌋ … ⌊center + support + 0.5⌋ − 1
     * (clamped), weighted by max(0, 1 − |(i − center + 0.5)/fs|), normalized, then rounded to
     * 22-bit fixed point.
     */
    private record Coefficients(int from, int[] first, int[] count, int[][] k) {
        static Coefficients of(int inSize, long outSize, int from, int n) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = 1.0 * filterScale; // the bilinear (triangle) filter has support 1
            double ss = 1.0 / filterScale;
            int[] first = new int[n], count = new int[n];
            int[][] k = new int[n][];
            for (int j = 0; j < n; j++) {
                double center = (from + j + 0.5) * scale;
                int min = Math.max((int) (center - support + 0.5), 0);
                int max = Math.min((int) (center + support + 0.5), inSize) - min;
                double[] w = new double[max];
                double sum = 0;
                for (int i = 0; i < max; i++) {
                    double t = Math.abs((i + min - center + 0.5) * ss);
                    w[i] = t < 1.0 ? 1.0 - t : 0.0;
                    sum += w[i];
                }
                k[j] = new int[max];
                for (int i = 0; i < max; i++) {
                    double v = sum != 0.0 ? w[i] / sum : w[i];
                    k[j][i] = v < 0 ? (int) (-0.5 + v * (1 << PRECISION_BITS)) : (int) (0.5 + v * (1 << PRECISION_BITS));
                }
                first[j] = min;
                count[j] = max;
            }
            return new Coefficients(from, first, count, k);
        }

        /** The first input any of these outputs reads. */
        int firstInput() {
            int m = Integer.MAX_VALUE;
            for (int f : first) {
                m = Math.min(m, f);
            }
            return m;
        }

        /** One past the last input any of these outputs reads. */
        int endInput() {
            int m = 0;
            for (int i = 0; i < first.length; i++) {
                m = Math.max(m, first[i] + count[i]);
            }
            return m;
        }

        /** Output sample {@code from + j} from src[base + (first[j] + i)·stride], i < count[j], per RGB channel. */
        int apply(int[] src, int base, int stride, int j) {
            int r = 1 << (PRECISION_BITS - 1), g = r, b = r;
            int[] w = k[j];
            int at = base + first[j] * stride;
            for (int i = 0; i < count[j]; i++, at += stride) {
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
