package org.jqemu.hw.acpi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jqemu.hw.pc.PcMachine;
import org.jqemu.hw.pci.PciBus;
import org.jqemu.hw.pci.PciDevice;
import org.jqemu.hw.virtio.VirtioNetPciType;
import org.jqemu.hw.virtio.VirtioSerialPciType;
import org.jqemu.hw.display.VgaPciType;
import org.jqemu.system.device.Device;
import org.jqemu.system.device.HotplugBus;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.machine.MachineListener;
import org.jqemu.system.net.NetBackends;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pc board's ACPI PCI hotplug registers as the guest's AML uses them (port I/O at 0xAE00,
 * GPE0 status at 0xAFE0), driven through the {@link HotplugBus} QMP uses.
 */
class AcpiPciHotplugTest {
    static final int GPE0_STS = 0xafe0;

    @TempDir
    Path dir;
    Machine m;
    HotplugBus hotplug;
    PciBus pci;
    final List<String> deleted = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        MachineConfig c = new MachineConfig();
        c.ramSize = 2L << 20;
        c.vga = "std";
        Path bios = dir.resolve("bios.bin");
        Files.write(bios, new byte[64 << 10]);
        c.bios = bios.toString();
        m = new Machine(c);
        new PcMachine().build(m);
        m.addListener(new MachineListener() {
            @Override
            public void deviceDeleted(String id, String path) {
                deleted.add(id + " " + path);
            }
        });
        hotplug = m.component(HotplugBus.class);
        pci = m.component(PciBus.class);
    }

    @AfterEach
    void tearDown() {
        m.close();
    }

    long reg(int offset) {
        return m.io().read(AcpiPciHotplug.BASE + offset, 4);
    }

    Device plugSerial(String id, String addr) throws ConfigException {
        Map<String, String> props = addr == null ? Map.of("id", id) : Map.of("id", id, "addr", addr);
        return hotplug.plug(new VirtioSerialPciType(), new Opts("device_add", props), id);
    }

    @Test
    void theBoardRegistersPciHotplugOnPci0() {
        assertInstanceOf(AcpiPciHotplug.class, hotplug);
        assertEquals("pci.0", hotplug.busName());
        assertTrue(hotplug.accepts(new VirtioSerialPciType()));
        assertFalse(hotplug.accepts(new VgaPciType()), "display adapters own fixed VGA resources");
        // host bridge (0), PIIX (1) and VGA (2) stay; every other slot can take a device
        assertEquals(0xfffffff8L, reg(AcpiPciHotplug.REMOVABLE));
        assertEquals(0, reg(AcpiPciHotplug.UP));
        assertEquals(0, reg(AcpiPciHotplug.DOWN));
    }

    @Test
    void plugSignalsUpAndGpeThenEjectRemovesAndReportsDeletion() throws Exception {
        Device dev = plugSerial("ser", null);
        PciDevice fn = (PciDevice) dev;
        assertEquals(0x18, fn.devfn(), "first free slot: 3");
        assertEquals(0x1af4, pci.configRead(0x18, 0, 2));
        assertTrue(m.devices().contains(dev));
        assertEquals(1 << AcpiPciHotplug.GPE_BIT, m.io().read(GPE0_STS, 2) & 0xffff, "GPE0 status bit 1");
        assertEquals(1 << 3, reg(AcpiPciHotplug.UP));
        assertEquals(0, reg(AcpiPciHotplug.UP), "PCIU clears when read");
        m.io().write(GPE0_STS, 2, 1 << AcpiPciHotplug.GPE_BIT); // the guest acknowledges the GPE

        hotplug.requestUnplug(dev);
        assertEquals(1 << 3, reg(AcpiPciHotplug.DOWN));
        assertEquals(1 << 3, reg(AcpiPciHotplug.DOWN), "PCID stays until the eject");
        assertEquals(1 << AcpiPciHotplug.GPE_BIT, m.io().read(GPE0_STS, 2) & 0xffff);
        assertTrue(deleted.isEmpty(), "nothing is deleted before the guest ejects");

        m.io().write(AcpiPciHotplug.BASE + AcpiPciHotplug.EJECT, 4, 1 << 3);
        assertEquals(0xffff, pci.configRead(0x18, 0, 2), "slot 3 is empty again");
        assertFalse(m.devices().contains(dev));
        assertEquals(0, reg(AcpiPciHotplug.DOWN));
        assertEquals(List.of("null /machine/peripheral/ser/virtio-backend", "ser /machine/peripheral/ser"), deleted);

        // the slot is free for the next device
        assertEquals(0x18, ((PciDevice) plugSerial("again", null)).devfn());
    }

    @Test
    void addrPicksTheSlotAndFixedSlotsOrFunctionsAreRefused() throws Exception {
        assertEquals(0x38, ((PciDevice) plugSerial("s7", "7")).devfn());
        assertEquals(1 << 7, reg(AcpiPciHotplug.UP));
        ConfigException vga = assertThrows(ConfigException.class, () -> plugSerial("x", "2"));
        assertEquals("PCI: slot 2 does not support hotplugging", vga.getMessage());
        ConfigException fn = assertThrows(ConfigException.class, () -> plugSerial("y", "9.1"));
        assertEquals("PCI: hot-plugging function 1 of slot 9 is not supported, only function 0", fn.getMessage());
        ConfigException busy = assertThrows(ConfigException.class, () -> plugSerial("z", "7"));
        assertTrue(busy.getMessage().startsWith("PCI: slot 7 function 0 not available"), busy.getMessage());
        Device vgaCard = pci.function(0x10);
        ConfigException fixed = assertThrows(ConfigException.class, () -> hotplug.requestUnplug(vgaCard));
        assertEquals("Bus 'pci.0' does not support hotplugging", fixed.getMessage());
        // a guest's eject of a fixed slot changes nothing
        m.io().write(AcpiPciHotplug.BASE + AcpiPciHotplug.EJECT, 4, 1 << 2);
        assertEquals(vgaCard, pci.function(0x10));
        assertTrue(deleted.isEmpty());
    }

    @Test
    void resetCompletesPendingRemovalsAsQemuDoes() throws Exception {
        Device dev = plugSerial("ser", null);
        hotplug.requestUnplug(dev);
        m.lock();
        try {
            for (Device d : m.devices()) {
                d.reset();
            }
        } finally {
            m.unlock();
        }
        assertFalse(m.devices().contains(dev));
        assertEquals(0, reg(AcpiPciHotplug.DOWN));
        assertEquals(0, reg(AcpiPciHotplug.UP));
        assertEquals(2, deleted.size());
    }

    /** QEMU lets a netdev serve the next NIC once the last one is gone, or never got plugged. */
    @Test
    void aNetdevIsFreeAgainAfterAFailedAddAndAfterTheEject() throws Exception {
        NetBackends nets = new NetBackends(Runnable::run);
        m.addResourceToClose(nets);
        m.putComponent(NetBackends.class, nets);
        nets.open(new Opts("-netdev", Map.of("type", "stream", "id", "n0", "server", "on", "addr.type", "unix",
                "addr.path", dir.resolve("n0.sock").toString())));
        VirtioNetPciType nic = new VirtioNetPciType();
        ConfigException badMac = assertThrows(ConfigException.class, () -> hotplug.plug(nic,
                new Opts("device_add", Map.of("netdev", "n0", "id", "a", "mac", "52:54")), "a"));
        assertTrue(badMac.getMessage().endsWith("Property 'mac' doesn't take value '52:54'"), badMac.getMessage());
        Device a = hotplug.plug(nic, new Opts("device_add", Map.of("netdev", "n0", "id", "a")), "a");
        ConfigException inUse = assertThrows(ConfigException.class, () -> hotplug.plug(nic,
                new Opts("device_add", Map.of("netdev", "n0", "id", "b")), "b"));
        assertTrue(inUse.getMessage().contains("it's in use"), inUse.getMessage());
        hotplug.requestUnplug(a);
        m.io().write(AcpiPciHotplug.BASE + AcpiPciHotplug.EJECT, 4, 1 << (((PciDevice) a).devfn() >> 3));
        assertFalse(m.devices().contains(a));
        Device b = hotplug.plug(nic, new Opts("device_add", Map.of("netdev", "n0", "id", "b")), "b");
        assertEquals("b", b.id());
    }

    @Test
    void anotherBusSelectorSeesNothing() throws Exception {
        plugSerial("ser", null);
        m.io().write(AcpiPciHotplug.BASE + AcpiPciHotplug.SELECT, 4, 1);
        assertEquals(1, reg(AcpiPciHotplug.SELECT));
        assertEquals(0, reg(AcpiPciHotplug.UP), "no bus 1: its registers read 0");
        m.io().write(AcpiPciHotplug.BASE + AcpiPciHotplug.SELECT, 4, 0);
        assertEquals(1 << 3, reg(AcpiPciHotplug.UP), "bus 0's event is still pending");
    }
}
