package minibert.config;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

import minibert.io.InputException;
import minibert.io.InputFile;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * A flat YAML mapping read strictly: every key must be asked for exactly once, with its type and its
 * valid range, and {@link #finish()} rejects any key nobody asked for (a typo such as
 * {@code hiden_size} is an error, not a silently ignored line).
 */
public final class ConfigSource {

    /** The largest config file read: a config is a screenful of keys, so this is generous. */
    public static final long MAX_BYTES = InputFile.MIB;

    private final Path file;
    private final String text;
    private final Map<String, Object> values;
    private final Set<String> read = new LinkedHashSet<>();

    private ConfigSource(Path file, String text, Map<String, Object> values) {
        this.file = file;
        this.text = text;
        this.values = values;
    }

    /**
     * Reads {@code file}; a missing file, one over {@value #MAX_BYTES} bytes, text that is not UTF-8, bad YAML
     * or a non-mapping document is a {@link ConfigException}.
     */
    public static ConfigSource load(Path file) {
        String text;
        try {
            text = InputFile.text(file, "a config file", MAX_BYTES, false);
        } catch (InputException e) {
            throw new ConfigException(file, null, e.reason());
        }
        return parse(file, text);
    }

    /** Parses {@code text} as if read from {@code file} (used by tests and by checkpoints). */
    public static ConfigSource parse(Path file, String text) {
        Object doc;
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            doc = new Yaml(new SafeConstructor(options)).load(text);
        } catch (YAMLException e) {
            throw new ConfigException(file, null, "is not valid YAML: " + oneLine(e.getMessage()));
        } catch (RuntimeException e) {
            // SnakeYAML's constructors can fail outside YAMLException on odd scalars (e.g. a malformed !!binary).
            throw new ConfigException(file, null, "is not valid YAML: " + oneLine(String.valueOf(e.getMessage())));
        }
        if (doc == null) {
            throw new ConfigException(file, null, "is empty");
        }
        if (!(doc instanceof Map<?, ?> map)) {
            throw new ConfigException(file, null, "must be a mapping of keys to values, found " + describe(doc));
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (var e : map.entrySet()) {
            if (!(e.getKey() instanceof String key)) {
                throw new ConfigException(file, String.valueOf(e.getKey()), "keys must be text");
            }
            values.put(key, e.getValue());
        }
        return new ConfigSource(file, text, values);
    }

    public Path file() {
        return file;
    }

    /** The file's text, exactly as read (hashed into result provenance). */
    public String text() {
        return text;
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }

    /** A required integer in {@code [min, max]}. */
    public int integer(String key, int min, int max) {
        return (int) longValue(key, min, max);
    }

    /** An optional integer in {@code [min, max]}. */
    public int integer(String key, int min, int max, int defaultValue) {
        return has(key) ? integer(key, min, max) : markDefault(key, defaultValue);
    }

    /** A required long in {@code [min, max]}. */
    public long longValue(String key, long min, long max) {
        Object v = require(key);
        long l;
        if (v instanceof Integer i) {
            l = i;
        } else if (v instanceof Long x) {
            l = x;
        } else if (v instanceof BigInteger b) {
            throw new ConfigException(file, key, "must be between " + min + " and " + max + ", found " + b);
        } else if (v instanceof Double d && Double.isFinite(d) && d == Math.rint(d)) {
            throw new ConfigException(file, key, d < min || d > max
                    ? "must be a whole number between " + min + " and " + max + ", found " + d
                    : "must be a whole number written without a decimal point or exponent, found " + d);
        } else if (v instanceof String s && s.matches("[-+]?[0-9]+(\\.[0-9]*)?[eE][-+]?[0-9]+")) {
            throw new ConfigException(file, key, "must be a whole number written out in digits, found '" + s + "'");
        } else {
            throw wrongType(key, "a whole number", v);
        }
        if (l < min || l > max) {
            throw new ConfigException(file, key, "must be between " + min + " and " + max + ", found " + l);
        }
        return l;
    }

    /**
     * A required real number in {@code [min, max]} (whole numbers are accepted; NaN and infinities are not).
     */
    public double real(String key, double min, double max) {
        Object v = require(key);
        double d;
        if (v instanceof Double x) {
            d = x;
        } else if (v instanceof Integer || v instanceof Long) {
            d = ((Number) v).doubleValue();
        } else if (v instanceof String s && s.matches("[-+]?[0-9]*\\.?[0-9]+([eE][-+]?[0-9]+)")) {
            // YAML 1.1 reads 1e-12 (no dot) as text; accept the plain scientific form.
            d = Double.parseDouble(s);
        } else {
            throw wrongType(key, "a number", v);
        }
        if (!Double.isFinite(d) || d < min || d > max) {
            throw new ConfigException(file, key, "must be between " + min + " and " + max + ", found " + d);
        }
        return d;
    }

