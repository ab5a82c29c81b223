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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.inceptionj.inception.io.InvalidFileException;

/**
 * Reading JPEG and PNG files into 8-bit RGB with exactly the pixels of Pillow's
 * {@code Image.open(file).convert("RGB")} — what torchvision's {@code ImageFolder} and
 * {@code pil_loader} give a model — and resizing as Pillow does:
 * <ul>
 *   <li>every PNG kind (gray 1/2/4/8/16-bit, gray+alpha, RGB and RGBA at 8 or 16 bits, palette,
 *       with or without tRNS, interlaced) is converted as Pillow converts it ({@link Png}): alpha
 *       dropped, not blended; 16-bit RGB to its high bytes; 16-bit gray clipped to 255, as Pillow
 *       does; no gamma or colour-profile conversion;</li>
 *   <li>JPEG: gray, YCbCr at any subsampling, RGB, CMYK and YCCK, converted as Pillow's
 *       libjpeg-turbo and {@code Convert.c} do ({@link Jpeg}); EXIF orientation and ICC profiles
 *       are ignored, as Pillow's convert ignores them;</li>
 *   <li>the size in the header is checked against {@link ImageLimits} (pixels and aspect ratio)
 *       before any pixel is decoded;</li>
 *   <li>truncated and corrupt files, and files that are neither JPEG nor PNG, are rejected with an
 *       {@link InvalidFileException} naming the file and the problem; {@link Png} and {@link Jpeg}
 *       list what is rejected and where that differs from Pillow.</li>
 * </ul>
 * The golden test compares every kind with Pillow's own output, byte for byte.
 */
public final class Images {
    private Images() {
    }

    /** What a file's header says: its format ("PNG" or "JPEG") and size. */
    public record Header(String format, int width, int height) {
    }

    /** Reads {@code file} as Pillow's {@code convert("RGB")} would, within {@link ImageLimits#fromSystemProperties()}. */
    public static BufferedImage readRgb(Path file) {
        return readRgb(file, ImageLimits.fromSystemProperties());
    }

    /**
     * Reads {@code file} as an 8-bit RGB image ({@link BufferedImage#TYPE_INT_RGB}) with the pixels of
     * Pillow's {@code Image.open(file).convert("RGB")}.
     *
     * @throws InvalidFileException if the file is missing, not JPEG or PNG, truncated, corrupt, or
     *                              larger than {@code limits}; the message names the file
     */
    public static BufferedImage readRgb(Path file, ImageLimits limits) {
        byte[] bytes = bytes(file);
        int[] px;
        Header header;
        if (isPng(bytes)) {
            Png.Header h = Png.readHeader(bytes, file, limits);
            header = new Header("PNG", h.width(), h.height());
            px = Png.decode(bytes, h, file);
        } else if (isJpeg(bytes)) {
            Jpeg.Header h = Jpeg.readHeader(bytes, file, limits);
            header = new Header("JPEG", h.width(), h.height());
            px = Jpeg.decode(bytes, h, file);
        } else {
            throw notJpegOrPng(file, bytes);
        }
        return wrap(px, header.width(), header.height());
    }

    /** A {@link BufferedImage#TYPE_INT_RGB} image over packed 0xRRGGBB pixels (no copy). */
    static BufferedImage wrap(int[] px, int width, int height) {
        int[] masks = {0xFF0000, 0x00FF00, 0x0000FF};
        WritableRaster raster = Raster.createPackedRaster(new DataBufferInt(px, px.length), width, height, width, masks,
                null);
        return new BufferedImage(new DirectColorModel(24, masks[0], masks[1], masks[2]), raster, false, null);
    }

    /**
     * Reads and checks everything in {@code file} but its pixels: the format, the size (against
     * {@code limits}), and the structure — PNG chunks and CRCs up to the image data and whether that
     * data could hold the image; every JPEG marker up to EOI. A file that passes can still hold
     * corrupt compressed data, which only {@link #readRgb} finds.
     */
    public static Header readHeader(Path file, ImageLimits limits) {
        byte[] bytes = bytes(file);
        if (isPng(bytes)) {
            Png.Header h = Png.readHeader(bytes, file, limits);
            return new Header("PNG", h.width(), h.height());
        }
        if (isJpeg(bytes)) {
            Jpeg.Header h = Jpeg.readHeader(bytes, file, limits);
            return new Header("JPEG", h.width(), h.height());
        }
        throw notJpegOrPng(file, bytes);
    }

    private static byte[] bytes(Path file) {
        if (file == null) {
            throw new IllegalArgumentException("image: path is null");
        }
        if (!Files.isRegularFile(file)) {
            throw new InvalidFileException("image", file, "no such file");
        }
        try {
            long size = Files.size(file);
            if (size > ImageLimits.MAX_ARRAY) {
                throw new InvalidFileException("image", file, size + " bytes is more than a JPEG or PNG file read here"
                        + " may have (" + ImageLimits.MAX_ARRAY + ")");
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new InvalidFileException("image", file, "cannot be read (" + e.getMessage() + ")", e);
        }
    }

    private static boolean isPng(byte[] b) {
        return b.length >= Png.SIGNATURE.length && Arrays.equals(b, 0, Png.SIGNATURE.length, Png.SIGNATURE, 0,
                Png.SIGNATURE.length);
    }

    /** Pillow's test: FF D8 FF. */
    private static boolean isJpeg(byte[] b) {
        return b.length >= 3 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xD8 && (b[2] & 0xFF) == 0xFF;
    }

    private static InvalidFileException notJpegOrPng(Path file, byte[] b) {
        String start = new String(b, 0, Math.min(b.length, 12), StandardCharsets.ISO_8859_1);
        String known = start.startsWith("GIF8") ? "GIF" : start.startsWith("BM") ? "BMP"
                : start.startsWith("RIFF") && start.startsWith("WEBP", 8) ? "WebP"
                : start.startsWith("II*\0") || start.startsWith("MM\0*") ? "TIFF" : null;
        return new InvalidFileException("image", file, b.length == 0 ? "empty file: not a JPEG or PNG"
                : known != null ? known + " is not supported; use JPEG or PNG"
                : "not a JPEG or PNG file (it starts with " + hex(b, 8) + ")");
    }

    private static String hex(byte[] b, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(n, b.length); i++) {
            sb.append(i == 0 ? "" : " ").append(String.format("%02X", b[i] & 0xFF));
        }
        return sb.toString();
    }

    /**
     * Any image as 8-bit RGB ({@link BufferedImage#TYPE_INT_RGB}; returned as is when it already is):
     * sRGB images (RGB, ARGB, indexed, ...) keep their R, G, B values and drop alpha, as Pillow's
     * {@code convert("RGB")} does; others (gray) are drawn, gray replicated without any gamma change
     * (a gray image with alpha is blended onto black).
     */
    public static BufferedImage toRgb(BufferedImage img) {
        if (img.getType() == BufferedImage.TYPE_INT_RGB) {
            return img;
        }
        int w = img.getWidth(), h = img.getHeight();
        if (img.getColorModel().getColorSpace().isCS_sRGB()) {
            int[] px = img.getRGB(0, 0, w, h, null, 0, w); // sRGB: no conversion, alpha not applied
            for (int i = 0; i < px.length; i++) {
                px[i] &= 0xFFFFFF;
            }
            return wrap(px, w, h);
        }
        BufferedImage rgb = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = rgb.createGraphics();
        try {
            g.drawImage(img, 0, 0, null); // gray: 128 stays 128 (getRGB would convert linear gray: 188)
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
