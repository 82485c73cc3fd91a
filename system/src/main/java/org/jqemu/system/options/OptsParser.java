package org.jqemu.system.options;

import java.util.LinkedHashMap;
import java.util.Map;

/** QEMU's option-string syntax: comma-separated key=value pairs, ",," for a literal comma. */
public final class OptsParser {
    private OptsParser() {}

    public static Map<String, String> parse(String option, String text, String impliedKey) throws ConfigException {
        Map<String, String> out = new LinkedHashMap<>();
        int i = 0;
        boolean first = true;
        int n = text.length();
        while (i < n) {
            StringBuilder key = new StringBuilder();
            while (i < n && text.charAt(i) != '=' && text.charAt(i) != ',') {
                key.append(text.charAt(i++));
            }
            String value;
            if (i < n && text.charAt(i) == '=') {
                i++;
                StringBuilder val = new StringBuilder();
                while (i < n) {
                    char c = text.charAt(i);
                    if (c == ',') {
                        if (i + 1 < n && text.charAt(i + 1) == ',') {
                            val.append(',');
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    val.append(c);
                    i++;
                }
                value = val.toString();
            } else if (first && impliedKey != null) {
                // The implied first value may itself contain escaped commas (file names).
                StringBuilder val = new StringBuilder(key);
                while (i < n && text.charAt(i) == ',' && i + 1 < n && text.charAt(i + 1) == ',') {
                    val.append(',');
                    i += 2;
                    while (i < n && text.charAt(i) != ',') {
                        val.append(text.charAt(i++));
                    }
                }
                value = val.toString();
                key.setLength(0);
                key.append(impliedKey);
            } else {
                String k = key.toString();
                if (k.isEmpty()) {
                    throw new ConfigException(option + ": Invalid parameter ''");
                }
                // QEMU: a bare "flag" means flag=on, "noflag" means flag=off.
                if (k.startsWith("no") && k.length() > 2) {
                    out.put(k.substring(2), "off");
                } else {
                    out.put(k, "on");
                }
                first = false;
                if (i < n) {
                    i++;
                }
                continue;
            }
            String k = key.toString();
            if (k.isEmpty()) {
                throw new ConfigException(option + ": Invalid parameter ''");
            }
            out.put(k, value);
            first = false;
            if (i < n) {
                i++; // skip ','
            }
        }
        return out;
    }
}
