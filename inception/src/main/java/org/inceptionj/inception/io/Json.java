package org.inceptionj.inception.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A pull reader of RFC 8259 JSON over a region of a file, for headers that may be hostile: it
 * never builds a tree. The caller walks the grammar it expects ({@link #begin}, {@link #next},
 * {@link #string}, {@link #integer}) and {@link #skipValue skips} what it does not need, so memory
 * is what the caller keeps plus one 64 KiB buffer and one string buffer no longer than the longest
 * string it asked to keep. Bytes are checked as they go by:
 * <ul>
 *   <li>UTF-8 inside strings is strict: no overlong forms, no encoded surrogates, nothing above
 *       U+10FFFF, no truncated sequences; outside strings only ASCII is valid JSON anyway;</li>
 *   <li>escapes are the eight of RFC 8259 §7 and {@code \}{@code uXXXX}; a {@code \}{@code u} surrogate
 *       must come as a high-low pair, since a lone one is no character and could not be written back as
 *       UTF-8; raw control characters (below U+0020) in strings are refused;</li>
 *   <li>nesting deeper than {@link #MAX_DEPTH} is refused, so skipping cannot overflow the stack;</li>
 *   <li>numbers follow the grammar; any number of digits is scanned in constant memory.</li>
 * </ul>
 * Syntax errors are {@link ParseException}s whose message reads after "header is ": "not valid
 * JSON: ... near byte k" or "not valid UTF-8: ... near byte k", k counted from the start of the region.
 */
final class Json {
    /** Deeper than any header needs (3 levels), shallow enough for any stack. */
    static final int MAX_DEPTH = 64;

    /** What {@link #integer} returns for a value that is not an integer in [0, 2^63). */
    static final long NOT_AN_INTEGER = -1;

    /** A syntax or encoding error; the caller adds the file name. */
    static final class ParseException extends RuntimeException {
        ParseException(String message) {
            super(message);
        }
    }

    private final FileChannel ch;
    private final long start;
    private final long length;
    /** Offset of the next unread byte, from {@code start}. */
    private long at;
    private final byte[] buf = new byte[1 << 16];
    private int bufPos;
    private int bufLimit;
    /** The bytes of the string being kept, UTF-8, escapes decoded; grows up to the caller's limit. */
    private byte[] scratch = new byte[256];
    /** The last scalar {@link #integer} read, cut to {@link #SHOWN} characters, for messages. */
    private final StringBuilder shown = new StringBuilder();
    private static final int SHOWN = 40;

    /** A reader of the {@code length} bytes of {@code ch} from {@code start}. */
    Json(FileChannel ch, long start, long length) {
        this.ch = ch;
        this.start = start;
        this.length = length;
    }

    /** Bytes consumed so far. */
    long position() {
        return at;
    }

    // ------------------------------------------------------------------------------- structure

    /** Consumes {@code open} ('{' or '['), after whitespace. */
    void begin(char open) {
        expect(open);
    }

    /**
     * Steps to the next member of an object or element of an array, {@code close} being '}' or ']':
     * true when one follows (the ',' before it consumed), false when the closer was reached (consumed).
     * {@code first} is true for the first call after {@link #begin}, where no ',' is expected:
     * <pre>
     *   json.begin('{');
     *   for (boolean first = true; json.next('}', first); first = false) { String key = json.name(..); ... }
     * </pre>
     */
    boolean next(char close, boolean first) {
        int c = peek();
        if (c == close) {
            read();
            return false;
        }
        if (first) {
            return true;
        }
        if (c != ',') {
            throw syntax("expected ',' or '" + close + "'" + found(c));
        }
        read();
        return true;
    }

    /** An object member's key and the ':' after it; null (key consumed) when longer than {@code maxBytes}. */
    String name(int maxBytes) {
        if (peek() != '"') {
            throw syntax("expected a string key" + found(peek()));
        }
        String key = string(maxBytes);
        expect(':');
        return key;
    }

    /** The first byte of the next value, after whitespace, without consuming it; -1 at the end. */
    int peek() {
        skipWhitespace();
        return peekByte();
    }

    /** Checks that only whitespace remains. */
    void end() {
        int c = peek();
        if (c >= 0) {
            throw syntax("unexpected " + describe(c) + " after the JSON value");
        }
    }

    // ------------------------------------------------------------------------------- values

    /**
     * The next value, a string, decoded; null when its UTF-8 form is longer than {@code maxBytes} (the
     * whole string is still read and checked, so the caller can report the limit and go on or stop).
     */
    String string(int maxBytes) {
        return scanString(maxBytes) ? new String(scratch, 0, kept, StandardCharsets.UTF_8) : null;
    }

    /**
     * The next value if it is an integer in [0, 2^63), else {@link #NOT_AN_INTEGER}; the value is
     * consumed either way, and {@link #shown()} then describes it (any type, cut short) for a message.
     */
    long integer() {
        shown.setLength(0);
        int c = peek();
        if (c != '-' && !isDigit(c)) {
            int from = peekByte();
            shown.append(from == '"' ? "a string" : from == '[' ? "an array" : from == '{' ? "an object" : "'" + (char) from + "'");
            skipValue(0);
            return NOT_AN_INTEGER;
        }
        long value = 0;
        boolean overflow = false;
        boolean negative = c == '-';
        if (negative) {
            keep(read());
        }
        int first = peekByte();
        if (first == '0') {
            keep(read());
        } else if (isDigit(first)) {
            while (isDigit(peekByte())) {
                int d = read() - '0';
                keep('0' + d);
                if (value > (Long.MAX_VALUE - d) / 10) {
                    overflow = true;
                } else {
                    value = value * 10 + d;
                }
            }
        } else {
            throw syntax("bad number: no digit after '-'");
        }
        boolean integral = true;
        if (peekByte() == '.') {
            integral = false;
            keep(read());
            digits();
        }
        if (peekByte() == 'e' || peekByte() == 'E') {
            integral = false;
            keep(read());
            if (peekByte() == '+' || peekByte() == '-') {
                keep(read());
            }
            digits();
        }
        return integral && !negative && !overflow ? value : NOT_AN_INTEGER;
    }

    /** The last value {@link #integer} read, at most 40 characters then "...". */
    String shown() {
        return shown.length() < SHOWN ? shown.toString() : shown + "...";
    }

    /** Reads and discards the next value of any type, checking its syntax; {@code depth}: the caller's nesting. */
    void skipValue(int depth) {
        if (depth > MAX_DEPTH) {
            throw syntax("nesting deeper than " + MAX_DEPTH);
        }
        int c = peek();
        switch (c) {
            case '{' -> {
                read();
                for (boolean first = true; next('}', first); first = false) {
                    name(-1);
                    skipValue(depth + 1);
                }
            }
            case '[' -> {
                read();
                for (boolean first = true; next(']', first); first = false) {
                    skipValue(depth + 1);
                }
            }
            case '"' -> scanString(-1);
            case 't' -> literal("true");
            case 'f' -> literal("false");
            case 'n' -> literal("null");
            default -> {
                if (c != '-' && !isDigit(c)) {
                    throw syntax("unexpected " + describe(c));
                }
                integer();
            }
        }
    }

    // ------------------------------------------------------------------------------- strings

    /** Bytes of the current string kept in {@code scratch}. */
    private int kept;

    /**
     * Reads a string token into {@code scratch} (UTF-8, escapes decoded) while its length stays within
     * {@code maxBytes}; with {@code maxBytes < 0} keeps nothing. True when the whole string was kept.
     */
    private boolean scanString(int maxBytes) {
        expect('"');
        kept = 0;
        boolean whole = maxBytes >= 0;
        int decoded = 0;
        while (true) {
            int b = read();
            if (b < 0) {
                throw syntax("unterminated string");
            }
            if (b == '"') {
                return whole;
            }
            if (b < 0x20) {
                throw syntax(String.format("control character 0x%02x in a string (RFC 8259 §7: escape it)", b));
            }
            int cp;
            if (b == '\\') {
                cp = escape();
            } else if (b < 0x80) {
                cp = b;
            } else {
                cp = utf8(b);
            }
            int n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            decoded += n;
            if (whole && decoded > maxBytes) {
                whole = false;
            }
            if (whole) {
                putUtf8(cp, n);
            }
        }
    }

    /** The character of an escape, the backslash already read. */
    private int escape() {
        int e = read();
        return switch (e) {
            case '"', '\\', '/' -> e;
            case 'b' -> '\b';
            case 'f' -> '\f';
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 't' -> '\t';
            case 'u' -> {
                int u = hex4();
                if (u >= 0xDC00 && u <= 0xDFFF) {
                    throw syntax(String.format("lone low surrogate \\u%04x", u));
                }
                if (u < 0xD800 || u > 0xDBFF) {
                    yield u;
                }
                if (read() != '\\' || read() != 'u') {
                    throw syntax(String.format("high surrogate \\u%04x not followed by a \\u low surrogate", u));
                }
                int low = hex4();
                if (low < 0xDC00 || low > 0xDFFF) {
                    throw syntax(String.format("high surrogate \\u%04x followed by \\u%04x, not a low surrogate", u, low));
                }
                yield Character.toCodePoint((char) u, (char) low);
            }
            default -> throw syntax("bad escape '\\" + (e < 0 ? "" : describeChar(e)) + "'");
        };
    }

    private int hex4() {
        int v = 0;
        for (int k = 0; k < 4; k++) {
            int c = read();
            int d = Character.digit(c < 0 ? -1 : c, 16);
            if (c >= 0x80 || d < 0) {
                throw syntax("bad \\u escape: " + (c < 0 ? "end of header" : describe(c)) + " is not a hex digit");
            }
            v = v * 16 + d;
        }
        return v;
    }

    /**
     * The code point of a multi-byte UTF-8 sequence starting with {@code lead} (≥ 0x80), strictly
     * (Unicode Table 3-7): lead C2–F4; the second byte's range depends on the lead so that overlong
     * forms, surrogates (ED A0–BF) and values above U+10FFFF (F4 90–) are refused.
     */
    private int utf8(int lead) {
        int n;
        int lo = 0x80;
        int hi = 0xBF;
        int cp;
        if (lead >= 0xC2 && lead <= 0xDF) {
            n = 1;
            cp = lead & 0x1F;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            n = 2;
            cp = lead & 0x0F;
            lo = lead == 0xE0 ? 0xA0 : 0x80;
            hi = lead == 0xED ? 0x9F : 0xBF;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            n = 3;
            cp = lead & 0x07;
            lo = lead == 0xF0 ? 0x90 : 0x80;
            hi = lead == 0xF4 ? 0x8F : 0xBF;
        } else {
            throw encoding(String.format("byte 0x%02x cannot start a character", lead));
        }
        for (int k = 0; k < n; k++) {
            int c = read();
            if (c < lo || c > hi) {
                throw encoding(c < 0 ? String.format("sequence starting 0x%02x cut short", lead)
                        : String.format("byte 0x%02x after lead byte 0x%02x", c, lead));
            }
            cp = (cp << 6) | (c & 0x3F);
            lo = 0x80;
            hi = 0xBF;
        }
        return cp;
    }

    private void putUtf8(int cp, int n) {
        if (kept + n > scratch.length) {
            scratch = Arrays.copyOf(scratch, Math.max(kept + n, 2 * scratch.length));
        }
        switch (n) {
            case 1 -> scratch[kept++] = (byte) cp;
            case 2 -> {
                scratch[kept++] = (byte) (0xC0 | (cp >> 6));
                scratch[kept++] = (byte) (0x80 | (cp & 0x3F));
            }
            case 3 -> {
                scratch[kept++] = (byte) (0xE0 | (cp >> 12));
                scratch[kept++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                scratch[kept++] = (byte) (0x80 | (cp & 0x3F));
            }
            default -> {
                scratch[kept++] = (byte) (0xF0 | (cp >> 18));
                scratch[kept++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                scratch[kept++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                scratch[kept++] = (byte) (0x80 | (cp & 0x3F));
            }
        }
    }

    // ------------------------------------------------------------------------------- bytes

    private void digits() {
        if (!isDigit(peekByte())) {
            throw syntax("bad number: a digit must follow '.', 'e' or the sign of an exponent");
        }
        while (isDigit(peekByte())) {
            keep(read());
        }
    }

    /** Appends a character of a number to {@link #shown} while it is short. */
    private void keep(int c) {
        if (shown.length() < SHOWN) {
            shown.append((char) c);
        }
    }

    private void literal(String word) {
        for (int k = 0; k < word.length(); k++) {
            int c = read();
            if (c != word.charAt(k)) {
                throw syntax("unexpected " + (c < 0 ? "end" : describe(c)) + " in '" + word + "'");
            }
        }
    }

    private void expect(char c) {
        int got = peek();
        if (got != c) {
            throw syntax("expected '" + c + "'" + found(got));
        }
        read();
    }

    private void skipWhitespace() {
        while (true) {
            int c = peekByte();
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            read();
        }
    }

    /** The next byte (0–255) without consuming it; -1 at the end of the region. */
    private int peekByte() {
        if (bufPos == bufLimit && !fill()) {
            return -1;
        }
        return buf[bufPos] & 0xFF;
    }

    /** The next byte (0–255), consumed; -1 at the end of the region. */
    private int read() {
        if (bufPos == bufLimit && !fill()) {
            return -1;
        }
        at++;
        return buf[bufPos++] & 0xFF;
    }

    private boolean fill() {
        int n = (int) Math.min(buf.length, length - at);
        if (n <= 0) {
            return false;
        }
        ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
        try {
            while (b.hasRemaining()) {
                if (ch.read(b, start + at + b.position()) < 0) {
                    throw syntax("the file ends inside the header");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        bufPos = 0;
        bufLimit = n;
        return true;
    }

    private static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }

    private static String found(int c) {
        return c < 0 ? " but the header ends" : ", found " + describe(c);
    }

    private static String describe(int c) {
        return c < 0 ? "end of header" : "'" + describeChar(c) + "'";
    }

    private static String describeChar(int c) {
        return c >= 0x20 && c < 0x7F ? String.valueOf((char) c) : String.format("\\x%02x", c);
    }

    private ParseException syntax(String what) {
        return new ParseException("not valid JSON: " + what + " near byte " + at);
    }

    private ParseException encoding(String what) {
        return new ParseException("not valid UTF-8: " + what + " near byte " + at);
    }

    // ------------------------------------------------------------------------------- writing

    /** {@code s} as a JSON string literal: quotes, backslashes and control characters escaped. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
