package org.inceptionj.inception.io;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON subset a safetensors header needs (RFC 8259 grammar, nothing more): objects become
 * {@link LinkedHashMap} in file order, arrays {@link List}, strings {@link String}, integers
 * {@link BigInteger} (never rounded), other numbers {@link Double}, and {@code true}/{@code false}/
 * {@code null}. Duplicate keys and nesting deeper than {@link #MAX_DEPTH} are rejected, so a hostile
 * header can neither shadow a tensor nor overflow the stack.
 */
final class Json {
    /** Deeper than any header needs (3 levels), shallow enough for any stack. */
    static final int MAX_DEPTH = 64;

    /** A syntax error at a character offset; the caller adds the file name. */
    static final class ParseException extends RuntimeException {
        ParseException(String message, int at) {
            super(message + " at character " + at);
        }
    }

    private final String s;
    private int i;

    private Json(String s) {
        this.s = s;
    }

    /** Parses one JSON value filling the whole text (whitespace around it allowed). */
    static Object parse(String text) {
        Json p = new Json(text);
        p.skipWhitespace();
        Object v = p.value(0);
        p.skipWhitespace();
        if (p.i != text.length()) {
            throw new ParseException("unexpected '" + text.charAt(p.i) + "' after the JSON value", p.i);
        }
        return v;
    }

    private Object value(int depth) {
        if (depth > MAX_DEPTH) {
            throw new ParseException("nesting deeper than " + MAX_DEPTH, i);
        }
        if (i >= s.length()) {
            throw new ParseException("unexpected end of JSON", i);
        }
        char c = s.charAt(i);
        return switch (c) {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield number();
                }
                throw new ParseException("unexpected '" + c + "'", i);
            }
        };
    }

    private Map<String, Object> object(int depth) {
        Map<String, Object> m = new LinkedHashMap<>();
        i++; // '{'
        skipWhitespace();
        if (peek() == '}') {
            i++;
            return m;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw new ParseException("expected a string key", i);
            }
            int keyAt = i;
            String key = string();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            Object v = value(depth + 1);
            if (m.containsKey(key)) {
                throw new ParseException("duplicate key \"" + key + "\"", keyAt);
            }
            m.put(key, v);
            skipWhitespace();
            char c = peek();
            i++;
            if (c == '}') {
                return m;
            }
            if (c != ',') {
                throw new ParseException("expected ',' or '}' in an object", i - 1);
            }
        }
    }

    private List<Object> array(int depth) {
        List<Object> a = new ArrayList<>();
        i++; // '['
        skipWhitespace();
        if (peek() == ']') {
            i++;
            return a;
        }
        while (true) {
            skipWhitespace();
            a.add(value(depth + 1));
            skipWhitespace();
            char c = peek();
            i++;
            if (c == ']') {
                return a;
            }
            if (c != ',') {
                throw new ParseException("expected ',' or ']' in an array", i - 1);
            }
        }
    }

    private String string() {
        i++; // opening quote
        StringBuilder b = new StringBuilder();
        while (true) {
            if (i >= s.length()) {
                throw new ParseException("unterminated string", i);
            }
            char c = s.charAt(i++);
            if (c == '"') {
                return b.toString();
            }
            if (c < 0x20) {
                throw new ParseException("control character in a string", i - 1);
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = peek();
            i++;
            switch (e) {
                case '"', '\\', '/' -> b.append(e);
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> {
                    if (i + 4 > s.length()) {
                        throw new ParseException("truncated \\u escape", i);
                    }
                    try {
                        b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                    } catch (NumberFormatException x) {
                        throw new ParseException("bad \\u escape", i);
                    }
                    i += 4;
                }
                default -> throw new ParseException("bad escape '\\" + e + "'", i - 1);
            }
        }
    }

    private Object number() {
        int start = i;
        if (peek() == '-') {
            i++;
        }
        if (peek() == '0') {
            i++;
        } else if (isDigit(peek())) {
            while (isDigit(peek())) {
                i++;
            }
        } else {
            throw new ParseException("bad number", start);
        }
        boolean integer = true;
        if (peek() == '.') {
            integer = false;
            i++;
            digits(start);
        }
        if (peek() == 'e' || peek() == 'E') {
            integer = false;
            i++;
            if (peek() == '+' || peek() == '-') {
                i++;
            }
            digits(start);
        }
        String text = s.substring(start, i);
        // Integers beyond any offset or dimension stay out of BigInteger, whose parsing is
        // quadratic in the digit count: a 100 MB number must not stall the reader.
        return integer && text.length() <= 40 ? new BigInteger(text) : (Object) Double.parseDouble(text);
    }

    private void digits(int start) {
        if (!isDigit(peek())) {
            throw new ParseException("bad number", start);
        }
        while (isDigit(peek())) {
            i++;
        }
    }

    private Object literal(String word, Object v) {
        if (!s.startsWith(word, i)) {
            throw new ParseException("unexpected '" + s.charAt(i) + "'", i);
        }
        i += word.length();
        return v;
    }

    private void expect(char c) {
        if (peek() != c) {
            throw new ParseException("expected '" + c + "'", i);
        }
        i++;
    }

    /** The current character, or NUL at the end (never valid where a token is expected). */
    private char peek() {
        return i < s.length() ? s.charAt(i) : '\0';
    }

    private void skipWhitespace() {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            i++;
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

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
