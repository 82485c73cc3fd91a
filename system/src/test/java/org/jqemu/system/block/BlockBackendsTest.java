package org.jqemu.system.block;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlockBackendsTest {
    @TempDir
    Path dir;

    @Test
    void blockdevAndDriveOpenRawImages() throws Exception {
        Path f = dir.resolve("a.img");
        Files.write(f, new byte[4096]);
        try (BlockBackends b = new BlockBackends()) {
            BlockImage n = b.openBlockdev(Opts.parse("-blockdev",
                    "driver=raw,node-name=n0,file.driver=file,file.filename=" + f + ",read-only=on", null));
            assertTrue(n.readOnly());
            assertEquals(4096, n.size());
            BlockImage d = b.openDrive(Opts.parse("-drive", "file=" + f + ",format=raw,if=virtio,id=d0,cache=none", null));
            assertFalse(d.readOnly());
            d.write(512, new ByteBuffer[] {ByteBuffer.wrap(new byte[] {1, 2, 3})});
            d.flush();
            assertEquals(2, Files.readAllBytes(f)[513]);
            ByteBuffer back = ByteBuffer.allocate(8);
            n.read(4092, new ByteBuffer[] {back});
            assertArrayEquals(new byte[8], back.array(), "past the end reads zeros");
            assertSame(d, b.attach("d0", "virtio-blk-pci"));
            assertEquals("virtio-blk-pci: Drive 'd0' is already in use by another device",
                    assertThrows(ConfigException.class, () -> b.attach("d0", "virtio-blk-pci")).getMessage());
            assertEquals("Duplicate ID 'n0' for drive", assertThrows(ConfigException.class,
                    () -> b.openDrive(Opts.parse("-drive", "file=" + f + ",id=n0", null))).getMessage());
        }
    }

    /** Parses as the command line does: the option's location is "-drive VALUE". */
    private static Opts drive(String value) throws ConfigException {
        return Opts.parse("-drive " + value, value, null);
    }

    @Test
    void errorsNameTheOptionAndFile() {
        BlockBackends b = new BlockBackends();
        String missing = dir.resolve("nope.img").toString();
        assertEquals("-drive file=" + missing + ",id=x: Could not open '" + missing + "': No such file or directory",
                assertThrows(ConfigException.class,
                        () -> b.openDrive(drive("file=" + missing + ",id=x"))).getMessage());
        assertEquals("-drive file=a,id=x,format=qcow2: Could not open 'a': No such file or directory",
                assertThrows(ConfigException.class,
                        () -> b.openDrive(drive("file=a,id=x,format=qcow2"))).getMessage());
        assertEquals("-drive file=a,id=x,bogus=1: Invalid parameter 'bogus'",
                assertThrows(ConfigException.class,
                        () -> b.openDrive(drive("file=a,id=x,bogus=1"))).getMessage());
    }
}
