package org.inceptionj.inception.fuzz;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * A safetensors file taken apart at the byte level for mutation: the header as text and the data
 * buffer as bytes, put back together with a header length that tells the truth (unless a generator
 * wants it to lie). Independent of the reader: it knows only the layout and the checksum key.
 */
record SafeTensorsBytes(String header, byte[] data) {
    static final String CHECKSUM_KEY = "inceptionj.data_crc32c";
    private static final Pattern CHECKSUM = Pattern.compile("\"" + Pattern.quote(CHECKSUM_KEY) + "\":\"([0-9a-f]{8})\"");
    /** One tensor entry as our writer spells it: name, dtype, shape, begin, end. */
    static final Pattern ENTRY = Pattern.compile(
            "\"((?:[^\"\\\\]|\\\\.)*)\":\\{\"dtype\":\"([A-Z0-9_]+)\",\"shape\":\\[([0-9,]*)\\],\"data_offsets\":\\[(\\d+),(\\d+)\\]\\}");

    static SafeTensorsBytes of(byte[] file) {
        int n = (int) ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        String header = new String(file, 8, n, StandardCharsets.UTF_8);
        byte[] data = java.util.Arrays.copyOfRange(file, 8 + n, file.length);
        return new SafeTensorsBytes(header, data);
    }

    /** The file: the header's true UTF-8 length, the header, the data. */
    byte[] bytes() {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return bytes(h.length, h, data);
    }

    /** A file from parts, with whatever header length the caller claims. */
    static byte[] bytes(long headerLength, byte[] header, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(8 + header.length + data.length);
        for (int k = 0; k < 8; k++) {
            out.write((int) (headerLength >>> (8 * k)) & 0xFF);
        }
        out.writeBytes(header);
        out.writeBytes(data);
        return out.toByteArray();
    }

    SafeTensorsBytes withHeader(String h) {
        return new SafeTensorsBytes(h, data);
    }

    SafeTensorsBytes withData(byte[] d) {
        return new SafeTensorsBytes(header, d);
    }

    /** The header with metadata {@code key}'s string value replaced by the raw JSON {@code json} (must exist). */
    SafeTensorsBytes withMetadataJson(String key, String json) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\":\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(header);
        if (!m.find()) {
            throw new IllegalArgumentException("no metadata key " + key + " in " + header.substring(0, 200));
        }
        return withHeader(header.substring(0, m.start()) + "\"" + key + "\":" + json + header.substring(m.end()));
    }

    /** The header with metadata {@code key} set to the string {@code value}. */
    SafeTensorsBytes withMetadata(String key, String value) {
        return withMetadataJson(key, "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"");
    }

    /** The header with the checksum recomputed over the data as it now is (as our writer would have it), if it has one. */
    SafeTensorsBytes withChecksum() {
        CRC32C crc = new CRC32C();
        crc.update(data);
        Matcher m = CHECKSUM.matcher(header);
        if (!m.find()) {
            return this;
        }
        return withHeader(header.substring(0, m.start(1)) + String.format("%08x", crc.getValue()) + header.substring(m.end(1)));
    }

    /** The tensor entries as the header lists them. */
    List<Entry> entries() {
        List<Entry> out = new ArrayList<>();
        Matcher m = ENTRY.matcher(header);
        while (m.find()) {
            out.add(new Entry(m.group(1), m.group(2), m.group(3), Long.parseLong(m.group(4)), Long.parseLong(m.group(5)),
                    m.start(), m.end()));
        }
        return out;
    }

    /** The header with {@code e}'s text replaced by {@code replacement}. */
    SafeTensorsBytes replace(Entry e, String replacement) {
        return withHeader(header.substring(0, e.from()) + replacement + header.substring(e.to()));
    }

    /** One entry of the header, with where its text is. */
    record Entry(String name, String dtype, String shape, long begin, long end, int from, int to) {
        String json(String name, String dtype, String shape, String offsets) {
            return "\"" + name + "\":{\"dtype\":" + dtype + ",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
        }

        String withDtype(String dtypeJson) {
            return json(name, dtypeJson, "[" + shape + "]", "[" + begin + "," + end + "]");
        }

        String withShape(String shapeJson) {
            return json(name, "\"" + dtype + "\"", shapeJson, "[" + begin + "," + end + "]");
        }

        String withOffsets(String offsetsJson) {
            return json(name, "\"" + dtype + "\"", "[" + shape + "]", offsetsJson);
        }

        String withName(String newName) {
            return json(newName, "\"" + dtype + "\"", "[" + shape + "]", "[" + begin + "," + end + "]");
        }

        String withExtra(String extraJson) {
            return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":[" + shape + "],\"data_offsets\":[" + begin
                    + "," + end + "],\"extra\":" + extraJson + "}";
        }
    }
}
