package org.jqemu.firmware.acpi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jqemu.system.memory.AddressSpace;

/**
 * The ACPI tables of a PC without a BIOS to make them (ACPI 6.5, chapter 5 "ACPI Software
 * Programming Model"): an RSDP (5.2.5, revision 2) pointing to an RSDT and an XSDT, which list a
 * FADT (5.2.9, revision 3, with its FACS and DSDT), a MADT (5.2.12) and, when the board has one,
 * an HPET table (IA-PC HPET specification 1.0a, 3.2.4).
 *
 * <p>What the tables say is what the board has: the FADT points at the PIIX4-style PM block
 * (PM1a event/control, 24- or 32-bit PM timer, GPE0) and the SCI, the APM port handshake for
 * ACPI mode, the 0xCF9 reset register; the power button is the fixed-feature one. The MADT lists
 * one local APIC per CPU, the I/O APIC, and QEMU's interrupt source overrides for the pc board
 * (ISA IRQ0 on GSI 2; IRQs 5, 9, 10 and 11, which PCI may share, level-triggered active-high).
 * The DSDT, written with {@link Aml}, holds the PCI root bridge with its bus, I/O and memory
 * windows and its interrupt routing ({@code _PRT}: each slot's INTA-D to one of the PIIX's four
 * PIRQ lines, slot + pin - 1 modulo 4, and each PIRQ an interrupt link device whose ISA IRQ the
 * firmware has fixed, as SeaBIOS fixes them), the keyboard controller, PS/2 mouse and RTC as ISA
 * devices, and the {@code _S5} sleep type the PM device turns into power-off. With PCI hotplug
 * (QEMU's interface at 0xAE00), PCI0 also holds one object per hot-pluggable slot with
 * {@code _EJ0}, and {@code \_GPE._E01} notifies them when the board plugs or wants to unplug.
 *
 * <p>The RSDT, XSDT and the tables they list go into one blob at a caller-chosen address (the
 * pc board uses the reserved top of low RAM, where SeaBIOS keeps its tables); the RSDP goes on
 * a 16-byte boundary in the BIOS area 0xE0000-0xFFFFF, where an OS scans for it.
 */
public final class AcpiTables {
    public static final String OEM_ID = "JQEMU ";
    public static final String OEM_TABLE_ID = "JQEMUPC ";
    public static final String CREATOR_ID = "JQMU";
    static final int HEADER_SIZE = 36;
    static final int FADT_REVISION = 3;
    static final int FADT_SIZE = 244;
    /** ISA IRQs the pc routes PCI interrupts to: level-triggered, active high (QEMU's pci_irq_mask). */
    static final int[] PCI_IRQS = {5, 9, 10, 11};

    /** The built tables: write them with {@link #install}. */
    public record Image(long tablesAddr, byte[] tables, long rsdpAddr, byte[] rsdp, Map<String, Long> addresses,
                        Map<String, byte[]> byName) {
        /** Writes the tables and the RSDP, the latter also into ROM or shadow RAM. */
        public void install(AddressSpace memory) {
            memory.writeBytes(tablesAddr, tables, 0, tables.length, true);
            memory.writeBytes(rsdpAddr, rsdp, 0, rsdp.length, true);
        }
    }

    private AcpiTables() {}

