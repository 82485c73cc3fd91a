package org.jqemu.firmware.acpi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.memory.AddressSpace;
import org.jqemu.system.memory.RamRegion;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AcpiTablesTest {
    private static final long RAM = 128L << 20;
    private static final long TABLES = RAM - 0x20000;
    private static final long RSDP = 0xf0000;

    /** The pc board as jqemu builds it for -kernel, with two CPUs. */
    static AcpiConfig pc(int cpus) {
        return new AcpiConfig(cpus, RAM, 0, 0xfee00000L, 0xfec00000L, 0, 0xfed00000L, 0x8086a201, 0x600, false, 9,
                0xb2, 0xcf9, 0x06, 0x32, new int[] {10, 10, 11, 11});
    }

    @TempDir
    Path tmp;

    private static int sum(byte[] b, int off, int len) {
        int s = 0;
        for (int i = off; i < off + len; i++) {
            s += b[i];
        }
        return s & 0xff;
    }

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static String sig(byte[] b, int off) {
        return new String(b, off, 4, StandardCharsets.US_ASCII);
    }

    @Test
    void anOsFindsEveryTableFromTheRsdpAndAllChecksumsHold() {
        AcpiTables.Image img = AcpiTables.build(pc(2), TABLES, RSDP);
        try (Machine m = new Machine(new MachineConfig())) {
            // The BIOS segment is ROM on a real board: the RSDP must go in all the same.
            m.memory().root().add(0, RamRegion.allocate(m.arena(), "ram", RAM, false));
            m.memory().root().add(0xf0000, RamRegion.allocate(m.arena(), "bios", 0x10000, true), 1);
            img.install(m.memory());
            AddressSpace mem = m.memory();

            // Scan 0xE0000-0xFFFFF on 16-byte boundaries, as Linux does without acpi_rsdp_addr.
            long found = -1;
            for (long a = 0xe0000; a < 0x100000 && found < 0; a += 16) {
                if (mem.read32(a) == 0x20445352 && mem.read32(a + 4) == 0x20525450) {
                    found = a;
                }
            }
            assertEquals(RSDP, found);
            byte[] rsdp = new byte[36];
            mem.readBytes(RSDP, rsdp, 0, 36);
            assertEquals(0, sum(rsdp, 0, 20), "ACPI 1.0 checksum");
            assertEquals(0, sum(rsdp, 0, 36), "extended checksum");
            assertEquals(2, rsdp[15], "revision");
            long rsdt = le(rsdp).getInt(16) & 0xffffffffL;
            long xsdt = le(rsdp).getLong(24);

            List<String> viaRsdt = listed(mem, rsdt, 4);
            List<String> viaXsdt = listed(mem, xsdt, 8);
            assertEquals(List.of("FACP", "APIC", "HPET"), viaRsdt);
            assertEquals(viaRsdt, viaXsdt);

            byte[] fadt = table(mem, img.addresses().get("FACP"));
            ByteBuffer f = le(fadt);
            assertEquals(244, fadt.length);
            assertEquals(3, fadt[8], "FADT revision");
            assertEquals(img.addresses().get("FACS"), f.getInt(36) & 0xffffffffL);
            assertEquals(0, f.getLong(132), "X_FIRMWARE_CTRL left 0: FIRMWARE_CTRL is set");
            long dsdt = f.getInt(40) & 0xffffffffL;
            assertEquals(dsdt, f.getLong(140));
            assertEquals("DSDT", sig(table(mem, dsdt), 0));
            byte[] facs = new byte[64];
            mem.readBytes(img.addresses().get("FACS"), facs, 0, 64);
            assertEquals("FACS", sig(facs, 0));
            assertEquals(0, img.addresses().get("FACS") % 64, "FACS is 64-byte aligned");

            assertEquals(9, f.getShort(46), "SCI_INT");
            assertEquals(0xb2, f.getInt(48), "SMI_CMD: the APM port the PM device answers");
            assertEquals(0xf1, fadt[52] & 0xff);
            assertEquals(0xf0, fadt[53] & 0xff);
            assertEquals(0x600, f.getInt(56), "PM1a_EVT_BLK");
            assertEquals(0x604, f.getInt(64), "PM1a_CNT_BLK");
            assertEquals(0x608, f.getInt(76), "PM_TMR_BLK");
            assertEquals(0x60c, f.getInt(80), "GPE0_BLK");
            assertEquals(4, fadt[88]);
            assertEquals(2, fadt[89]);
            assertEquals(4, fadt[91]);
            assertEquals(4, fadt[92]);
            int flags = f.getInt(112);
            assertEquals(1 << 10, flags & 1 << 10, "RESET_REG_SUP");
            assertEquals(0, flags & 1 << 4, "PWR_BUTTON clear: the power button is the fixed-feature one");
            assertEquals(0, flags & 1 << 8, "24-bit PM timer");
            assertEquals(1, fadt[116], "reset register in I/O space");
            assertEquals(0xcf9, f.getLong(120));
            assertEquals(6, fadt[128]);
            assertEquals(0x600, f.getLong(152), "X_PM1a_EVT_BLK");
            assertEquals(0x608, f.getLong(212), "X_PM_TMR_BLK");

            byte[] madt = table(mem, img.addresses().get("APIC"));
            ByteBuffer a = le(madt);
            assertEquals(0xfee00000L, a.getInt(36) & 0xffffffffL);
            List<String> entries = new ArrayList<>();
            for (int at = 44; at < madt.length; at += madt[at + 1]) {
                entries.add(switch (madt[at]) {
                    case 0 -> "lapic uid " + madt[at + 2] + " id " + madt[at + 3] + " flags " + a.getInt(at + 4);
                    case 1 -> "ioapic id " + madt[at + 2] + " at " + Integer.toHexString(a.getInt(at + 4)) + " gsi "
                            + a.getInt(at + 8);
                    case 2 -> "irq " + madt[at + 3] + " -> gsi " + a.getInt(at + 4) + " flags " + a.getShort(at + 8);
                    case 4 -> "nmi uid " + (madt[at + 2] & 0xff) + " lint " + madt[at + 5];
                    default -> "type " + madt[at];
                });
            }
            assertEquals(List.of("lapic uid 0 id 0 flags 1", "lapic uid 1 id 1 flags 1",
                    "ioapic id 0 at fec00000 gsi 0", "irq 0 -> gsi 2 flags 0", "irq 5 -> gsi 5 flags 13",
                    "irq 9 -> gsi 9 flags 13", "irq 10 -> gsi 10 flags 13", "irq 11 -> gsi 11 flags 13",
                    "nmi uid 255 lint 1"), entries);

            byte[] hpet = table(mem, img.addresses().get("HPET"));
            assertEquals(0x8086a201, le(hpet).getInt(36));
            assertEquals(0xfed00000L, le(hpet).getLong(44));
        }
    }

    /** The signatures of the tables a root table lists, checking each one's checksum. */
    private static List<String> listed(AddressSpace mem, long root, int entrySize) {
        byte[] t = table(mem, root);
        List<String> sigs = new ArrayList<>();
        for (int at = 36; at < t.length; at += entrySize) {
            long addr = entrySize == 4 ? le(t).getInt(at) & 0xffffffffL : le(t).getLong(at);
            sigs.add(sig(table(mem, addr), 0));
        }
        return sigs;
    }

    /** A table read from memory by its header's length; its checksum must hold. */
    private static byte[] table(AddressSpace mem, long addr) {
        int len = mem.read32(addr + 4);
        byte[] t = new byte[len];
        mem.readBytes(addr, t, 0, len);
        assertEquals(0, sum(t, 0, len), sig(t, 0) + " checksum");
        return t;
    }

    @Test
    void withoutHpetThereIsNoHpetTable() {
        AcpiConfig c = pc(1);
        AcpiConfig noHpet = new AcpiConfig(1, RAM, 0, c.localApicBase(), c.ioApicBase(), 0, 0, 0, 0x600, true, 9, 0,
                0xcf9, 6, 0, null);
        AcpiTables.Image img = AcpiTables.build(noHpet, TABLES, RSDP);
        assertTrue(!img.byName().containsKey("HPET"));
        byte[] fadt = img.byName().get("FACP");
        assertEquals(1 << 8, le(fadt).getInt(112) & 1 << 8, "TMR_VAL_EXT for a 32-bit timer");
        assertEquals(0, le(fadt).getInt(48), "no SMI_CMD: always in ACPI mode");
        assertEquals(0, fadt[52]);
    }

    /**
     * Debian's acpica-tools disassemble every table: a real peer for the binary layout. iasl
     * reports bad checksums, lengths and AML it cannot parse; the disassembly must show the
     * fields and objects we meant.
     */
    @Test
    void iaslDisassemblesEveryTable() throws Exception {
        Assumptions.assumeTrue(iaslAvailable(),
                "iasl not installed: run scripts/install-test-deps.sh (Debian package acpica-tools)");
        AcpiTables.Image img = AcpiTables.build(pc(2), TABLES, RSDP);
        Map<String, String> expect = Map.of(
                "DSDT", "Name (_HID, EisaId (\"PNP0A03\")",
                "FACP", "PM1A Event Block Address : 00000600",
                "APIC", "Subtable Type : 02 [Interrupt Source Override]",
                "HPET", "Hardware Block ID : 8086A201",
                "RSDT", "ACPI Table Address   2 : ",
                "XSDT", "ACPI Table Address   2 : ",
                "FACS", "Signature : \"FACS\"");
        for (Map.Entry<String, byte[]> t : img.byName().entrySet()) {
            String name = t.getKey();
            if (name.equals("RSDP")) {
                continue; // iasl 20200925 prints nothing for a lone RSDP; its checksums are checked above
            }
            Path bin = tmp.resolve(name.toLowerCase() + ".dat");
            Files.write(bin, t.getValue());
            String out = run(tmp, "iasl", "-d", bin.getFileName().toString());
            Path dsl = tmp.resolve(name.toLowerCase() + ".dsl");
            assertTrue(Files.exists(dsl), name + ": iasl wrote no disassembly:\n" + out);
            String text = Files.readString(dsl).replaceAll("[ \\t]+", " ");
            String lower = (out + text).toLowerCase();
            assertTrue(!lower.contains("invalid checksum") && !lower.contains("incorrect checksum"),
                    name + " checksum:\n" + out + text);
            assertTrue(!lower.contains("error"), name + ": iasl reports an error:\n" + out + text);
            String want = expect.get(name).replaceAll("[ \\t]+", " ");
            assertTrue(text.contains(want), name + ": expected \"" + want + "\" in:\n" + text);
        }
        String dsdt = Files.readString(tmp.resolve("dsdt.dsl")).replaceAll("\\s+", " ");
        for (String s : List.of("Name (\\_S5, Package (0x04)", "Device (PCI0)", "Name (_BBN, Zero)",
                "WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,",
                "0x0CF8, // Range Minimum", "EisaId (\"PNP0303\")", "EisaId (\"PNP0F13\")",
                "EisaId (\"PNP0B00\")", "0xFEBFFFFF", "Name (_PRT, Package (0x7C)",
                "Package (0x04) { 0x0002FFFF, 0x03, LNKA, Zero }", "Device (LNKD)",
                "Interrupt (ResourceConsumer, Level, ActiveHigh, Shared, ,, ) { 0x0000000B, }")) {
            assertTrue(dsdt.contains(s), "DSDT lacks " + s + ":\n" + dsdt);
        }
        // The disassembly compiles back: the AML is well formed.
        String recompiled = run(tmp, "iasl", "-p", "dsdt-again", "dsdt.dsl");
        assertTrue(Files.exists(tmp.resolve("dsdt-again.aml")), "iasl could not recompile the DSDT:\n" + recompiled);
    }

    /**
     * ACPICA's own interpreter (acpiexec, from the same package) loads the tables as an OS would
     * and evaluates the objects Linux uses: _S5 for power-off and the root bridge's _CRS.
     */
    @Test
    void acpiexecLoadsTheTablesAndEvaluatesS5AndCrs() throws Exception {
        Assumptions.assumeTrue(iaslAvailable(),
                "acpica-tools not installed: run scripts/install-test-deps.sh (Debian package acpica-tools)");
        AcpiTables.Image img = AcpiTables.build(pc(1), TABLES, RSDP);
        List<String> cmd = new ArrayList<>(List.of("acpiexec", "-b",
                "evaluate \\_S5; evaluate \\_SB.PCI0._CRS; evaluate \\_SB.LNKC._CRS"));
        for (String name : List.of("DSDT", "FACP", "APIC", "HPET")) {
            Path bin = tmp.resolve(name.toLowerCase() + ".dat");
            Files.write(bin, img.byName().get(name));
            cmd.add(bin.getFileName().toString());
        }
        String out = run(tmp, cmd.toArray(String[]::new));
        assertTrue(out.contains("1 ACPI AML tables successfully acquired and loaded"), out);
        assertTrue(out.contains("Initialized GPE 00 to 0F [_GPE] 2 regs on interrupt 0x9 (SCI)"), out);
        String s5 = out.substring(out.indexOf("Evaluating \\_S5"));
        assertTrue(s5.contains("[Package] Contains 4 Elements:"), out);
        assertTrue(out.contains("Evaluation of \\_SB.PCI0._CRS returned object"), out);
        assertTrue(out.contains("0000: 89 06 00 09 01 0B 00 00 00 79 00"), "LNKC: IRQ 11, level, high, shared\n" + out);
        assertTrue(out.contains("No outstanding allocations"), out);
    }

    private static boolean iaslAvailable() {
        try {
            Process p = new ProcessBuilder("iasl", "-v").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static String run(Path dir, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "iasl hung");
        return out;
    }
}