    /** A required non-empty list of real numbers, each in {@code [min, max]} (e.g. {@code [0, 1.0e-4]}). */
    public double[] reals(String key, double min, double max) {
        Object v = require(key);
        if (!(v instanceof java.util.List<?> list) || list.isEmpty()) {
            throw wrongType(key, "a non-empty list of numbers", v);
        }
        double[] out = new double[list.size()];
        for (int i = 0; i < out.length; i++) {
            Object x = list.get(i);
            double d;
            if (x instanceof Number n) {
                d = n.doubleValue();
            } else if (x instanceof String s && s.matches("[-+]?[0-9]*\\.?[0-9]+([eE][-+]?[0-9]+)")) {
                d = Double.parseDouble(s);
            } else {
                throw new ConfigException(file, key, "entry " + (i + 1) + " must be a number, found '" + x + "'");
            }
            if (!Double.isFinite(d) || d < min || d > max) {
                throw new ConfigException(file, key, "entry " + (i + 1) + " must be between " + min + " and " + max
                        + ", found " + d);
            }
            out[i] = d;
        }
        return out;
    }

    /** An optional real number in {@code [min, max]}. */
    public double real(String key, double min, double max, double defaultValue) {
        return has(key) ? real(key, min, max) : markDefault(key, defaultValue);
    }

    /** A required non-blank string. */
    public String string(String key) {
        Object v = require(key);
        if (!(v instanceof String s)) {
            throw wrongType(key, "text", v);
        }
        if (s.isBlank()) {
            throw new ConfigException(file, key, "must not be blank");
        }
        return s;
    }

    /** An optional non-blank string. */
    public String string(String key, String defaultValue) {
        return has(key) ? string(key) : markDefault(key, defaultValue);
    }

    /** A required boolean. */
    public boolean bool(String key) {
        Object v = require(key);
        if (!(v instanceof Boolean b)) {
            throw wrongType(key, "true or false", v);
        }
        return b;
    }

    /** An optional boolean. */
    public boolean bool(String key, boolean defaultValue) {
        return has(key) ? bool(key) : markDefault(key, defaultValue);
    }

    /** A required value that must be one of {@code choices} (compared as written). */
    public String choice(String key, String... choices) {
        String s = string(key);
        for (String c : choices) {
            if (c.equals(s)) {
                return s;
            }
        }
        throw new ConfigException(file, key, "must be one of " + String.join(", ", choices) + ", found '" + s + "'");
    }

    /** An error about {@code key} (for rules that involve several keys). */
    public ConfigException error(String key, String reason) {
        return new ConfigException(file, key, reason);
    }

    /** Rejects every key that was never asked for. Call once all keys were read. */
    public void finish() {
        for (String key : values.keySet()) {
            if (!read.contains(key)) {
                throw new ConfigException(file, key, "unknown key (known keys: " + String.join(", ", read) + ")");
            }
        }
    }

    private Object require(String key) {
        read.add(key);
        if (!values.containsKey(key)) {
            throw new ConfigException(file, key, "is missing");
        }
        Object v = values.get(key);
        if (v == null) {
            throw new ConfigException(file, key, "has no value");
        }
        return v;
    }

    private <T> T markDefault(String key, T value) {
        read.add(key);
        return value;
    }

    private ConfigException wrongType(String key, String expected, Object found) {
        return new ConfigException(file, key, "must be " + expected + ", found " + describe(found));
    }

    private static String oneLine(String s) {
        String line = s.replace('\n', ' ');
        return line.length() > 500 ? line.substring(0, 500) + "…" : line;
    }

    private static String describe(Object v) {
        if (v instanceof String s) {
            return "text '" + (s.length() > 80 ? s.substring(0, 80) + "…" : s) + "'";
        }
        if (v instanceof Map) {
            return "a mapping";
        }
        if (v instanceof java.util.List) {
            return "a list";
        }
        String text = String.valueOf(v);
        return v.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT) + " "
                + (text.length() > 80 ? text.substring(0, 80) + "…" : text);
    }
}
