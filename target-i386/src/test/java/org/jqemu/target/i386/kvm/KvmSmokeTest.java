package org.jqemu.target.i386.kvm;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The small end-to-end guest under {@code accel=kvm} (serial PIO, MMIO, timer interrupts from the
 * in-kernel irqchip, exit). Runs wherever /dev/kvm is usable and reports itself skipped elsewhere;
 * tests/kvm/nested/run.sh runs the same program inside a nested VM that has /dev/kvm.
 */
class KvmSmokeTest {
    @Test
    void smallGuestRunsUnderKvm(@TempDir Path dir) throws Exception {
        Path kvm = Path.of("/dev/kvm");
        assumeTrue(Files.isReadable(kvm) && Files.isWritable(kvm), "no usable /dev/kvm on this host");
        KvmSmoke.Result r = KvmSmoke.run(dir);
        assertTrue(r.passed(), r.toString());
    }
}
