package org.inceptionj.gpu;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A read-only view of the dynamic-linking parts of an ELF64 little-endian x86-64 shared library:
 * section headers, the dynamic string table, the dynamic section, the version-needs table
 * ({@code .gnu.version_r}) and the dynamic symbols. Enough for {@link JCudnnPatch} to find and check
 * the bytes it changes, and for tests to list what a library exports. Every offset read from the
 * file is bounds-checked; a malformed file throws {@link IllegalArgumentException} naming the field.
 *
 * <p>Layouts from the System V gABI, "Object Files" (ELF header, section header, {@code Elf64_Dyn},
 * {@code Elf64_Sym}) and the Linux Standard Base, "Symbol Versioning" ({@code Elf64_Verneed},
 * {@code Elf64_Vernaux}, the version hash).
 */
final class Elf {
    static final int SHT_STRTAB = 3;
    static final int SHT_DYNAMIC = 6;
    static final int SHT_DYNSYM = 11;
    static final int SHT_GNU_VERDEF = 0x6ffffffd;
    static final int SHT_GNU_VERNEED = 0x6ffffffe;

    static final long DT_NULL = 0;
    static final long DT_NEEDED = 1;
    static final long DT_SONAME = 14;
    static final long DT_RPATH = 15;
    static final long DT_RUNPATH = 29;

    private static final int EM_X86_64 = 62;
    private static final int ET_DYN = 3;

    /** One section header (Elf64_Shdr), with its name resolved through {@code .shstrtab}. */
    record Section(int index, String name, int type, long offset, long size, int link, int info, long entsize) {
    }

    /** One {@code Elf64_Vernaux}: a version needed from a library; {@code at} is the entry's file offset. */
    record Vernaux(long at, long hash, int flags, int other, long name) {
        /** File offset of the 4-byte {@code vna_hash} field. */
        long hashAt() {
            return at;
        }
    }

    /** One {@code Elf64_Verneed}: a library versions are needed from, with its {@link Vernaux} entries. */
    record Verneed(long at, int version, long file, List<Vernaux> aux) {
    }

    /** One {@code Elf64_Dyn} entry. */
    record Dyn(long at, long tag, long value) {
    }

    private final ByteBuffer b;
    private final List<Section> sections;

