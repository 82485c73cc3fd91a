package org.jqemu.system.options;

/** QEMU's size syntax: a number with an optional B/K/M/G/T/P/E suffix (powers of 1024). */
public final class Sizes {
    private Sizes() {}

    /**
     * Parses {@code text}; a number without a suffix is multiplied by {@code defaultUnit} (-m takes
     * MiB). Returns -1 when the text is not a size.
     */
    public static long parse(String text, long defaultUnit) {
        String s = text.trim();
        if (s.isEmpty()) {
            return -1;
        }
        long unit = defaultUnit;
        char last = Character.toUpperCase(s.charAt(s.length() - 1));
        int shift = switch (last) {
            case 'B' -> 0;
            case 'K' -> 10;
            case 'M' -> 20;
            case 'G' -> 30;
            case 'T' -> 40;
            case 'P' -> 50;
            case 'E' -> 60;
            default -> -1;
        };
        if (shift >= 0) {
            unit = 1L << shift;
            s = s.substring(0, s.length() - 1);
        }
        if (s.isEmpty()) {
            return -1;
        }
        try {
            if (s.contains(".")) {
                double d = Double.parseDouble(s);
                if (d < 0 || d * unit >= 0x1p63) {
                    return -1;
                }
                return (long) (d * unit);
            }
            long n = Opts.parseNumber(s);
            if (n < 0 || (unit > 1 && n > Long.MAX_VALUE / unit)) {
                return -1;
            }
            return n * unit;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
