package org.inceptionj.inception.io;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.util.Map;

/**
 * Records as flat text maps and back, for safetensors metadata: every field becomes
 * {@code prefix + name → text} (nested records with dotted names; numbers as their shortest
 * round-trip decimals, so equal text is equal bits), and a map is read back through the record's
 * canonical constructor, so the record validates what the file says. Reading is strict, since the
 * text comes from a file: numbers are plain decimals as written (no "NaN", "Infinity", hex, sign
 * '+', suffix or spaces), booleans exactly {@code true}/{@code false}, enums exactly a constant's name;
 * every problem is an {@link InvalidFileException} naming the file and the key.
 */
public final class RecordText {
    private RecordText() {
    }

    /** How messages name the file: the text is always safetensors metadata. */
    private static final String WHAT = "safetensors";

    /** A plain decimal as {@code Float/Double.toString} and {@code Integer/Long.toString} write them. */
    private static final java.util.regex.Pattern DECIMAL = java.util.regex.Pattern.compile("-?\\d+(\\.\\d+)?(E-?\\d+)?");

    /** A record's fields as {@code prefix + name → text}, nested records flattened with dotted names. */
    public static void flatten(String prefix, Record r, Map<String, String> out) {
        for (RecordComponent c : r.getClass().getRecordComponents()) {
            Object v = get(c, r);
            if (v instanceof Record nested) {
                flatten(prefix + c.getName() + ".", nested, out);
            } else {
                out.put(prefix + c.getName(), v instanceof Enum<?> e ? e.name() : String.valueOf(v));
            }
        }
    }


    /**
     * The inverse of {@link #flatten}: builds the record through its canonical constructor (so it validates).
     *
     * @throws InvalidFileException naming {@code file} and the key for an absent or malformed field or a record
     *                              its constructor refuses
     */
    public static <R extends Record> R unflatten(String prefix, Class<R> type, Map<String, String> meta, Path file) {
        RecordComponent[] cs = type.getRecordComponents();
        Class<?>[] types = new Class<?>[cs.length];
        Object[] args = new Object[cs.length];
        for (int i = 0; i < cs.length; i++) {
            Class<?> t = cs[i].getType();
            types[i] = t;
            String key = prefix + cs[i].getName();
            if (t.isRecord()) {
                args[i] = unflatten(key + ".", t.asSubclass(Record.class), meta, file);
                continue;
            }
            String v = meta.get(key);
            if (v == null) {
                throw new InvalidFileException(WHAT, file, "no '" + key + "' metadata");
            }
            try {
                args[i] = parse(t, v);
            } catch (IllegalArgumentException e) {
                throw new InvalidFileException(WHAT, file, "'" + key + "' = '" + abbreviate(v) + "' is not a "
                        + t.getSimpleName(), e);
            }
        }
        try {
            Constructor<R> ctor = type.getDeclaredConstructor(types);
            return ctor.newInstance(args);
        } catch (InvocationTargetException e) {
            throw new InvalidFileException(WHAT, file, "the saved " + type.getSimpleName() + " is invalid: "
                    + e.getCause().getMessage(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("RecordText: cannot build " + type.getName(), e);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object parse(Class<?> t, String v) {
        boolean number = t == float.class || t == double.class || t == int.class || t == long.class;
        if (number && (v.length() > 40 || !DECIMAL.matcher(v).matches())) {
            throw new IllegalArgumentException(v);
        }
        if (t == float.class) {
            return finite(Float.parseFloat(v), v);
        } else if (t == double.class) {
            return finite(Double.parseDouble(v), v);
        } else if (t == int.class) {
            return Integer.parseInt(v);
        } else if (t == long.class) {
            return Long.parseLong(v);
        } else if (t == boolean.class) {
            if (!v.equals("true") && !v.equals("false")) {
                throw new IllegalArgumentException(v);
            }
            return Boolean.parseBoolean(v);
        } else if (t.isEnum()) {
            return Enum.valueOf((Class) t, v);
        }
        throw new IllegalStateException("RecordText: no text form for field type " + t.getName());
    }

    /** A decimal beyond the type's range reads as infinity: refused like any other non-number. */
    private static <N extends Number> N finite(N x, String v) {
        if (!Double.isFinite(x.doubleValue())) {
            throw new IllegalArgumentException(v);
        }
        return x;
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    private static Object get(RecordComponent c, Record r) {
        try {
            return c.getAccessor().invoke(r);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("RecordText: cannot read " + r.getClass().getName() + "." + c.getName(), e);
        }
    }
}
