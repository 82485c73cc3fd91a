package org.jqemu.hw.isa;

import java.util.ArrayList;
import java.util.List;
import org.jqemu.system.irq.IrqLine;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.IoRegion;
import org.jqemu.system.memory.MemoryOps;
import org.jqemu.system.options.ConfigException;

/**
 * The board's ISA bus: the machine's I/O port space plus the sixteen IRQ lines that end at the
 * inputs of the 8259 pair (IRQ0-7 on the master, IRQ8-15 on the slave). The board registers it
 * with {@code machine.putComponent(IsaBus.class, bus)} so that devices added with
 * {@code -device} find it.
 *
 * <p>ISA decodes every port range exactly once, so a second device claiming a port already in use
 * is a configuration error, as in QEMU.
 */
public final class IsaBus {
    /** Number of ISA interrupt lines on a PC/AT. */
    public static final int IRQ_COUNT = 16;

    private record Claim(String owner, int base, int size) {}

    private final Machine machine;
    private final IrqLine[] irqs;
    private final List<Claim> claims = new ArrayList<>();

    /** @param irqs the sixteen interrupt-controller inputs, IRQ0 first */
    public IsaBus(Machine machine, IrqLine[] irqs) {
        if (irqs.length != IRQ_COUNT) {
            throw new IllegalArgumentException("an ISA bus has 16 IRQ lines, not " + irqs.length);
        }
        this.machine = machine;
        this.irqs = irqs.clone();
    }

    /**
     * The ISA bus of {@code machine}, for a device of type {@code deviceType} that plugs into it.
     *
     * @throws ConfigException with QEMU's wording when the board has none
     */
    public static IsaBus of(Machine machine, String deviceType) throws ConfigException {
        IsaBus bus = machine.component(IsaBus.class);
        if (bus == null) {
            throw new ConfigException("No 'ISA' bus found for device '" + deviceType + "'");
        }
        return bus;
    }

    /** The device id from {@code -device ...,id=}, or a name made from the type and port. */
    public static String deviceId(org.jqemu.system.options.Opts opts, String type, long iobase) {
        opts.getString("driver", null); // the type itself, if the CLI left it in the options
        String id = opts.getString("id", null);
        return id != null ? id : type + "@0x" + Long.toHexString(iobase);
    }

    /** The chardev that property {@code chardev} names, with QEMU's message when it names none. */
    public static org.jqemu.system.chardev.Chardev chardev(Machine machine, org.jqemu.system.options.Opts opts,
            String type) throws ConfigException {
        String name = opts.getString("chardev", null);
        if (name == null) {
            return null;
        }
        org.jqemu.system.chardev.Chardev c = machine.chardev(name);
        if (c == null) {
            throw new ConfigException("Property '" + type + ".chardev' can't find value '" + name + "'");
        }
        return c;
    }

    /** A numeric property within [min, max], with a message naming it. */
    public static long number(org.jqemu.system.options.Opts opts, String type, String key, long def, long min,
            long max) throws ConfigException {
        long v = opts.getNumber(key, def);
        if (v < min || v > max) {
            throw new ConfigException("Property '" + type + "." + key + "' doesn't take value '"
                    + opts.asMap().get(key) + "' (minimum " + min + ", maximum " + max + ")");
        }
        return v;
    }

    public Machine machine() {
        return machine;
    }

    /** The interrupt line ISA IRQ {@code n} (0-15). */
    public IrqLine irq(int n) {
        return irqs[n];
    }

    /**
     * Maps {@code ops} at I/O ports [base, base + size) and returns the region.
     *
     * @throws ConfigException when another device already decodes one of those ports
     */
    public IoRegion mapPorts(String owner, int base, int size, MemoryOps ops) throws ConfigException {
        if (base < 0 || size <= 0 || base + size > 0x10000) {
            throw new ConfigException(owner + ": I/O ports 0x" + Integer.toHexString(base) + "+" + size
                    + " are outside the 64 KiB port space");
        }
        for (Claim c : claims) {
            if (base < c.base + c.size && c.base < base + size) {
                throw new ConfigException(owner + ": I/O port 0x" + Integer.toHexString(Math.max(base, c.base))
                        + " is already in use by " + c.owner);
            }
        }
        claims.add(new Claim(owner, base, size));
        IoRegion region = new IoRegion(owner, size, ops);
        machine.io().root().add(base, region);
        return region;
    }

    /** True when some device decodes I/O port {@code port}. */
    public boolean portInUse(int port) {
        for (Claim c : claims) {
            if (port >= c.base && port < c.base + c.size) {
                return true;
            }
        }
        return false;
    }
}
