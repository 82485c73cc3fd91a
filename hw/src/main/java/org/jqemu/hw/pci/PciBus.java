package org.jqemu.hw.pci;

import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.ContainerRegion;
import org.jqemu.system.options.ConfigException;

/**
 * A conventional PCI bus (PCI Local Bus Specification 3.0): up to 32 devices of 8 functions,
 * addressed by devfn (device << 3 | function). The bus decodes configuration cycles for its
 * functions, maps their enabled BARs into the machine's memory and I/O spaces (below RAM, ROM
 * and ISA devices, which win where they overlap, as PCI subtractive decode does on a PC), and
 * collects their INTx pins into the four PIRQ lines the board routes.
 *
 * <p>Interrupt swizzling follows QEMU's i440FX: INTx# of device d lands on PIRQ (d - 1 + x) mod 4
 * (x = 0 for INTA#), which is what the PC's ACPI _PRT and $PIR tables describe.
 */
public final class PciBus {
    /** Priority of BAR windows in the address spaces: under RAM, ROM and fixed devices. */
    static final int BAR_PRIORITY = -1;

    /** Where PIRQ A-D go: the board's interrupt router (PIIX3 on a PC). */
    @FunctionalInterface
    public interface PirqSink {
        void setPirq(int pirq, boolean level);
    }

    private final Machine machine;
    private final String name;
    private final PciDevice[] functions = new PciDevice[256];
    private final long[][] mappedAt = new long[256][6];
    private final int[] pirqCount = new int[4];
    private final boolean[][] intxAsserted = new boolean[256][];
    private PirqSink pirqSink = (p, l) -> {};
    private MsiSink msiSink = (a, d) -> {};

    /** Where message-signalled interrupts go: the APIC bus on a PC. */
    @FunctionalInterface
    public interface MsiSink {
        void msi(long address, int data);
    }

    public PciBus(Machine machine, String name) {
        this.machine = machine;
        this.name = name;
    }

    public String name() {
        return name;
    }

    public Machine machine() {
        return machine;
    }

    /** The bus of {@code machine}, for a {@code -device} type that plugs into PCI. */
    public static PciBus of(Machine machine, String deviceType) throws ConfigException {
        PciBus bus = machine.component(PciBus.class);
        if (bus == null) {
            throw new ConfigException("No 'PCI' bus found for device '" + deviceType + "'");
        }
        return bus;
    }

    public void setMsiSink(MsiSink sink) {
        this.msiSink = sink;
    }

    /** A function's MSI/MSI-X memory write. */
    public void msi(long address, int data) {
        msiSink.msi(address, data);
    }

    /**
     * The devfn that {@code addr=} asks for, as QEMU writes it: "SLOT" or "SLOT.FN", hex, or -1
     * when absent (take the first free slot).
     */
    public static int parseAddr(org.jqemu.system.options.Opts opts, String deviceType) throws ConfigException {
        String a = opts.getString("addr", null);
        if (a == null) {
            return -1;
        }
        try {
            String[] parts = a.split("\\.", -1);
            int slot = Integer.parseInt(parts[0].startsWith("0x") ? parts[0].substring(2) : parts[0], 16);
            int fn = parts.length > 1 ? Integer.parseInt(parts[1], 16) : 0;
            if (parts.length > 2 || slot < 0 || slot > 31 || fn < 0 || fn > 7) {
                throw new NumberFormatException();
            }
            return slot << 3 | fn;
        } catch (NumberFormatException e) {
            throw new ConfigException("Property '" + deviceType + ".addr' doesn't take value '" + a + "'");
        }
    }

    public void setPirqSink(PirqSink sink) {
        this.pirqSink = sink;
    }

    /**
     * Plugs {@code dev} at {@code devfn}, or at function 0 of the first free device number when
     * {@code devfn} is -1 (as {@code -device} without {@code addr=}).
     */
    public void plug(PciDevice dev, int devfn) throws ConfigException {
        if (devfn < 0) {
            devfn = freeSlot();
        }
        if (devfn < 0 || devfn > 255) {
            throw new ConfigException("PCI: no slot available for device '" + dev.id() + "'");
        }
        if (functions[devfn] != null) {
            throw new ConfigException("PCI: slot " + (devfn >> 3) + " function " + (devfn & 7)
                    + " not available for " + dev.id() + ", in use by " + functions[devfn].id());
        }
        functions[devfn] = dev;
        java.util.Arrays.fill(mappedAt[devfn], -1);
        intxAsserted[devfn] = new boolean[4];
        dev.bus = this;
        dev.devfn = devfn;
    }

