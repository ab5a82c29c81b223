package org.inceptionj.inception.io;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.inceptionj.inception.io.SafeTensors.DType;

/**
 * The JSON header of a safetensors file, read in one pass with {@link Json}'s pull reader straight
 * into one compact {@link Slot} per tensor: no JSON tree is ever built, so the heap holds what the
 * header means (names, shapes, offsets, metadata strings), not what it spells. The grammar walked:
 * <pre>
 *   header   = '{' member (',' member)* '}' | '{' '}'
 *   member   = name ':' entry | "__metadata__" ':' '{' (key ':' string), ... '}'
 *   entry    = '{' "dtype": string, "shape": [int, ...], "data_offsets": [int, int], (other: any value)* '}'
 * </pre>
 * in any member and field order, fields other than the three skipped (the reference implementation
 * ignores them too). Every count a hostile header could inflate has a limit, see {@link SafeTensors}:
 * tensors, name length, shape rank, metadata entries and metadata text. Each entry is checked on its
 * own here (known dtype, non-negative dims, byte length = elements × dtype size, no overflow); how the
 * entries fit together in the data buffer is {@link SafeTensors}'s to check.
 */
final class SafeTensorsHeader {
    private SafeTensorsHeader() {
    }

    /** One header entry after validation, before its data is read: {@code end - begin = count × dtype.bytes}. */
    record Slot(String name, DType dtype, int[] shape, long count, long begin, long end) {
    }

    /** The slots in header order and the metadata strings in header order. */
    record Parsed(List<Slot> slots, Map<String, String> metadata) {
    }

    /** dtype names are at most 7 bytes ("F8_E5M2"); a longer string cannot name one. */
    private static final int MAX_DTYPE_BYTES = 16;

    /**
     * Parses the {@code n} header bytes of {@code ch} from offset 8.
     *
     * @throws InvalidFileException on a syntax, encoding, schema or limit violation (names the file and key)
     */
    static Parsed read(Path file, FileChannel ch, long n) {
        Json json = new Json(ch, 8, n);
        List<Slot> slots = new ArrayList<>();
        Set<String> names = new HashSet<>();
        Map<String, String> metadata = null;
        try {
            if (json.peek() != '{' || json.position() != 0) {
                throw SafeTensors.bad(file, "header does not start with '{'");
            }
            json.begin('{');
            for (boolean first = true; json.next('}', first); first = false) {
                String name = json.name(SafeTensors.MAX_NAME_BYTES);
                if (name == null) {
                    throw SafeTensors.bad(file, "a tensor name is longer than the limit of "
                            + SafeTensors.MAX_NAME_BYTES + " bytes (near byte " + json.position() + ")");
                }
                if (name.equals(SafeTensors.METADATA_KEY)) {
                    if (metadata != null) {
                        throw SafeTensors.bad(file, "duplicate key \"" + name + "\"");
                    }
                    metadata = metadata(file, json);
                    continue;
                }
                if (!names.add(name)) {
                    throw SafeTensors.bad(file, "duplicate key \"" + name + "\"");
                }
                if (slots.size() == SafeTensors.MAX_TENSORS) {
                    throw SafeTensors.bad(file, "more than " + SafeTensors.MAX_TENSORS + " tensors (the limit)");
                }
                slots.add(entry(file, name, json));
            }
            json.end();
        } catch (Json.ParseException e) {
            throw SafeTensors.bad(file, "header is " + e.getMessage());
        }
        return new Parsed(slots, metadata == null ? new LinkedHashMap<>() : metadata);
    }

    /** {@code "__metadata__": {"key": "value", ...}}, strings only, within the entry and text limits. */
    private static Map<String, String> metadata(Path file, Json json) {
        if (json.peek() != '{') {
            throw SafeTensors.bad(file, "'" + SafeTensors.METADATA_KEY + "' is not an object of strings");
        }
        Map<String, String> out = new LinkedHashMap<>();
        long text = 0;
        json.begin('{');
        for (boolean first = true; json.next('}', first); first = false) {
            int left = (int) (SafeTensors.MAX_METADATA_BYTES - text);
            String key = json.name(left);
            if (key == null) {
                throw metadataTooLarge(file);
            }
            if (out.containsKey(key)) {
                throw SafeTensors.bad(file, "'" + SafeTensors.METADATA_KEY + "' has a duplicate key \"" + abbreviate(key) + "\"");
            }
            if (out.size() == SafeTensors.MAX_METADATA_ENTRIES) {
                throw SafeTensors.bad(file, "'" + SafeTensors.METADATA_KEY + "' has more than "
                        + SafeTensors.MAX_METADATA_ENTRIES + " entries (the limit)");
            }
            if (json.peek() != '"') {
                throw SafeTensors.bad(file, "'" + SafeTensors.METADATA_KEY + "' key '" + abbreviate(key) + "' is not a string");
            }
            text += utf8Length(key);
            String value = json.string((int) (SafeTensors.MAX_METADATA_BYTES - text));
            if (value == null) {
                throw metadataTooLarge(file);
            }
            text += utf8Length(value);
            out.put(key, value);
        }
        return out;
    }

    private static InvalidFileException metadataTooLarge(Path file) {
        return SafeTensors.bad(file, "'" + SafeTensors.METADATA_KEY + "' holds more than the limit of "
                + SafeTensors.MAX_METADATA_BYTES + " bytes of text");
    }

