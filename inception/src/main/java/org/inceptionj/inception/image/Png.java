package org.inceptionj.inception.image;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

import org.inceptionj.inception.io.InvalidFileException;

/**
 * A PNG decoder whose output is Pillow 12's {@code Image.open(f).convert("RGB")}, byte for byte
 * (PNG specification, ISO/IEC 15948; Pillow's {@code PngImagePlugin.py}, {@code Unpack.c},
 * {@code Convert.c}). Written out rather than taken from {@code javax.imageio}, whose reader
 * passes gray+alpha through a linear-gray colour space (opaque 128 became 188), blends alpha and
 * does not check chunk CRCs. Each kind of pixel becomes RGB as Pillow converts it:
 * <pre>
 *   colour type       bit depth   Pillow mode   R, G, B
 *   0 gray            1           1             v · 255
 *   0 gray            2, 4        L             v · 85, v · 17
 *   0 gray            8           L             v
 *   0 gray            16          I;16          min(v, 255)   (clipped, not the high byte)
 *   2 RGB             8 / 16      RGB           r, g, b / their high bytes
 *   3 palette         1, 2, 4, 8  P             PLTE[i], or 0, 0, 0 when i ≥ the palette's length
 *   4 gray+alpha      8 / 16      LA / RGBA     v / its high byte (alpha dropped, not blended)
 *   6 RGBA            8 / 16      RGBA          r, g, b / their high bytes (alpha dropped)
 * </pre>
 * tRNS, gAMA, cHRM, sRGB and iCCP do not change the pixels (Pillow's convert ignores them).
 *
 * <p>What is rejected, and how that compares with Pillow:
 * <ul>
 *   <li>as Pillow: a bad signature, IHDR, bit depth or colour type; a bad CRC on a chunk before the
 *       image data; a palette image without PLTE; no IDAT; a zlib error; a row filter type above 4;
 *       image data cut before the last row ("truncated");</li>
 *   <li>unlike Pillow, which accepts them: a zlib stream that ends before the last row (Pillow
 *       leaves the missing rows as they were allocated), IHDR not the first chunk, a nonzero
 *       compression method, a palette image's PLTE whose length is not a multiple of 3;</li>
 *   <li>accepted, as Pillow: no IEND, bad CRCs on IDAT and later chunks (Pillow does not check
 *       them; the zlib stream has its own integrity checks), extra image data, bytes after IEND.</li>
 * </ul>
 * Memory: the output (4 bytes a pixel) and two rows; the image data is inflated row by row and
 * never more than the header's size asks for, so a decompression bomb costs only what the limits
 * allow, and one whose compressed data is too short to hold its declared size (deflate compresses
 * at most 1032:1) is rejected before the output is allocated.
 */
final class Png {
    private Png() {
    }

    static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    /** Deflate's largest compression ratio: a 258-byte match in 2 bits. */
    private static final long MAX_DEFLATE_RATIO = 1032;

