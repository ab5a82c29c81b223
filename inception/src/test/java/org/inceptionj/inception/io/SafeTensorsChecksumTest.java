package org.inceptionj.inception.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

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

/** What this code writes carries a CRC32C of its data, and reading verifies it. */
class SafeTensorsChecksumTest {
    static Backend backend;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        backend = Backends.load("cpu");
    }

    @AfterAll
    static void stop() {
        backend.close();
    }

    /** A file of three tensors (976 floats, 3,904 bytes of data) written by {@link SafeTensors#write}. */
    private Path written(String name) {
        Path f = dir.resolve(name);
        try (TensorScope s = TensorScope.open()) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            tensors.put("conv.weight", Ops.uniform(backend, Shape.of(8, 4, 3, 3), 1, -1f, 1f));
            tensors.put("bn.running_var", Ops.uniform(backend, Shape.of(8), 2, 0.5f, 2f));
            tensors.put("fc.weight", Ops.uniform(backend, Shape.of(10, 68), 3, -1f, 1f));
            SafeTensors.write(f, tensors, Map.of("format", "pt"));
        }
        return f;
    }

    /** The offset of the data buffer: 8 + the header length. */
    private static int dataStart(byte[] bytes) {
        return (int) (8 + ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0));
    }

    @Test
    void aFlippedByteAnywhereInTheDataOfAFileWeWroteIsRefused() throws IOException {
        Path good = written("good.safetensors");
        SafeTensors.read(good); // the unflipped file reads
        byte[] bytes = Files.readAllBytes(good);
        int start = dataStart(bytes);
        assertEquals(3904, bytes.length - start);
        Random random = new Random(7);
        Path bad = dir.resolve("flipped.safetensors");
        int refused = 0;
        int cases = 300;
        for (int k = 0; k < cases; k++) {
            byte[] copy = bytes.clone();
            int at = start + random.nextInt(bytes.length - start);
            copy[at] ^= (byte) (1 + random.nextInt(255)); // any non-zero change, one bit or eight
            Files.write(bad, copy);
            var e = assertThrows(InvalidFileException.class, () -> SafeTensors.read(bad), "flip at byte " + at);
            assertTrue(e.getMessage().contains("data checksum mismatch") && e.getMessage().contains("the file is corrupt")
                    && e.getMessage().contains(bad.toString()), e.getMessage());
            refused++;
        }
        assertEquals(cases, refused);
    }

    @Test
    void theChecksumIsTheCrc32cOfTheDataAndLeadsTheMetadata() throws IOException {
        Path f = written("layout.safetensors");
        byte[] bytes = Files.readAllBytes(f);
        int start = dataStart(bytes);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(bytes, start, bytes.length - start);
        String header = new String(bytes, 8, start - 8, java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(header.startsWith(String.format("{\"__metadata__\":{\"inceptionj.data_crc32c\":\"%08x\",\"format\":\"pt\"}",
                crc.getValue())), header);
    }

    @Test
    void ourFilesAreVerifiedFilesFromElsewhereLoadWithoutAndSaySo() throws IOException {
        SafeTensors ours = SafeTensors.read(written("ours.safetensors"));
        assertEquals(SafeTensors.Checksum.VERIFIED, ours.checksum());
        assertEquals(Map.of("format", "pt"), ours.metadata(), "the key is the reader's own, not the caller's metadata");

        Path elsewhere = dir.resolve("elsewhere.safetensors");
        Files.write(elsewhere, new RawFile().f32(1f, 2f).build(
                "{\"__metadata__\":{\"format\":\"pt\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"));
        assertEquals(SafeTensors.Checksum.ABSENT, SafeTensors.read(elsewhere).checksum());
    }

    @Test
    void aMalformedChecksumIsRefusedAndAGivenOneIsReplaced() throws IOException {
        for (String value : new String[] {"1234567", "123456789", "1234567g", "", " 1234567", "-1234567"}) {
            Path f = dir.resolve("malformed.safetensors");
            Files.write(f, new RawFile().f32(1f).build("{\"__metadata__\":{\"" + SafeTensors.CHECKSUM_KEY + "\":\"" + value
                    + "\"},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"));
            var e = assertThrows(InvalidFileException.class, () -> SafeTensors.read(f), value);
            assertTrue(e.getMessage().contains("not 8 hex digits"), e.getMessage());
        }
        Path f = dir.resolve("given.safetensors");
        try (TensorScope s = TensorScope.open()) {
            SafeTensors.write(f, Map.of("w", Ops.fromArray(backend, Shape.of(1), 1f)),
                    Map.of(SafeTensors.CHECKSUM_KEY, "00000000", "format", "pt"));
        }
        assertEquals(SafeTensors.Checksum.VERIFIED, SafeTensors.read(f).checksum());
    }

    @Test
    void theChecksumCoversEveryDtypeAndElementsSplitAcrossReadBlocks() throws IOException {
        // 3 bytes of U8 first, so every F32 after it straddles the 1 MiB read blocks at some point.
        float[] big = new float[300_001];
        for (int k = 0; k < big.length; k++) {
            big[k] = k * 0.5f - 7f;
        }
        RawFile raw = new RawFile().bytes(1, 2, 3).f32(big).i64(-9L, 1L << 50);
        int size = raw.dataSize();
        String entries = "\"u\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[0,3]},"
                + "\"f\":{\"dtype\":\"F32\",\"shape\":[300001],\"data_offsets\":[3," + (3 + 4 * 300_001) + "]},"
                + "\"l\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[" + (3 + 4 * 300_001) + "," + size + "]}}";
        byte[] withoutChecksum = raw.build("{" + entries);
        Path plain = dir.resolve("straddle.safetensors");
        Files.write(plain, withoutChecksum);
        SafeTensors st = SafeTensors.read(plain);
        assertTrue(java.util.Arrays.equals(big, st.entries().get("f").floats()));
        assertTrue(java.util.Arrays.equals(new long[] {-9L, 1L << 50}, st.entries().get("l").longs()));

        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(withoutChecksum, withoutChecksum.length - size, size);
        String meta = "{\"__metadata__\":{\"" + SafeTensors.CHECKSUM_KEY + "\":\"" + String.format("%08x", crc.getValue()) + "\"},";
        Path checked = dir.resolve("straddle-checked.safetensors");
        Files.write(checked, raw.build(meta + entries));
        assertEquals(SafeTensors.Checksum.VERIFIED, SafeTensors.read(checked).checksum());
        byte[] flipped = raw.build(meta + entries);
        flipped[flipped.length - size + 1] ^= 1; // inside the U8 tensor, whose values are never decoded
        Files.write(checked, flipped);
        assertThrows(InvalidFileException.class, () -> SafeTensors.read(checked));
    }

    @Test
    void theHeaderAloneIsReadWithoutTheDataSoAFlippedDataBitShowsOnlyInAFullRead() throws IOException {
        Path f = written("header.safetensors");
        byte[] bytes = Files.readAllBytes(f);
        bytes[dataStart(bytes) + 100] ^= 0x10;
        Files.write(f, bytes);
        SafeTensors.Header h = SafeTensors.readHeader(f);
        assertEquals(Map.of("format", "pt"), h.metadata(), "the checksum entry is not metadata");
        assertEquals(java.util.List.of("conv.weight", "bn.running_var", "fc.weight"), java.util.List.copyOf(h.shapes().keySet()));
        assertEquals(java.util.List.of(8, 4, 3, 3), java.util.Arrays.stream(h.shapes().get("conv.weight")).boxed().toList());
        assertEquals(976, h.f32Values());
        InvalidFileException e = assertThrows(InvalidFileException.class, () -> SafeTensors.read(f));
        assertTrue(e.getMessage().contains("data checksum mismatch"), e.getMessage());

        Files.write(f, java.util.Arrays.copyOf(bytes, bytes.length - 4));   // the last tensor cut short
        e = assertThrows(InvalidFileException.class, () -> SafeTensors.readHeader(f));
        assertTrue(e.getMessage().contains("fc.weight"), e.getMessage());
    }
}
