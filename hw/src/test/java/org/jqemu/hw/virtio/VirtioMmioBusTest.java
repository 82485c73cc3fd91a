package org.jqemu.hw.virtio;

import static org.jqemu.hw.virtio.VirtioMmio.*;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.jqemu.hw.TestMachines;
import org.jqemu.hw.TestMachines.RecordingLine;
import org.jqemu.system.block.BlockBackends;
import org.jqemu.system.irq.IrqLine;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VirtioMmioBusTest {
    @TempDir
    Path dir;

    @Test
    void devicesFillSlotsAndEmptySlotsReadAsDeviceZero() throws Exception {
        Path f = dir.resolve("d.raw");
        Files.write(f, new byte[4096]);
        try (Machine m = TestMachines.newMachine()) {
            IrqLine[] irqs = {new RecordingLine(), new RecordingLine()};
            VirtioMmioBus bus = new VirtioMmioBus(m, 0x0a00_0000L, irqs);
            m.putComponent(VirtioMmioBus.class, bus);
            BlockBackends b = new BlockBackends();
            m.putComponent(BlockBackends.class, b);
            m.addResourceToClose(b);
            b.openDrive(Opts.parse("-drive", "file=" + f + ",if=none,id=d0", null));
            assertEquals(MAGIC, m.memory().read32(0x0a00_0000L + MAGIC_VALUE));
            assertEquals(0, m.memory().read32(0x0a00_0000L + DEVICE_ID), "empty slot");
            new VirtioMmioDeviceTypes.Blk().create(m, new Opts("-device", Map.of("drive", "d0")));
            assertEquals(VirtioDevice.ID_BLOCK, m.memory().read32(0x0a00_0000L + DEVICE_ID));
            assertEquals(8, m.memory().read64(0x0a00_0000L + CONFIG), "capacity in sectors");
            assertEquals(0, m.memory().read32(0x0a00_0200L + DEVICE_ID));
            new VirtioMmioDeviceTypes.Serial().create(m, new Opts("-device", Map.of()));
            assertEquals(VirtioDevice.ID_CONSOLE, m.memory().read32(0x0a00_0200L + DEVICE_ID));
            assertEquals("virtio-mmio: all 2 slots are in use; no room for 'virtio-serial'",
                    assertThrows(ConfigException.class,
                            () -> new VirtioMmioDeviceTypes.Serial().create(m, new Opts("-device", Map.of()))).getMessage());
            assertTrue(m.devices().contains(bus.slot(0)));
        }
    }

    @Test
    void withoutSlotsTheTypeSaysSo() {
        try (Machine m = TestMachines.newMachine()) {
            assertEquals("No 'virtio-bus' bus found for device 'virtio-blk-device'", assertThrows(ConfigException.class,
                    () -> new VirtioMmioDeviceTypes.Blk().create(m, new Opts("-device", Map.of("drive", "x")))).getMessage());
        }
    }
}
