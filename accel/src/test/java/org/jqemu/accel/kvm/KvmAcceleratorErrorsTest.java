package org.jqemu.accel.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.jqemu.system.accel.AcceleratorException;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ways {@code -accel kvm} fails to start, each with QEMU's two lines (the CLI adds the
 * "jqemu: -accel kvm: " prefix to the second). They go through the real open(2) and ioctl(2).
 */
class KvmAcceleratorErrorsTest {
    private static AcceleratorException initFails(Path device) {
        try (Machine m = new Machine(new MachineConfig())) {
            return assertThrows(AcceleratorException.class, () -> new KvmAccelerator(device).init(m));
        }
    }

    @Test
    void missingDeviceGivesQemusMessage(@TempDir Path dir) {
        AcceleratorException e = initFails(dir.resolve("kvm"));
        assertEquals("Could not access KVM kernel module: No such file or directory", e.preface());
        assertEquals("failed to initialize kvm: No such file or directory", e.getMessage());
    }

    @Test
    void thisHostsMissingDevKvmGivesQemusMessage() {
        assumeFalse(Files.exists(Path.of("/dev/kvm")), "this host has /dev/kvm");
        try (Machine m = new Machine(new MachineConfig())) {
            AcceleratorException e = assertThrows(AcceleratorException.class, () -> new KvmAccelerator().init(m));
            assertEquals("Could not access KVM kernel module: No such file or directory", e.preface());
            assertEquals("failed to initialize kvm: No such file or directory", e.getMessage());
        }
    }

    @Test
    void permissionDeniedNamesTheDeviceAndItsGroup(@TempDir Path dir) throws IOException {
        Path device = dir.resolve("kvm");
        Files.createFile(device, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("---------")));
        if (canOpenForWriting(device)) {
            // root ignores mode bits; a sysctl file is read-only for root as well
            device = Path.of("/proc/sys/kernel/ostype");
        }
        String group = Files.readAttributes(device, java.nio.file.attribute.PosixFileAttributes.class).group().getName();
        AcceleratorException e = initFails(device);
        assertEquals("Could not access KVM kernel module: Permission denied", e.preface());
        assertEquals("failed to initialize kvm: Permission denied (add your user to the group that owns " + device
                + ", group '" + group + "')", e.getMessage());
    }

    @Test
    void aFileThatIsNotKvmIsTooOld(@TempDir Path dir) throws IOException {
        // QEMU's wording when KVM_GET_API_VERSION fails: the ioctl's error is the reason.
        Path device = Files.writeString(dir.resolve("kvm"), "not a device");
        AcceleratorException e = initFails(device);
        assertEquals("kvm version too old", e.preface());
        assertEquals("failed to initialize kvm: Inappropriate ioctl for device", e.getMessage());
    }

    private static boolean canOpenForWriting(Path p) {
        try (FileChannel c = FileChannel.open(p, StandardOpenOption.WRITE)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
