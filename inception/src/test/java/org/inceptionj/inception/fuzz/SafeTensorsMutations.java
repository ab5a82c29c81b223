package org.inceptionj.inception.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The format-level ways a safetensors file can be wrong, applied with a seeded {@link Random} to a
 * valid file this code wrote. Both fuzz suites use them; each adds the faults of its own file kind.
 * Every mutant says whether it may still be valid (a flipped byte inside a metadata string may leave
 * a valid file); all others must be refused.
 */
final class SafeTensorsMutations {
    private SafeTensorsMutations() {
    }

    /** One generated file. */
    record Mutant(byte[] bytes, boolean mayBeValid) {
        static Mutant bad(byte[] bytes) {
            return new Mutant(bytes, false);
        }
    }

    /** The categories {@link #make} knows, in the order the suites cycle through them. */
    static final List<String> CATEGORIES = List.of("truncated", "header length lies", "garbage", "invalid UTF-8",
            "invalid JSON", "invalid escapes", "deep nesting", "wrong dtypes", "bad shapes", "offset lies",
            "metadata of wrong types", "limits exceeded", "data byte flipped", "header byte flipped", "valid variants");

    static Mutant make(String category, SafeTensorsBytes base, Random r) {
        return switch (category) {
            case "truncated" -> truncated(base, r);
            case "header length lies" -> headerLengthLies(base, r);
            case "garbage" -> garbage(r);
            case "invalid UTF-8" -> invalidUtf8(base, r);
            case "invalid JSON" -> invalidJson(base, r);
            case "invalid escapes" -> invalidEscape(base, r);
            case "deep nesting" -> deepNesting(base, r);
            case "wrong dtypes" -> wrongDtype(base, r);
            case "bad shapes" -> badShape(base, r);
            case "offset lies" -> offsetLie(base, r);
            case "metadata of wrong types" -> metadataType(base, r);
            case "limits exceeded" -> limits(base, r);
            case "data byte flipped" -> dataFlip(base, r);
            case "header byte flipped" -> headerFlip(base, r);
            case "valid variants" -> validVariant(base, r);
            default -> throw new IllegalArgumentException(category);
        };
    }

    static Mutant truncated(SafeTensorsBytes base, Random r) {
        byte[] file = base.bytes();
        int keep = r.nextInt(4) == 0 ? r.nextInt(Math.min(64, file.length)) : r.nextInt(file.length);
        return Mutant.bad(Arrays.copyOf(file, keep));
    }

    static Mutant headerLengthLies(SafeTensorsBytes base, Random r) {
        byte[] h = base.header().getBytes(StandardCharsets.UTF_8);
        long rest = base.data().length;
        long n = switch (r.nextInt(7)) {
            case 0 -> h.length + 1 + (long) r.nextInt((int) Math.max(1, rest)); // takes data bytes into the header
            case 1 -> h.length + rest + 1 + r.nextInt(1 << 20);                  // past the end of the file
            case 2 -> r.nextInt(Math.max(1, h.length));                          // cuts the JSON short
            case 3 -> Long.MIN_VALUE + r.nextInt(1000);                          // 2^63 and above, unsigned
            case 4 -> -1L;                                                       // 2^64 - 1
            case 5 -> 100_000_001L;                                              // just over the limit
            default -> 0;
        };
        return Mutant.bad(SafeTensorsBytes.bytes(n, h, base.data()));
    }

    static Mutant garbage(Random r) {
        byte[] junk = new byte[r.nextInt(4096)];
        r.nextBytes(junk);
        return switch (r.nextInt(3)) {
            case 0 -> Mutant.bad(junk);
            case 1 -> Mutant.bad(SafeTensorsBytes.bytes(Math.max(0, junk.length - r.nextInt(64)), junk, new byte[0]));
            default -> {
                // A plausible start: '{' then random printable ASCII.
                byte[] text = new byte[1 + r.nextInt(2048)];
                text[0] = '{';
                for (int k = 1; k < text.length; k++) {
                    text[k] = (byte) (0x20 + r.nextInt(0x5F));
                }
                yield Mutant.bad(SafeTensorsBytes.bytes(text.length, text, junk));
            }
        };
    }