    /** Adam7: the first column, first row, column step and row step of each of the seven passes. */
    private static final int[][] ADAM7 = {
            {0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};

    /**
     * What the chunks before the image data say, and where the image data lies.
     *
     * @param palette packed 0xRRGGBB entries of PLTE (colour type 3), else null
     * @param idat    {offset, length} of each IDAT chunk's data, in order, cut to the file's end
     */
    record Header(int width, int height, int bitDepth, int colorType, boolean interlaced, int[] palette,
                  List<int[]> idat) {
        int channels() {
            return switch (colorType) {
                case 2 -> 3;
                case 4 -> 2;
                case 6 -> 4;
                default -> 1;
            };
        }

        /** Bytes of one filtered row of {@code w} pixels, without its filter-type byte. */
        long rowBytes(long w) {
            return (w * channels() * bitDepth + 7) / 8;
        }

        /** Bytes the inflated image data must hold: every row of every pass, each with its filter byte. */
        long rawBytes() {
            if (!interlaced) {
                return height * (1 + rowBytes(width));
            }
            long n = 0;
            for (int[] p : ADAM7) {
                long pw = passSize(width, p[0], p[2]), ph = passSize(height, p[1], p[3]);
                n += pw == 0 ? 0 : ph * (1 + rowBytes(pw));
            }
            return n;
        }
    }

    private static int passSize(int size, int first, int step) {
        return size <= first ? 0 : (size - first + step - 1) / step;
    }

    private static InvalidFileException invalid(Path file, String problem) {
        return new InvalidFileException("image", file, problem);
    }

    private static int int32(byte[] d, int at) {
        return (d[at] & 0xFF) << 24 | (d[at + 1] & 0xFF) << 16 | (d[at + 2] & 0xFF) << 8 | d[at + 3] & 0xFF;
    }

    private static String type(byte[] d, int at) {
        StringBuilder sb = new StringBuilder(4);
        for (int i = 0; i < 4; i++) {
            int c = d[at + i] & 0xFF;
            sb.append(c >= 0x20 && c < 0x7F ? (char) c : '?');
        }
        return sb.toString();
    }

    /**
     * Reads the chunks up to the image data and checks them: IHDR (and the size against
     * {@code limits}), PLTE, the CRC of every chunk before the first IDAT, and that the IDAT chunks
     * that follow could hold the declared image. Decodes no pixel.
     */
    static Header readHeader(byte[] d, Path file, ImageLimits limits) {
        int pos = SIGNATURE.length;
        int width = 0, height = 0, depth = 0, colorType = -1;
        boolean interlaced = false, seenHeader = false;
        int[] palette = null;
        CRC32 crc = new CRC32();
        while (true) {
            if (pos + 8 > d.length) {
                throw invalid(file, "truncated PNG: the file ends at byte " + d.length + " before the image data");
            }
            long length = int32(d, pos) & 0xFFFFFFFFL;
            String type = type(d, pos + 4);
            if (length > Integer.MAX_VALUE) {
                throw invalid(file, "corrupt PNG: chunk " + type + " at byte " + pos + " declares " + length + " bytes");
            }
            if (!seenHeader && !type.equals("IHDR")) {
                throw invalid(file, "corrupt PNG: the first chunk is " + type + ", not IHDR");
            }
            if (type.equals("IDAT")) {
                break;
            }
            if (pos + 12 + length > d.length) {
                throw invalid(file, "truncated PNG: chunk " + type + " at byte " + pos + " needs " + (12 + length)
                        + " bytes, the file has " + (d.length - pos) + " left");
            }
            int data = pos + 8, n = (int) length;
            crc.reset();
            crc.update(d, pos + 4, 4 + n);
            if ((int) crc.getValue() != int32(d, data + n)) {
                throw invalid(file, "corrupt PNG: bad CRC in chunk " + type + " at byte " + pos);
            }
            switch (type) {
                case "IHDR" -> {
                    if (seenHeader || n != 13) {
                        throw invalid(file, "corrupt PNG: " + (seenHeader ? "a second IHDR" : "IHDR of " + n + " bytes, not 13"));
                    }
                    seenHeader = true;
                    long w = int32(d, data) & 0xFFFFFFFFL, h = int32(d, data + 4) & 0xFFFFFFFFL;
                    depth = d[data + 8] & 0xFF;
                    colorType = d[data + 9] & 0xFF;
                    int compression = d[data + 10] & 0xFF, filter = d[data + 11] & 0xFF, interlace = d[data + 12] & 0xFF;
                    if (w > Integer.MAX_VALUE || h > Integer.MAX_VALUE) {
                        throw invalid(file, "corrupt PNG: IHDR declares " + w + "x" + h + " pixels (at most 2^31 - 1 a side)");
                    }
                    if (!validDepth(colorType, depth)) {
                        throw invalid(file, "corrupt PNG: bit depth " + depth + " is not defined for colour type " + colorType);
                    }
                    if (compression != 0 || filter != 0 || interlace > 1) {
                        throw invalid(file, "corrupt PNG: IHDR compression method " + compression + ", filter method "
                                + filter + ", interlace method " + interlace + " (defined: 0, 0, 0 or 1)");
                    }
                    limits.check(file, "PNG", w, h);
                    width = (int) w;
                    height = (int) h;
                    interlaced = interlace == 1;
                }
                case "PLTE" -> { // a suggested palette in other colour types, which Pillow ignores
                    if (colorType != 3) {
                        break;
                    }
                    if (n % 3 != 0 || n == 0 || n > 768) {
                        throw invalid(file, "corrupt PNG: PLTE of " + n + " bytes (3 per colour, 1 to 256 colours)");
                    }
                    palette = new int[n / 3];
                    for (int i = 0; i < palette.length; i++) {
                        palette[i] = (d[data + 3 * i] & 0xFF) << 16 | (d[data + 3 * i + 1] & 0xFF) << 8 | d[data + 3 * i + 2] & 0xFF;
                    }
                }
                case "IEND" -> throw invalid(file, "corrupt PNG: IEND before any image data (no IDAT chunk)");
                default -> {
                    // ancillary chunks (tRNS, gAMA, iCCP, text, ...) do not change Pillow's RGB pixels
                }
            }
            pos += 12 + n;
        }
        if (colorType == 3 && palette == null) {
            throw invalid(file, "corrupt PNG: a palette image (colour type 3) without a PLTE chunk before its data");
        }
        // The IDAT chunks: consecutive, their CRCs not checked (as Pillow); the last may be cut by the file's end.
        List<int[]> idat = new ArrayList<>();
        long available = 0;
        while (pos + 8 <= d.length && type(d, pos + 4).equals("IDAT")) {
            long length = int32(d, pos) & 0xFFFFFFFFL;
            int n = (int) Math.min(length, d.length - (pos + 8L));
            idat.add(new int[] {pos + 8, n});
            available += n;
            if (length > n) {
                break;
            }
            pos += 12 + n;
        }
        Header h = new Header(width, height, depth, colorType, interlaced, palette, idat);
        if (h.rowBytes(width) > Integer.MAX_VALUE - 16) {
            throw invalid(file, "PNG rows of " + h.rowBytes(width) + " bytes are too long");
        }
        if (h.rawBytes() > MAX_DEFLATE_RATIO * available + 1024) {
            throw invalid(file, "truncated PNG: " + available + " bytes of compressed image data cannot hold the "
                    + h.rawBytes() + " bytes a " + width + "x" + height + " image needs (deflate compresses at most "
                    + MAX_DEFLATE_RATIO + ":1)");
        }
        return h;
    }

    private static boolean validDepth(int colorType, int depth) {
        return switch (colorType) {
            case 0 -> depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
            case 3 -> depth == 1 || depth == 2 || depth == 4 || depth == 8;
            case 2, 4, 6 -> depth == 8 || depth == 16;
            default -> false;
        };
    }

    /** The pixels of the image {@code h} describes, as packed 0xRRGGBB, row-major. */
    static int[] decode(byte[] d, Header h, Path file) {
        int[] out = new int[Math.multiplyExact(h.width(), h.height())];
        Inflater inflater = new Inflater();
        try {
            Rows rows = new Rows(d, h, inflater, file);
            if (!h.interlaced()) {
                rows.pass(out, 0, 0, 1, 1, h.width(), h.height());
            } else {
                for (int[] p : ADAM7) {
                    int pw = passSize(h.width(), p[0], p[2]), ph = passSize(h.height(), p[1], p[3]);
                    if (pw > 0 && ph > 0) {
                        rows.pass(out, p[0], p[1], p[2], p[3], pw, ph);
                    }
                }
            }
        } finally {
            inflater.end();
        }
        return out;
    }

    /** Inflates, unfilters and converts rows, in file order. */
    private static final class Rows {
        private final byte[] d;
        private final Header h;
        private final Inflater inflater;
        private final Path file;
        private int nextChunk;
        private long rowsDone;

        Rows(byte[] d, Header h, Inflater inflater, Path file) {
            this.d = d;
            this.h = h;
            this.inflater = inflater;
            this.file = file;
        }

        /** One pass (the whole image when not interlaced): pw×ph pixels placed at (x0 + i·dx, y0 + j·dy). */
        void pass(int[] out, int x0, int y0, int dx, int dy, int pw, int ph) {
            int n = (int) h.rowBytes(pw);
            int bpp = Math.max(1, h.channels() * h.bitDepth() / 8); // bytes between a byte and its left neighbour
            byte[] cur = new byte[1 + n], prev = new byte[1 + n]; // [0] is the filter type, then the row's bytes
            for (int j = 0; j < ph; j++) {
                fill(cur);
                unfilter(cur, prev, n, bpp, j);
                convert(cur, out, (y0 + j * dy) * h.width() + x0, dx, pw);
                byte[] t = prev;
                prev = cur;
                cur = t;
                rowsDone++;
            }
        }

        private void fill(byte[] row) {
            int off = 0;
            try {
                while (off < row.length) {
                    int got = inflater.inflate(row, off, row.length - off);
                    off += got;
                    if (got > 0) {
                        continue;
                    }
                    if (inflater.finished()) {
                        throw invalid(file, "corrupt PNG: the image data ends after " + rowsDone + " rows of "
                                + totalRows() + " (the zlib stream is complete but short)");
                    }
                    if (inflater.needsDictionary()) {
                        throw invalid(file, "corrupt PNG: the image data asks for a zlib preset dictionary");
                    }
                    if (inflater.needsInput()) {
                        if (nextChunk == h.idat().size()) {
                            throw invalid(file, "truncated PNG: the image data ends after " + rowsDone + " rows of "
                                    + totalRows());
                        }
                        int[] c = h.idat().get(nextChunk++);
                        inflater.setInput(d, c[0], c[1]);
                    }
                }
            } catch (DataFormatException e) {
                throw new InvalidFileException("image", file, "corrupt PNG: bad zlib data in row " + rowsDone + " ("
                        + e.getMessage() + ")", e);
            }
        }

        private long totalRows() {
            if (!h.interlaced()) {
                return h.height();
            }
            long n = 0;
            for (int[] p : ADAM7) {
                n += passSize(h.width(), p[0], p[2]) == 0 ? 0 : passSize(h.height(), p[1], p[3]);
            }
            return n;
        }

        /**
         * Undoes the row filter in place (PNG spec 9.2): x is the filtered byte, a the byte bpp to the
         * left, b the byte above, c the byte above a; missing neighbours are 0.
         */
        private void unfilter(byte[] cur, byte[] prev, int n, int bpp, int j) {
            int type = cur[0] & 0xFF;
            switch (type) {
                case 0 -> { }
                case 1 -> { // Sub: x + a
                    for (int i = 1 + bpp; i <= n; i++) {
                        cur[i] += cur[i - bpp];
                    }
                }
                case 2 -> { // Up: x + b (b = 0 on a pass's first row)
                    if (j > 0) {
                        for (int i = 1; i <= n; i++) {
                            cur[i] += prev[i];
                        }
                    }
                }
                case 3 -> { // Average: x + ⌊(a + b) / 2⌋
                    for (int i = 1; i <= n; i++) {
                        int a = i > bpp ? cur[i - bpp] & 0xFF : 0, b = j > 0 ? prev[i] & 0xFF : 0;
                        cur[i] += (byte) ((a + b) >>> 1);
                    }
                }
                case 4 -> { // Paeth: x + whichever of a, b, c is closest to a + b − c
                    for (int i = 1; i <= n; i++) {
                        int a = i > bpp ? cur[i - bpp] & 0xFF : 0, b = j > 0 ? prev[i] & 0xFF : 0;
                        int c = i > bpp && j > 0 ? prev[i - bpp] & 0xFF : 0;
                        int p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
                        cur[i] += (byte) (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
                    }
                }
                default -> throw invalid(file, "corrupt PNG: row " + rowsDone + " has filter type " + type
                        + " (defined: 0 to 4)");
            }
        }

        /** Row bytes (from index 1) to packed RGB as Pillow's convert("RGB") makes them; see the class table. */
        private void convert(byte[] row, int[] out, int at, int dx, int pw) {
            int depth = h.bitDepth();
            switch (h.colorType()) {
                case 0 -> {
                    for (int i = 0; i < pw; i++, at += dx) {
                        int v;
                        if (depth == 16) {
                            v = Math.min((row[1 + 2 * i] & 0xFF) << 8 | row[2 + 2 * i] & 0xFF, 255); // I;16 → RGB clips
                        } else if (depth == 8) {
                            v = row[1 + i] & 0xFF;
                        } else {
                            v = bits(row, i, depth) * (255 / ((1 << depth) - 1)); // 1 → ·255, 2 → ·85, 4 → ·17
                        }
                        out[at] = v << 16 | v << 8 | v;
                    }
                }
                case 2 -> {
                    int step = depth / 8; // 16-bit: the high byte of each sample
                    for (int i = 0, b = 1; i < pw; i++, at += dx, b += 3 * step) {
                        out[at] = (row[b] & 0xFF) << 16 | (row[b + step] & 0xFF) << 8 | row[b + 2 * step] & 0xFF;
                    }
                }
                case 3 -> {
                    int[] pal = h.palette();
                    for (int i = 0; i < pw; i++, at += dx) {
                        int k = depth == 8 ? row[1 + i] & 0xFF : bits(row, i, depth);
                        out[at] = k < pal.length ? pal[k] : 0;
                    }
                }
                case 4 -> {
                    int stride = 2 * depth / 8;
                    for (int i = 0, b = 1; i < pw; i++, at += dx, b += stride) {
                        int v = row[b] & 0xFF;
                        out[at] = v << 16 | v << 8 | v;
                    }
                }
                default -> { // 6
                    int step = depth / 8;
                    for (int i = 0, b = 1; i < pw; i++, at += dx, b += 4 * step) {
                        out[at] = (row[b] & 0xFF) << 16 | (row[b + step] & 0xFF) << 8 | row[b + 2 * step] & 0xFF;
                    }
                }
            }
        }

        /** Sample i of a row packed at {@code depth} < 8 bits, most significant bits first. */
        private static int bits(byte[] row, int i, int depth) {
            int bit = i * depth;
            return (row[1 + (bit >>> 3)] & 0xFF) >>> (8 - depth - (bit & 7)) & ((1 << depth) - 1);
        }
    }
}
