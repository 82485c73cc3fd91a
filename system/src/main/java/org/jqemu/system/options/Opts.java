package org.jqemu.system.options;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * One parsed option group in QEMU's {@code key=value,key2=value2} syntax (QemuOpts), with typed
 * getters whose errors name the option, the key and the bad value. Getters record which keys were
 * read, so {@link #checkAllUsed()} can reject a misspelt property.
 */
public final class Opts {
    private final String option;
    private final Map<String, String> values;
    private final Set<String> used = new LinkedHashSet<>();

    /**
     * @param option the command-line option these came from, e.g. "-device", used in messages
     */
    public Opts(String option, Map<String, String> values) {
        this.option = option;
        this.values = new LinkedHashMap<>(values);
    }

    /** Parses {@code text}; a first element without '=' becomes the value of {@code impliedKey}. */
    public static Opts parse(String option, String text, String impliedKey) throws ConfigException {
        return new Opts(option, OptsParser.parse(option, text, impliedKey));
    }

    public String option() {
        return option;
    }

    public Map<String, String> asMap() {
        return Collections.unmodifiableMap(values);
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }

    public void put(String key, String value) {
        values.put(key, value);
    }

    public String getString(String key, String def) {
        used.add(key);
        return values.getOrDefault(key, def);
    }

    public String requireString(String key) throws ConfigException {
        used.add(key);
        String v = values.get(key);
        if (v == null) {
            throw new ConfigException(option + ": Parameter '" + key + "' is missing");
        }
        return v;
    }

    public long getNumber(String key, long def) throws ConfigException {
        used.add(key);
        String v = values.get(key);
        if (v == null) {
            return def;
        }
        try {
            return parseNumber(v);
        } catch (NumberFormatException e) {
            throw new ConfigException(option + ": Parameter '" + key + "' expects a number, got '" + v + "'");
        }
    }

    public long getSize(String key, long def) throws ConfigException {
        used.add(key);
        String v = values.get(key);
        if (v == null) {
            return def;
        }
        long s = Sizes.parse(v, 1);
        if (s < 0) {
            throw new ConfigException(option + ": Parameter '" + key + "' expects a size, got '" + v + "'");
        }
        return s;
    }

    public boolean getBool(String key, boolean def) throws ConfigException {
        used.add(key);
        String v = values.get(key);
        if (v == null) {
            return def;
        }
        return switch (v) {
            case "on", "yes", "true", "y" -> true;
            case "off", "no", "false", "n" -> false;
            default -> throw new ConfigException(option + ": Parameter '" + key + "' expects 'on' or 'off', got '" + v + "'");
        };
    }

    /** Fails on the first key that no getter asked for. */
    public void checkAllUsed() throws ConfigException {
        for (String k : values.keySet()) {
            if (!used.contains(k)) {
                throw new ConfigException(option + ": Invalid parameter '" + k + "'");
            }
        }
    }

    /** Accepts 0x hex, 0 octal and decimal, as QEMU's number parser does. */
    public static long parseNumber(String v) {
        String s = v.trim();
        boolean neg = s.startsWith("-");
        if (neg) {
            s = s.substring(1);
        }
        long n;
        if (s.startsWith("0x") || s.startsWith("0X")) {
            n = Long.parseUnsignedLong(s.substring(2), 16);
        } else if (s.length() > 1 && s.startsWith("0")) {
            n = Long.parseLong(s.substring(1), 8);
        } else {
            n = Long.parseLong(s);
        }
        return neg ? -n : n;
    }

    @Override
    public String toString() {
        return option + " " + values;
    }
}
