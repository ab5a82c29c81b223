package org.inceptionj.inception.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

import org.inceptionj.api.Shape;
import org.inceptionj.api.Tensor;
import org.inceptionj.inception.io.SafeTensorsHeader.Slot;

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
 * end of the file), so there are no overlaps, gaps or trailing bytes. The data allocated is then
 * exactly the data the file holds: a shape such as [1000000, 0] is legal and costs nothing (what a
 * caller makes of its dims is the caller's to check). F32 and I64 data are decoded; the other dtypes
 * of the format are validated, listed by {@link #unsupported()} and carry no data.
 *
 * <p>The header is parsed as a stream ({@link SafeTensorsHeader}), never as a JSON tree, so the heap
 * it takes is proportional to the tensors it declares, and every count a hostile header could inflate
 * has a limit: {@link #MAX_TENSORS} tensors, names of {@link #MAX_NAME_BYTES} bytes, shapes of rank
 * {@link #MAX_RANK}, {@link #MAX_METADATA_ENTRIES} metadata entries holding {@link #MAX_METADATA_BYTES}
 * bytes of text. Each is far above what Inception-v3 files need (under 2,000 tensors for a checkpoint,
 * names under 70 bytes, rank 4, about 60 metadata entries; 16 MiB leaves 768 bytes for each of
 * ImageNet-21k's 21,841 class names in a model card).
 *
 * <p>Integrity: {@link #write} records a CRC32C (Castagnoli, as {@link CRC32C} computes it) of the
 * whole data buffer, as written, in the metadata under {@value #CHECKSUM_KEY}: 8 lowercase hex digits.
 * Reading a file that has the key recomputes it and refuses a mismatch ("data checksum mismatch ...;
 * the file is corrupt"), so a flipped bit anywhere in the data of a file this code wrote is caught.
 * Files from elsewhere have no such key and load as before; {@link #checksum()} says which case a file
 * was. The key is the reader's and writer's own: {@link #metadata()} does not list it, and a value given
 * to {@link #write} for it is replaced. The header itself is not covered: its structure is validated.
 *
 * <p>Every problem with a file is an {@link InvalidFileException} naming the file (and the tensor where
 * there is one); failing to read it at all is an {@link UncheckedIOException}.
 */
public final class SafeTensors {

    /** The header length limit: the reference implementation's 100 MB. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    /** The most tensors a header may declare. */
    public static final int MAX_TENSORS = 100_000;

    /** The longest tensor name, in UTF-8 bytes. */
    public static final int MAX_NAME_BYTES = 1024;

    /** The highest rank of a shape. */
    public static final int MAX_RANK = 8;

    /** The most {@code __metadata__} entries. */
    public static final int MAX_METADATA_ENTRIES = 10_000;

    /** The most {@code __metadata__} text, keys and values together, in UTF-8 bytes (16 MiB). */
    public static final int MAX_METADATA_BYTES = 16 << 20;

    /** The metadata entry's reserved key. */
    public static final String METADATA_KEY = "__metadata__";

    /** The metadata key of the data buffer's CRC32C, 8 lowercase hex digits (see the class comment). */
    public static final String CHECKSUM_KEY = "inceptionj.data_crc32c";

    /** Whether a file's data was checked against a recorded checksum. */
    public enum Checksum {
        /** The file records {@value #CHECKSUM_KEY} and its data matches it. */
        VERIFIED,
        /** The file records no checksum (written elsewhere): its data could not be checked. */
        ABSENT
    }

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

        /**
         * Where the first NaN or infinity of an F32 tensor is ("NaN at index 17 (3 of 1,000 values not
         * finite)"), or null when every value is finite or the dtype is not F32. The format allows them;
         * a model's weights must not hold them, which is for the loader to decide.
         */
        public String nonFinite() {
            if (floats == null) {
                return null;
            }
            int first = -1;
            int count = 0;
            for (int i = 0; i < floats.length; i++) {
                if (!Float.isFinite(floats[i])) {
                    first = first < 0 ? i : first;
                    count++;
                }
            }
            return first < 0 ? null : String.format(java.util.Locale.ROOT, "%s at index %d (%,d of %,d values not finite)",
                    floats[first], first, count, floats.length);
        }

        @Override
        public String toString() {
            return name + " " + dtype + " " + Arrays.toString(shape);
        }
    }

    private final Path file;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;
    private final Checksum checksum;

    private SafeTensors(Path file, Map<String, Entry> entries, Map<String, String> metadata, Checksum checksum) {
        this.file = file;
        this.entries = Collections.unmodifiableMap(entries);
        this.metadata = Collections.unmodifiableMap(metadata);
        this.checksum = checksum;
    }

    public Path file() {
        return file;
    }

    /** The tensors by name, in header order. */
    public Map<String, Entry> entries() {
        return entries;
    }

    /** The {@code __metadata__} strings but {@value #CHECKSUM_KEY} (empty when the file has none). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** VERIFIED when the file recorded a data checksum (and, having been read, matched it); ABSENT when it recorded none. */
    public Checksum checksum() {
        return checksum;
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

    /**
     * The header of a file alone: its metadata (without the checksum entry) and, in header order,
     * each tensor's dtype and shape.
     *
     * @param f32Values how many F32 values the tensors hold together
     */
    public record Header(Path file, Map<String, String> metadata, Map<String, int[]> shapes, long f32Values) {
    }

    /**
     * Reads and checks the header of {@code file} as {@link #read} does (limits, names, dtypes, shapes,
     * the data offsets tiling the file exactly) without reading the data, so without verifying the
     * checksum: for the facts a caller needs before it reads the whole file (a checkpoint's
     * configuration), cheaply, once. A file this accepts may still fail {@link #read}.
     *
     * @throws InvalidFileException if the header is invalid or exceeds a limit (names the file)
     * @throws UncheckedIOException if it cannot be read
     */
    public static Header readHeader(Path file) {
        if (file == null) {
            throw new IllegalArgumentException("safetensors: file must not be null");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            long n = headerLength(file, ch, fileSize);
            SafeTensorsHeader.Parsed header = SafeTensorsHeader.read(file, ch, n);
            Map<String, String> metadata = header.metadata();
            String recorded = metadata.remove(CHECKSUM_KEY);
            if (recorded != null) {
                parseChecksum(file, recorded);
            }
            checkTiling(file, header.slots(), fileSize - 8 - n);
            Map<String, int[]> shapes = new LinkedHashMap<>();
            long f32 = 0;
            for (Slot s : header.slots()) {
                shapes.put(s.name(), s.shape().clone());
                f32 += s.dtype() == DType.F32 ? s.count() : 0;
            }
            return new Header(file, metadata, shapes, f32);
        } catch (IOException | UncheckedIOException e) {
            IOException cause = e instanceof UncheckedIOException u ? u.getCause() : (IOException) e;
            throw new UncheckedIOException("safetensors: cannot read " + file + ": " + cause.getMessage(), cause);
        }
    }

    /** The header length of the first 8 bytes, checked against the limit and the file's size. */
    private static long headerLength(Path file, FileChannel ch, long fileSize) throws IOException {
        if (fileSize < 8) {
            throw bad(file, "file is " + fileSize + " bytes, shorter than the 8-byte header length");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, 0, lenBuf);
        long n = lenBuf.getLong(0); // unsigned: a negative value is a length beyond 2^63
        if (n < 0 || n > MAX_HEADER_BYTES) {
            throw bad(file, "header length " + Long.toUnsignedString(n) + " exceeds the limit of "
                    + MAX_HEADER_BYTES + " bytes");
        }
        if (8 + n > fileSize) {
            throw bad(file, "header length " + n + " runs past the end of the file (" + fileSize + " bytes)");
        }
        return n;
    }

    /**
     * Reads and validates {@code file}; see the class comment for what is checked.
     *
     * @throws InvalidFileException if the file is not a valid safetensors file, exceeds a limit or fails its
     *                              checksum (names the file, and the tensor where there is one)
     * @throws UncheckedIOException if it cannot be read
     */
    public static SafeTensors read(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            long n = headerLength(file, ch, fileSize);
            SafeTensorsHeader.Parsed header = SafeTensorsHeader.read(file, ch, n);
            Map<String, String> metadata = header.metadata();
            String recorded = metadata.remove(CHECKSUM_KEY);
            long expected = recorded == null ? -1 : parseChecksum(file, recorded);
            long bufferStart = 8 + n;
            List<Slot> byOffset = checkTiling(file, header.slots(), fileSize - bufferStart);
            Map<String, Entry> loaded = loadData(ch, bufferStart, byOffset, file, expected);
            Map<String, Entry> entries = new LinkedHashMap<>();
            for (Slot s : header.slots()) {
                entries.put(s.name(), loaded.get(s.name()));
            }
            return new SafeTensors(file, entries, metadata, recorded == null ? Checksum.ABSENT : Checksum.VERIFIED);
        } catch (IOException | UncheckedIOException e) {
            IOException cause = e instanceof UncheckedIOException u ? u.getCause() : (IOException) e;
            throw new UncheckedIOException("safetensors: cannot read " + file + ": " + cause.getMessage(), cause);
        }
    }

    /** The recorded CRC32C: exactly 8 hex digits, as {@link #write} puts it. */
    private static long parseChecksum(Path file, String text) {
        if (!text.matches("[0-9a-fA-F]{8}")) {
            throw bad(file, "metadata '" + CHECKSUM_KEY + "' is '" + abbreviate(text) + "', not 8 hex digits");
        }
        return Long.parseLong(text, 16);
    }

    /**
     * The format's rule: sorted by offset, the tensors cover [0, bufferSize) exactly. A tensor
     * starting before the previous end overlaps it, one starting after leaves a gap, and the last
     * must end at the end of the file. Returns the slots in that order.
     */
    private static List<Slot> checkTiling(Path file, List<Slot> slots, long bufferSize) {
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
        return sorted;
    }

    /** Bytes per read of the data buffer: large enough to be fast, small enough not to matter. */
    private static final int CHUNK = 1 << 20;

    /**
     * Reads the data buffer front to back through one block of {@link #CHUNK} bytes, tensor by tensor in
     * offset order (which, the tiling being exact, is the buffer itself), so a checkpoint of thousands of
     * small tensors costs a few reads, not one per tensor. Decodes F32 and I64 and, when
     * {@code expected >= 0}, runs every byte through CRC32C and compares at the end. Without a recorded
     * checksum the other dtypes' bytes are skipped unread.
     */
    private static Map<String, Entry> loadData(FileChannel ch, long bufferStart, List<Slot> byOffset, Path file,
                                               long expected) throws IOException {
        CRC32C crc = expected >= 0 ? new CRC32C() : null;
        long total = byOffset.isEmpty() ? 0 : byOffset.getLast().end();
        ByteBuffer block = ByteBuffer.allocate((int) Math.min(CHUNK, Math.max(8, total))).order(ByteOrder.LITTLE_ENDIAN);
        block.flip(); // empty: nothing read yet
        long next = bufferStart; // the file position of the first byte not yet in the block
        long end = bufferStart + total;
        Map<String, Entry> out = new HashMap<>();
        for (Slot s : byOffset) {
            DType dtype = s.dtype();
            long left = s.end() - s.begin();
            if (!dtype.decoded() && crc == null) {
                // Not needed: drop what the block holds of it and move the read position past the rest.
                long inBlock = Math.min(left, block.remaining());
                block.position(block.position() + (int) inBlock);
                next += left - inBlock;
                out.put(s.name(), new Entry(s.name(), dtype, s.shape(), null, null));
                continue;
            }
            float[] floats = dtype == DType.F32 ? new float[(int) s.count()] : null;
            long[] longs = dtype == DType.I64 ? new long[(int) s.count()] : null;
            int done = 0; // elements decoded
            while (left > 0) {
                if (block.remaining() < Math.min(left, dtype.bytes)) {
                    next = refill(ch, block, next, end);
                }
                // Whole elements only: an element split across two blocks waits for the refill to join it.
                int n = (int) Math.min(left, block.remaining()) / dtype.bytes;
                if (n == 0) {
                    throw new IOException("the data buffer ends inside tensor '" + s.name() + "'"); // the file shrank
                }
                ByteBuffer part = block.slice(block.position(), n * dtype.bytes).order(ByteOrder.LITTLE_ENDIAN);
                if (crc != null) {
                    crc.update(part.duplicate());
                }
                if (floats != null) {
                    part.asFloatBuffer().get(floats, done, n);
                } else if (longs != null) {
                    part.asLongBuffer().get(longs, done, n);
                }
                block.position(block.position() + n * dtype.bytes);
                left -= (long) n * dtype.bytes;
                done += n;
            }
            out.put(s.name(), new Entry(s.name(), dtype, s.shape(), floats, longs));
        }
        if (crc != null && crc.getValue() != expected) {
            throw bad(file, String.format("data checksum mismatch: the header records %s %08x, the %d-byte data"
                    + " region has %08x; the file is corrupt", CHECKSUM_KEY, expected, total, crc.getValue()));
        }
        return out;
    }

    /** Keeps the block's unread bytes, fills the rest from {@code next} (not past {@code end}); returns the new {@code next}. */
    private static long refill(FileChannel ch, ByteBuffer block, long next, long end) throws IOException {
        block.compact();
        int want = (int) Math.min(block.remaining(), end - next);
        block.limit(block.position() + want);
        readFully(ch, next, block);
        block.flip();
        return next + want;
    }

    private static void readFully(FileChannel ch, long position, ByteBuffer b) throws IOException {
        int from = b.position();
        while (b.hasRemaining()) {
            if (ch.read(b, position + b.position() - from) < 0) {
                throw new IOException("unexpected end of file at byte " + (position + b.position() - from));
            }
        }
    }

    /** A header value for a message, cut short: a hostile header may hold megabytes in one value. */
    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    static InvalidFileException bad(Path file, String problem) {
        return new InvalidFileException("safetensors", file, problem);
    }

    static InvalidFileException bad(Path file, String key, String problem) {
        return new InvalidFileException("safetensors", file, "tensor '" + key + "': " + problem);
    }

    // ------------------------------------------------------------------------------- writing

    /**
     * Writes {@code tensors} as F32 entries in map order, with {@code metadata} (may be null) as
     * {@code __metadata__}, led by the data buffer's CRC32C under {@value #CHECKSUM_KEY} (any value
     * given for that key is replaced). The header is padded with spaces so the data buffer starts at a
     * multiple of 8 bytes, as the reference writer does. The checksum is computed over the bytes as they
     * are written and put into its fixed place in the header afterwards (8 hex digits, so the header
     * length does not depend on it). Atomic: the bytes go to a temporary file
     * {@code <name>.<pid>.<nanos>.tmp} in the same directory which then replaces {@code file}; on
     * failure {@code file} is untouched and the temporary file removed. A process killed while writing
     * cannot remove its temporary file, so each write first removes those of dead writers, see
     * {@link #deleteStaleTemporaries}.
     *
     * @throws IllegalArgumentException for an empty, reserved or too long name, a null or closed tensor, or
     *                                  more than the reader's limits allow (so that every file written reads back)
     * @throws UncheckedIOException     if writing fails
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        if (tensors.size() > MAX_TENSORS) {
            throw new IllegalArgumentException("safetensors.write: " + file + ": " + tensors.size()
                    + " tensors, more than the limit of " + MAX_TENSORS);
        }
        // {"__metadata__":{"inceptionj.data_crc32c":"00000000" ...: the digits' place is known before the header is.
        StringBuilder h = new StringBuilder("{").append(Json.quote(METADATA_KEY)).append(":{")
                .append(Json.quote(CHECKSUM_KEY)).append(":\"");
        int checksumAt = h.length(); // ASCII so far: characters are bytes
        h.append("00000000\"");
        int entries = 1;
        long text = CHECKSUM_KEY.length() + 8;
        if (metadata != null) {
            for (var e : metadata.entrySet()) {
                if (e.getKey() == null || e.getValue() == null) {
                    throw new IllegalArgumentException("safetensors.write: " + file + ": null metadata key or value");
                }
                if (e.getKey().equals(CHECKSUM_KEY)) {
                    continue; // the writer's own
                }
                entries++;
                text += e.getKey().getBytes(StandardCharsets.UTF_8).length + e.getValue().getBytes(StandardCharsets.UTF_8).length;
                h.append(',').append(Json.quote(e.getKey())).append(':').append(Json.quote(e.getValue()));
            }
        }
        if (entries > MAX_METADATA_ENTRIES || text > MAX_METADATA_BYTES) {
            throw new IllegalArgumentException("safetensors.write: " + file + ": metadata of " + entries + " entries, "
                    + text + " bytes is more than the limit of " + MAX_METADATA_ENTRIES + " entries, "
                    + MAX_METADATA_BYTES + " bytes");
        }
        h.append('}');
        long offset = 0;
        for (var e : tensors.entrySet()) {
            String name = e.getKey();
            Tensor t = e.getValue();
            if (name == null || name.isEmpty() || name.equals(METADATA_KEY)
                    || name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
                throw new IllegalArgumentException("safetensors.write: " + file + ": bad tensor name '" + name + "'"
                        + (name != null && name.length() > 40 ? " (empty, reserved or over " + MAX_NAME_BYTES + " bytes)" : ""));
            }
            if (t == null || t.isClosed()) {
                throw new IllegalArgumentException("safetensors.write: " + file + ": tensor '" + name + "' is "
                        + (t == null ? "null" : "closed"));
            }
            int[] dims = t.shape().dims();
            if (dims.length > MAX_RANK) {
                throw new IllegalArgumentException("safetensors.write: " + file + ": tensor '" + name + "' has rank "
                        + dims.length + ", more than the limit of " + MAX_RANK);
            }
            long bytes = 4L * t.size();
            h.append(',').append(Json.quote(name)).append(":{\"dtype\":\"F32\",\"shape\":[");
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
                CRC32C crc = new CRC32C();
                for (Tensor t : tensors.values()) {
                    writeData(ch, t, crc);
                }
                ByteBuffer digits = ByteBuffer.wrap(String.format("%08x", crc.getValue()).getBytes(StandardCharsets.US_ASCII));
                while (digits.hasRemaining()) {
                    ch.write(digits, 8 + checksumAt + digits.position());
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

    /** Appends {@code t}'s values as little-endian F32, running the bytes through {@code crc}. */
    private static void writeData(FileChannel ch, Tensor t, CRC32C crc) throws IOException {
        float[] values = t.toArray();
        ByteBuffer b = ByteBuffer.allocate(Math.min(CHUNK, Math.max(4, values.length * 4)))
                .order(ByteOrder.LITTLE_ENDIAN);
        for (int done = 0; done < values.length; ) {
            int n = Math.min(b.capacity() / 4, values.length - done);
            b.clear();
            b.asFloatBuffer().put(values, done, n);
            b.limit(n * 4);
            crc.update(b.duplicate());
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