    private Elf(byte[] bytes) {
        this.b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 64 || b.getInt(0) != 0x464c457f) {
            throw new IllegalArgumentException("ELF: not an ELF file (no \\x7fELF magic)");
        }
        if (bytes[4] != 2 || bytes[5] != 1) {
            throw new IllegalArgumentException("ELF: expected a 64-bit little-endian file, got class " + bytes[4]
                    + " data " + bytes[5]);
        }
        int type = u16(16);
        int machine = u16(18);
        if (type != ET_DYN || machine != EM_X86_64) {
            throw new IllegalArgumentException("ELF: expected an x86-64 shared library (e_type 3, e_machine 62), got"
                    + " e_type " + type + " e_machine " + machine);
        }
        long shoff = u64(0x28);
        int shentsize = u16(0x3A);
        int shnum = u16(0x3C);
        int shstrndx = u16(0x3E);
        if (shentsize != 64 || shnum == 0 || shstrndx >= shnum) {
            throw new IllegalArgumentException("ELF: unexpected section header table (e_shentsize " + shentsize
                    + ", e_shnum " + shnum + ", e_shstrndx " + shstrndx + ")");
        }
        check(shoff, (long) shnum * 64, "section header table");
        List<Section> raw = new ArrayList<>(shnum);
        for (int i = 0; i < shnum; i++) {
            long at = shoff + 64L * i;
            raw.add(new Section(i, null, (int) u32(at + 4), u64(at + 24), u64(at + 32), (int) u32(at + 40),
                    (int) u32(at + 44), u64(at + 56)));
        }
        Section shstr = raw.get(shstrndx);
        List<Section> named = new ArrayList<>(shnum);
        for (int i = 0; i < shnum; i++) {
            Section s = raw.get(i);
            long nameOff = u32(shoff + 64L * i);
            String name = cString(shstr, nameOff);
            if (s.type() != 8 /* SHT_NOBITS */ && s.type() != 0) {
                check(s.offset(), s.size(), "section " + name);
            }
            named.add(new Section(i, name, s.type(), s.offset(), s.size(), s.link(), s.info(), s.entsize()));
        }
        this.sections = List.copyOf(named);
    }

    /** Parses {@code bytes}; throws {@link IllegalArgumentException} if it is not an x86-64 ELF64 shared library. */
    static Elf parse(byte[] bytes) {
        return new Elf(bytes);
    }

    List<Section> sections() {
        return sections;
    }

    /** The one section of this type; throws if there is none or more than one. */
    Section single(int type, String what) {
        Section found = null;
        for (Section s : sections) {
            if (s.type() == type) {
                if (found != null) {
                    throw new IllegalArgumentException("ELF: more than one " + what + " section");
                }
                found = s;
            }
        }
        if (found == null) {
            throw new IllegalArgumentException("ELF: no " + what + " section");
        }
        return found;
    }

    /** The section a {@code sh_link} points at. */
    Section linked(Section s) {
        if (s.link() <= 0 || s.link() >= sections.size()) {
            throw new IllegalArgumentException("ELF: section " + s.name() + " links to section " + s.link());
        }
        return sections.get(s.link());
    }

    /** The string table of the dynamic section ({@code .dynstr}). */
    Section dynstr() {
        Section t = linked(single(SHT_DYNAMIC, "dynamic"));
        if (t.type() != SHT_STRTAB) {
            throw new IllegalArgumentException("ELF: the dynamic section links to " + t.name() + ", not a string table");
        }
        return t;
    }

    /** The entries of {@code .dynamic}, up to DT_NULL. */
    List<Dyn> dynamic() {
        Section d = single(SHT_DYNAMIC, "dynamic");
        List<Dyn> out = new ArrayList<>();
        for (long at = d.offset(); at + 16 <= d.offset() + d.size(); at += 16) {
            long tag = u64(at);
            if (tag == DT_NULL) {
                break;
            }
            out.add(new Dyn(at, tag, u64(at + 8)));
        }
        return out;
    }

    /** The {@code .gnu.version_r} entries, or an empty list when the file has no such section. */
    List<Verneed> verneeds() {
        Section vr = null;
        for (Section s : sections) {
            if (s.type() == SHT_GNU_VERNEED) {
                if (vr != null) {
                    throw new IllegalArgumentException("ELF: more than one .gnu.version_r section");
                }
                vr = s;
            }
        }
        if (vr == null) {
            return List.of();
        }
        List<Verneed> out = new ArrayList<>();
        long at = vr.offset();
        for (int i = 0; i < vr.info(); i++) {        // sh_info = number of Verneed entries
            within(vr, at, 16, "Elf64_Verneed");
            int version = u16(at);
            int cnt = u16(at + 2);
            long file = u32(at + 4);
            long aux = u32(at + 8);
            long next = u32(at + 12);
            List<Vernaux> auxes = new ArrayList<>();
            long a = at + aux;
            for (int j = 0; j < cnt; j++) {
                within(vr, a, 16, "Elf64_Vernaux");
                auxes.add(new Vernaux(a, u32(a), u16(a + 4), u16(a + 6), u32(a + 8)));
                long an = u32(a + 12);
                if (an == 0 && j + 1 < cnt) {
                    throw new IllegalArgumentException("ELF: Elf64_Vernaux chain ends before vn_cnt=" + cnt);
                }
                a += an;
            }
            out.add(new Verneed(at, version, file, List.copyOf(auxes)));
            if (next == 0 && i + 1 < vr.info()) {
                throw new IllegalArgumentException("ELF: Elf64_Verneed chain ends before sh_info=" + vr.info());
            }
            at += next;
        }
        return out;
    }

    /** The {@code vda_name} string offsets of {@code .gnu.version_d}, if the file has one. */
    List<Long> verdefNames() {
        List<Long> out = new ArrayList<>();
        for (Section vd : sections) {
            if (vd.type() != SHT_GNU_VERDEF) {
                continue;
            }
            long at = vd.offset();
            for (int i = 0; i < vd.info(); i++) {
                within(vd, at, 20, "Elf64_Verdef");
                int cnt = u16(at + 6);
                long a = at + u32(at + 12);
                for (int j = 0; j < cnt; j++) {
                    within(vd, a, 8, "Elf64_Verdaux");
                    out.add(u32(a));
                    a += u32(a + 4);
                }
                long next = u32(at + 16);
                if (next == 0) {
                    break;
                }
                at += next;
            }
        }
        return out;
    }

    /** The {@code st_name} offsets of every {@code .dynsym} entry (indexing the section it links to). */
    List<Long> dynsymNames() {
        Section ds = single(SHT_DYNSYM, "dynsym");
        List<Long> out = new ArrayList<>();
        for (long at = ds.offset(); at + 24 <= ds.offset() + ds.size(); at += 24) {
            out.add(u32(at));
        }
        return out;
    }

    /** Names of the functions and objects this library defines and exports (st_shndx != 0, global or weak). */
    List<String> exportedSymbols() {
        Section ds = single(SHT_DYNSYM, "dynsym");
        Section str = linked(ds);
        List<String> out = new ArrayList<>();
        for (long at = ds.offset(); at + 24 <= ds.offset() + ds.size(); at += 24) {
            int info = b.get((int) (at + 4)) & 0xff;
            int bind = info >>> 4;
            int shndx = u16(at + 6);
            long name = u32(at);
            if (shndx != 0 && (bind == 1 || bind == 2) && name != 0) {
                out.add(cString(str, name));
            }
        }
        return out;
    }

    /** The NUL-terminated string at {@code offset} of string table {@code table}. */
    String cString(Section table, long offset) {
        if (offset < 0 || offset >= table.size()) {
            throw new IllegalArgumentException("ELF: string offset " + offset + " outside " + table.name()
                    + " (size " + table.size() + ")");
        }
        long start = table.offset() + offset;
        long end = start;
        long limit = table.offset() + table.size();
        while (end < limit && b.get((int) end) != 0) {
            end++;
        }
        if (end == limit) {
            throw new IllegalArgumentException("ELF: unterminated string at offset " + offset + " of " + table.name());
        }
        byte[] s = new byte[(int) (end - start)];
        b.get((int) start, s);
        return new String(s, StandardCharsets.ISO_8859_1);
    }

    /**
     * The System V ELF hash (gABI "Hash Table"), used by {@code vna_hash}: h = (h &lt;&lt; 4) + c; the top
     * nibble, when set, is folded into bits 4–7 and cleared.
     */
    static long elfHash(String name) {
        long h = 0;
        for (byte c : name.getBytes(StandardCharsets.ISO_8859_1)) {
            h = ((h << 4) + (c & 0xff)) & 0xffffffffL;
            long g = h & 0xf0000000L;
            if (g != 0) {
                h ^= g >>> 24;
            }
            h &= ~g & 0xffffffffL;
        }
        return h;
    }

    long u32(long at) {
        check(at, 4, "u32 field");
        return b.getInt((int) at) & 0xffffffffL;
    }

    private int u16(long at) {
        check(at, 2, "u16 field");
        return b.getShort((int) at) & 0xffff;
    }

    private long u64(long at) {
        check(at, 8, "u64 field");
        return b.getLong((int) at);
    }

    private void check(long at, long len, String what) {
        if (at < 0 || len < 0 || at + len > b.capacity()) {
            throw new IllegalArgumentException("ELF: " + what + " at " + at + " (+" + len + ") lies outside the "
                    + b.capacity() + "-byte file");
        }
    }

    private static void within(Section s, long at, long len, String what) {
        if (at < s.offset() || at + len > s.offset() + s.size()) {
            throw new IllegalArgumentException("ELF: " + what + " at " + at + " lies outside section " + s.name());
        }
    }
}
