package org.jqemu.hw.display;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.jqemu.hw.isa.IsaBus;
import org.jqemu.hw.pci.PciBar;
import org.jqemu.hw.pci.PciBus;
import org.jqemu.hw.pci.PciDevice;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.IoRegion;
import org.jqemu.system.memory.MemoryOps;
import org.jqemu.system.memory.RamRegion;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.ui.Consoles;

/**
 * QEMU's standard PCI VGA card ({@code -device VGA}, {@code -vga std}): PCI 1234:1111, class 0300
 * (VGA compatible), with the {@link Vga} core on the legacy VGA ports and memory window, and
 * <ul>
 *   <li>BAR0: video memory as a prefetchable linear framebuffer (16 MiB);</li>
 *   <li>BAR2: QEMU's 4 KiB MMIO block: VGA ports 0x3C0-0x3DF at 0x400, the dispi registers as
 *       16-bit words at 0x500, and QEMU's extended registers at 0x600 (size, framebuffer
 *       endianness) — Linux's bochs DRM driver uses it;</li>
 *   <li>the expansion ROM BAR (PCI 3.0, 6.2.5.2) with the VGA BIOS (SeaBIOS' vgabios-stdvga.bin),
 *       which the system BIOS copies to 0xC0000 and runs.</li>
 * </ul>
 */
public final class VgaPci extends PciDevice {
    public static final int VENDOR_QEMU = 0x1234;
    public static final int DEVICE_STDVGA = 0x1111;
    static final int CLASS_VGA = 0x030000;
    static final int MMIO_SIZE = 0x1000;

    private final Vga vga;
    private final RamRegion rom;
    private boolean romMapped;

    public VgaPci(Machine machine, String id, PciBus bus, int devfn, byte[] romImage) throws ConfigException {
        super(machine, id);
        this.vga = new Vga(machine, id);
        setIds(VENDOR_QEMU, DEVICE_STDVGA, 2, CLASS_VGA);
        addBar(0, PciBar.Space.MEMORY32, Vga.VRAM_SIZE, true, vga.vram());
        addBar(2, PciBar.Space.MEMORY32, MMIO_SIZE, false, new IoRegion(id + ".mmio", MMIO_SIZE, mmio()));
        if (romImage != null && romImage.length > 0) {
            long size = Long.highestOneBit(Math.max(romImage.length, 2048) * 2L - 1);
            rom = RamRegion.allocate(machine.arena(), id + ".rom", size, true);
            MemorySegment.copy(romImage, 0, rom.segment(), ValueLayout.JAVA_BYTE, 0, romImage.length);
            setWmask(ROM_ADDRESS, 4, (int) (~(size - 1) & 0xffff_f800L) | 1);
        } else {
            rom = null;
        }
        bus.plug(this, devfn);
        IsaBus isa = machine.component(IsaBus.class);
        if (isa != null) {
            isa.mapPorts("vga", 0x3b0, 0x30, vga.ioPorts());
            isa.mapPorts("vbe", 0x1ce, 2, vga.vbePorts());
        }
        // Above RAM, which otherwise shows through at 0xA0000-0xBFFFF.
        machine.memory().root().add(0xa0000, new IoRegion("vga-lowmem", 0x20000, vga.legacyWindow()), 1);
        Consoles.of(machine).setGraphic(vga);
    }

    public Vga vga() {
        return vga;
    }

    @Override
    public void reset() {
        super.reset();
        vga.reset();
        updateRom();
    }

    @Override
    public void configWrite(int offset, int size, int value) {
        super.configWrite(offset, size, value);
        if (rom != null && offset < ROM_ADDRESS + 4 && offset + size > COMMAND) {
            updateRom();
        }
    }

    /** Maps the ROM where its BAR says while the BAR's enable bit and memory decoding are on. */
    private void updateRom() {
        if (rom == null) {
            return;
        }
        long reg = raw(ROM_ADDRESS, 4) & 0xffff_ffffL;
        long addr = reg & ~(rom.size() - 1) & 0xffff_f800L;
        boolean want = (reg & 1) != 0 && addr != 0 && (command() & COMMAND_MEMORY) != 0;
        if (romMapped) {
            machine.memory().root().remove(rom);
            romMapped = false;
        }
        if (want) {
            machine.memory().root().add(addr, rom, -1);
            romMapped = true;
        }
    }

    private MemoryOps mmio() {
        MemoryOps ports = vga.ioPorts();
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                if (offset >= 0x400 && offset < 0x420) {
                    return ports.read(offset - 0x400 + 0x10, size);
                }
                if (offset >= 0x500 && offset < 0x500 + 2 * Vga.VBE_REGS) {
                    return vga.vbeRead((int) (offset - 0x500) / 2);
                }
                if (offset == 0x600) {
                    return 8; // size of QEMU's extended register block
                }
                if (offset == 0x604) {
                    return 0x1e1e1e1e; // little-endian framebuffer
                }
                return 0;
            }

            @Override
            public void write(long offset, int size, long value) {
                if (offset >= 0x400 && offset < 0x420) {
                    ports.write(offset - 0x400 + 0x10, size, value);
                } else if (offset >= 0x500 && offset < 0x500 + 2 * Vga.VBE_REGS) {
                    vga.vbeWrite((int) (offset - 0x500) / 2, (int) value & 0xffff);
                }
            }
        };
    }
}
