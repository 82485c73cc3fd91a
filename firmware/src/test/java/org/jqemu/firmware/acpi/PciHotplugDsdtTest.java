package org.jqemu.firmware.acpi;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DSDT's ACPI PCI hotplug part (QEMU's interface at 0xAE00), checked with Debian's
 * acpica-tools: iasl disassembles it cleanly, and acpiexec loads it and runs the objects Linux's
 * acpiphp uses: the slots' _ADR/_SUN, _EJ0 and the GPE handler \_GPE._E01.
 */
class PciHotplugDsdtTest {
    private static final long RAM = 128L << 20;
    /** Slots 0-2 hold the host bridge, the PIIX and the VGA card: the rest are hot-pluggable. */
    private static final int SLOTS = ~0b111;

    @TempDir
    Path tmp;

    static AcpiConfig pcWithHotplug() {
        AcpiConfig c = AcpiTablesTest.pc(1);
        return new AcpiConfig(c.cpus(), c.ramBelow4g(), c.ramAbove4g(), c.localApicBase(), c.ioApicBase(),
                c.ioApicId(), c.hpetBase(), c.hpetBlockId(), c.pmIoBase(), c.pmTimer32(), c.sciIrq(), c.smiCmdPort(),
                c.resetPort(), c.resetValue(), c.rtcCenturyIndex(), c.pirqIrqs(), null, 0xae00, SLOTS);
    }

    @Test
    void slotNamesFollowQemusDevfnConvention() {
        assertTrue(AcpiTables.slotName(3).equals("S18") && AcpiTables.slotName(31).equals("SF8"));
    }

    @Test
    void withoutHotplugTheDsdtHasNoSlotsNorGpeHandler() {
        byte[] dsdt = AcpiTables.build(AcpiTablesTest.pc(1), RAM - 0x20000, 0xf0000).byName().get("DSDT");
        String text = new String(dsdt, StandardCharsets.ISO_8859_1);
        assertFalse(text.contains("_E01") || text.contains("B0EJ") || text.contains("S18_"), "cold-plug only DSDT");
    }

    @Test
    void iaslDisassemblesTheHotplugObjectsCleanly() throws Exception {
        Assumptions.assumeTrue(acpicaAvailable(), "acpica-tools not installed: run scripts/install-test-deps.sh");
        Files.write(tmp.resolve("dsdt.dat"),
                AcpiTables.build(pcWithHotplug(), RAM - 0x20000, 0xf0000).byName().get("DSDT"));
        String out = run("iasl", "-d", "dsdt.dat");
        String dsl = Files.readString(tmp.resolve("dsdt.dsl"));
        assertFalse((out + dsl).toLowerCase().contains("error"), out + dsl);
        String flat = dsl.replaceAll("//[^\n]*", "").replaceAll("\\s+", " ");
        for (String s : List.of(
                "OperationRegion (PCST, SystemIO, 0xAE00, 0x08)",
                "Field (PCST, DWordAcc, NoLock, WriteAsZeros) { PCIU, 32, PCID, 32 }",
                "OperationRegion (SEJ, SystemIO, 0xAE08, 0x04)",
                "Field (SEJ, DWordAcc, NoLock, WriteAsZeros) { B0EJ, 32 }",
                "OperationRegion (BNMR, SystemIO, 0xAE10, 0x04)",
                "Device (S18) { Name (_ADR, 0x00030000) Name (_SUN, 0x03) Method (_EJ0, 1, NotSerialized)"
                        + " { B0EJ = 0x08 } }",
                "Device (SF8) { Name (_ADR, 0x001F0000) Name (_SUN, 0x1F)",
                "Scope (\\_GPE) { Method (_E01, 0, NotSerialized) { Local0 = \\_SB.PCI0.PCIU Local1 = \\_SB.PCI0.PCID",
                "If ((Local0 & 0x08)) { Notify (\\_SB.PCI0.S18, One) }",
                "If ((Local1 & 0x08)) { Notify (\\_SB.PCI0.S18, 0x03) }")) {
            assertTrue(flat.contains(s), "DSDT lacks " + s + ":\n" + dsl);
        }
        assertFalse(flat.contains("Device (S10)") || flat.contains("Device (S08)") || flat.contains("Device (S00)"),
                "fixed slots 0-2 have no hotplug object:\n" + dsl);
        String again = run("iasl", "-p", "again", "dsdt.dsl");
        assertTrue(Files.exists(tmp.resolve("again.aml")), "the disassembly compiles back:\n" + again);
    }

    /** acpiexec emulates SystemIO regions in memory: _E01 and _EJ0 run without AML errors. */
    @Test
    void acpiexecRunsTheGpeHandlerAndEjectMethod() throws Exception {
        Assumptions.assumeTrue(acpicaAvailable(), "acpica-tools not installed: run scripts/install-test-deps.sh");
        var img = AcpiTables.build(pcWithHotplug(), RAM - 0x20000, 0xf0000);
        List<String> cmd = new ArrayList<>(List.of("acpiexec", "-b",
                "evaluate \\_SB.PCI0.S18._SUN; evaluate \\_SB.PCI0.S20._ADR; execute \\_GPE._E01;"
                        + " execute \\_SB.PCI0.S18._EJ0 0; evaluate \\_SB.PCI0.B0EJ"));
        for (String name : List.of("DSDT", "FACP", "APIC", "HPET")) {
            Files.write(tmp.resolve(name.toLowerCase() + ".dat"), img.byName().get(name));
            cmd.add(name.toLowerCase() + ".dat");
        }
        String out = run(cmd.toArray(String[]::new));
        assertTrue(out.contains("1 ACPI AML tables successfully acquired and loaded"), out);
        assertTrue(out.contains("Enabled GPE") || out.contains("_E01") || out.contains("[_GPE]"), out);
        assertTrue(out.matches("(?s).*Evaluation of \\\\_SB.PCI0.S18._SUN returned object.*\\[Integer\\] = 0*3\\b.*"),
                out);
        assertTrue(out.matches("(?s).*Evaluation of \\\\_SB.PCI0.S20._ADR returned object.*\\[Integer\\] = 0*40000\\b.*"),
                out);
        assertFalse(out.contains("ACPI Error") || out.contains("AE_AML") || out.contains("AE_NOT_FOUND"), out);
        assertTrue(out.matches("(?s).*Evaluation of \\\\_SB.PCI0.B0EJ returned object.*\\[Integer\\] = 0*8\\b.*"),
                "_EJ0 wrote slot 3's bit:\n" + out);
    }

    private static boolean acpicaAvailable() {
        try {
            Process p = new ProcessBuilder("acpiexec", "-v").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(tmp.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", cmd) + " hung");
        return out;
    }
}
