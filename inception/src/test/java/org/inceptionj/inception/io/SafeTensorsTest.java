package org.inceptionj.inception.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.inceptionj.api.Backend;
import org.inceptionj.api.Backends;
import org.inceptionj.api.Ops;
import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.api.TensorScope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The safetensors format as its specification states it, read from hand-built bytes and written back. */
class SafeTensorsTest {
    static Backend backend;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        backend = Backends.load();
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    @Test
    void readsAHandWrittenFileWithI64AndMetadata() throws IOException {
        RawFile raw = new RawFile()
                .f32(1f, -2.5f, 0f, -0f, Float.MIN_VALUE, Float.intBitsToFloat(0x7fc00001)) // w [2,3]: bytes 0..24
                .i64(7L)                                                                      // step []: 24..32
                .i64(-5L, 1L << 40)                                                           // ids [2]: 32..48
                .bytes(0x80, 0x3f);                                                           // half [1] BF16 1.0: 48..50
        // Header entries deliberately not in offset order, metadata last, trailing spaces as padding.
        String header = "{\"step\": {\"dtype\": \"I64\", \"shape\": [], \"data_offsets\": [24, 32]},"
                + " \"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                + "\"ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[32,48]},"
                + "\"half\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[48,50]},"
                + "\"__metadata__\":{\"format\":\"pt\",\"note\":\"a \\\"q\\\" \\u00e9\"}}     ";
        Path f = dir.resolve("hand.safetensors");
        Files.write(f, raw.build(header));

        SafeTensors st = SafeTensors.read(f);
        assertEquals(List.of("step", "w", "ids", "half"), List.copyOf(st.entries().keySet()));
        assertEquals(Map.of("format", "pt", "note", "a \"q\" \u00e9"), st.metadata());

        SafeTensors.Entry w = st.entries().get("w");
        assertEquals(SafeTensors.DType.F32, w.dtype());
        assertArrayEquals(new int[] {2, 3}, w.shape());
        int[] expectedBits = {0x3f800000, 0xc0200000, 0, 0x80000000, 1, 0x7fc00001};
        for (int k = 0; k < 6; k++) {
            assertEquals(expectedBits[k], Float.floatToRawIntBits(w.floats()[k]), "w[" + k + "]");
        }
        SafeTensors.Entry step = st.entries().get("step");
        assertEquals(SafeTensors.DType.I64, step.dtype());
        assertArrayEquals(new int[0], step.shape());
        assertArrayEquals(new long[] {7L}, step.longs());
        assertNull(step.floats());
        assertArrayEquals(new long[] {-5L, 1L << 40}, st.entries().get("ids").longs());

        SafeTensors.Entry half = st.entries().get("half");
        assertEquals(SafeTensors.DType.BF16, half.dtype());
        assertNull(half.floats());
        assertNull(half.longs());
        assertEquals(List.of(half), st.unsupported());
    }

    @Test
    void anEmptyFileHeaderIsValid() throws IOException {
        Path f = dir.resolve("empty.safetensors");
        Files.write(f, new RawFile().build("{}"));
        SafeTensors st = SafeTensors.read(f);
        assertTrue(st.entries().isEmpty());
        assertTrue(st.metadata().isEmpty());
    }