    /**
     * Lays the tables out from {@code tablesAddr} (16-byte aligned or better) and the RSDP at
     * {@code rsdpAddr}.
     */
    public static Image build(AcpiConfig c, long tablesAddr, long rsdpAddr) {
        if ((tablesAddr & 63) != 0 || (rsdpAddr & 15) != 0 || rsdpAddr < 0xe0000 || rsdpAddr > 0xfffff - 36) {
            throw new IllegalArgumentException("bad ACPI addresses 0x" + Long.toHexString(tablesAddr) + " / 0x"
                    + Long.toHexString(rsdpAddr));
        }
        Map<String, byte[]> tables = new LinkedHashMap<>();
        Map<String, Long> at = new LinkedHashMap<>();
        Layout out = new Layout(tablesAddr);
        // The FACS must be 64-byte aligned; it comes first.
        at.put("FACS", out.add(tables, "FACS", facs(), 64));
        at.put("DSDT", out.add(tables, "DSDT", dsdt(c), 16));
        at.put("FACP", out.add(tables, "FACP", fadt(c, at.get("FACS"), at.get("DSDT")), 16));
        at.put("APIC", out.add(tables, "APIC", madt(c), 16));
        if (c.hpetBase() != 0) {
            at.put("HPET", out.add(tables, "HPET", hpet(c), 16));
        }
        long[] listed = at.entrySet().stream()
                .filter(e -> !e.getKey().equals("FACS") && !e.getKey().equals("DSDT"))
                .mapToLong(Map.Entry::getValue).toArray();
        at.put("RSDT", out.add(tables, "RSDT", rsdt(listed), 16));
        at.put("XSDT", out.add(tables, "XSDT", xsdt(listed), 16));
        byte[] rsdp = rsdp(at.get("RSDT"), at.get("XSDT"));
        tables.put("RSDP", rsdp);
        at.put("RSDP", rsdpAddr);
        return new Image(tablesAddr, out.bytes(), rsdpAddr, rsdp, Collections.unmodifiableMap(at),
                Collections.unmodifiableMap(tables));
    }

    /** Appends tables at aligned offsets and remembers their addresses. */
    private static final class Layout {
        private final long base;
        private byte[] buf = new byte[0];

        Layout(long base) {
            this.base = base;
        }

        long add(Map<String, byte[]> byName, String name, byte[] table, int align) {
            int off = (buf.length + align - 1) & -align;
            byte[] n = new byte[off + table.length];
            System.arraycopy(buf, 0, n, 0, buf.length);
            System.arraycopy(table, 0, n, off, table.length);
            buf = n;
            byName.put(name, table);
            return base + off;
        }

        byte[] bytes() {
            return buf;
        }
    }

    // ---- the tables -------------------------------------------------------------------------------

    /** A system description table: the 36-byte header (5.2.6) and its checksum, then {@code body}. */
    static byte[] table(String signature, int revision, byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_SIZE + body.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(ascii(signature, 4));
        b.putInt(HEADER_SIZE + body.length);
        b.put((byte) revision);
        b.put((byte) 0); // checksum, below
        b.put(ascii(OEM_ID, 6));
        b.put(ascii(OEM_TABLE_ID, 8));
        b.putInt(1); // OEM revision
        b.put(ascii(CREATOR_ID, 4));
        b.putInt(1); // creator revision
        b.put(body);
        byte[] t = b.array();
        t[9] = checksumByte(t, 0, t.length);
        return t;
    }

    /** The byte that makes {@code len} bytes from {@code off} sum to zero, given it is now zero. */
    static byte checksumByte(byte[] b, int off, int len) {
        int sum = 0;
        for (int i = off; i < off + len; i++) {
            sum += b[i];
        }
        return (byte) -sum;
    }

    /** RSDP revision 2 (5.2.5.3): 36 bytes, with the ACPI 1.0 checksum over the first 20. */
    static byte[] rsdp(long rsdt, long xsdt) {
        ByteBuffer b = ByteBuffer.allocate(36).order(ByteOrder.LITTLE_ENDIAN);
        b.put(ascii("RSD PTR ", 8));
        b.put((byte) 0);
        b.put(ascii(OEM_ID, 6));
        b.put((byte) 2);
        b.putInt((int) rsdt);
        b.putInt(36);
        b.putLong(xsdt);
        byte[] r = b.array();
        r[8] = checksumByte(r, 0, 20);
        r[32] = checksumByte(r, 0, 36);
        return r;
    }

