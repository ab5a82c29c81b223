package org.inceptionj.gpu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Makes JCudnn 11.7's native library load against cuDNN 9 by renaming the library it needs from
 * {@code libcudnn.so.8} to {@code libcudnn.so.9}, in place, in a private copy.
 *
 * <p>Why: {@code libJCudnn-11.7.0-linux-x86_64.so} has {@code DT_NEEDED libcudnn.so.8}, and each of
 * its 260 cuDNN imports carries the symbol version {@code libcudnn.so.8} (a version-needs entry for
 * file {@code libcudnn.so.8}, version name {@code libcudnn.so.8}). cuDNN 9 defines the same names with
 * version {@code libcudnn.so.9}. A symlink .so.8 → .so.9 fails ("version `libcudnn.so.8' not found"),
 * and so does patchelf's {@code --replace-needed}, which leaves the version entry alone.
 *
 * <p>What changes, after everything is checked (otherwise nothing is written and the method throws):
 * <ol>
 *   <li>the {@code .dynstr} string {@code libcudnn.so.8} becomes {@code libcudnn.so.9} (same length:
 *       one byte). In JCudnn 11.7 one string serves the DT_NEEDED entry, the version-needs file
 *       name ({@code vn_file}) and the version name ({@code vna_name});</li>
 *   <li>the {@code vna_hash} of that version becomes the ELF hash of the new name (one byte of the
 *       four differs).</li>
 * </ol>
 * Checked first: the file is an x86-64 ELF64 shared library; exactly one DT_NEEDED names the old
 * library; one version-needs entry names it as its file, and each of its versions is named by the
 * same string with the hash of the old name; no other reference into {@code .dynstr} (other
 * DT_NEEDED/SONAME/RPATH/RUNPATH entries, version definitions, dynamic symbols) points inside that
 * string, so no other name changes with it. The patched bytes are parsed again and compared
 * before the file is replaced (written to a sibling and moved over it).
 *
 * <p>Verified here (no GPU needed): on the real {@code libJCudnn-11.7.0-linux-x86_64.so} exactly two
 * bytes change, and the patched library loads next to cuDNN 9.24's {@code libcudnn.so.9}.
 */
final class JCudnnPatch {
    static final String CUDNN8 = "libcudnn.so.8";
    static final String CUDNN9 = "libcudnn.so.9";

    /** What {@link #patch} did. */
    enum Outcome {
        /** The file needed the old name and now needs the new one. */
        PATCHED,
        /** The file already needed the new name (patched before); nothing was written. */
        ALREADY_PATCHED
    }

    /** The outcome and the file offsets of the bytes that changed (empty when nothing was written). */
    record Result(Outcome outcome, List<Long> changedOffsets) {
    }

    private JCudnnPatch() {
    }

    /** {@code libcudnn.so.8} → {@code libcudnn.so.9} in {@code library}. */
    static Result forCudnn9(Path library) throws IOException {
        return patch(library, CUDNN8, CUDNN9);
    }

