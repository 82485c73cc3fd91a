package org.jqemu.firmware.acpi;

/**
 * What a board tells the ACPI table builder about itself: memory, CPUs, and where its chipset
 * devices sit. Addresses are physical, ports are I/O ports.
 *
 * @param cpus number of CPUs
 * @param ramBelow4g RAM mapped from address 0 (the PCI memory hole starts here)
 * @param ramAbove4g RAM mapped from 4 GiB
 * @param localApicBase the local APICs' MMIO window (0xFEE00000)
 * @param ioApicBase the I/O APIC's MMIO address
 * @param ioApicId the I/O APIC's ID register value
 * @param hpetBase the HPET's MMIO address, or 0 without an HPET
 * @param hpetBlockId the HPET's event timer block ID (bits 31:0 of its capabilities register)
 * @param pmIoBase the ACPI PM register block (PM1a_EVT at +0, PM1a_CNT at +4, PM_TMR at +8,
 *     GPE0 status/enable at +0xC)
 * @param pmTimer32 the PM timer counts 32 bits (FADT TMR_VAL_EXT) rather than 24
 * @param sciIrq the ISA IRQ of the SCI
 * @param smiCmdPort the APM port that switches ACPI mode on (ACPI_ENABLE) and off, or 0 when the
 *     hardware is always in ACPI mode
 * @param resetPort the I/O port of the FADT's reset register
 * @param resetValue what to write there to reset the machine
 * @param rtcCenturyIndex the CMOS index of the century byte, or 0
 * @param pirqIrqs the ISA IRQ each PCI interrupt line PIRQA-D is routed to (the firmware programs
 *     the router so), or null when PCI interrupts are not described
 * @param apicIds the local APIC ID of each CPU (the board's topology may leave gaps), or null
 *     when CPU i has APIC ID i
 * @param pciHotplugBase the I/O base of QEMU's ACPI PCI hotplug registers (0xAE00), or 0 when
 *     pci.0 is cold-plug only
 * @param pciHotplugSlots one bit per pci.0 slot the DSDT describes as hot-pluggable (with
 *     {@code _EJ0}); ignored without {@code pciHotplugBase}
 */
public record AcpiConfig(int cpus, long ramBelow4g, long ramAbove4g, long localApicBase, long ioApicBase,
                         int ioApicId, long hpetBase, int hpetBlockId, int pmIoBase, boolean pmTimer32, int sciIrq,
                         int smiCmdPort, int resetPort, int resetValue, int rtcCenturyIndex, int[] pirqIrqs,
                         int[] apicIds, int pciHotplugBase, int pciHotplugSlots) {
    public AcpiConfig(int cpus, long ramBelow4g, long ramAbove4g, long localApicBase, long ioApicBase, int ioApicId,
                      long hpetBase, int hpetBlockId, int pmIoBase, boolean pmTimer32, int sciIrq, int smiCmdPort,
                      int resetPort, int resetValue, int rtcCenturyIndex, int[] pirqIrqs, int[] apicIds) {
        this(cpus, ramBelow4g, ramAbove4g, localApicBase, ioApicBase, ioApicId, hpetBase, hpetBlockId, pmIoBase,
                pmTimer32, sciIrq, smiCmdPort, resetPort, resetValue, rtcCenturyIndex, pirqIrqs, apicIds, 0, 0);
    }

    public AcpiConfig(int cpus, long ramBelow4g, long ramAbove4g, long localApicBase, long ioApicBase, int ioApicId,
                      long hpetBase, int hpetBlockId, int pmIoBase, boolean pmTimer32, int sciIrq, int smiCmdPort,
                      int resetPort, int resetValue, int rtcCenturyIndex, int[] pirqIrqs) {
        this(cpus, ramBelow4g, ramAbove4g, localApicBase, ioApicBase, ioApicId, hpetBase, hpetBlockId, pmIoBase,
                pmTimer32, sciIrq, smiCmdPort, resetPort, resetValue, rtcCenturyIndex, pirqIrqs, null, 0, 0);
    }

    public AcpiConfig {
        if (cpus < 1 || cpus > 255) {
            throw new IllegalArgumentException("cpus " + cpus);
        }
        if (pmIoBase <= 0 || pmIoBase > 0xffc0) {
            throw new IllegalArgumentException("PM I/O base 0x" + Integer.toHexString(pmIoBase));
        }
        if (pciHotplugBase < 0 || pciHotplugBase > 0x10000 - 0x14) {
            throw new IllegalArgumentException("PCI hotplug base 0x" + Integer.toHexString(pciHotplugBase));
        }
        if (pirqIrqs != null && pirqIrqs.length != 4) {
            throw new IllegalArgumentException("need the IRQs of PIRQA-D, got " + pirqIrqs.length);
        }
        pirqIrqs = pirqIrqs == null ? null : pirqIrqs.clone();
        if (apicIds == null) {
            apicIds = new int[cpus];
            for (int i = 0; i < cpus; i++) {
                apicIds[i] = i;
            }
        }
        if (apicIds.length != cpus) {
            throw new IllegalArgumentException("need " + cpus + " APIC IDs, got " + apicIds.length);
        }
        for (int id : apicIds) {
            if (id < 0 || id > 254) {
                throw new IllegalArgumentException("APIC ID " + id + " needs x2APIC");
            }
        }
        apicIds = apicIds.clone();
    }

    /** The local APIC ID of CPU {@code i}. */
    public int apicId(int i) {
        return apicIds[i];
    }
}
