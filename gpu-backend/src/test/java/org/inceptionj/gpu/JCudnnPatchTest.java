package org.inceptionj.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cuDNN 9 patch on the real JCudnn 11.7.0 library from this jar (no cuDNN or GPU needed). */
class JCudnnPatchTest {

    @TempDir
    Path tmp;

    private static List<String> needed(Elf elf) {
        List<String> out = new ArrayList<>();
        for (Elf.Dyn d : elf.dynamic()) {
            if (d.tag() == Elf.DT_NEEDED) {
                out.add(elf.cString(elf.dynstr(), d.value()));
            }
        }
        return out;
    }

    @Test
    void elfHashMatchesTheGabiFunction() {
        // Values of the gABI's elf_hash, as the linker stores them in vna_hash.
        assertEquals(0x077905a6L, Elf.elfHash("printf"));
        assertEquals(0x09691a75L, Elf.elfHash("GLIBC_2.2.5"));
        assertEquals(0x080d4bf8L, Elf.elfHash("libcudnn.so.8"));
        assertEquals(0x080d4bf9L, Elf.elfHash("libcudnn.so.9"));
    }

    @Test
    void readsTheLibraryAsReadelfDoes() throws Exception {
        Path lib = GpuHosts.nativeCopy(tmp, CudaLibraries.JCUDNN_LIB);
        Elf elf = Elf.parse(Files.readAllBytes(lib));
        assertEquals(List.of("libcudnn.so.8", "libstdc++.so.6", "libc.so.6"), needed(elf));
        // every version the library needs carries the ELF hash of its name (8 versions from 3 files)
        int versions = 0;
        for (Elf.Verneed v : elf.verneeds()) {
            for (Elf.Vernaux a : v.aux()) {
                assertEquals(Elf.elfHash(elf.cString(elf.dynstr(), a.name())), a.hash());
                versions++;
            }
        }
        assertEquals(3, elf.verneeds().size());
        assertEquals(8, versions);
    }

    @Test
    void changesExactlyTheStringAndTheHash() throws Exception {
        Path lib = GpuHosts.nativeCopy(tmp, CudaLibraries.JCUDNN_LIB);
        byte[] before = Files.readAllBytes(lib);
        Elf old = Elf.parse(before);
        Elf.Verneed cudnn = old.verneeds().stream()
                .filter(v -> old.cString(old.dynstr(), v.file()).equals("libcudnn.so.8")).findFirst().orElseThrow();
        long stringAt = old.dynstr().offset() + cudnn.file();
        long hashAt = cudnn.aux().get(0).hashAt();

        JCudnnPatch.Result r = JCudnnPatch.forCudnn9(lib);

        assertEquals(JCudnnPatch.Outcome.PATCHED, r.outcome());
        // '8' -> '9' at the end of the string; 0xf8 -> 0xf9 in the low byte of vna_hash
        assertEquals(List.of(stringAt + 12, hashAt), r.changedOffsets());
        byte[] after = Files.readAllBytes(lib);
        assertEquals(before.length, after.length);
        assertEquals('8', before[(int) stringAt + 12]);
        assertEquals('9', after[(int) stringAt + 12]);
        assertEquals((byte) 0xf8, before[(int) hashAt]);
        assertEquals((byte) 0xf9, after[(int) hashAt]);
        Elf now = Elf.parse(after);
        assertEquals(List.of("libcudnn.so.9", "libstdc++.so.6", "libc.so.6"), needed(now));
        Elf.Verneed v = now.verneeds().stream()
                .filter(n -> now.cString(now.dynstr(), n.file()).equals("libcudnn.so.9")).findFirst().orElseThrow();
        assertEquals("libcudnn.so.9", now.cString(now.dynstr(), v.aux().get(0).name()));
        assertEquals(Elf.elfHash("libcudnn.so.9"), v.aux().get(0).hash());
    }

    @Test
    void isIdempotent() throws Exception {
        Path lib = GpuHosts.nativeCopy(tmp, CudaLibraries.JCUDNN_LIB);
        assertEquals(JCudnnPatch.Outcome.PATCHED, JCudnnPatch.forCudnn9(lib).outcome());
        byte[] once = Files.readAllBytes(lib);
        JCudnnPatch.Result again = JCudnnPatch.forCudnn9(lib);
        assertEquals(JCudnnPatch.Outcome.ALREADY_PATCHED, again.outcome());
        assertTrue(again.changedOffsets().isEmpty());
        assertArrayEquals(once, Files.readAllBytes(lib));
    }

    @Test
    void refusesALibraryThatDoesNotNeedCudnn8() throws Exception {
        Path driver = GpuHosts.nativeCopy(tmp, CudaLibraries.JCUDA_DRIVER_LIB);   // needs libcuda.so.1
        byte[] before = Files.readAllBytes(driver);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> JCudnnPatch.forCudnn9(driver));
        assertTrue(e.getMessage().contains("does not need libcudnn.so.8"), e.getMessage());
        assertTrue(e.getMessage().contains("libcuda.so.1"), e.getMessage());
        assertTrue(e.getMessage().contains("the file is unchanged"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(driver));
    }

    @Test
    void refusesAWrongVersionHashWithoutWriting() throws Exception {
        Path lib = GpuHosts.nativeCopy(tmp, CudaLibraries.JCUDNN_LIB);
        byte[] b = Files.readAllBytes(lib);
        Elf elf = Elf.parse(b);
        Elf.Verneed cudnn = elf.verneeds().stream()
                .filter(v -> elf.cString(elf.dynstr(), v.file()).equals("libcudnn.so.8")).findFirst().orElseThrow();
        b[(int) cudnn.aux().get(0).hashAt() + 1] ^= 0x10;
        Files.write(lib, b);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> JCudnnPatch.forCudnn9(lib));
        assertTrue(e.getMessage().contains("vna_hash"), e.getMessage());
        assertArrayEquals(b, Files.readAllBytes(lib));
    }

    @Test
    void refusesFilesThatAreNotX8664SharedLibraries() throws Exception {
        Path text = tmp.resolve("not-elf.so");
        Files.writeString(text, "libcudnn.so.8 is mentioned here, but this is no ELF file");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> JCudnnPatch.forCudnn9(text));
        assertTrue(e.getMessage().contains("not an ELF file"), e.getMessage());

        Path lib = GpuHosts.nativeCopy(tmp, CudaLibraries.JCUDNN_LIB);
        byte[] b = Files.readAllBytes(lib);
        Path truncated = tmp.resolve("truncated.so");
        Files.write(truncated, java.util.Arrays.copyOf(b, 4096));
        assertThrows(IllegalStateException.class, () -> JCudnnPatch.forCudnn9(truncated));
        assertEquals(4096, Files.size(truncated));
    }
}
