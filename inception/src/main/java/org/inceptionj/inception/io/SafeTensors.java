package org.inceptionj.inception.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;

/**
 * A safetensors file (the format of Hugging Face's {@code safetensors} library) read into memory:
 * <pre>
 *   [8 bytes]  N, unsigned little-endian 64-bit: the header length
 *   [N bytes]  UTF-8 JSON {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
 *                          "__metadata__": {"key": "value", ...}}   (optional metadata, strings only)
 *   [rest]     the data buffer; offsets are relative to its start; little-endian, row-major
 * </pre>
 * Reading checks everything the header claims before allocating for it: the header fits in the
 * file and under {@link #MAX_HEADER_BYTES}; every entry has a known dtype, non-negative dims and
 * {@code end - begin = elements × dtype size}; and, as the format requires, the tensors tile the
 * buffer exactly (sorted by offset, each starts where the previous one ends, the last ends at the
 * end of the file), so there are no overlaps, gaps or trailing bytes. F32 and I64 data are
 * decoded; the other dtypes of the format are validated, listed by {@link #unsupported()} and
 * carry no data. Problems are {@link IllegalArgumentException}s naming the file and the key.
 */
public final class SafeTensors {

    /** The header length limit: the reference implementation's 100 MB. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    /** The metadata entry's reserved key. */
    public static final String METADATA_KEY = "__metadata__";

    /** The format's dtypes with their sizes in bytes; only F32 and I64 are decoded. */
    public enum DType {
        BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1), I16(2), U16(2), F16(2), BF16(2),
        I32(4), U32(4), F32(4), F64(8), I64(8), U64(8);

        public final int bytes;

        DType(int bytes) {
            this.bytes = bytes;
        }

