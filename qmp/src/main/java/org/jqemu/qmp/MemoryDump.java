package org.jqemu.qmp;

import org.jqemu.system.cpu.Cpu;
import org.jqemu.system.machine.Machine;

/**
 * HMP's {@code x /FMT ADDR} (virtual, through the monitor CPU's page tables) and
 * {@code xp /FMT ADDR} (physical): guest memory as QEMU's monitor prints it. FMT is
 * [count][format][size]: format x (hex, default), d, u, o, c; size b, h, w (default), g.
 * Lines start with the 16-digit address and hold 16 bytes (8 for byte-sized units). Unlike
 * QEMU, an omitted count, format or size is 1, x and w, not the previous command's.
 */
final class MemoryDump {
    private MemoryDump() {}

    /** Thrown with QEMU's message for a bad argument. */
    static final class BadArgument extends Exception {
        BadArgument(String message) {
            super(message, null, false, false);
        }
    }

    /** {@code xp}; {@code cpu} (may be null) gives the registers an address may name. */
    static String xp(Machine m, Cpu cpu, String args) throws BadArgument {
        return parseAndDump(GuestMemory.physical(m), cpu, args);
    }

    /** {@code x}: virtual addresses of {@code cpu}; an unmapped line ends the dump as in QEMU. */
    static String x(Machine m, Cpu cpu, String args) throws BadArgument {
        return parseAndDump(GuestMemory.virtual(m, cpu), cpu, args);
    }

    private static String parseAndDump(GuestMemory mem, Cpu cpu, String args) throws BadArgument {
        String rest = args.trim();
        int count = 1;
        char format = 'x';
        int size = 4;
        if (rest.startsWith("/")) {
            int end = 1;
            while (end < rest.length() && !Character.isWhitespace(rest.charAt(end))) {
                end++;
            }
            String fmt = rest.substring(1, end);
            rest = rest.substring(end).trim();
            int i = 0;
            while (i < fmt.length() && Character.isDigit(fmt.charAt(i))) {
                i++;
            }
            if (i > 0) {
                count = Integer.parseInt(fmt.substring(0, i));
            }
            for (; i < fmt.length(); i++) {
                char c = fmt.charAt(i);
                switch (c) {
                    case 'x', 'd', 'u', 'o', 'c' -> format = c;
                    case 'b' -> size = 1;
                    case 'h' -> size = 2;
                    case 'w' -> size = 4;
                    case 'g' -> size = 8;
                    default -> throw new BadArgument("invalid char in format: '" + c + "'");
                }
            }
        }
        if (rest.isEmpty()) {
            throw new BadArgument("unexpected end of expression");
        }
        long addr = HmpExpression.evaluate(rest, cpu);
        return dump(mem, addr, count, format, size);
    }

    static long parseAddress(String s) throws BadArgument {
        try {
            if (s.startsWith("0x") || s.startsWith("0X")) {
                return Long.parseUnsignedLong(s.substring(2), 16);
            }
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new BadArgument("invalid expression '" + s + "'");
        }
    }

    private static String dump(GuestMemory mem, long addr, int count, char format, int size) {
        // QEMU sizes the dump and its lines before 'c' narrows the unit to bytes
        int len = count * size;
        int lineSize = size == 1 ? 8 : 16;
        if (format == 'c') {
            size = 1;
        }
        int digits = switch (format) {
            case 'o' -> (size * 8 + 2) / 3;
            case 'd', 'u' -> (size * 8 * 10 + 32) / 33;
            default -> size * 2;
        };
        StringBuilder out = new StringBuilder();
        byte[] buf = new byte[16];
        while (len > 0) {
            out.append(String.format("%016x:", addr));
            int l = Math.min(len, lineSize);
            if (!mem.read(addr, buf, l)) {
                out.append(" Cannot access memory\r\n");
                break;
            }
            for (int i = 0; i < l; i += size) {
                long v = 0;
                for (int b = size - 1; b >= 0; b--) {
                    v = (v << 8) | (buf[i + b] & 0xff); // guests here are little endian
                }
                out.append(' ');
                switch (format) {
                    case 'o' -> out.append(String.format("%0" + digits + "o", v));
                    case 'u' -> out.append(String.format("%" + digits + "s", Long.toUnsignedString(v)));
                    case 'd' -> out.append(String.format("%" + digits + "d", signExtend(v, size)));
                    case 'c' -> out.append(printable((int) v));
                    default -> out.append(String.format("0x%0" + digits + "x", v));
                }
            }
            out.append("\r\n");
            addr += l;
            len -= l;
        }
        return out.toString();
    }

    private static long signExtend(long v, int size) {
        int shift = 64 - size * 8;
        return (v << shift) >> shift;
    }

    private static String printable(int c) {
        return switch (c) {
            case '\'' -> "'\\''";
            case '\\' -> "'\\\\'";
            case '\n' -> "'\\n'";
            case '\r' -> "'\\r'";
            default -> c >= 32 && c <= 126 ? "'" + (char) c + "'" : String.format("'\\x%02x'", c);
        };
    }
}