    static byte[] rsdt(long[] entries) {
        ByteBuffer b = ByteBuffer.allocate(4 * entries.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long e : entries) {
            b.putInt((int) e);
        }
        return table("RSDT", 1, b.array());
    }

    static byte[] xsdt(long[] entries) {
        ByteBuffer b = ByteBuffer.allocate(8 * entries.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long e : entries) {
            b.putLong(e);
        }
        return table("XSDT", 1, b.array());
    }

    /** FACS (5.2.10): no global lock owner, no waking vector; 64 bytes, no checksum. */
    static byte[] facs() {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.put(ascii("FACS", 4));
        b.putInt(64);
        b.put(32, (byte) 1); // version
        return b.array();
    }

    // FADT flags (5.2.9, table 5.10).
    static final int F_WBINVD = 1, F_PROC_C1 = 1 << 2, F_SLP_BUTTON = 1 << 5, F_TMR_VAL_EXT = 1 << 8,
            F_RESET_REG_SUP = 1 << 10;
    // IA-PC boot architecture flags (5.2.9.3).
    static final int BOOT_LEGACY_DEVICES = 1, BOOT_8042 = 1 << 1;
    static final int GAS_MEMORY = 0, GAS_IO = 1;

    /** FADT revision 3 (ACPI 2.0 layout, 244 bytes), 32-bit and 64-bit ("X_") fields alike. */
    static byte[] fadt(AcpiConfig c, long facs, long dsdt) {
        ByteBuffer b = ByteBuffer.allocate(FADT_SIZE - HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        int pm = c.pmIoBase();
        b.putInt(0, (int) facs);                   // FIRMWARE_CTRL
        b.putInt(4, (int) dsdt);                   // DSDT
        b.put(9, (byte) 0);                        // Preferred_PM_Profile: unspecified
        b.putShort(10, (short) c.sciIrq());        // SCI_INT
        b.putInt(12, c.smiCmdPort());              // SMI_CMD
        if (c.smiCmdPort() != 0) {
            b.put(16, (byte) 0xf1);                // ACPI_ENABLE
            b.put(17, (byte) 0xf0);                // ACPI_DISABLE
        }
        b.putInt(20, pm);                          // PM1a_EVT_BLK
        b.putInt(28, pm + 4);                      // PM1a_CNT_BLK
        b.putInt(40, pm + 8);                      // PM_TMR_BLK
        b.putInt(44, pm + 0x0c);                   // GPE0_BLK
        b.put(52, (byte) 4);                       // PM1_EVT_LEN
        b.put(53, (byte) 2);                       // PM1_CNT_LEN
        b.put(55, (byte) 4);                       // PM_TMR_LEN
        b.put(56, (byte) 4);                       // GPE0_BLK_LEN
        b.putShort(60, (short) 0x0fff);            // P_LVL2_LAT: > 100, no C2
        b.putShort(62, (short) 0x0fff);            // P_LVL3_LAT: > 1000, no C3
        b.put(72, (byte) c.rtcCenturyIndex());     // CENTURY
        b.putShort(73, (short) (BOOT_LEGACY_DEVICES | BOOT_8042)); // IAPC_BOOT_ARCH
        int flags = F_WBINVD | F_PROC_C1 | F_SLP_BUTTON | F_RESET_REG_SUP;
        if (c.pmTimer32()) {
            flags |= F_TMR_VAL_EXT;
        }
        b.putInt(76, flags);
        gas(b, 80, GAS_IO, 8, 1, c.resetPort());   // RESET_REG
        b.put(92, (byte) c.resetValue());          // RESET_VALUE
        // X_FIRMWARE_CTRL stays 0: the spec allows only one of the two FACS pointers to be set.
        b.putLong(104, dsdt);                      // X_DSDT
        gas(b, 112, GAS_IO, 32, 0, pm);            // X_PM1a_EVT_BLK
        gas(b, 136, GAS_IO, 16, 0, pm + 4);        // X_PM1a_CNT_BLK
        gas(b, 172, GAS_IO, 32, 0, pm + 8);        // X_PM_TMR_BLK
        gas(b, 184, GAS_IO, 32, 0, pm + 0x0c);     // X_GPE0_BLK
        return table("FACP", FADT_REVISION, b.array());
    }

    /** A Generic Address Structure (5.2.3.2) at {@code off}. */
    private static void gas(ByteBuffer b, int off, int space, int bitWidth, int accessSize, long address) {
        b.put(off, (byte) space);
        b.put(off + 1, (byte) bitWidth);
        b.put(off + 2, (byte) 0);
        b.put(off + 3, (byte) accessSize);
        b.putLong(off + 4, address);
    }

    // MADT structure types (5.2.12, table 5.21).
    static final int MADT_LOCAL_APIC = 0, MADT_IO_APIC = 1, MADT_OVERRIDE = 2, MADT_LOCAL_APIC_NMI = 4;
    /** MPS INTI flags: active high, level triggered. */
    static final int INTI_LEVEL_HIGH = 0x0d;

    static byte[] madt(AcpiConfig c) {
        ByteBuffer b = ByteBuffer.allocate(8 + 8 * c.cpus() + 12 + 10 * (1 + PCI_IRQS.length) + 6)
                .order(ByteOrder.LITTLE_ENDIAN);
        b.putInt((int) c.localApicBase());
        b.putInt(1); // PCAT_COMPAT: there are 8259s too
        for (int i = 0; i < c.cpus(); i++) {
            b.put((byte) MADT_LOCAL_APIC).put((byte) 8).put((byte) i).put((byte) c.apicId(i)).putInt(1);
        }
        b.put((byte) MADT_IO_APIC).put((byte) 12).put((byte) c.ioApicId()).put((byte) 0)
                .putInt((int) c.ioApicBase()).putInt(0);
        // The PIT (ISA IRQ 0) is wired to I/O APIC input 2; conforming polarity and trigger.
        b.put((byte) MADT_OVERRIDE).put((byte) 10).put((byte) 0).put((byte) 0).putInt(2).putShort((short) 0);
        for (int irq : PCI_IRQS) {
            b.put((byte) MADT_OVERRIDE).put((byte) 10).put((byte) 0).put((byte) irq).putInt(irq)
                    .putShort((short) INTI_LEVEL_HIGH);
        }
        // LINT1 of every local APIC is the NMI input.
        b.put((byte) MADT_LOCAL_APIC_NMI).put((byte) 6).put((byte) 0xff).putShort((short) 0).put((byte) 1);
        return table("APIC", 1, b.array());
    }

    static byte[] hpet(AcpiConfig c) {
        ByteBuffer b = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, c.hpetBlockId());
        gas(b, 4, GAS_MEMORY, 64, 0, c.hpetBase());
        b.put(16, (byte) 0);         // HPET number
        b.putShort(17, (short) 0);   // minimum clock tick in periodic mode
        b.put(19, (byte) 0);         // no page protection
        return table("HPET", 1, b.array());
    }

