package org.inceptionj.inception.image;

import java.awt.image.DataBufferByte;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStreamImpl;

import org.inceptionj.inception.io.InvalidFileException;

/**
 * A JPEG decoder whose output is Pillow 12's {@code Image.open(f).convert("RGB")}: the JDK's
 * libjpeg (IJG 6b) decodes the components, with no colour conversion
 * ({@link ImageReader#readRaster}), and this class converts them as Pillow's libjpeg-turbo and
 * {@code Convert.c} do:
 * <ul>
 *   <li>1 component: gray, replicated;</li>
 *   <li>3 components: YCbCr → RGB with libjpeg's fixed-point tables ({@code jdcolor.c}), or RGB
 *       as stored when an Adobe marker says transform 0 (libjpeg's rules: JFIF → YCbCr, Adobe
 *       transform 0 → RGB, component ids 'R','G','B' → RGB, else YCbCr);</li>
 *   <li>4 components: YCCK → CMYK as libjpeg does (Adobe transform 2, or any transform but 0),
 *       then, as Pillow reads every 4-component JPEG ("CMYK;I", Adobe's inverted polarity) and
 *       converts CMYK to RGB ({@code cmyk2rgb}): with the stored C, M, Y, K,
 *       R = clip(K − ⌊(255 − C)·K/255⌉) and so on (no ICC profile);</li>
 *   <li>4:4:0 chroma (a component sampled fully across and half down): libjpeg-turbo smooths it
 *       ({@code h1v2_fancy_upsample}); IJG 6b repeats rows, so the rows are recovered and smoothed
 *       here the same way. 4:2:0, 4:2:2, 4:4:4 and the rest upsample alike in both.</li>
 * </ul>
 * Embedded ICC profiles and the EXIF orientation are ignored, as Pillow's convert ignores them.
 * Measured against Pillow 12.3 (libjpeg-turbo 3.1) on 170 JPEG files (the 14 golden files of
 * {@code ImageGoldenTest} and 156 more up to 1000×750, photographs and noise, qualities 30 to 100,
 * baseline and progressive, 4:4:4, 4:2:2 and 4:2:0, gray, CMYK, YCCK): every pixel identical, so
 * the tolerance is 0. Not measured: arithmetic coding and lossless (rejected, see below), 12-bit.
 *
 * <p>What is rejected: no SOI; a file that ends before its EOI marker ("truncated", as Pillow);
 * entropy-coded data libjpeg reports as corrupt, i.e. its first warning is anything but extraneous
 * bytes between segments, an unknown Adobe transform or JFIF revision, or odd sequential SOS
 * parameters (Pillow decodes these with made-up pixels and no error, which no two decoders make
 * alike; libjpeg reports only its first warning, so corrupt data after extraneous bytes passes);
 * not 8-bit, not 1, 3 or 4 components (as Pillow); arithmetic coding and lossless JPEG, which the
 * JDK's libjpeg cannot decode (Pillow can). Corrupt data that still decodes to the right number
 * of blocks, a flipped bit say, cannot be detected by any decoder: JPEG has no checksum.
 */
final class Jpeg {
    private Jpeg() {
    }

    /** What the markers say; {@code adobeTransform} is -1 without an Adobe APP14 marker. */
    record Header(int width, int height, int[] ids, int[] h, int[] v, boolean jfif, int adobeTransform) {
        int components() {
            return ids.length;
        }

        /** libjpeg's {@code default_decompress_parms}: whether 3 components are RGB rather than YCbCr. */
        boolean rgb() {
            if (jfif) {
                return false;
            }
            if (adobeTransform >= 0) {
                return adobeTransform == 0;
            }
            return ids[0] == 'R' && ids[1] == 'G' && ids[2] == 'B';
        }

        /** Whether 4 components are YCCK rather than CMYK: an Adobe marker with any transform but 0. */
        boolean ycck() {
            return adobeTransform > 0;
        }
    }

    private static InvalidFileException invalid(Path file, String problem) {
        return new InvalidFileException("image", file, problem);
    }

    private static int u16(byte[] d, int at) {
        return (d[at] & 0xFF) << 8 | d[at + 1] & 0xFF;
    }