    /**
     * Renames the needed library {@code from} to {@code to} (same length) in {@code library}, as
     * described in the class comment.
     *
     * @throws IllegalStateException if the layout is not the expected one; the file is unchanged
     */
    static Result patch(Path library, String from, String to) throws IOException {
        if (from.length() != to.length() || from.equals(to)) {
            throw new IllegalArgumentException("JCudnnPatch: names must differ and have the same length: " + from
                    + ", " + to);
        }
        byte[] bytes = Files.readAllBytes(library);
        Elf elf;
        try {
            elf = Elf.parse(bytes);
        } catch (IllegalArgumentException e) {
            throw refuse(library, e.getMessage());
        }
        Found old = find(elf, library, from);
        Found done = find(elf, library, to);
        if (old != null && done != null) {
            throw refuse(library, "it needs both " + from + " and " + to);
        }
        if (done != null) {
            verify(elf, library, done, to);
            return new Result(Outcome.ALREADY_PATCHED, List.of());
        }
        if (old == null) {
            throw refuse(library, "it does not need " + from + " (DT_NEEDED: " + neededNames(elf) + ")");
        }
        verify(elf, library, old, from);

        byte[] patched = bytes.clone();
        Elf.Section dynstr = elf.dynstr();
        byte[] newName = to.getBytes(StandardCharsets.ISO_8859_1);
        for (long s : old.stringOffsets()) {
            System.arraycopy(newName, 0, patched, (int) (dynstr.offset() + s), newName.length);
        }
        long newHash = Elf.elfHash(to);
        for (Elf.Vernaux a : old.verneed().aux()) {
            putU32(patched, a.hashAt(), newHash);
        }

        // Parse the result again: it must now need `to`, with the right hash, and nothing else moved.
        Elf again = Elf.parse(patched);
        Found now = find(again, library, to);
        if (now == null || find(again, library, from) != null) {
            throw refuse(library, "the patched copy does not read back as needing " + to);
        }
        verify(again, library, now, to);
        List<Long> changed = new ArrayList<>();
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] != patched[i]) {
                changed.add((long) i);
            }
        }
        Path tmp = library.resolveSibling(library.getFileName() + ".patching");
        Files.write(tmp, patched);
        Files.move(tmp, library, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return new Result(Outcome.PATCHED, List.copyOf(changed));
    }

    /** Where a needed library's name is used: DT_NEEDED, the version-needs entry, the strings. */
    private record Found(Elf.Dyn needed, Elf.Verneed verneed, TreeSet<Long> stringOffsets) {
    }

    /** The uses of {@code name} as a needed library, or null if no DT_NEEDED names it. */
    private static Found find(Elf elf, Path library, String name) {
        Elf.Section dynstr = elf.dynstr();
        Elf.Dyn needed = null;
        for (Elf.Dyn d : elf.dynamic()) {
            if (d.tag() == Elf.DT_NEEDED && elf.cString(dynstr, d.value()).equals(name)) {
                if (needed != null) {
                    throw refuse(library, "two DT_NEEDED entries name " + name);
                }
                needed = d;
            }
        }
        if (needed == null) {
            return null;
        }
        Elf.Verneed vn = null;
        for (Elf.Verneed v : elf.verneeds()) {
            if (elf.cString(dynstr, v.file()).equals(name)) {
                if (vn != null) {
                    throw refuse(library, "two version-needs entries name " + name);
                }
                vn = v;
            }
        }
        if (vn == null) {
            throw refuse(library, "no .gnu.version_r entry for " + name + " (is it versioned at all?)");
        }
        if (vn.aux().isEmpty()) {
            throw refuse(library, "the .gnu.version_r entry for " + name + " lists no version");
        }
        TreeSet<Long> strings = new TreeSet<>();
        strings.add(needed.value());
        strings.add(vn.file());
        for (Elf.Vernaux a : vn.aux()) {
            strings.add(a.name());
        }
        return new Found(needed, vn, strings);
    }

    /**
     * Checks that every version of the entry is named {@code name} with its ELF hash, and that no
     * other dynamic string reference points inside one of the strings that would change.
     */
    private static void verify(Elf elf, Path library, Found f, String name) {
        Elf.Section dynstr = elf.dynstr();
        long hash = Elf.elfHash(name);
        for (Elf.Vernaux a : f.verneed().aux()) {
            String v = elf.cString(dynstr, a.name());
            if (!v.equals(name)) {
                throw refuse(library, "the version needed from " + name + " is '" + v + "', expected '" + name + "'");
            }
            if (a.hash() != hash) {
                throw refuse(library, String.format("vna_hash of %s is 0x%08x, expected elf_hash = 0x%08x", name,
                        a.hash(), hash));
            }
        }
        for (long s : f.stringOffsets()) {
            if (!elf.cString(dynstr, s).equals(name)) {
                throw refuse(library, "the string at .dynstr+" + s + " is not " + name);
            }
        }
        List<Long> others = new ArrayList<>();
        for (Elf.Dyn d : elf.dynamic()) {
            boolean stringTag = d.tag() == Elf.DT_NEEDED || d.tag() == Elf.DT_SONAME || d.tag() == Elf.DT_RPATH
                    || d.tag() == Elf.DT_RUNPATH;
            if (stringTag && d.at() != f.needed().at()) {
                others.add(d.value());
            }
        }
        for (Elf.Verneed v : elf.verneeds()) {
            if (v.at() != f.verneed().at()) {
                others.add(v.file());
                for (Elf.Vernaux a : v.aux()) {
                    others.add(a.name());
                }
            }
        }
        others.addAll(elf.verdefNames());
        if (elf.linked(elf.single(Elf.SHT_DYNSYM, "dynsym")).index() == dynstr.index()) {
            others.addAll(elf.dynsymNames());
        }
        for (long r : others) {
            for (long s : f.stringOffsets()) {
                if (r >= s && r <= s + name.length()) {
                    throw refuse(library, "another name shares the bytes of '" + name + "' (.dynstr+" + r
                            + "); renaming it would rename that one too");
                }
            }
        }
    }

    private static List<String> neededNames(Elf elf) {
        List<String> out = new ArrayList<>();
        for (Elf.Dyn d : elf.dynamic()) {
            if (d.tag() == Elf.DT_NEEDED) {
                out.add(elf.cString(elf.dynstr(), d.value()));
            }
        }
        return out;
    }

    private static void putU32(byte[] b, long at, long v) {
        for (int i = 0; i < 4; i++) {
            b[(int) at + i] = (byte) (v >>> (8 * i));
        }
    }

    private static IllegalStateException refuse(Path library, String why) {
        return new IllegalStateException("cannot patch " + library + " for cuDNN 9: " + why
                + ". It is not the JCudnn 11.7.0 library this patch was written for; the file is unchanged");
    }
}