    /** The DSDT: see the class comment. Revision 2: AML integers are 64 bits. */
    static byte[] dsdt(AcpiConfig c) {
        long holeStart = c.ramBelow4g();
        long holeEnd = c.ioApicBase() - 1;
        byte[] pciCrs = Aml.resourceTemplate(
                Aml.wordWindow(Aml.RESOURCE_BUS, 0, 0x00, 0xff),
                Aml.io(0xcf8, 0xcf8, 1, 8),
                Aml.wordWindow(Aml.RESOURCE_IO, 3, 0x0000, 0x0cf7),
                Aml.wordWindow(Aml.RESOURCE_IO, 3, 0x0d00, 0xffff),
                Aml.dwordMemoryWindow(true, 0xa0000, 0xbffff),
                holeStart < holeEnd ? Aml.dwordMemoryWindow(false, holeStart, holeEnd) : new byte[0]);
        byte[] isa = Aml.device("ISA",
                Aml.nameDecl("_ADR", Aml.integer(0x00010000)),
                Aml.device("KBD",
                        Aml.nameDecl("_HID", Aml.eisaId("PNP0303")),
                        Aml.nameDecl("_CRS", Aml.resourceTemplate(
                                Aml.io(0x60, 0x60, 1, 1), Aml.io(0x64, 0x64, 1, 1), Aml.irqNoFlags(1)))),
                Aml.device("MOU",
                        Aml.nameDecl("_HID", Aml.eisaId("PNP0F13")),
                        Aml.nameDecl("_CRS", Aml.resourceTemplate(Aml.irqNoFlags(12)))),
                Aml.device("RTC",
                        Aml.nameDecl("_HID", Aml.eisaId("PNP0B00")),
                        Aml.nameDecl("_CRS", Aml.resourceTemplate(Aml.io(0x70, 0x70, 1, 8), Aml.irqNoFlags(8)))));
        byte[] body = Aml.seq(
                Aml.scope("\\_SB",
                        Aml.device("PCI0",
                                Aml.nameDecl("_HID", Aml.eisaId("PNP0A03")),
                                Aml.nameDecl("_ADR", Aml.integer(0)),
                                Aml.nameDecl("_UID", Aml.integer(0)),
                                Aml.nameDecl("_BBN", Aml.integer(0)),
                                Aml.nameDecl("_CRS", pciCrs),
                                c.pirqIrqs() == null ? new byte[0] : Aml.nameDecl("_PRT", pciRoutingTable()),
                                isa,
                                c.pciHotplugBase() == 0 ? new byte[0] : pciHotplugSlots(c)),
                        c.pirqIrqs() == null ? new byte[0] : interruptLinks(c.pirqIrqs())),
                c.pciHotplugBase() == 0 ? new byte[0] : pciHotplugEvent(c),
                // S5 (soft off): SLP_TYP 0 in PM1a_CNT and PM1b_CNT, which the PM device powers off on.
                Aml.nameDecl("\\_S5", Aml.packageOf(Aml.integer(0), Aml.integer(0), Aml.integer(0), Aml.integer(0))));
        return table("DSDT", 2, body);
    }