    private static final byte[][] BAD_UTF8 = {
            {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xE0, (byte) 0x80, (byte) 0xAF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
            {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {(byte) 0xE2, (byte) 0x82}, {(byte) 0x80},
            {(byte) 0xFF}, {(byte) 0xFE}, {(byte) 0xC3}, {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}};

    /** Invalid UTF-8 inside a string (a name, a metadata key or value) or outside any string. */
    static Mutant invalidUtf8(SafeTensorsBytes base, Random r) {
        byte[] bad = BAD_UTF8[r.nextInt(BAD_UTF8.length)];
        int at = r.nextInt(3) == 0 ? randomStructural(base.header(), r) : insideString(base.header(), r);
        return Mutant.bad(insert(base, at, bad));
    }

    private static final String[] STRAY = {" , ", " : ", " ] ", " } ", " 01 ", " tru ", " - ", " 1. ", " 1e ", " \" ",
            " nul ", " +1 ", " 'a' ", " [ ", " { "};

    /** A structural character outside strings deleted, or a stray token put before it. */
    static Mutant invalidJson(SafeTensorsBytes base, Random r) {
        String h = base.header();
        int at = randomStructural(h, r);
        String mutated = r.nextBoolean() ? h.substring(0, at) + h.substring(at + 1)
                : h.substring(0, at) + STRAY[r.nextInt(STRAY.length)] + h.substring(at);
        return Mutant.bad(base.withHeader(mutated).bytes());
    }

    private static final String[] BAD_ESCAPES = {"\\x41", "\\ud800", "\\udc00", "\\ud800\\u0041", "\\ud800x", "\\u12",
            "\\u00g0", "\u0001", "\u001f", "\n", "\t", "\\'", "\\a", "\\U0041", "\\ "};

    static Mutant invalidEscape(SafeTensorsBytes base, Random r) {
        String h = base.header();
        int at = insideString(h, r);
        String bad = BAD_ESCAPES[r.nextInt(BAD_ESCAPES.length)];
        return Mutant.bad(base.withHeader(h.substring(0, at) + bad + h.substring(at)).bytes());
    }

    static Mutant deepNesting(SafeTensorsBytes base, Random r) {
        List<SafeTensorsBytes.Entry> entries = base.entries();
        SafeTensorsBytes.Entry e = entries.get(r.nextInt(entries.size()));
        int depth = 65 + (r.nextBoolean() ? r.nextInt(100) : r.nextInt(200_000));
        String extra = r.nextBoolean() ? "[".repeat(depth) + "]".repeat(depth) : "{\"a\":".repeat(depth) + "1" + "}".repeat(depth);
        return Mutant.bad(base.replace(e, e.withExtra(extra)).bytes());
    }

    private static final String[] DTYPES = {"\"F16\"", "\"BF16\"", "\"I32\"", "\"U32\"", "\"I64\"", "\"F64\"", "\"U8\"",
            "\"BOOL\"", "\"Q7\"", "\"f32\"", "\"\"", "5", "null", "[\"F32\"]", "{\"a\":1}", "\"F32 \"", "true"};

    /** Another dtype: unknown, mistyped, or a real one the model does not take (I32 even has F32's size). */
    static Mutant wrongDtype(SafeTensorsBytes base, Random r) {
        List<SafeTensorsBytes.Entry> entries = base.entries();
        SafeTensorsBytes.Entry e = entries.get(r.nextInt(entries.size()));
        return Mutant.bad(base.replace(e, e.withDtype(DTYPES[r.nextInt(DTYPES.length)])).bytes());
    }

    static Mutant badShape(SafeTensorsBytes base, Random r) {
        List<SafeTensorsBytes.Entry> entries = base.entries();
        SafeTensorsBytes.Entry e = entries.get(r.nextInt(entries.size()));
        String dims = e.shape();
        String shape = switch (r.nextInt(12)) {
            case 0 -> "[-" + (1 + r.nextInt(100)) + (dims.isEmpty() ? "" : "," + dims) + "]";
            case 1 -> "[1.5" + (dims.isEmpty() ? "" : "," + dims) + "]";
            case 2 -> "[\"" + dims + "\"]";
            case 3 -> "[" + (1L << (31 + r.nextInt(30))) + "]";
            case 4 -> "[2147483647,2147483647,2147483647]";
            case 5 -> "[1,1,1,1,1,1,1,1," + (dims.isEmpty() ? "1" : dims) + "]";
            case 6 -> "[]";
            case 7 -> "5";
            case 8 -> "null";
            case 9 -> "[[" + dims + "]]";
            case 10 -> "[" + dims + (dims.isEmpty() ? "1" : ",1") + "]"; // same element count, another rank
            default -> {
                // A permutation of the dims: same element count; valid only if it equals the original.
                List<String> d = new ArrayList<>(List.of(dims.isEmpty() ? new String[0] : dims.split(",")));
                java.util.Collections.shuffle(d, r);
                String permuted = String.join(",", d);
                yield permuted.equals(dims) ? null : "[" + permuted + "]";
            }
        };
        if (shape == null) {
            return new Mutant(base.bytes(), true);
        }
        return Mutant.bad(base.replace(e, e.withShape(shape)).bytes());
    }

    static Mutant offsetLie(SafeTensorsBytes base, Random r) {
        List<SafeTensorsBytes.Entry> entries = base.entries();
        SafeTensorsBytes.Entry e = entries.get(r.nextInt(entries.size()));
        long b = e.begin();
        long n = e.end();
        long shift = 4L * (1 + r.nextInt(16));
        String offsets = switch (r.nextInt(10)) {
            case 0 -> {
                // The same length starting earlier: an overlap with the tensor before (the first one gets a gap).
                long from = b >= shift ? b - shift : b + shift;
                yield "[" + from + "," + (from + n - b) + "]";
            }
            case 1 -> "[" + (b + shift) + "," + (n + shift) + "]";             // a gap (or past the end)
            case 2 -> "[" + b + "," + (n + (1L << (20 + r.nextInt(40)))) + "]"; // out of range
            case 3 -> "[" + (n + 4) + "," + b + "]";                            // begin after end
            case 4 -> "[" + b + "," + (n - 4) + "]";                            // wrong length
            case 5 -> "[" + b + ",18446744073709551615]";                      // huge unsigned
            case 6 -> "[-" + (b + 1) + "," + n + "]";
            case 7 -> "[" + b + "," + n + "," + n + "]";
            case 8 -> "[" + b + "]";
            default -> "[\"" + b + "\"," + n + "]";
        };
        return Mutant.bad(base.replace(e, e.withOffsets(offsets)).bytes());
    }

    private static final String[] NOT_STRINGS = {"5", "-1", "1.5", "null", "true", "[\"a\"]", "{\"a\":\"b\"}", "[]", "{}"};

    static Mutant metadataType(SafeTensorsBytes base, Random r) {
        String h = base.header();
        String prefix = "{\"__metadata__\":";
        if (r.nextInt(3) == 0) {
            int end = h.indexOf('}', prefix.length()) + 1; // our metadata values hold no '}' in these suites
            String[] whole = {"[]", "\"x\"", "5", "null", "[{\"a\":\"b\"}]"};
            return Mutant.bad(base.withHeader(prefix + whole[r.nextInt(whole.length)] + h.substring(end)).bytes());
        }
        List<String> keys = metadataKeys(h);
        String key = keys.get(r.nextInt(keys.size()));
        return Mutant.bad(base.withMetadataJson(key, NOT_STRINGS[r.nextInt(NOT_STRINGS.length)]).bytes());
    }

    /** One limit of the reader exceeded: tensors, name length, rank, metadata entries or text. */
    static Mutant limits(SafeTensorsBytes base, Random r) {
        String h = base.header();
        String empty = "\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}";
        return switch (r.nextInt(10)) {
            case 0, 1 -> {
                StringBuilder many = new StringBuilder(h.substring(0, h.lastIndexOf('}')));
                for (int k = 0; k <= 100_000; k++) {
                    many.append(",\"z").append(k).append(empty);
                }
                yield Mutant.bad(base.withHeader(many.append('}').toString()).bytes());
            }
            case 2, 3 -> {
                SafeTensorsBytes.Entry e = base.entries().get(r.nextInt(base.entries().size()));
                yield Mutant.bad(base.replace(e, e.withName(e.name() + "x".repeat(1025 + r.nextInt(5000)))).bytes());
            }
            case 4, 5 -> {
                SafeTensorsBytes.Entry e = base.entries().get(r.nextInt(base.entries().size()));
                int extra = 9 - (e.shape().isEmpty() ? 0 : e.shape().split(",").length) + r.nextInt(3);
                yield Mutant.bad(base.replace(e, e.withShape("[" + "1,".repeat(Math.max(1, extra)) + (e.shape().isEmpty() ? "1" : e.shape()) + "]")).bytes());
            }
            case 6, 7, 8 -> {
                StringBuilder entries = new StringBuilder();
                for (int k = 0; k <= 10_000; k++) {
                    entries.append(",\"m").append(k).append("\":\"v\"");
                }
                int at = h.indexOf('}', "{\"__metadata__\":".length());
                yield Mutant.bad(base.withHeader(h.substring(0, at) + entries + h.substring(at)).bytes());
            }
            default -> {
                int at = h.indexOf('}', "{\"__metadata__\":".length());
                String big = ",\"big\":\"" + "x".repeat((16 << 20) + 1) + "\"";
                yield Mutant.bad(base.withHeader(h.substring(0, at) + big + h.substring(at)).bytes());
            }
        };
    }

    /** A byte of the data buffer changed: the checksum must catch it. */
    static Mutant dataFlip(SafeTensorsBytes base, Random r) {
        byte[] d = base.data().clone();
        int flips = r.nextInt(4) == 0 ? 1 + r.nextInt(8) : 1;
        for (int k = 0; k < flips; k++) {
            d[r.nextInt(d.length)] ^= (byte) (1 + r.nextInt(255));
        }
        return Mutant.bad(base.withData(d).bytes());
    }

    /** A byte of the header changed: refused, unless it landed where any byte is as good (a string's text). */
    static Mutant headerFlip(SafeTensorsBytes base, Random r) {
        byte[] file = base.bytes();
        int n = base.header().getBytes(StandardCharsets.UTF_8).length;
        file[8 + r.nextInt(n)] ^= (byte) (1 + r.nextInt(255));
        return new Mutant(file, true);
    }

    /** Files that stay valid: whitespace between tokens, an ignored field, another metadata entry, the file itself. */
    static Mutant validVariant(SafeTensorsBytes base, Random r) {
        String h = base.header();
        return switch (r.nextInt(4)) {
            case 0 -> new Mutant(base.bytes(), true);
            case 1 -> {
                int at = randomStructural(h, r);
                yield new Mutant(base.withHeader(h.substring(0, at) + " \n\t\r " + h.substring(at)).bytes(), true);
            }
            case 2 -> {
                SafeTensorsBytes.Entry e = base.entries().get(r.nextInt(base.entries().size()));
                yield new Mutant(base.replace(e, e.withExtra("{\"note\":[1,2.5e3,\"x\",null,true,{}]}")).bytes(), true);
            }
            default -> {
                int at = h.indexOf('}', "{\"__metadata__\":".length());
                yield new Mutant(base.withHeader(h.substring(0, at) + ",\"note\":\"\\u00e9t\\u00e9 \\ud83d\\ude00\""
                        + h.substring(at)).bytes(), true);
            }
        };
    }

    // ------------------------------------------------------------------------------- positions

    /** The index of a random structural character ({ } [ ] : ,) outside strings. */
    static int randomStructural(String h, Random r) {
        List<Integer> at = new ArrayList<>();
        boolean inString = false;
        for (int k = 0; k < h.length(); k++) {
            char c = h.charAt(k);
            if (inString) {
                if (c == '\\') {
                    k++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if ("{}[]:,".indexOf(c) >= 0) {
                at.add(k);
            }
        }
        return at.get(r.nextInt(at.size()));
    }

    /** The index just after the opening quote of a random string (a key or a value). */
    static int insideString(String h, Random r) {
        List<Integer> at = new ArrayList<>();
        boolean inString = false;
        for (int k = 0; k < h.length(); k++) {
            char c = h.charAt(k);
            if (inString) {
                if (c == '\\') {
                    k++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
                at.add(k + 1);
            }
        }
        return at.get(r.nextInt(at.size()));
    }

    /** The metadata keys of a header our writer made. */
    static List<String> metadataKeys(String h) {
        String prefix = "{\"__metadata__\":{";
        int end = h.indexOf('}', prefix.length());
        List<String> keys = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\":\"(?:[^\"\\\\]|\\\\.)*\"")
                .matcher(h.substring(prefix.length(), end));
        while (m.find()) {
            keys.add(m.group(1));
        }
        return keys;
    }

    private static byte[] insert(SafeTensorsBytes base, int charAt, byte[] bytes) {
        byte[] before = base.header().substring(0, charAt).getBytes(StandardCharsets.UTF_8);
        byte[] after = base.header().substring(charAt).getBytes(StandardCharsets.UTF_8);
        byte[] h = new byte[before.length + bytes.length + after.length];
        System.arraycopy(before, 0, h, 0, before.length);
        System.arraycopy(bytes, 0, h, before.length, bytes.length);
        System.arraycopy(after, 0, h, before.length + bytes.length, after.length);
        return SafeTensorsBytes.bytes(h.length, h, base.data());
    }
}
