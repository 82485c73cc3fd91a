package org.jqemu.system.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.options.ConfigException;
import org.junit.jupiter.api.Test;

class DriveOptionsTest {
    private static MachineConfig parse(String... args) throws ConfigException {
        return CommandLineParser.parse(args).config();
    }

    private static String error(String... args) {
        return assertThrows(ConfigException.class, () -> CommandLineParser.parse(args)).getMessage();
    }

    @Test
    void virtioDriveAddsABackendAndAVirtioBlkPciDevice() throws Exception {
        MachineConfig c = parse("-drive", "file=a.img,format=raw,if=virtio", "-drive", "file=b,,c.img,if=virtio,readonly=on");
        assertEquals(2, c.drives.size());
        assertEquals(Map.of("file", "a.img", "format", "raw", "if", "virtio", "id", "virtio0"), c.drives.get(0).asMap());
        assertEquals("b,c.img", c.drives.get(1).asMap().get("file"));
        assertEquals("virtio1", c.drives.get(1).asMap().get("id"));
        assertEquals(Map.of("driver", "virtio-blk-pci", "drive", "virtio0"), c.devices.get(0).asMap());
        assertEquals(Map.of("driver", "virtio-blk-pci", "drive", "virtio1"), c.devices.get(1).asMap());
    }

    @Test
    void noneDriveIsOnlyABackend() throws Exception {
        MachineConfig c = parse("-drive", "file=a.img,if=none,id=d0", "-device", "virtio-blk-pci,drive=d0");
        assertEquals("d0", c.drives.get(0).asMap().get("id"));
        assertEquals(1, c.devices.size());
        assertEquals("-device virtio-blk-pci,drive=d0", c.devices.get(0).option());
    }

    @Test
    void blockdevNeedsDriverAndNodeName() throws Exception {
        MachineConfig c = parse("-blockdev", "driver=raw,node-name=disk,file.driver=file,file.filename=x.img");
        assertEquals("x.img", c.blockdevs.get(0).asMap().get("file.filename"));
        assertEquals("-blockdev node-name=x: Parameter 'driver' is missing", error("-blockdev", "node-name=x"));
        assertEquals("-blockdev driver=file,filename=x: A block device must be given a name (node-name) at the top level",
                error("-blockdev", "driver=file,filename=x"));
    }

    @Test
    void unsupportedInterfacesAreRefused() {
        assertEquals("-drive file=a.img,if=scsi: if=scsi is not supported yet (if=virtio works)",
                error("-drive", "file=a.img,if=scsi"));
        assertEquals("-drive file=a.img,if=bogus: unsupported bus type 'bogus'", error("-drive", "file=a.img,if=bogus"));
    }

    @Test
    void netdevNeedsTypeAndId() throws Exception {
        MachineConfig c = parse("-netdev", "stream,id=n0,server=on,addr.type=inet,addr.host=127.0.0.1,addr.port=5555");
        assertEquals("stream", c.netdevs.get(0).asMap().get("type"));
        assertEquals("-netdev socket: Parameter 'id' is missing", error("-netdev", "socket"));
    }

    @Test
    void nicIsANetdevPlusAVirtioNic() throws Exception {
        MachineConfig c = parse("-nic", "socket,connect=127.0.0.1:5555,mac=52:54:00:aa:bb:cc");
        assertEquals(Map.of("type", "socket", "connect", "127.0.0.1:5555", "id", "__org.qemu.nic0"), c.netdevs.get(0).asMap());
        assertEquals(Map.of("driver", "virtio-net-pci", "netdev", "__org.qemu.nic0", "mac", "52:54:00:aa:bb:cc"),
                c.devices.get(0).asMap());
        assertEquals(true, parse("-nic", "none").nicNone);
    }

    @Test
    void everyHostfwdIsKept() throws Exception {
        MachineConfig c = parse("-nic", "user,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=tcp::2222-:22");
        assertEquals("tcp:127.0.0.1:8080-:80\ntcp::2222-:22", c.netdevs.get(0).asMap().get("hostfwd"));
        c = parse("-netdev", "user,id=u,hostfwd=tcp::2222-:22");
        assertEquals("tcp::2222-:22", c.netdevs.get(0).asMap().get("hostfwd"));
    }
}
