package org.inceptionj.inception.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The header as a hostile file may spell it: megabytes of valid JSON are parsed in memory proportional
 * to the tensors declared or refused by a limit, and the JSON and UTF-8 rules are held exactly.
 */
class SafeTensorsHeaderTest {
    @TempDir
    Path dir;

    /** The bytes {@code r} allocates on this thread (HotSpot's per-thread allocation counter). */
    static long allocated(Runnable r) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = mx.getCurrentThreadAllocatedBytes();
        r.run();
        return mx.getCurrentThreadAllocatedBytes() - before;
    }

    /** A file of header {@code json} (ASCII) and no data, written without holding a second copy. */
    private Path file(String name, Consumer<StringBuilder> json) throws IOException {
        StringBuilder h = new StringBuilder();
        json.accept(h);
        byte[] bytes = h.toString().getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length + 8);
        for (int k = 0; k < 8; k++) {
            out.write((int) ((long) bytes.length >>> (8 * k)) & 0xFF);
        }
        out.writeBytes(bytes);
        Path f = dir.resolve(name);
        Files.write(f, out.toByteArray());
        return f;
    }

    private static final int THIRTY_MB = 30 << 20;

    @Test
    void aThirtyMegabyteMetadataStringIsRefusedByTheLimitWithoutHoldingIt() throws IOException {
        Path f = file("note.safetensors", h -> h.append("{\"__metadata__\":{\"note\":\"")
                .repeat('x', THIRTY_MB).append("\"}}"));
        long size = Files.size(f);
        long[] took = new long[1];
        long bytes = allocated(() -> {
            long t0 = System.nanoTime();
            var e = assertThrows(InvalidFileException.class, () -> SafeTensors.read(f));
            took[0] = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(e.getMessage().contains("limit") && e.getMessage().contains(f.toString()), e.getMessage());
        });
        System.out.printf("30 MB metadata string: refused in %d ms, %,d bytes allocated for a header of %,d%n",
                took[0], bytes, size);
        assertTrue(bytes < 2 * size, "allocated " + bytes + " bytes for a header of " + size);
        assertTrue(took[0] < 10_000, "took " + took[0] + " ms");
    }

    @Test
    void aThirtyMegabyteShapeIsRefusedAtItsNinthDimension() throws IOException {
        Path f = file("shape.safetensors", h -> {
            h.append("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,0],\"shape\":[0");
            while (h.length() < THIRTY_MB) {
                h.append(",1");
            }
            h.append("]}}");
        });
        long size = Files.size(f);
        long bytes = allocated(() -> {
            var e = assertThrows(InvalidFileException.class, () -> SafeTensors.read(f));
            assertTrue(e.getMessage().contains("more than 8 dimensions"), e.getMessage());
        });
        System.out.printf("30 MB shape: %,d bytes allocated for a header of %,d%n", bytes, size);
        assertTrue(bytes < size / 10, "allocated " + bytes + " bytes for a header of " + size);
    }

    @Test
    void thirtyMegabytesOfValidTensorsAreParsedInMemoryProportionalToWhatTheyDeclare() throws IOException {
        // 50,000 empty tensors with 600-byte names: valid (empty tensors tile at offset 0), under every limit.
        int n = 50_000;
        String pad = "n".repeat(590);
        Path f = file("many.safetensors", h -> {
            h.append('{');
            for (int k = 0; k < n; k++) {
                h.append(k == 0 ? "" : ",").append('"').append(pad).append(String.format("%08d", k))
                        .append("\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}");
            }
            h.append('}');
        });
        long size = Files.size(f);
        assertTrue(size > THIRTY_MB, "header of " + size + " bytes");
        SafeTensors[] read = new SafeTensors[1];
        long bytes = allocated(() -> read[0] = SafeTensors.read(f));
        System.out.printf("30 MB of tensors: %,d bytes allocated for a header of %,d%n", bytes, size);
        assertEquals(n, read[0].entries().size());
        // What is kept is about the names themselves (1 byte per character) plus a few small objects per
        // tensor; a JSON tree, or the header decoded to one String, would cost several times the header.
        assertTrue(bytes < 2 * size, "allocated " + bytes + " bytes for a header of " + size);
    }

    @Test
    void countsBeyondTheLimitsAreRefusedNamingTheLimit() throws IOException {
        String empty = "\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}";
        Path tensors = file("tensors.safetensors", h -> {
            h.append('{');
            for (int k = 0; k <= 100_000; k++) {
                h.append(k == 0 ? "" : ",").append("\"t").append(k).append(empty);
            }
            h.append('}');
        });
        assertRefused(tensors, "more than 100000 tensors");
        Path name = file("name.safetensors", h -> h.append("{\"").repeat('a', 1025).append(empty).append('}'));
        assertRefused(name, "longer than the limit of 1024 bytes");
        Path rank = file("rank.safetensors", h -> h.append(
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,0],\"data_offsets\":[0,0]}}"));
        assertRefused(rank, "more than 8 dimensions");
        Path entries = file("entries.safetensors", h -> {
            h.append("{\"__metadata__\":{");
            for (int k = 0; k <= 10_000; k++) {
                h.append(k == 0 ? "" : ",").append("\"k").append(k).append("\":\"v\"");
            }
            h.append("}}");
        });
        assertRefused(entries, "more than 10000 entries");
    }

    @Test
    void eightDimensionsAndOneThousandByteNamesAreWithinTheLimits() throws IOException {
        String name = "a".repeat(1024);
        Path f = file("edge.safetensors", h -> h.append("{\"").append(name)
                .append("\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,0],\"data_offsets\":[0,0]}}"));
        assertEquals(8, SafeTensors.read(f).entries().get(name).shape().length);
    }

    @Test
    void nestingOfAnyDepthInAnIgnoredFieldIsRefusedWithoutOverflowingTheStack() throws IOException {
        Path f = file("deep.safetensors", h -> h.append("{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0],"
                + "\"extra\":").repeat('[', 1_000_000).repeat(']', 1_000_000).append("}}"));
        assertRefused(f, "nesting deeper than 64");
    }

    /** Headers whose only fault is one string: JSON escapes and UTF-8 as RFC 8259 and Unicode define them. */
    static Stream<Arguments> badStrings() {
        return Stream.of(
                Arguments.of("unknown escape \\x", bytes("\\x41"), "bad escape"),
                Arguments.of("lone high surrogate", bytes("\\ud800"), "surrogate"),
                Arguments.of("lone low surrogate", bytes("\\udc00"), "lone low surrogate"),
                Arguments.of("high surrogate then a letter", bytes("\\ud800\\u0041"), "not a low surrogate"),
                Arguments.of("high surrogate then plain text", bytes("\\ud800ab"), "not followed by"),
                Arguments.of("truncated \\u", bytes("\\u12"), "hex digit"),
                Arguments.of("non-hex \\u", bytes("\\u00g0"), "hex digit"),
                Arguments.of("raw control character", new byte[] {'a', 0x01, 'b'}, "control character 0x01"),
                Arguments.of("raw new line", new byte[] {'a', '\n', 'b'}, "control character 0x0a"),
                Arguments.of("overlong '/'", new byte[] {(byte) 0xC0, (byte) 0xAF}, "not valid UTF-8"),
                Arguments.of("overlong 3-byte", new byte[] {(byte) 0xE0, (byte) 0x80, (byte) 0xAF}, "not valid UTF-8"),
                Arguments.of("encoded surrogate", new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, "not valid UTF-8"),
                Arguments.of("above U+10FFFF", new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, "not valid UTF-8"),
                Arguments.of("cut short", new byte[] {(byte) 0xE2, (byte) 0x82}, "not valid UTF-8"),
                Arguments.of("lone continuation", new byte[] {(byte) 0x80}, "not valid UTF-8"),
                Arguments.of("byte 0xFF", new byte[] {(byte) 0xFF}, "not valid UTF-8"));
    }

    private static byte[] bytes(String ascii) {
        return ascii.getBytes(StandardCharsets.US_ASCII);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badStrings")
    void badStringsAreRefusedWhereverTheyAre(String why, byte[] inside, String problem) throws IOException {
        // The same string as a metadata value, a metadata key and a tensor name.
        String[][] places = {
                {"{\"__metadata__\":{\"k\":\"", "\"}}"},
                {"{\"__metadata__\":{\"", "\":\"v\"}}"},
                {"{\"", "\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}"}};
        for (String[] place : places) {
            ByteArrayOutputStream h = new ByteArrayOutputStream();
            h.writeBytes(bytes(place[0]));
            h.writeBytes(inside);
            h.writeBytes(bytes(place[1]));
            byte[] header = h.toByteArray();
            Path f = dir.resolve("bad.safetensors");
            Files.write(f, new RawFile().build(header.length, header));
            var e = assertThrows(InvalidFileException.class, () -> SafeTensors.read(f), why + " in " + place[0]);
            assertTrue(e.getMessage().contains(problem) && e.getMessage().contains(f.toString()),
                    why + ": " + e.getMessage());
        }
    }

    @Test
    void validEscapesAndCharactersAreDecoded() throws IOException {
        String header = "{\"__metadata__\":{\"k\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00 \u00e9\u20ac\ud83d\ude00\u007f\"}}";
        Path f = dir.resolve("good.safetensors");
        Files.write(f, new RawFile().build(header));
        assertEquals("\"\\/\b\f\n\r\t\u00e9\ud83d\ude00 \u00e9\u20ac\ud83d\ude00\u007f", SafeTensors.read(f).metadata().get("k"));
    }

    @Test
    void leadingWhitespaceAndTrailingGarbageAreRefusedTrailingSpacesAccepted() throws IOException {
        Path lead = dir.resolve("lead.safetensors");
        Files.write(lead, new RawFile().build(" {}"));
        assertRefused(lead, "does not start with '{'");
        Path trail = dir.resolve("trail.safetensors");
        Files.write(trail, new RawFile().build("{} x"));
        assertRefused(trail, "after the JSON value");
        Path spaces = dir.resolve("spaces.safetensors");
        Files.write(spaces, new RawFile().build("{}  \t\n "));
        assertTrue(SafeTensors.read(spaces).entries().isEmpty());
    }

    private static void assertRefused(Path f, String problem) {
        var e = assertThrows(InvalidFileException.class, () -> SafeTensors.read(f));
        assertTrue(e.getMessage().contains(problem) && e.getMessage().contains(f.toString()), e.getMessage());
    }
}