    static final String[] LINKS = {"LNKA", "LNKB", "LNKC", "LNKD"};

    /** The name of slot {@code slot}'s object under PCI0: "S" and its devfn in hex, as QEMU's. */
    static String slotName(int slot) {
        return String.format("S%02X", slot << 3);
    }

    /**
     * QEMU's ACPI PCI hotplug interface inside {@code \_SB.PCI0} (QEMU docs/specs/
     * acpi_pci_hotplug.rst): the registers as fields (PCIU/PCID: slots to check / to eject,
     * B0EJ: eject, BNUM: bus select), and one object per hot-pluggable slot with its address,
     * slot number ({@code _SUN}, which Linux names the slot by) and {@code _EJ0}, which writes the
     * slot's bit to B0EJ so the board removes the device.
     */
    static byte[] pciHotplugSlots(AcpiConfig c) {
        int base = c.pciHotplugBase();
        byte[] regs = Aml.seq(
                Aml.operationRegion("PCST", Aml.REGION_SYSTEM_IO, base, 8),
                Aml.field("PCST", Aml.FIELD_DWORD_ACC_WRITE_ZEROS,
                        new Aml.FieldUnit("PCIU", 32), new Aml.FieldUnit("PCID", 32)),
                Aml.operationRegion("SEJ", Aml.REGION_SYSTEM_IO, base + 8, 4),
                Aml.field("SEJ", Aml.FIELD_DWORD_ACC_WRITE_ZEROS, new Aml.FieldUnit("B0EJ", 32)),
                Aml.operationRegion("BNMR", Aml.REGION_SYSTEM_IO, base + 0x10, 4),
                Aml.field("BNMR", Aml.FIELD_DWORD_ACC_WRITE_ZEROS, new Aml.FieldUnit("BNUM", 32)));
        java.io.ByteArrayOutputStream slots = new java.io.ByteArrayOutputStream();
        for (int slot = 0; slot < 32; slot++) {
            if ((c.pciHotplugSlots() & 1 << slot) == 0) {
                continue;
            }
            slots.writeBytes(Aml.device(slotName(slot),
                    Aml.nameDecl("_ADR", Aml.integer((long) slot << 16)),
                    Aml.nameDecl("_SUN", Aml.integer(slot)),
                    Aml.method("_EJ0", 1, Aml.store(Aml.integer(1L << slot), Aml.name("B0EJ")))));
        }
        return Aml.seq(regs, slots.toByteArray());
    }

