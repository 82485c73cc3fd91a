package org.jqemu.hw.pci;

import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.AddressSpace;
import org.jqemu.system.memory.AliasRegion;
import org.jqemu.system.memory.ContainerRegion;
import org.jqemu.system.memory.IoRegion;
import org.jqemu.system.memory.MemoryOps;
import org.jqemu.system.memory.MemoryRegion;
import org.jqemu.system.memory.RamRegion;
import org.jqemu.system.options.ConfigException;

/**
 * The Intel 82441FX PCI and memory controller (PMC) of the 440FX chipset, as QEMU's
 * {@code i440FX} host bridge (82441FX datasheet, 3.1 "PCI Configuration Space Access": CONFADD
 * 0xCF8 / CONFDATA 0xCFC, configuration mechanism #1; 3.2.18 "PAM0-PAM6"; 3.2.23 "SMRAM").
 *
 * <p>It is function 00:00.0 (8086:1237, host bridge class 0x0600) and owns the configuration
 * ports: a dword write to 0xCF8 sets CONFADD (bit 31 enable, bus 23:16, device 15:11, function
 * 10:8, register 7:2); accesses of any width to 0xCFC-0xCFF then reach that register of bus 0.
 * Byte and word accesses to 0xCF8-0xCFB are not CONFADD; 0xCF9 is the PIIX reset control
 * register, which the board hands in with {@link #setResetControl}.
 *
 * <p>The PAM registers decide, per segment of 0xC0000-0xFFFFF, whether reads and writes go to
 * DRAM or to the PCI side (the option ROM and BIOS ROM images): 0 = both to PCI, 1 = read DRAM
 * (write PCI), 2 = write DRAM (read PCI), 3 = both DRAM. SeaBIOS copies itself into shadow RAM
 * with 3 and write-protects it with 1. The SMRAM register (0x72) is recorded only; jqemu has no
 * SMM, so 0xA0000-0xBFFFF stays whatever the board maps there.
 */
public final class I440fxHost extends PciDevice {
    public static final int VENDOR_INTEL = 0x8086;
    public static final int DEVICE_ID_82441 = 0x1237;
    public static final int PAM0 = 0x59;
    public static final int SMRAM = 0x72;
    /** Priority of the PAM shadow windows: above the ROMs (1) and RAM (0). */
    static final int PAM_PRIORITY = 2;

    private final PciBus bus;
    private final RamRegion ram;
    private final AddressSpace pciSide = new AddressSpace("i440fx-pci-rom", 1 << 20);
    private final MemoryRegion[] pamMapped = new MemoryRegion[13];
    private final int[] pamMode = new int[13];
    private int confAddr;
    private MemoryOps resetControl;

    /**
     * @param ram the whole guest RAM block; its first MiB backs the shadow segments
     */
    public I440fxHost(Machine machine, PciBus bus, RamRegion ram) throws ConfigException {
        super(machine, "i440fx");
        this.bus = bus;
        this.ram = ram;
        setIds(VENDOR_INTEL, DEVICE_ID_82441, 0x02, 0x060000);
        for (int i = HEADER_SIZE; i < CONFIG_SIZE; i++) {
            setWmask(i, 1, 0);
        }
        setWmask(PAM0, 1, 0x30);
        for (int i = 1; i <= 6; i++) {
            setWmask(PAM0 + i, 1, 0x33);
        }
        setWmask(SMRAM, 1, 0x78);
        setRaw(SMRAM, 1, 0x02);
        bus.plug(this, 0);
        java.util.Arrays.fill(pamMode, 0);
    }