    /** One tensor's entry, checked on its own: fields present and typed, rank, byte length. */
    private static Slot entry(Path file, String name, Json json) {
        if (json.peek() != '{') {
            throw SafeTensors.bad(file, name, "entry is not an object");
        }
        DType dtype = null;
        int[] shape = null;
        long[] offsets = null;
        json.begin('{');
        for (boolean first = true; json.next('}', first); first = false) {
            String field = json.name(MAX_DTYPE_BYTES);
            field = field == null ? "" : field;
            switch (field) {
                case "dtype" -> {
                    if (dtype != null) {
                        throw SafeTensors.bad(file, name, "duplicate key \"dtype\"");
                    }
                    dtype = dtype(file, name, json);
                }
                case "shape" -> {
                    if (shape != null) {
                        throw SafeTensors.bad(file, name, "duplicate key \"shape\"");
                    }
                    shape = shape(file, name, json);
                }
                case "data_offsets" -> {
                    if (offsets != null) {
                        throw SafeTensors.bad(file, name, "duplicate key \"data_offsets\"");
                    }
                    offsets = offsets(file, name, json);
                }
                default -> json.skipValue(2);
            }
        }
        if (dtype == null || shape == null || offsets == null) {
            String absent = dtype == null ? "dtype" : shape == null ? "shape" : "data_offsets";
            throw SafeTensors.bad(file, name, "entry has no '" + absent + "'");
        }
        long count = 1;
        for (int d : shape) {
            count = multiply(file, name, count, d);
        }
        long bytes = multiply(file, name, count, dtype.bytes);
        if (dtype.decoded() && count > Integer.MAX_VALUE - 8) {
            throw SafeTensors.bad(file, name, "shape " + Arrays.toString(shape) + " has " + count
                    + " elements, more than one Java array holds");
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw SafeTensors.bad(file, name, "data_offsets [" + begin + ", " + end + "] begin after end");
        }
        if (end - begin != bytes) {
            throw SafeTensors.bad(file, name, "data_offsets [" + begin + ", " + end + "] span " + (end - begin)
                    + " bytes but " + dtype + " " + Arrays.toString(shape) + " needs " + bytes);
        }
        return new Slot(name, dtype, shape, count, begin, end);
    }

    private static DType dtype(Path file, String name, Json json) {
        if (json.peek() != '"') {
            throw SafeTensors.bad(file, name, "'dtype' is not a string");
        }
        String s = json.string(MAX_DTYPE_BYTES);
        try {
            return DType.valueOf(s == null ? "" : s);
        } catch (IllegalArgumentException e) {
            throw SafeTensors.bad(file, name, "unknown dtype '" + (s == null ? "(a long string)" : s) + "' (known: "
                    + Arrays.toString(DType.values()) + ")");
        }
    }

    /** {@code [d0, d1, ...]}: at most {@link SafeTensors#MAX_RANK} non-negative dims, each below 2^31. */
    private static int[] shape(Path file, String name, Json json) {
        if (json.peek() != '[') {
            throw SafeTensors.bad(file, name, "'shape' is not an array");
        }
        int[] dims = new int[SafeTensors.MAX_RANK];
        int rank = 0;
        json.begin('[');
        for (boolean first = true; json.next(']', first); first = false) {
            if (rank == SafeTensors.MAX_RANK) {
                throw SafeTensors.bad(file, name, "'shape' has more than " + SafeTensors.MAX_RANK + " dimensions (the limit)");
            }
            long d = nonNegative(file, name, "shape", json);
            if (d > Integer.MAX_VALUE) {
                throw SafeTensors.bad(file, name, "dimension " + d + " of 'shape' is too large");
            }
            dims[rank++] = (int) d;
        }
        return Arrays.copyOf(dims, rank);
    }

    /** {@code [begin, end]}: exactly two non-negative integers. */
    private static long[] offsets(Path file, String name, Json json) {
        if (json.peek() != '[') {
            throw SafeTensors.bad(file, name, "'data_offsets' is not an array [begin, end]");
        }
        long[] out = new long[2];
        int k = 0;
        json.begin('[');
        for (boolean first = true; json.next(']', first); first = false) {
            if (k == 2) {
                throw SafeTensors.bad(file, name, "'data_offsets' is not an array [begin, end]");
            }
            out[k++] = nonNegative(file, name, "data_offsets", json);
        }
        if (k != 2) {
            throw SafeTensors.bad(file, name, "'data_offsets' is not an array [begin, end]");
        }
        return out;
    }

    private static long nonNegative(Path file, String name, String field, Json json) {
        long v = json.integer();
        if (v == Json.NOT_AN_INTEGER) {
            throw SafeTensors.bad(file, name, "'" + field + "' holds " + json.shown() + ", not a non-negative 64-bit integer");
        }
        return v;
    }

    private static long multiply(Path file, String name, long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw SafeTensors.bad(file, name, "element or byte count overflows 64 bits");
        }
    }

    private static long utf8Length(String s) {
        long n = 0;
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            n += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3; // a pair: 2 + 2
        }
        return n;
    }

    /** A header string for a message, cut short: a hostile header may hold megabytes in one value. */
    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