    /**
     * The hotplug GPE (bit 1 of GPE0, {@code \_GPE._E01}): read which slots changed and notify
     * each slot object, "device check" (1) for a new device and "eject request" (3) for one the
     * host wants back.
     */
    static byte[] pciHotplugEvent(AcpiConfig c) {
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        body.writeBytes(Aml.store(Aml.name("\\_SB.PCI0.PCIU"), Aml.local(0)));
        body.writeBytes(Aml.store(Aml.name("\\_SB.PCI0.PCID"), Aml.local(1)));
        for (int slot = 0; slot < 32; slot++) {
            if ((c.pciHotplugSlots() & 1 << slot) == 0) {
                continue;
            }
            String path = "\\_SB.PCI0." + slotName(slot);
            body.writeBytes(Aml.ifThen(Aml.and(Aml.local(0), Aml.integer(1L << slot)), Aml.notify(path, 1)));
            body.writeBytes(Aml.ifThen(Aml.and(Aml.local(1), Aml.integer(1L << slot)), Aml.notify(path, 3)));
        }
        return Aml.scope("\\_GPE", Aml.method("_E01", 0, body.toByteArray()));
    }

    /**
     * _PRT (6.2.13): for PCI slots 1-31 and pins INTA-D, the interrupt link of the PIRQ line the
     * PIIX wires that pin to.
     */
    static byte[] pciRoutingTable() {
        byte[][] entries = new byte[31 * 4][];
        for (int slot = 1; slot < 32; slot++) {
            for (int pin = 0; pin < 4; pin++) {
                int pirq = (slot - 1 + pin) & 3;
                entries[(slot - 1) * 4 + pin] = Aml.packageOf(Aml.integer((long) slot << 16 | 0xffff),
                        Aml.integer(pin), Aml.name(LINKS[pirq]), Aml.integer(0));
            }
        }
        return Aml.packageOf(entries);
    }

    /**
     * PCI interrupt link devices (PNP0C0F, 6.2.13 and "PCI Interrupt Link Devices"): each offers and
     * reports the one ISA IRQ its PIRQ is routed to, level-triggered, active high and shared, as
     * the PIIX drives it; _SRS accepts that choice without changing anything.
     */
    static byte[] interruptLinks(int[] irqs) {
        byte[][] devices = new byte[4][];
        for (int i = 0; i < 4; i++) {
            byte[] crs = Aml.resourceTemplate(Aml.sharedLevelHighInterrupt(irqs[i]));
            devices[i] = Aml.device(LINKS[i],
                    Aml.nameDecl("_HID", Aml.eisaId("PNP0C0F")),
                    Aml.nameDecl("_UID", Aml.integer(i)),
                    Aml.nameDecl("_PRS", crs),
                    Aml.nameDecl("_CRS", crs),
                    Aml.method("_SRS", 1));
        }
        return Aml.seq(devices);
    }

    private static byte[] ascii(String s, int len) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        if (b.length != len) {
            throw new IllegalArgumentException("'" + s + "' is not " + len + " characters");
        }
        return b;
    }
}