    @Test
    void writeThenReadIsBitExactAndFollowsTheLayout() throws IOException {
        Path f = dir.resolve("round.safetensors");
        float[] special = {Float.NaN, Float.intBitsToFloat(0x7fc12345), -0f, Float.MIN_VALUE,
                Float.POSITIVE_INFINITY, -Float.MAX_VALUE, 1f / 3f};
        float[] big = new float[300_001]; // more than one 1 MiB chunk, odd length
        for (int k = 0; k < big.length; k++) {
            big[k] = (float) Math.sin(k) * k;
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("tricky \"key\"", "back\\slash\nnew line \u00e9\u0001");
        try (TensorScope s = TensorScope.open()) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            tensors.put("b.special", Ops.fromArray(backend, Shape.of(7), special));
            tensors.put("a.big", Ops.fromArray(backend, Shape.of(1, 300_001), big));
            tensors.put("scalar", Ops.fromArray(backend, Shape.scalar(), 42f));
            tensors.put("name with \"quotes\"", Ops.fromArray(backend, Shape.of(1, 1), -1f));
            SafeTensors.write(f, tensors, meta);
        }

        SafeTensors st = SafeTensors.read(f);
        assertEquals(List.of("b.special", "a.big", "scalar", "name with \"quotes\""), List.copyOf(st.entries().keySet()),
                "the given order is kept");
        assertEquals(meta, st.metadata());
        assertBitsEqual(special, st.entries().get("b.special").floats());
        assertBitsEqual(big, st.entries().get("a.big").floats());
        assertArrayEquals(new int[] {1, 300_001}, st.entries().get("a.big").shape());
        assertArrayEquals(new int[0], st.entries().get("scalar").shape());
        assertEquals(42f, st.entries().get("scalar").floats()[0]);

        // Layout, read back independently: the data starts at a multiple of 8, the padding is spaces,
        // and the first tensor (in the given order) starts at offset 0.
        byte[] bytes = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, (8 + n) % 8, "data buffer aligned to 8 bytes");
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"__metadata__\":"), header);
        assertTrue(header.stripTrailing().endsWith("}"), header);
        assertTrue(header.substring(header.stripTrailing().length()).chars().allMatch(c -> c == ' '));
        assertTrue(header.contains("\"b.special\":{\"dtype\":\"F32\",\"shape\":[7],\"data_offsets\":[0,28]}"), header);
        assertEquals(8 + n + 4L * (7 + 300_001 + 1 + 1), bytes.length);
        assertEquals(0x7fc12345, ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt((int) (8 + n) + 4));
        assertEquals(0, backend.liveBytes());
    }

    @Test
    void aFailedWriteLeavesTheOldFileAndNoTemporaryFile() throws IOException {
        Path f = dir.resolve("keep.safetensors");
        Files.writeString(f, "old contents");
        Tensor closed = Ops.fromArray(backend, Shape.of(2), 1f, 2f);
        closed.close();
        var e = assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.write(f, Map.of("w", closed), null));
        assertTrue(e.getMessage().contains("'w' is closed"), e.getMessage());
        assertEquals("old contents", Files.readString(f));

        // The move itself fails: the target is a non-empty directory.
        Path target = dir.resolve("blocked.safetensors");
        Files.createDirectory(target);
        Files.writeString(target.resolve("inside"), "x");
        try (TensorScope s = TensorScope.open()) {
            Tensor t = Ops.fromArray(backend, Shape.of(2), 1f, 2f);
            assertThrows(UncheckedIOException.class, () -> SafeTensors.write(target, Map.of("w", t), null));
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("blocked.safetensors", "keep.safetensors"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "no temporary file left behind");
        }
    }

    /** A pid that no process has now: that of a child that has exited. */
    private static long deadPid() throws IOException, InterruptedException {
        Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), "-version")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        p.waitFor();
        assertTrue(ProcessHandle.of(p.pid()).isEmpty(), "pid " + p.pid() + " is gone");
        return p.pid();
    }

    @Test
    void aWriteDeletesTheTemporaryFilesOfDeadWritersOnly() throws IOException, InterruptedException {
        Path f = dir.resolve("run.ckpt");
        long dead = deadPid(), live = ProcessHandle.current().pid();
        List<String> stale = List.of("run.ckpt." + dead + ".123456789.tmp", "run.ckpt." + dead + ".-42.tmp");
        List<String> kept = List.of(
                "run.ckpt." + live + ".987654321.tmp",   // a live writer's (this process)
                "other.ckpt." + dead + ".1.tmp",         // another target's
                "run.ckpt.notes.tmp",                    // not of the form <pid>.<nanos>
                "run.ckpt." + dead + ".1.tmp.bak",       // not ending in .tmp
                "run.ckpt." + dead + ".1");              // no .tmp at all
        for (String name : concat(stale, kept)) {
            Files.writeString(dir.resolve(name), "x");
        }
        try (TensorScope s = TensorScope.open()) {
            SafeTensors.write(f, Map.of("w", Ops.fromArray(backend, Shape.of(2), 1f, 2f)), null);
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(concat(kept, List.of("run.ckpt")).stream().sorted().toList(),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertEquals(0, SafeTensors.deleteStaleTemporaries(f), "nothing stale is left");
        Files.writeString(dir.resolve(stale.get(0)), "x");
        assertEquals(1, SafeTensors.deleteStaleTemporaries(f));
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return Stream.concat(a.stream(), b.stream()).toList();
    }

    // ------------------------------------------------------------------------- malformed files

    /** A valid 3-float F32 entry at the given offsets, as JSON. */
    private static String f32(String name, int count, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"F32\",\"shape\":[" + count + "],\"data_offsets\":[" + begin + "," + end + "]}";
    }

    static Stream<Arguments> malformed() {
        RawFile twelve = new RawFile().f32(1f, 2f, 3f);
        byte[] ok = "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}".getBytes(StandardCharsets.UTF_8);
        byte[] badUtf8 = "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}, \"\u00ff\":1}"
                .getBytes(StandardCharsets.ISO_8859_1);
        return Stream.of(
                Arguments.of("truncated", new byte[] {5, 0, 0, 0, 0}, "shorter than the 8-byte", null),
                Arguments.of("header past the end", twelve.build(1000, ok), "runs past the end of the file", null),
                Arguments.of("header over the limit", twelve.build(200_000_000L, ok), "exceeds the limit", null),
                Arguments.of("header length 2^64-1", twelve.build(-1L, ok), "18446744073709551615", null),
                Arguments.of("bad JSON", twelve.build("{\"w\":{\"dtype\":\"F32\",}}"), "not valid JSON", null),
                Arguments.of("not an object", twelve.build("[1, 2]"), "does not start with '{'", null),
                Arguments.of("bad UTF-8", twelve.build(badUtf8.length, badUtf8), "not valid UTF-8", null),
                Arguments.of("duplicate key", twelve.build("{" + f32("w", 3, 0, 12) + "," + f32("w", 3, 0, 12) + "}"),
                        "duplicate key \"w\"", null),
                Arguments.of("missing data_offsets", twelve.build("{\"w\":{\"dtype\":\"F32\",\"shape\":[3]}}"),
                        "no 'data_offsets'", "w"),
                Arguments.of("missing dtype", twelve.build("{\"w\":{\"shape\":[3],\"data_offsets\":[0,12]}}"),
                        "no 'dtype'", "w"),
                Arguments.of("unknown dtype", twelve.build("{\"w\":{\"dtype\":\"Q7\",\"shape\":[3],\"data_offsets\":[0,12]}}"),
                        "unknown dtype 'Q7'", "w"),
                Arguments.of("negative dimension", twelve.build("{\"w\":{\"dtype\":\"F32\",\"shape\":[-3],\"data_offsets\":[0,12]}}"),
                        "not a non-negative", "w"),
                Arguments.of("fractional dimension", twelve.build("{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,12]}}"),
                        "not a non-negative", "w"),
                Arguments.of("huge number", twelve.build("{\"w\":{\"dtype\":\"F32\",\"shape\":[" + "9".repeat(200_000)
                        + "],\"data_offsets\":[0,12]}}"), "not a non-negative", "w"),
                Arguments.of("element count overflow", twelve.build(
                        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,12]}}"),
                        "overflows", "w"),
                Arguments.of("wrong byte length", twelve.build("{" + f32("w", 3, 0, 8) + "}"), "needs 12", "w"),
                Arguments.of("begin after end", twelve.build("{" + f32("w", 0, 12, 0) + "}"), "begin after end", "w"),
                Arguments.of("offsets outside", twelve.build("{" + f32("w", 4, 0, 16) + "}"),
                        "outside the data buffer of 12 bytes", "w"),
                Arguments.of("overlap", twelve.build("{" + f32("a", 2, 0, 8) + "," + f32("b", 2, 4, 12) + "}"),
                        "overlap tensor 'a'", "b"),
                Arguments.of("gap", twelve.build("{" + f32("a", 1, 0, 4) + "," + f32("b", 1, 8, 12) + "}"),
                        "gap of 4 bytes", "b"),
                Arguments.of("trailing bytes", twelve.build("{" + f32("a", 2, 0, 8) + "}"), "trailing bytes", null),
                Arguments.of("metadata not strings", twelve.build("{\"__metadata__\":{\"n\":1}," + f32("w", 3, 0, 12) + "}"),
                        "key 'n' is not a string", null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedFilesAreRejectedWithTheProblemNamed(String why, byte[] bytes, String problem, String key)
            throws IOException {
        Path f = dir.resolve("bad.safetensors");
        Files.write(f, bytes);
        var e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.read(f), why);
        String m = e.getMessage();
        assertTrue(m.contains(problem), why + ": " + m);
        assertTrue(m.contains("bad.safetensors"), why + ": names the file: " + m);
        if (key != null) {
            assertTrue(m.contains("tensor '" + key + "'"), why + ": names the key: " + m);
        }
    }

    private static void assertBitsEqual(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int k = 0; k < expected.length; k++) {
            if (Float.floatToRawIntBits(expected[k]) != Float.floatToRawIntBits(actual[k])) {
                throw new AssertionError("element " + k + ": expected bits "
                        + Integer.toHexString(Float.floatToRawIntBits(expected[k])) + ", got "
                        + Integer.toHexString(Float.floatToRawIntBits(actual[k])));
            }
        }
    }
}