    /**
     * Walks the markers from SOI to EOI, as libjpeg reads them, without decoding: the frame header
     * (size checked against {@code limits}), JFIF and Adobe markers, and every scan's entropy-coded
     * bytes up to the marker that ends them. A file that ends before EOI is truncated.
     */
    static Header readHeader(byte[] d, Path file, ImageLimits limits) {
        if (d.length < 3 || (d[0] & 0xFF) != 0xFF || (d[1] & 0xFF) != 0xD8) {
            throw invalid(file, "not a JPEG file (no SOI marker)");
        }
        int pos = 2;
        Header frame = null;
        boolean jfif = false, scanned = false;
        int adobe = -1;
        while (true) {
            // next_marker: skip anything up to 0xFF (extraneous bytes, which libjpeg warns about), then fill bytes
            while (pos < d.length && (d[pos] & 0xFF) != 0xFF) {
                pos++;
            }
            while (pos < d.length && (d[pos] & 0xFF) == 0xFF) {
                pos++;
            }
            if (pos >= d.length) {
                throw invalid(file, "truncated JPEG: the file ends without an EOI marker" + (scanned ? ""
                        : " and before any image data"));
            }
            int marker = d[pos++] & 0xFF, at = pos - 2;
            if (marker == 0x00 || marker >= 0xD0 && marker <= 0xD7 || marker == 0x01) {
                continue; // stuffed zero, restart marker or TEM outside a scan: no segment (libjpeg skips them too)
            }
            if (marker == 0xD9) {
                if (!scanned) {
                    throw invalid(file, "corrupt JPEG: EOI before any image data");
                }
                return frame;
            }
            if (marker == 0xD8) {
                throw invalid(file, "corrupt JPEG: a second SOI marker at byte " + at);
            }
            if (pos + 2 > d.length) {
                throw invalid(file, "truncated JPEG: the file ends inside marker 0x" + Integer.toHexString(marker));
            }
            int length = u16(d, pos);
            if (length < 2) {
                throw invalid(file, "corrupt JPEG: marker 0x" + Integer.toHexString(marker) + " at byte " + at
                        + " has length " + length);
            }
            if (pos + length > d.length) {
                throw invalid(file, "truncated JPEG: marker 0x" + Integer.toHexString(marker) + " at byte " + at
                        + " needs " + length + " bytes, the file has " + (d.length - pos) + " left");
            }
            int data = pos + 2, n = length - 2;
            switch (marker) {
                case 0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF -> {
                    if (frame != null) {
                        throw invalid(file, "corrupt JPEG: a second frame header (SOF) at byte " + at);
                    }
                    frame = frame(d, data, n, marker, file, limits);
                }
                case 0xE0 -> jfif |= n >= 14 && d[data] == 'J' && d[data + 1] == 'F' && d[data + 2] == 'I'
                        && d[data + 3] == 'F' && d[data + 4] == 0;
                case 0xEE -> {
                    if (n >= 12 && d[data] == 'A' && d[data + 1] == 'd' && d[data + 2] == 'o' && d[data + 3] == 'b'
                            && d[data + 4] == 'e') {
                        adobe = d[data + 11] & 0xFF;
                    }
                }
                case 0xDA -> {
                    if (frame == null) {
                        throw invalid(file, "corrupt JPEG: a scan (SOS) before the frame header (SOF)");
                    }
                    if (!scanned) { // libjpeg settles the colour space from the markers read before the first scan
                        frame = new Header(frame.width(), frame.height(), frame.ids(), frame.h(), frame.v(), jfif, adobe);
                    }
                    scanned = true;
                    pos = data + n;
                    // entropy-coded data: up to a marker that is not a stuffed zero or a restart marker
                    while (true) {
                        while (pos < d.length && (d[pos] & 0xFF) != 0xFF) {
                            pos++;
                        }
                        int m = pos + 1;
                        while (m < d.length && (d[m] & 0xFF) == 0xFF) {
                            m++;
                        }
                        if (m >= d.length) {
                            throw invalid(file, "truncated JPEG: the file ends inside the image data (no EOI marker)");
                        }
                        int c = d[m] & 0xFF;
                        if (c == 0x00 || c >= 0xD0 && c <= 0xD7) {
                            pos = m + 1;
                            continue;
                        }
                        break; // pos is at the marker's 0xFF
                    }
                    continue;
                }
                default -> {
                    // tables (DQT, DHT, DRI), comments and other APPn: the decoder reads them
                }
            }
            pos = data + n;
        }
    }

