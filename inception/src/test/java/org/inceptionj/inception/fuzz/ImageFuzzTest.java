package org.inceptionj.inception.fuzz;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;

import org.inceptionj.inception.image.Images;
import org.inceptionj.inception.image.PngWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded mutations of valid PNG and JPEG files (the golden files: every PNG colour type and bit
 * depth, interlaced or not; JPEG gray, YCbCr, progressive, CMYK, YCCK, ...) through the public
 * decoder, {@link Images#readRgb}: truncations, flipped bytes, bad CRCs, huge and zero sizes in IHDR
 * and SOF, other header fields, chunk and segment lengths, scrambled scans, decompression bombs
 * (zlib streams of zeros declaring 20000×20000, a short stream declaring a few thousand square, a
 * complete one within the limits), wrong signatures and garbage. The harness's rules: a rejection is
 * an {@code InvalidFileException} naming the file; nothing else may be thrown, no OutOfMemoryError,
 * no case over the time bound; a mutation that may leave a valid image may be accepted, any other
 * must be rejected.
 */
class ImageFuzzTest {
    private static final long TIME_BOUND_MS = 5_000;

    @TempDir
    Path dir;

    private record Seed(String name, byte[] bytes) {
        boolean png() {
            return name.endsWith(".png");
        }
    }

    private List<Seed> pngs, jpegs;
    private byte[] bombOverLimit, bombShort, bombValid;

    private static Path resource(String name) throws IOException {
        URL url = Images.class.getResource("golden/" + name);
        if (url == null) {
            throw new IllegalStateException("test resource image/golden/" + name + " is missing");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
    }

    private void loadSeeds() throws IOException {
        pngs = new ArrayList<>();
        jpegs = new ArrayList<>();
        for (String line : Files.readAllLines(resource("manifest.tsv"))) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            String name = line.split("\t")[0];
            Seed s = new Seed(name, Files.readAllBytes(resource(name)));
            (s.png() ? pngs : jpegs).add(s);
        }
        byte[] end = PngWriter.chunk("IEND", new byte[0]);
        // 20000×20000 RGB: 1.2 GB of pixels from a 1 MB stream of zeros (and the stream is short anyway)
        bombOverLimit = PngWriter.png(PngWriter.ihdr(20_000, 20_000, 8, 2, 0),
                PngWriter.chunk("IDAT", PngWriter.zlibZeros(1 << 20)), end);
        // 6000×6000 gray, within the limits, with 64 KB of zeros where 36 MB are needed
        bombShort = PngWriter.png(PngWriter.ihdr(6000, 6000, 8, 0, 0),
                PngWriter.chunk("IDAT", PngWriter.zlibZeros(1 << 16)), end);
        // 2000×2000 gray, complete: a valid 4-megapixel image in about 4 KB
        bombValid = PngWriter.png(PngWriter.ihdr(2000, 2000, 8, 0, 0),
                PngWriter.chunk("IDAT", PngWriter.zlibZeros(2000L * 2001)), end);
    }

    /** One chunk of a PNG: where it starts, its data length and type. */
    private record Chunk(int at, int length, String type) {
        int end() {
            return at + 12 + length;
        }
    }

    private static List<Chunk> chunks(byte[] png) {
        List<Chunk> out = new ArrayList<>();
        for (int at = 8; at + 12 <= png.length; ) {
            int len = ByteBuffer.wrap(png, at, 4).getInt();
            out.add(new Chunk(at, len, new String(png, at + 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1)));
            at += 12 + len;
        }
        return out;
    }

    private static void fixCrc(byte[] png, Chunk c) {
        CRC32 crc = new CRC32();
        crc.update(png, c.at() + 4, 4 + c.length());
        ByteBuffer.wrap(png, c.at() + 8 + c.length(), 4).putInt((int) crc.getValue());
    }

    private static int channels(int colorType) {
        return switch (colorType) {
            case 2 -> 3;
            case 4 -> 2;
            case 6 -> 4;
            default -> 1;
        };
    }

    /** Bytes of inflated image data a header asks for (every pass's rows with their filter bytes). */
    private static long rawBytes(long w, long h, int depth, int colorType, boolean interlaced) {
        int[][] passes = interlaced
                ? new int[][] {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}}
                : new int[][] {{0, 0, 1, 1}};
        long n = 0;
        for (int[] p : passes) {
            long pw = w <= p[0] ? 0 : (w - p[0] + p[2] - 1) / p[2], ph = h <= p[1] ? 0 : (h - p[1] + p[3] - 1) / p[3];
            n += pw == 0 ? 0 : ph * (1 + (pw * channels(colorType) * depth + 7) / 8);
        }
        return n;
    }

    private static int sosData(byte[] jpeg) {
        for (int i = 2; i + 3 < jpeg.length; i++) {
            if ((jpeg[i] & 0xFF) == 0xFF && (jpeg[i + 1] & 0xFF) == 0xDA) {
                return i + 2 + ((jpeg[i + 2] & 0xFF) << 8 | jpeg[i + 3] & 0xFF);
            }
        }
        throw new IllegalStateException("no SOS");
    }

    private static int sof(byte[] jpeg) {
        for (int i = 2; i + 1 < jpeg.length; i++) {
            int m = jpeg[i + 1] & 0xFF;
            if ((jpeg[i] & 0xFF) == 0xFF && (m == 0xC0 || m == 0xC1 || m == 0xC2)) {
                return i;
            }
        }
        throw new IllegalStateException("no SOF");
    }

    /** Offsets of the segment markers before the first scan (each 0xFF of a marker with a length). */
    private static List<Integer> segments(byte[] jpeg) {
        List<Integer> out = new ArrayList<>();
        int at = 2;
        while (at + 4 <= jpeg.length && (jpeg[at] & 0xFF) == 0xFF) {
            out.add(at);
            if ((jpeg[at + 1] & 0xFF) == 0xDA) {
                break;
            }
            at += 2 + ((jpeg[at + 2] & 0xFF) << 8 | jpeg[at + 3] & 0xFF);
        }
        return out;
    }

    private static final String[] CATEGORIES = {
            "png truncated", "png flipped bytes", "png bad CRC before IDAT", "png bad CRC IDAT or later",
            "png huge size in IHDR", "png zero size in IHDR", "png other IHDR fields", "png chunk length",
            "png bomb 20000x20000", "png bomb short stream", "png bomb valid 2000x2000", "png garbage after signature",
            "jpeg truncated", "jpeg flipped bytes", "jpeg huge size in SOF", "jpeg zero size in SOF",
            "jpeg other SOF fields", "jpeg segment length", "jpeg scrambled scan", "wrong magic", "garbage"};

    private FuzzHarness.Case make(int k, Random r) throws IOException {
        String category = CATEGORIES[k % CATEGORIES.length];
        List<Seed> pool = category.startsWith("png") ? pngs : category.startsWith("jpeg") ? jpegs
                : r.nextBoolean() ? pngs : jpegs;
        Seed seed = pool.get(r.nextInt(pool.size()));
        byte[] b = seed.bytes().clone();
        boolean mayBeValid;
        switch (category) {
            case "png truncated" -> {
                List<Chunk> cs = chunks(b);
                int idatEnd = cs.stream().filter(c -> c.type().equals("IDAT")).mapToInt(c -> c.at() + 8 + c.length())
                        .max().orElseThrow();
                int cut = r.nextInt(b.length);
                b = Arrays.copyOf(b, cut);
                mayBeValid = cut >= idatEnd - 8; // the zlib stream (random pixels: incompressible) is nearly whole
            }
            case "png flipped bytes", "jpeg flipped bytes" -> {
                for (int i = 0, n = 1 + r.nextInt(4); i < n; i++) {
                    int at = (category.startsWith("png") ? 8 : 2) + r.nextInt(b.length - (category.startsWith("png") ? 8 : 2));
                    b[at] ^= (byte) (1 + r.nextInt(255));
                }
                mayBeValid = true;
            }
            case "png bad CRC before IDAT", "png bad CRC IDAT or later" -> {
                List<Chunk> cs = chunks(b);
                int firstIdat = 0;
                while (!cs.get(firstIdat).type().equals("IDAT")) {
                    firstIdat++;
                }
                boolean before = category.contains("before");
                Chunk c = before ? cs.get(r.nextInt(firstIdat)) : cs.get(firstIdat + r.nextInt(cs.size() - firstIdat));
                b[c.end() - 1 - r.nextInt(4)] ^= (byte) (1 + r.nextInt(255));
                mayBeValid = !before; // Pillow checks the CRCs before the image data only
            }
            case "png huge size in IHDR", "png zero size in IHDR", "png other IHDR fields" -> {
                List<Chunk> cs = chunks(b);
                Chunk ihdr = cs.get(0);
                int at = ihdr.at() + 8; // width, height, depth, colour type, compression, filter, interlace
                ByteBuffer bb = ByteBuffer.wrap(b);
                long w0 = bb.getInt(at) & 0xFFFFFFFFL, h0 = bb.getInt(at + 4) & 0xFFFFFFFFL;
                long available = rawBytes(w0, h0, b[at + 8], b[at + 9], b[at + 12] == 1);
                long w = w0, h = h0;
                if (category.contains("huge")) {
                    long[] big = {1L << 31, (1L << 32) - 1, 65_535, 100_000, 1_000_000, 20_000};
                    w = r.nextBoolean() ? big[r.nextInt(big.length)] : 1 + r.nextInt(Integer.MAX_VALUE);
                    h = r.nextInt(3) == 0 ? h0 : r.nextBoolean() ? big[r.nextInt(big.length)] : 1 + r.nextInt(Integer.MAX_VALUE);
                    if (r.nextBoolean()) {
                        long t = w;
                        w = h;
                        h = t;
                    }
                } else if (category.contains("zero")) {
                    w = r.nextBoolean() ? 0 : w0;
                    h = w == 0 && r.nextBoolean() ? h0 : 0;
                } else {
                    int[] depths = {0, 1, 2, 3, 4, 8, 16, 32, 255};
                    switch (r.nextInt(4)) {
                        case 0 -> b[at + 8] = (byte) depths[r.nextInt(depths.length)];
                        case 1 -> b[at + 9] = (byte) r.nextInt(8);
                        case 2 -> b[at + 10 + r.nextInt(2)] = (byte) (1 + r.nextInt(255)); // compression or filter method
                        default -> b[at + 12] = (byte) r.nextInt(3);
                    }
                }
                bb.putInt(at, (int) w).putInt(at + 4, (int) h);
                fixCrc(b, ihdr);
                int depth = b[at + 8] & 0xFF, type = b[at + 9];
                boolean definedKind = switch (type) {
                    case 0 -> depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
                    case 3 -> (depth == 1 || depth == 2 || depth == 4 || depth == 8)
                            && cs.stream().anyMatch(c -> c.type().equals("PLTE"));
                    case 2, 4, 6 -> depth == 8 || depth == 16;
                    default -> false;
                };
                // Valid when the header is and the image data holds at least as many bytes as it asks for.
                mayBeValid = w > 0 && h > 0 && definedKind && b[at + 10] == 0 && b[at + 11] == 0 && b[at + 12] <= 1
                        && rawBytes(w, h, depth, type, b[at + 12] == 1) <= available;
            }
            case "png chunk length", "jpeg segment length" -> {
                if (seed.png()) {
                    Chunk c = chunks(b).get(r.nextInt(chunks(b).size()));
                    ByteBuffer.wrap(b).putInt(c.at(), r.nextBoolean() ? r.nextInt() : c.length() + r.nextInt(9) - 4);
                } else {
                    List<Integer> segs = segments(b);
                    int at = segs.get(r.nextInt(segs.size()));
                    int len = (b[at + 2] & 0xFF) << 8 | b[at + 3] & 0xFF;
                    int v = r.nextBoolean() ? r.nextInt(65_536) : Math.max(0, len + r.nextInt(9) - 4);
                    b[at + 2] = (byte) (v >> 8);
                    b[at + 3] = (byte) v;
                }
                mayBeValid = true;
            }
            case "png bomb 20000x20000" -> {
                b = bombOverLimit;
                mayBeValid = false;
            }
            case "png bomb short stream" -> {
                b = bombShort;
                mayBeValid = false;
            }
            case "png bomb valid 2000x2000" -> {
                b = bombValid;
                mayBeValid = true;
            }
            case "png garbage after signature" -> {
                byte[] g = new byte[8 + r.nextInt(2048)];
                r.nextBytes(g);
                System.arraycopy(PngWriter.SIGNATURE, 0, g, 0, 8);
                b = g;
                mayBeValid = false;
            }
            case "jpeg truncated" -> {
                b = Arrays.copyOf(b, r.nextInt(b.length)); // no EOI: Pillow rejects every cut
                mayBeValid = false;
            }
            case "jpeg huge size in SOF", "jpeg zero size in SOF" -> {
                int at = sof(b);
                int h0 = (b[at + 5] & 0xFF) << 8 | b[at + 6] & 0xFF, w0 = (b[at + 7] & 0xFF) << 8 | b[at + 8] & 0xFF;
                int w, h;
                if (category.contains("huge")) { // no side shorter, one twice as long: more blocks than the data holds
                    w = r.nextBoolean() ? 2 * w0 + r.nextInt(65_536 - 2 * w0) : w0 + r.nextInt(w0);
                    h = w >= 2 * w0 ? h0 + r.nextInt(65_536 - h0) : 2 * h0 + r.nextInt(65_536 - 2 * h0);
                } else {
                    w = r.nextBoolean() ? 0 : w0;
                    h = w == 0 && r.nextBoolean() ? h0 : 0;
                }
                b[at + 5] = (byte) (h >> 8);
                b[at + 6] = (byte) h;
                b[at + 7] = (byte) (w >> 8);
                b[at + 8] = (byte) w;
                mayBeValid = false;
            }
            case "jpeg other SOF fields" -> {
                int at = sof(b);
                int n = b[at + 9] & 0xFF;
                switch (r.nextInt(3)) {
                    case 0 -> b[at + 4] = (byte) new int[] {0, 1, 2, 7, 8, 9, 12, 16, 255}[r.nextInt(9)]; // precision
                    case 1 -> b[at + 9] = (byte) r.nextInt(8);                                            // components
                    default -> b[at + 11 + 3 * r.nextInt(n)] = (byte) r.nextInt(256);                    // sampling
                }
                mayBeValid = true;
            }
            case "jpeg scrambled scan" -> {
                int start = sosData(b), end = b.length - 2;
                int from = start + r.nextInt(Math.max(1, end - start)), len = 1 + r.nextInt(64);
                for (int i = from; i < Math.min(end, from + len); i++) {
                    b[i] = (byte) r.nextInt(256);
                }
                mayBeValid = true; // JPEG has no checksum: some scrambles decode to other pixels, undetectable
            }
            case "wrong magic" -> {
                int at = r.nextInt(seed.png() ? 8 : 3);
                b[at] ^= (byte) (1 + r.nextInt(255));
                mayBeValid = false;
            }
            default -> { // garbage
                b = new byte[r.nextInt(4096)];
                r.nextBytes(b);
                if (b.length >= 8 && r.nextBoolean()) { // a right signature on garbage
                    byte[] magic = r.nextBoolean() ? PngWriter.SIGNATURE : new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF};
                    System.arraycopy(magic, 0, b, 0, magic.length);
                }
                mayBeValid = false;
            }
        }
        Path file = dir.resolve(String.format("case-%04d-%s%s", k, category.replace(' ', '-'),
                seed.png() ? ".png" : ".jpg"));
        Files.write(file, b);
        return new FuzzHarness.Case(file, category, mayBeValid);
    }

    @Test
    void malformedImagesAreRejectedNamingTheFile() throws IOException {
        loadSeeds();
        new FuzzHarness("image decoder (Images.readRgb)", TIME_BOUND_MS)
                .run(FuzzHarness.cases(), this::make, Images::readRgb)
                .assertNoUnexpected();
    }
}
