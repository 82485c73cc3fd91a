package org.jqemu.qmp;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jqemu.system.cpu.Cpu;

/**
 * The address arguments of HMP commands: numbers (0x hex, decimal) and registers of the current
 * CPU ({@code $rip}, {@code $pc}, {@code $sp}, {@code $cr3}, ...), added and subtracted, as in
 * {@code x /4xg $rsp+8}. A subset of QEMU's monitor expressions: no multiplication, no brackets.
 */
final class HmpExpression {
    private static final Pattern REGISTER = Pattern.compile("([A-Z][A-Z0-9]*) ?=([0-9a-f]+)\\b");

    private HmpExpression() {}

    static long evaluate(String text, Cpu cpu) throws MemoryDump.BadArgument {
        String s = text.trim();
        if (s.isEmpty()) {
            throw new MemoryDump.BadArgument("unexpected end of expression");
        }
        long value = 0;
        int i = 0;
        boolean negative = false;
        if (s.charAt(0) == '-' || s.charAt(0) == '+') {
            negative = s.charAt(0) == '-';
            i = 1;
        }
        while (true) {
            int end = i;
            while (end < s.length() && s.charAt(end) != '+' && s.charAt(end) != '-') {
                end++;
            }
            long term = term(s.substring(i, end).trim(), cpu, text);
            value = negative ? value - term : value + term;
            if (end == s.length()) {
                return value;
            }
            negative = s.charAt(end) == '-';
            i = end + 1;
        }
    }

    private static long term(String t, Cpu cpu, String whole) throws MemoryDump.BadArgument {
        if (t.startsWith("$")) {
            return register(t.substring(1).toLowerCase(), cpu);
        }
        try {
            if (t.startsWith("0x") || t.startsWith("0X")) {
                return Long.parseUnsignedLong(t.substring(2), 16);
            }
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new MemoryDump.BadArgument("invalid expression '" + whole.trim() + "'");
        }
    }

    /** A register by its name in the CPU's dump ("rip", "eax", "cr3"), or pc / sp. */
    private static long register(String name, Cpu cpu) throws MemoryDump.BadArgument {
        String dump = cpu == null ? null : cpu.dumpRegisters();
        if (dump == null) {
            throw new MemoryDump.BadArgument("unknown register '" + name + "'");
        }
        Map<String, Long> regs = new HashMap<>();
        Matcher m = REGISTER.matcher(dump);
        while (m.find()) {
            regs.putIfAbsent(m.group(1).toLowerCase(), Long.parseUnsignedLong(m.group(2), 16));
        }
        String key = switch (name) {
            case "pc" -> regs.containsKey("rip") ? "rip" : "eip";
            case "sp" -> regs.containsKey("rsp") ? "rsp" : "esp";
            default -> name;
        };
        Long v = regs.get(key);
        if (v == null) {
            throw new MemoryDump.BadArgument("unknown register '" + name + "'");
        }
        return v;
    }
}