    /** The frame header (SOF); the JFIF and Adobe flags are filled in at the first scan. */
    private static Header frame(byte[] d, int at, int n, int marker, Path file, ImageLimits limits) {
        if (marker == 0xC3 || marker == 0xC7 || marker == 0xCB || marker == 0xCF) {
            throw invalid(file, "lossless JPEG (SOF 0x" + Integer.toHexString(marker) + ") is not supported by Java's"
                    + " JPEG decoder; convert it to a baseline or progressive JPEG or to PNG");
        }
        if (marker >= 0xC9) {
            throw invalid(file, "arithmetic-coded JPEG (SOF 0x" + Integer.toHexString(marker) + ") is not supported by"
                    + " Java's JPEG decoder; re-encode it with Huffman coding");
        }
        if (n < 6) {
            throw invalid(file, "corrupt JPEG: frame header of " + n + " bytes");
        }
        int precision = d[at] & 0xFF, height = u16(d, at + 1), width = u16(d, at + 3), count = d[at + 5] & 0xFF;
        if (precision != 8) {
            throw invalid(file, precision + "-bit JPEG samples are not supported (8-bit only, as Pillow)");
        }
        if (count != 1 && count != 3 && count != 4) {
            throw invalid(file, "JPEG with " + count + " components is not supported (1, 3 or 4, as Pillow)");
        }
        if (n < 6 + 3 * count) {
            throw invalid(file, "corrupt JPEG: frame header of " + n + " bytes for " + count + " components");
        }
        if (height == 0) {
            throw invalid(file, "JPEG frame header declares height 0 (a DNL marker, which libjpeg does not support)");
        }
        limits.check(file, "JPEG", width, height);
        int[] ids = new int[count], h = new int[count], v = new int[count];
        for (int i = 0; i < count; i++) {
            ids[i] = d[at + 6 + 3 * i] & 0xFF;
            h[i] = (d[at + 7 + 3 * i] & 0xFF) >> 4;
            v[i] = d[at + 7 + 3 * i] & 0x0F;
            if (h[i] < 1 || h[i] > 4 || v[i] < 1 || v[i] > 4) {
                throw invalid(file, "corrupt JPEG: component " + i + " has sampling factors " + h[i] + "x" + v[i]);
            }
        }
        return new Header(width, height, ids, h, v, false, -1);
    }

    /** libjpeg warnings that do not mean lost or made-up pixels (jerror.h; the JDK's own ICC warning). */
    private static final List<String> HARMLESS_WARNINGS = List.of(
            "extraneous bytes before marker", "Unknown Adobe color transform code", "unknown JFIF revision number",
            "Invalid SOS parameters for sequential JPEG", "Embedded color profile is invalid",
            "JFIF markers not allowed in JFIF JPEG thumbnail");

