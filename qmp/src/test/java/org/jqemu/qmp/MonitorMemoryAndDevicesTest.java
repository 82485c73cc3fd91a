package org.jqemu.qmp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jqemu.system.cpu.Cpu;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.memory.RamRegion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * memsave, x, info registers, device_add/device_del and the info commands on a machine with RAM
 * and a CPU whose page table maps virtual page 0x7000_0000 to physical 0x3000 and nothing else.
 */
class MonitorMemoryAndDevicesTest {
    private static final long VPAGE = 0x7000_0000L, PPAGE = 0x3000;

    private Machine machine;
    private QmpMonitor monitor;
    private FakeQmpClient client;

    /** A CPU with one mapped page and a fixed register dump. */
    private static final class PagedCpu implements Cpu {
        @Override
        public int index() {
            return 0;
        }

        @Override
        public void reset() {}

        @Override
        public boolean hasWork() {
            return false;
        }

        @Override
        public void setKicker(Runnable kicker) {}

        @Override
        public String dumpRegisters() {
            return "EAX=00000001 EBX=00000002\nEIP=00001000\n";
        }

        @Override
        public long translate(long vaddr) {
            return vaddr >= VPAGE && vaddr < VPAGE + 0x1000 ? PPAGE + (vaddr - VPAGE) : -1;
        }
    }

    @BeforeEach
    void start() {
        machine = new Machine(new MachineConfig());
        machine.memory().root().add(0, RamRegion.allocate(machine.arena(), "ram", 0x10000, false));
        machine.addCpu(new PagedCpu());
        monitor = new QmpMonitor(machine, Runnable::run);
        client = FakeQmpClient.negotiated(monitor);
    }

    @AfterEach
    void close() {
        machine.close();
    }

    private JsonNode run(String request) {
        return client.run(request);
    }

    private String hmp(String line) {
        return client.hmp(line);
    }

    @Test
    void memsaveFollowsThePageTableAndRefusesUnmappedPages(@TempDir Path dir) throws Exception {
        machine.memory().writeBytes(PPAGE + 0x10, "virtual bytes".getBytes(StandardCharsets.US_ASCII));
        Path f = dir.resolve("v.bin");
        JsonNode ok = run("{\"execute\": \"memsave\", \"arguments\": {\"val\": " + (VPAGE + 0x10)
                + ", \"size\": 13, \"filename\": \"" + f + "\"}}");
        assertEquals("{}", ok.get("return").toString());
        assertArrayEquals("virtual bytes".getBytes(StandardCharsets.US_ASCII), Files.readAllBytes(f));

        JsonNode bad = run("{\"execute\": \"memsave\", \"arguments\": {\"val\": " + (VPAGE + 0xff8)
                + ", \"size\": 16, \"filename\": \"" + f + "\"}}");
        assertEquals("Invalid addr 0x0000000070000ff8/size 16 specified", bad.get("error").get("desc").asText());
        JsonNode cpu = run("{\"execute\": \"memsave\", \"arguments\": {\"val\": 0, \"size\": 1, \"filename\": \""
                + f + "\", \"cpu-index\": 3}}");
        assertEquals("GenericError", cpu.get("error").get("class").asText());
    }

    @Test
    void hmpXReadsVirtualAndXpPhysicalMemory(@TempDir Path dir) {
        machine.memory().write32(PPAGE, 0x11223344);
        machine.memory().write32(PPAGE + 4, 0x55667788);
        assertEquals("0000000070000000: 0x11223344 0x55667788\r\n", hmp("x /2x 0x70000000"));
        assertEquals("0000000000003000: 0x11223344 0x55667788\r\n", hmp("xp /2x 0x3000"));
        assertEquals("0000000000001000: Cannot access memory\r\n", hmp("x /2x 0x1000"));
        // registers of the CPU's dump in addresses: EIP=00001000, EBX=00000002
        assertEquals("0000000000003000: 0x11223344\r\n", hmp("xp $pc+0x2000"));
        assertEquals("0000000000003004: 0x55667788\r\n", hmp("xp 0x3000+$ebx+$ebx"));
        assertEquals("0000000070000004: 0x55667788\r\n", hmp("x 0x70000008-4"));
        assertEquals("unknown register 'r99'\r\nTry \"help xp\" for more information\r\n", hmp("xp $r99"));
        // HMP's memsave is QMP's with positional arguments
        Path f = dir.resolve("h.bin");
        assertEquals("", hmp("memsave 0x70000000 8 \"" + f + "\""));
        assertEquals("", hmp("pmemsave 0x3000 8 " + f.resolveSibling("p.bin")));
        assertTrue(hmp("memsave 0x1000 8 " + f).startsWith("Error: Invalid addr"));
    }

    @Test
    void infoRegistersPrintsTheCpuDumpWithCrLf() {
        assertEquals("\r\nCPU#0\r\nEAX=00000001 EBX=00000002\r\nEIP=00001000\r\n", hmp("info registers"));
        assertTrue(hmp("info registers -a").startsWith("\r\nCPU#0\r\nEAX="));
        JsonNode other = run("{\"execute\": \"human-monitor-command\", \"arguments\": {\"command-line\": "
                + "\"info registers\", \"cpu-index\": 1}}");
        assertEquals("Error: Invalid CPU index 1\r\n", other.get("return").asText(), "one CPU only");
    }

    @Test
    void helpListsEveryCommandAndInfoEverySubcommand() {
        String help = hmp("help");
        for (String cmd : List.of("cont|c", "device_add", "device_del", "info", "memsave", "pmemsave", "quit|q",
                "sendkey", "stop|s", "system_powerdown", "system_reset", "x ", "xp ")) {
            assertTrue(help.contains("\r\n" + cmd) || help.startsWith(cmd), cmd + " missing from\n" + help);
        }
        String info = hmp("help info");
        for (String sub : List.of("block", "chardev", "cpus", "mtree", "network", "pci", "qtree", "registers",
                "status", "version")) {
            assertTrue(info.contains("info " + sub + " "), sub + " missing from\n" + info);
        }
        assertEquals("unknown command: 'info frob'\r\n", hmp("info frob"));
        assertTrue(hmp("info mtree").contains("0000000000000000-000000000000ffff (prio 0, ram): ram\r\n"),
                hmp("info mtree"));
        assertTrue(hmp("sendkey nosuchkey").startsWith("Error: "), "an unknown key name: a clear error");
    }

    @Test
    void deviceAddAndDelGiveQemusErrorsWithoutHotplug() {
        assertEquals("'frobnicator' is not a valid device model name",
                run("{\"execute\": \"device_add\", \"arguments\": {\"driver\": \"frobnicator\", \"id\": \"x\"}}")
                        .get("error").get("desc").asText());
        JsonNode del = run("{\"execute\": \"device_del\", \"arguments\": {\"id\": \"nothing\"}}");
        assertEquals("DeviceNotFound", del.get("error").get("class").asText());
        assertEquals("Device 'nothing' not found", del.get("error").get("desc").asText());
        assertEquals("Error: 'frobnicator' is not a valid device model name\r\n", hmp("device_add frobnicator,id=y"));
    }

    @Test
    void queryBlockAndPciOnABareMachineAreEmpty() {
        assertEquals("[]", run("{\"execute\": \"query-block\"}").get("return").toString());
        assertEquals("[]", run("{\"execute\": \"query-pci\"}").get("return").toString());
    }
}
