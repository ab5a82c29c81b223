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
}