    /**
     * Takes {@code dev} off the bus (hot unplug): its BAR windows are unmapped, its INTx pins
     * released, and its devfn reads as empty again.
     */
    public void unplug(PciDevice dev) {
        int devfn = dev.devfn;
        if (devfn < 0 || functions[devfn] != dev) {
            return;
        }
        long[] at = mappedAt[devfn];
        for (int i = 0; i < 6; i++) {
            PciBar bar = dev.bar(i);
            if (bar != null && at[i] >= 0) {
                ContainerRegion space = bar.space() == PciBar.Space.IO ? machine.io().root() : machine.memory().root();
                space.remove(bar.region());
                at[i] = -1;
            }
        }
        for (int pin = 0; pin < 4; pin++) {
            setIntx(dev, pin, false);
        }
        functions[devfn] = null;
        intxAsserted[devfn] = null;
        dev.bus = null;
        dev.devfn = -1;
    }

    /** True when no function of device number {@code slot} is plugged. */
    public boolean slotEmpty(int slot) {
        for (int f = 0; f < 8; f++) {
            if (functions[(slot & 31) << 3 | f] != null) {
                return false;
            }
        }
        return true;
    }

    private int freeSlot() {
        for (int d = 0; d < 32; d++) {
            boolean empty = true;
            for (int f = 0; f < 8; f++) {
                empty &= functions[d << 3 | f] == null;
            }
            if (empty) {
                return d << 3;
            }
        }
        return -1;
    }

    public PciDevice function(int devfn) {
        return functions[devfn & 0xff];
    }

    // ---- configuration cycles ------------------------------------------------------------------

    /** A type 0 configuration read; an absent function reads all-ones (master abort). */
    public int configRead(int devfn, int offset, int size) {
        PciDevice d = functions[devfn & 0xff];
        if (d == null || !functionVisible(devfn)) {
            return size == 4 ? -1 : (1 << (8 * size)) - 1;
        }
        return d.configRead(offset, size);
    }

    public void configWrite(int devfn, int offset, int size, int value) {
        PciDevice d = functions[devfn & 0xff];
        if (d != null && functionVisible(devfn)) {
            d.configWrite(offset, size, value);
        }
    }

    /** Functions 1-7 answer only when function 0 exists and says it is multi-function. */
    private boolean functionVisible(int devfn) {
        if ((devfn & 7) == 0) {
            return true;
        }
        PciDevice f0 = functions[devfn & 0xf8];
        return f0 != null && (f0.raw(PciDevice.HEADER_TYPE, 1) & PciDevice.HEADER_TYPE_MULTI_FUNCTION) != 0;
    }

    // ---- BAR windows ----------------------------------------------------------------------------

    /** Maps or unmaps the windows of {@code dev} to match its BARs and command register. */
    void updateMappings(PciDevice dev) {
        long[] at = mappedAt[dev.devfn];
        for (int i = 0; i < 6; i++) {
            PciBar bar = dev.bar(i);
            if (bar == null) {
                continue;
            }
            long want = dev.barAddress(i);
            if (want == at[i]) {
                continue;
            }
            ContainerRegion space = bar.space() == PciBar.Space.IO ? machine.io().root() : machine.memory().root();
            if (at[i] >= 0) {
                space.remove(bar.region());
            }
            if (want >= 0) {
                space.add(want, bar.region(), BAR_PRIORITY);
            }
            at[i] = want;
        }
    }

    // ---- INTx -------------------------------------------------------------------------------------

    /** The PIRQ (0 = A) that pin {@code pin} (0 = INTA#) of device {@code devfn} drives. */
    public static int pirqOf(int devfn, int pin) {
        return ((devfn >> 3) - 1 + pin) & 3;
    }

    void setIntx(PciDevice dev, int pin, boolean level) {
        boolean[] asserted = intxAsserted[dev.devfn];
        if (asserted[pin] == level) {
            return;
        }
        asserted[pin] = level;
        int pirq = pirqOf(dev.devfn, pin);
        int before = pirqCount[pirq];
        pirqCount[pirq] += level ? 1 : -1;
        if ((before == 0) != (pirqCount[pirq] == 0)) {
            pirqSink.setPirq(pirq, pirqCount[pirq] != 0);
        }
    }

    /** True while some function asserts PIRQ {@code pirq}. */
    public boolean pirqLevel(int pirq) {
        return pirqCount[pirq] != 0;
    }
}