    /** The pixels as packed 0xRRGGBB, row-major: the JDK's libjpeg decodes, Pillow's conversions convert. */
    static int[] decode(byte[] d, Header header, Path file) {
        ImageReader reader = jdkReader();
        List<String> warnings = new ArrayList<>();
        Raster raster;
        try (BytesInputStream in = new BytesInputStream(d)) {
            reader.setInput(in, true, true);
            reader.addIIOReadWarningListener((source, warning) -> {
                warnings.add(warning);
                if (!harmless(warning)) {
                    source.abort(); // no point decoding the rest
                }
            });
            raster = reader.readRaster(0, null);
        } catch (IOException | RuntimeException e) {
            String m = String.valueOf(e.getMessage());
            throw new InvalidFileException("image", file, "corrupt JPEG: " + m
                    + (warnings.isEmpty() ? "" : " (libjpeg: " + String.join("; ", warnings) + ")"), e);
        } finally {
            reader.dispose();
        }
        for (String w : warnings) {
            if (!harmless(w)) {
                throw invalid(file, (w.contains("Premature end") || w.contains("Truncated") ? "truncated" : "corrupt")
                        + " JPEG data (libjpeg: " + w + ")");
            }
        }
        int w = header.width(), h = header.height(), nc = header.components();
        if (raster.getWidth() != w || raster.getHeight() != h || raster.getNumBands() != nc
                || !(raster.getSampleModel() instanceof PixelInterleavedSampleModel sm)
                || sm.getPixelStride() != nc || sm.getScanlineStride() != w * nc) {
            throw new IllegalStateException("JPEG " + file + ": the JDK's decoder returned an unexpected raster "
                    + raster.getSampleModel() + " " + raster.getWidth() + "x" + raster.getHeight());
        }
        byte[] px = ((DataBufferByte) raster.getDataBuffer()).getData();
        int[] offsets = sm.getBandOffsets();
        for (int i = 0; i < nc; i++) {
            if (offsets[i] != i) {
                throw new IllegalStateException("JPEG " + file + ": unexpected band order " + java.util.Arrays.toString(offsets));
            }
        }
        smooth440(px, header);
        return toRgb(px, header);
    }

    private static boolean harmless(String warning) {
        for (String s : HARMLESS_WARNINGS) {
            if (warning.contains(s)) {
                return true;
            }
        }
        return false;
    }

    /** The JDK's own JPEG reader: the conversions below assume its raw, unconverted components. */
    private static ImageReader jdkReader() {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName("jpeg");
        while (readers.hasNext()) {
            ImageReader r = readers.next();
            if (r.getClass().getName().equals("com.sun.imageio.plugins.jpeg.JPEGImageReader")) {
                return r;
            }
            r.dispose();
        }
        throw new IllegalStateException("the JDK's JPEG reader (com.sun.imageio.plugins.jpeg.JPEGImageReader) is"
                + " missing from this Java runtime; decoding JPEG needs the java.desktop module");
    }

    /**
     * libjpeg-turbo's {@code h1v2_fancy_upsample} for components sampled fully across and half down
     * (IJG 6b, the JDK's, repeats each row): with c the component's rows (c[−1] = c[0], c[n] =
     * c[n−1] at the image's edges), output row 2k = ⌊(3·c[k] + c[k−1] + 1) / 4⌋ and row 2k+1 =
     * ⌊(3·c[k] + c[k+1] + 2) / 4⌋. Rewrites {@code px} in place.
     */
    static void smooth440(byte[] px, Header hd) {
        int maxH = 1, maxV = 1, nc = hd.components(), w = hd.width(), height = hd.height();
        for (int i = 0; i < nc; i++) {
            maxH = Math.max(maxH, hd.h()[i]);
            maxV = Math.max(maxV, hd.v()[i]);
        }
        for (int b = 0; b < nc; b++) {
            if (hd.h()[b] != maxH || 2 * hd.v()[b] != maxV) {
                continue;
            }
            int rows = (height + 1) / 2; // the component's rows: ⌈height · v / maxV⌉
            byte[] c = new byte[rows * w]; // row k of the component is output row 2k (and 2k+1, repeated)
            for (int k = 0; k < rows; k++) {
                for (int x = 0; x < w; x++) {
                    c[k * w + x] = px[(2 * k * w + x) * nc + b];
                }
            }
            for (int k = 0; k < rows; k++) {
                int up = Math.max(k - 1, 0) * w, down = Math.min(k + 1, rows - 1) * w;
                for (int x = 0; x < w; x++) {
                    int here = 3 * (c[k * w + x] & 0xFF);
                    px[(2 * k * w + x) * nc + b] = (byte) ((here + (c[up + x] & 0xFF) + 1) >> 2);
                    if (2 * k + 1 < height) {
                        px[((2 * k + 1) * w + x) * nc + b] = (byte) ((here + (c[down + x] & 0xFF) + 2) >> 2);
                    }
                }
            }
        }
    }

