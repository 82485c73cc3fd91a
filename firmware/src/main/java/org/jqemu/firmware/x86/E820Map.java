package org.jqemu.firmware.x86;

import java.util.ArrayList;
import java.util.List;

/**
 * The PC physical memory map as BIOS INT 15h, AX=E820h reports it (ACPI 6.5 §15, "System Address
 * Map Interfaces"): what multiboot's mmap and the Linux boot protocol's e820 table hand a guest.
 *
 * <p>{@link #pc} gives the map a guest sees under QEMU's {@code pc} board with SeaBIOS, measured
 * with Debian's QEMU 7.2: QEMU declares RAM below and above 4 GiB, and SeaBIOS reserves its
 * extended BIOS data area (the last KiB below 640 KiB), the BIOS segment F0000h, the top
 * {@value #HIGH_TABLES_SIZE} bytes of low RAM (where it keeps ACPI/SMBIOS tables) and the BIOS
 * flash window below 4 GiB. jqemu keeps the same reservations so that a guest sees the same map
 * under both, and so that our own firmware tables have the same home.
 */
public final class E820Map {
    /** Usable RAM. */
    public static final int TYPE_RAM = 1;
    /** Reserved, not usable by the OS. */
    public static final int TYPE_RESERVED = 2;
    public static final int TYPE_ACPI = 3;
    public static final int TYPE_NVS = 4;
    public static final int TYPE_UNUSABLE = 5;

    /** The extended BIOS data area starts here, so conventional memory is 639 KiB. */
    public static final long EBDA_START = 0x9fc00;
    public static final long LOW_MEMORY_END = 0xa0000;
    public static final long BIOS_SEGMENT_START = 0xf0000;
    public static final long HIGH_MEMORY_START = 0x100000;
    /** The part of low RAM's top that SeaBIOS keeps for its tables. */
    public static final long HIGH_TABLES_SIZE = 0x20000;
    /** The BIOS flash mapping just below 4 GiB that SeaBIOS reports as reserved. */
    public static final long BIOS_FLASH_START = 0xfffc0000L;
    public static final long BIOS_FLASH_SIZE = 0x40000;
    public static final long FOUR_GIB = 1L << 32;

    /** One range of the map. */
    public record Entry(long base, long length, int type) {
        public long end() {
            return base + length;
        }
    }

    private final List<Entry> entries;

    public E820Map(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /**
     * The pc board's map for {@code ramBelow4g} bytes of RAM from address 0 and
     * {@code ramAbove4g} bytes from 4 GiB, in ascending order.
     */
    public static E820Map pc(long ramBelow4g, long ramAbove4g) {
        if (ramBelow4g <= 0 || ramBelow4g > FOUR_GIB || ramAbove4g < 0) {
            throw new IllegalArgumentException("bad RAM sizes " + ramBelow4g + " / " + ramAbove4g);
        }
        List<Entry> e = new ArrayList<>();
        e.add(new Entry(0, Math.min(EBDA_START, ramBelow4g), TYPE_RAM));
        e.add(new Entry(EBDA_START, LOW_MEMORY_END - EBDA_START, TYPE_RESERVED));
        e.add(new Entry(BIOS_SEGMENT_START, HIGH_MEMORY_START - BIOS_SEGMENT_START, TYPE_RESERVED));
        long tablesStart = ramBelow4g - HIGH_TABLES_SIZE;
        if (tablesStart > HIGH_MEMORY_START) {
            e.add(new Entry(HIGH_MEMORY_START, tablesStart - HIGH_MEMORY_START, TYPE_RAM));
            e.add(new Entry(tablesStart, HIGH_TABLES_SIZE, TYPE_RESERVED));
        } else if (ramBelow4g > HIGH_MEMORY_START) {
            // Too little RAM for a separate table area: SeaBIOS would not start; keep it usable.
            e.add(new Entry(HIGH_MEMORY_START, ramBelow4g - HIGH_MEMORY_START, TYPE_RAM));
        }
        e.add(new Entry(BIOS_FLASH_START, BIOS_FLASH_SIZE, TYPE_RESERVED));
        if (ramAbove4g > 0) {
            e.add(new Entry(FOUR_GIB, ramAbove4g, TYPE_RAM));
        }
        return new E820Map(e);
    }

    public List<Entry> entries() {
        return entries;
    }

    /**
     * Usable memory below 640 KiB in KiB, as BIOS INT 12h reports it: the usable range that
     * starts at address 0.
     */
    public long lowerMemoryKib() {
        for (Entry en : entries) {
            if (en.type() == TYPE_RAM && en.base() == 0) {
                return Math.min(en.length(), LOW_MEMORY_END) >>> 10;
            }
        }
        return 0;
    }

    /**
     * Usable memory from 1 MiB up to the first hole, in KiB, as multiboot's mem_upper defines
     * it. Adjacent usable ranges are joined whatever their order in the table.
     */
    public long upperMemoryKib() {
        long end = HIGH_MEMORY_START;
        boolean grew = true;
        while (grew) {
            grew = false;
            for (Entry en : entries) {
                if (en.type() == TYPE_RAM && en.base() < FOUR_GIB && en.base() <= end && end < en.end()) {
                    end = en.end();
                    grew = true;
                }
            }
        }
        return (end - HIGH_MEMORY_START) >>> 10;
    }
}