        /** True where {@link Entry} carries the values. */
        public boolean decoded() {
            return this == F32 || this == I64;
        }
    }

    /**
     * One tensor of the file: {@code floats} is set for F32, {@code longs} for I64, neither for the
     * other dtypes. Arrays are shared, not copied: treat them as read-only.
     */
    public record Entry(String name, DType dtype, int[] shape, float[] floats, long[] longs) {
        public Shape tensorShape() {
            return Shape.of(shape);
        }

        @Override
        public String toString() {
            return name + " " + dtype + " " + Arrays.toString(shape);
        }
    }

    private final Path file;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafeTensors(Path file, Map<String, Entry> entries, Map<String, String> metadata) {
        this.file = file;
        this.entries = Collections.unmodifiableMap(entries);
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    public Path file() {
        return file;
    }

    /** The tensors by name, in header order. */
    public Map<String, Entry> entries() {
        return entries;
    }

    /** The {@code __metadata__} strings (empty when the file has none). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The entries whose dtype is valid but not decoded (no data), in header order. */
    public List<Entry> unsupported() {
        List<Entry> out = new ArrayList<>();
        for (Entry e : entries.values()) {
            if (!e.dtype().decoded()) {
                out.add(e);
            }
        }
        return out;
    }

    // ------------------------------------------------------------------------------- reading

    /** One header entry after validation, before its data is read. */
    private record Slot(String name, DType dtype, int[] shape, long count, long begin, long end) {
    }

    /**
     * Reads and validates {@code file}; see the class comment for what is checked.
     *
     * @throws IllegalArgumentException if the file is not a valid safetensors file (names file and key)
     * @throws UncheckedIOException     if it cannot be read
     */
    public static SafeTensors read(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            if (fileSize < 8) {
                throw bad(file, "file is " + fileSize + " bytes, shorter than the 8-byte header length");
            }
            ByteBuffer lenBuf = readFully(ch, 0, 8);
            long n = lenBuf.getLong(0); // unsigned: a negative value is a length beyond 2^63
            if (n < 0 || n > MAX_HEADER_BYTES) {
                throw bad(file, "header length " + Long.toUnsignedString(n) + " exceeds the limit of "
                        + MAX_HEADER_BYTES + " bytes");
            }
            if (8 + n > fileSize) {
                throw bad(file, "header length " + n + " runs past the end of the file (" + fileSize + " bytes)");
            }
            String json;
            try {
                CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(readFully(ch, 8, (int) n));
                json = chars.toString();
            } catch (CharacterCodingException e) {
                throw bad(file, "header is not valid UTF-8");
            }
            if (!json.startsWith("{")) {
                throw bad(file, "header does not start with '{'");
            }
            Object root;
            try {
                root = Json.parse(json);
            } catch (Json.ParseException e) {
                throw bad(file, "header is not valid JSON: " + e.getMessage());
            }
            if (!(root instanceof Map<?, ?> top)) {
                throw bad(file, "header is not a JSON object");
            }
            long bufferStart = 8 + n;
            long bufferSize = fileSize - bufferStart;
            Map<String, String> metadata = new LinkedHashMap<>();
            List<Slot> slots = new ArrayList<>();
            for (var e : top.entrySet()) {
                String key = (String) e.getKey();
                if (key.equals(METADATA_KEY)) {
                    readMetadata(file, e.getValue(), metadata);
                } else {
                    slots.add(slot(file, key, e.getValue()));
                }
            }
            checkTiling(file, slots, bufferSize);
            Map<String, Entry> entries = new LinkedHashMap<>();
            for (Slot s : slots) {
                entries.put(s.name(), load(ch, bufferStart, s));
            }
            return new SafeTensors(file, entries, metadata);
        } catch (IOException e) {
            throw new UncheckedIOException("safetensors: cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static void readMetadata(Path file, Object v, Map<String, String> out) {
        if (!(v instanceof Map<?, ?> m)) {
            throw bad(file, "'" + METADATA_KEY + "' is not an object of strings");
        }
        for (var e : m.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw bad(file, "'" + METADATA_KEY + "' key '" + e.getKey() + "' is not a string");
            }
            out.put((String) e.getKey(), s);
        }
    }

    /** Checks one header entry on its own: fields present and typed, byte length consistent. */
    private static Slot slot(Path file, String name, Object v) {
        if (!(v instanceof Map<?, ?> m)) {
            throw bad(file, name, "entry is not an object");
        }
        for (String field : new String[] {"dtype", "shape", "data_offsets"}) {
            if (!m.containsKey(field)) {
                throw bad(file, name, "entry has no '" + field + "'");
            }
        }
        if (!(m.get("dtype") instanceof String dtypeName)) {
            throw bad(file, name, "'dtype' is not a string");
        }
        DType dtype;
        try {
            dtype = DType.valueOf(dtypeName);
        } catch (IllegalArgumentException e) {
            throw bad(file, name, "unknown dtype '" + dtypeName + "' (known: " + Arrays.toString(DType.values()) + ")");
        }
        if (!(m.get("shape") instanceof List<?> dimList)) {
            throw bad(file, name, "'shape' is not an array");
        }
        int[] shape = new int[dimList.size()];
        long count = 1;
        for (int k = 0; k < shape.length; k++) {
            long d = nonNegative(file, name, "shape", dimList.get(k));
            if (d > Integer.MAX_VALUE) {
                throw bad(file, name, "dimension " + d + " of 'shape' is too large");
            }
            shape[k] = (int) d;
            count = multiply(file, name, count, d);
        }
        long bytes = multiply(file, name, count, dtype.bytes);
        if (dtype.decoded() && count > Integer.MAX_VALUE - 8) {
            throw bad(file, name, "shape " + Arrays.toString(shape) + " has " + count
                    + " elements, more than one Java array holds");
        }
        if (!(m.get("data_offsets") instanceof List<?> offsets) || offsets.size() != 2) {
            throw bad(file, name, "'data_offsets' is not an array [begin, end]");
        }
        long begin = nonNegative(file, name, "data_offsets", offsets.get(0));
        long end = nonNegative(file, name, "data_offsets", offsets.get(1));
        if (begin > end) {
            throw bad(file, name, "data_offsets [" + begin + ", " + end + "] begin after end");
        }
        if (end - begin != bytes) {
            throw bad(file, name, "data_offsets [" + begin + ", " + end + "] span " + (end - begin) + " bytes but "
                    + dtype + " " + Arrays.toString(shape) + " needs " + bytes);
        }
        return new Slot(name, dtype, shape, count, begin, end);
    }

    /**
     * The format's rule: sorted by offset, the tensors cover [0, bufferSize) exactly. A tensor
     * starting before the previous end overlaps it, one starting after leaves a gap, and the last
     * must end at the end of the file.
     */
    private static void checkTiling(Path file, List<Slot> slots, long bufferSize) {
        List<Slot> sorted = new ArrayList<>(slots);
        sorted.sort(Comparator.comparingLong(Slot::begin).thenComparingLong(Slot::end));
        long at = 0;
        Slot previous = null;
        for (Slot s : sorted) {
            if (s.end() > bufferSize) {
                throw bad(file, s.name(), "data_offsets [" + s.begin() + ", " + s.end()
                        + "] lie outside the data buffer of " + bufferSize + " bytes");
            }
            if (s.begin() < at) {
                throw bad(file, s.name(), "data_offsets [" + s.begin() + ", " + s.end() + "] overlap tensor '"
                        + previous.name() + "' [" + previous.begin() + ", " + previous.end() + "]");
            }
            if (s.begin() > at) {
                throw bad(file, s.name(), "data_offsets [" + s.begin() + ", " + s.end() + "] leave a gap of "
                        + (s.begin() - at) + " bytes after offset " + at + " (the tensors must cover the buffer)");
            }
            at = s.end();
            previous = s;
        }
        if (at != bufferSize) {
            throw bad(file, "the tensors end at offset " + at + " but the data buffer holds " + bufferSize
                    + " bytes (trailing bytes are not allowed)");
        }
    }

    /** Bytes per positional read while decoding: large enough to be fast, small enough not to matter. */
    private static final int CHUNK = 1 << 20;

    private static Entry load(FileChannel ch, long bufferStart, Slot s) throws IOException {
        if (!s.dtype().decoded()) {
            return new Entry(s.name(), s.dtype(), s.shape(), null, null);
        }
        int count = (int) s.count();
        float[] floats = s.dtype() == DType.F32 ? new float[count] : null;
        long[] longs = s.dtype() == DType.I64 ? new long[count] : null;
        int size = s.dtype().bytes;
        int perChunk = CHUNK / size;
        long pos = bufferStart + s.begin();
        for (int done = 0; done < count; ) {
            int n = Math.min(perChunk, count - done);
            ByteBuffer b = readFully(ch, pos, n * size);
            if (floats != null) {
                b.asFloatBuffer().get(floats, done, n);
            } else {
                b.asLongBuffer().get(longs, done, n);
            }
            done += n;
            pos += (long) n * size;
        }
        return new Entry(s.name(), s.dtype(), s.shape(), floats, longs);
    }

    private static ByteBuffer readFully(FileChannel ch, long position, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, position + b.position()) < 0) {
                throw new IOException("unexpected end of file at byte " + (position + b.position()));
            }
        }
        return b.flip();
    }

    private static long nonNegative(Path file, String name, String field, Object v) {
        if (!(v instanceof BigInteger b) || b.signum() < 0 || b.bitLength() > 63) {
            throw bad(file, name, "'" + field + "' holds " + abbreviate(v) + ", not a non-negative 64-bit integer");
        }
        return b.longValue();
    }

    /** A header value for a message, cut short: a hostile header may hold megabytes in one value. */
    private static String abbreviate(Object v) {
        String s = String.valueOf(v);
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    private static long multiply(Path file, String name, long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw bad(file, name, "element or byte count overflows 64 bits");
        }
    }

    private static IllegalArgumentException bad(Path file, String message) {
        return new IllegalArgumentException("safetensors: " + file + ": " + message);
    }

    private static IllegalArgumentException bad(Path file, String key, String message) {
        return new IllegalArgumentException("safetensors: " + file + ": tensor '" + key + "': " + message);
    }

    // ------------------------------------------------------------------------------- writing

    /**
     * Writes {@code tensors} as F32 entries in map order, with {@code metadata} (may be null) as
     * {@code __metadata__}. The header is padded with spaces so the data buffer starts at a
     * multiple of 8 bytes, as the reference writer does. Atomic: the bytes go to a temporary file
     * {@code <name>.<pid>.<nanos>.tmp} in the same directory which then replaces {@code file}; on
     * failure {@code file} is untouched and the temporary file removed. A process killed while writing
     * cannot remove its temporary file, so each write first removes those of dead writers, see
     * {@link #deleteStaleTemporaries}.
     *
     * @throws IllegalArgumentException for an empty or reserved name or a null or closed tensor
     * @throws UncheckedIOException     if writing fails
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        StringBuilder h = new StringBuilder("{");
        if (metadata != null && !metadata.isEmpty()) {
            h.append(Json.quote(METADATA_KEY)).append(":{");
            String sep = "";
            for (var e : metadata.entrySet()) {
                if (e.getKey() == null || e.getValue() == null) {
                    throw new IllegalArgumentException("safetensors.write: " + file + ": null metadata key or value");
                }
                h.append(sep).append(Json.quote(e.getKey())).append(':').append(Json.quote(e.getValue()));
                sep = ",";
            }
            h.append('}');
        }
        long offset = 0;
        for (var e : tensors.entrySet()) {
            String name = e.getKey();
            Tensor t = e.getValue();
            if (name == null || name.isEmpty() || name.equals(METADATA_KEY)) {
                throw new IllegalArgumentException("safetensors.write: " + file + ": bad tensor name '" + name + "'");
            }
            if (t == null || t.isClosed()) {
                throw new IllegalArgumentException("safetensors.write: " + file + ": tensor '" + name + "' is "
                        + (t == null ? "null" : "closed"));
            }
            long bytes = 4L * t.size();
            if (h.length() > 1) {
                h.append(',');
            }
            h.append(Json.quote(name)).append(":{\"dtype\":\"F32\",\"shape\":[");
            int[] dims = t.shape().dims();
            for (int k = 0; k < dims.length; k++) {
                h.append(k == 0 ? "" : ",").append(dims[k]);
            }
            h.append("],\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        h.append('}');
        byte[] json = h.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8; // 8 + padded is then a multiple of 8
        ByteBuffer header = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        header.putLong(padded).put(json);
        while (header.hasRemaining()) {
            header.put((byte) ' ');
        }
        header.flip();

        Path target = file.toAbsolutePath();
        deleteStaleTemporaries(target);
        Path tmp = null;
        try {
            // A fresh name beside the target (same file system, so the move can be atomic); CREATE_NEW
            // never clobbers, and unlike createTempFile the file gets the usual permissions.
            tmp = target.resolveSibling(target.getFileName() + "." + ProcessHandle.current().pid() + "."
                    + System.nanoTime() + ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
                writeFully(ch, header);
                for (Tensor t : tensors.values()) {
                    writeData(ch, t);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
            syncDirectory(target.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("safetensors.write: cannot write " + file + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original failure is the one to report
                }
            }
        }
    }

    /** {@code <pid>.<nanos>}: the part of a temporary file's name between the target's name and ".tmp". */
    private static final java.util.regex.Pattern TEMPORARY_SUFFIX = java.util.regex.Pattern.compile("(\\d+)\\.-?\\d+");

    /**
     * Deletes the temporary files that {@link #write} left beside {@code file} in processes that are
     * gone: the files named {@code <file name>.<pid>.<nanos>.tmp} whose pid is not a live process
     * ({@link ProcessHandle#of} is empty). A process killed while writing (SIGKILL, power cut, OOM
     * killer) leaves one such file, as large as the checkpoint; without this they pile up, one per
     * crash. A live process's file is never touched, the caller's own included, so concurrent writers
     * are safe; a recycled pid only delays the cleanup. Pids are those of this machine: writers to
     * one directory from several machines (a shared network file system) are not supported. Best
     * effort: a file that cannot be deleted is left for the next write.
     *
     * @return how many files were deleted
     */
    public static int deleteStaleTemporaries(Path file) {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        String prefix = target.getFileName() + ".";
        int deleted = 0;
        try (var entries = Files.newDirectoryStream(dir, p -> {
            String name = p.getFileName().toString();
            return name.startsWith(prefix) && name.endsWith(".tmp") && name.length() > prefix.length() + 4;
        })) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                var m = TEMPORARY_SUFFIX.matcher(name.substring(prefix.length(), name.length() - ".tmp".length()));
                if (!m.matches()) {
                    continue; // not one of ours
                }
                long pid;
                try {
                    pid = Long.parseLong(m.group(1));
                } catch (NumberFormatException tooLong) {
                    continue;
                }
                if (ProcessHandle.of(pid).isPresent()) {
                    continue; // a live writer (or a recycled pid: then the file waits for a later write)
                }
                try {
                    if (Files.deleteIfExists(p)) {
                        deleted++;
                    }
                } catch (IOException e) {
                    // left for the next write; the checkpoint itself does not depend on it
                }
            }
        } catch (IOException | java.nio.file.DirectoryIteratorException e) {
            // the directory cannot be listed: the write that follows reports the real problem, if any
        }
        return deleted;
    }

    private static void writeData(FileChannel ch, Tensor t) throws IOException {
        float[] values = t.toArray();
        ByteBuffer b = ByteBuffer.allocate(Math.min(CHUNK, Math.max(4, values.length * 4)))
                .order(ByteOrder.LITTLE_ENDIAN);
        for (int done = 0; done < values.length; ) {
            int n = Math.min(b.capacity() / 4, values.length - done);
            b.clear();
            b.asFloatBuffer().put(values, done, n);
            b.limit(n * 4);
            writeFully(ch, b);
            done += n;
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /**
     * Makes the rename itself durable: after a power loss the directory entry could otherwise still name
     * the old file. Best effort: some platforms and file systems cannot open a directory for syncing.
     */
    private static void syncDirectory(Path dir) {
        if (dir == null) {
            return;
        }
        try (FileChannel d = FileChannel.open(dir, java.nio.file.StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // the file is complete either way; only the rename's durability is not guaranteed here
        }
    }
}