    /** The configuration ports 0xCF8-0xCFF, to map in I/O space. */
    public MemoryOps configPorts() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                if (offset < 4) {
                    if (offset == 0 && size == 4) {
                        return confAddr & 0xffff_ffffL;
                    }
                    if (offset == 1 && size == 1 && resetControl != null) {
                        return resetControl.read(0, 1);
                    }
                    return (1L << (8 * size)) - 1;
                }
                if ((confAddr & 0x8000_0000) == 0 || ((confAddr >>> 16) & 0xff) != 0) {
                    return size == 4 ? 0xffff_ffffL : (1L << (8 * size)) - 1;
                }
                int reg = (confAddr & 0xfc) | (int) (offset & 3);
                return bus.configRead((confAddr >>> 8) & 0xff, reg, size) & 0xffff_ffffL;
            }

            @Override
            public void write(long offset, int size, long value) {
                if (offset < 4) {
                    if (offset == 0 && size == 4) {
                        confAddr = (int) value & 0x80ff_fffc;
                    } else if (offset == 1 && size == 1 && resetControl != null) {
                        resetControl.write(0, 1, value);
                    }
                    return;
                }
                if ((confAddr & 0x8000_0000) == 0 || ((confAddr >>> 16) & 0xff) != 0) {
                    return;
                }
                int reg = (confAddr & 0xfc) | (int) (offset & 3);
                bus.configWrite((confAddr >>> 8) & 0xff, reg, size, (int) value);
            }
        };
    }

    /** The register behind byte port 0xCF9 (the PIIX reset control). */
    public void setResetControl(MemoryOps ops) {
        this.resetControl = ops;
    }

    /**
     * Tells the PAM logic what the PCI side shows at {@code addr} below 1 MiB (a ROM the board
     * maps there too), for segments in write-only mode, whose reads go to the PCI side.
     */
    public void addPciSideRom(long addr, MemoryRegion rom, long romOffset, long size) {
        pciSide.root().add(addr, new AliasRegion(rom.name() + "@pam", rom, romOffset, size));
    }

    public int confAddr() {
        return confAddr;
    }

    public int smram() {
        return raw(SMRAM, 1);
    }

    /** The PAM mode (0-3) of segment {@code seg}: 0-11 are 16 KiB from 0xC0000, 12 is 0xF0000-0xFFFFF. */
    public int pamMode(int seg) {
        return pamMode[seg];
    }

    @Override
    public void configWrite(int offset, int size, int value) {
        super.configWrite(offset, size, value);
        if (offset < PAM0 + 7 && offset + size > PAM0) {
            updatePam();
        }
    }

    @Override
    public void reset() {
        super.reset();
        confAddr = 0;
        updatePam();
    }

    private static long segStart(int seg) {
        return seg == 12 ? 0xf0000 : 0xc0000 + seg * 0x4000L;
    }

    private static long segSize(int seg) {
        return seg == 12 ? 0x10000 : 0x4000;
    }

    /** Mode of segment {@code seg} from PAM0 (high nibble: 0xF0000) and PAM1-6 (two per byte). */
    private int modeFromRegisters(int seg) {
        if (seg == 12) {
            return (raw(PAM0, 1) >> 4) & 3;
        }
        int reg = raw(PAM0 + 1 + seg / 2, 1);
        return ((seg & 1) == 0 ? reg : reg >> 4) & 3;
    }

    private void updatePam() {
        ContainerRegion root = machine.memory().root();
        for (int seg = 0; seg < 13; seg++) {
            int mode = modeFromRegisters(seg);
            if (mode == pamMode[seg] && (mode == 0) == (pamMapped[seg] == null)) {
                continue;
            }
            if (pamMapped[seg] != null) {
                root.remove(pamMapped[seg]);
                pamMapped[seg] = null;
            }
            pamMode[seg] = mode;
            long start = segStart(seg);
            long size = segSize(seg);
            if (start + size > ram.size()) {
                continue; // less than 1 MiB of RAM: nothing to shadow with
            }
            MemoryRegion r = switch (mode) {
                case 1 -> new RamRegion("pam-ro@" + Long.toHexString(start), ram.segment().asSlice(start, size), true);
                case 2 -> new IoRegion("pam-wo@" + Long.toHexString(start), size, writeOnly(start));
                case 3 -> new AliasRegion("pam-ram@" + Long.toHexString(start), ram, start, size);
                default -> null;
            };
            if (r != null) {
                root.add(start, r, PAM_PRIORITY);
                pamMapped[seg] = r;
            }
        }
    }

    /**
     * Write-enable only: writes land in shadow RAM, reads come from the PCI side. These writes go
     * straight into the RAM block, so the CPU's code-page tracking does not see them (SeaBIOS
     * never uses this mode; it shadows with mode 3).
     */
    private MemoryOps writeOnly(long start) {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                return pciSide.read(start + offset, size);
            }

            @Override
            public void write(long offset, int size, long value) {
                long off = start + offset;
                for (int i = 0; i < size; i++) {
                    ram.segment().set(java.lang.foreign.ValueLayout.JAVA_BYTE, off + i, (byte) (value >>> (8 * i)));
                }
            }
        };
    }
}