    // libjpeg's jdcolor.c: SCALEBITS 16, FIX(x) = (x · 2^16 + 0.5), tables indexed by the 8-bit sample.
    private static final int[] CR_R = new int[256], CB_B = new int[256], CR_G = new int[256], CB_G = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int x = i - 128;
            CR_R[i] = (fix(1.40200) * x + (1 << 15)) >> 16;   // nearest int to 1.402 · (Cr − 128)
            CB_B[i] = (fix(1.77200) * x + (1 << 15)) >> 16;   // nearest int to 1.772 · (Cb − 128)
            CR_G[i] = -fix(0.71414) * x;                      // scaled −0.71414 · (Cr − 128)
            CB_G[i] = -fix(0.34414) * x + (1 << 15);          // scaled −0.34414 · (Cb − 128), with the rounding half
        }
    }

    private static int fix(double x) {
        return (int) (x * (1 << 16) + 0.5);
    }

    private static int clip(int v) {
        return v < 0 ? 0 : v > 255 ? 255 : v;
    }

    /** The components to packed RGB; see the class comment for each kind. */
    static int[] toRgb(byte[] px, Header hd) {
        int n = hd.width() * hd.height();
        int[] out = new int[n];
        switch (hd.components()) {
            case 1 -> {
                for (int i = 0; i < n; i++) {
                    int g = px[i] & 0xFF;
                    out[i] = g << 16 | g << 8 | g;
                }
            }
            case 3 -> {
                boolean rgb = hd.rgb();
                for (int i = 0, p = 0; i < n; i++, p += 3) {
                    int a = px[p] & 0xFF, b = px[p + 1] & 0xFF, c = px[p + 2] & 0xFF;
                    out[i] = rgb ? a << 16 | b << 8 | c : ycc(a, b, c);
                }
            }
            default -> {
                boolean ycck = hd.ycck();
                for (int i = 0, p = 0; i < n; i++, p += 4) {
                    int c = px[p] & 0xFF, m = px[p + 1] & 0xFF, y = px[p + 2] & 0xFF, k = px[p + 3] & 0xFF;
                    if (ycck) { // jdcolor.c ycck_cmyk_convert: C, M, Y = 255 − (the YCbCr → RGB of Y, Cb, Cr)
                        int rgb = ycc(c, m, y);
                        c = 255 - (rgb >> 16 & 0xFF);
                        m = 255 - (rgb >> 8 & 0xFF);
                        y = 255 - (rgb & 0xFF);
                    }
                    // Pillow: rawmode CMYK;I (each value inverted), then cmyk2rgb: nk = 255 − K', R = clip(nk − C'·nk/255)
                    int nk = k; // 255 − (255 − k)
                    out[i] = clip(nk - mulDiv255(255 - c, nk)) << 16 | clip(nk - mulDiv255(255 - m, nk)) << 8
                            | clip(nk - mulDiv255(255 - y, nk));
                }
            }
        }
        return out;
    }

    /** libjpeg's ycc_rgb_convert of one pixel, packed. */
    private static int ycc(int y, int cb, int cr) {
        int r = clip(y + CR_R[cr]);
        int g = clip(y + ((CB_G[cb] + CR_G[cr]) >> 16));
        int b = clip(y + CB_B[cb]);
        return r << 16 | g << 8 | b;
    }

    /** Pillow's MULDIV255: a·b/255 rounded, as ((t >> 8) + t) >> 8 with t = a·b + 128. */
    private static int mulDiv255(int a, int b) {
        int t = a * b + 128;
        return ((t >> 8) + t) >> 8;
    }

    /** An image input stream over bytes already in memory (no copy, unlike a MemoryCacheImageInputStream). */
    private static final class BytesInputStream extends ImageInputStreamImpl {
        private final byte[] bytes;

        BytesInputStream(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public int read() {
            bitOffset = 0;
            return streamPos < bytes.length ? bytes[(int) streamPos++] & 0xFF : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            bitOffset = 0;
            if (streamPos >= bytes.length) {
                return len == 0 ? 0 : -1;
            }
            int n = (int) Math.min(len, bytes.length - streamPos);
            System.arraycopy(bytes, (int) streamPos, b, off, n);
            streamPos += n;
            return n;
        }

        @Override
        public long length() {
            return bytes.length;
        }
    }
}
