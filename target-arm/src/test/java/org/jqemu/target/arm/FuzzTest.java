package org.jqemu.target.arm;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A guest must never crash the emulator: random instruction words, executed with registers
 * pointing into RAM, a device and unmapped space, either run or raise an architectural
 * exception (ArmFault) — never a Java exception.
 */
class FuzzTest {
    @Test
    void randomWordsNeverThrowJavaExceptions() {
        SplittableRandom rnd = new SplittableRandom(0x5eed);
        try (ArmRig rig = new ArmRig(16L << 20)) {
            Aarch64Cpu cpu = rig.cpu;
            A64Interpreter interp = new A64Interpreter(cpu);
            long[] bases = {ArmRig.RAM_BASE, ArmRig.RAM_BASE + 0x10_0000, ArmRig.UART, 0x1_0000_0000L, 0};
            for (int n = 0; n < 300_000; n++) {
                if (n % 64 == 0) {
                    cpu.reset();
                    cpu.sys.write(A64SysRegs.CPACR, 3L << 20);
                    for (int r = 0; r < 32; r++) {
                        cpu.x[r] = bases[rnd.nextInt(bases.length)] + rnd.nextInt(0x1000);
                    }
                    for (int r = 0; r < 32; r++) {
                        cpu.vlo[r] = rnd.nextLong();
                        cpu.vhi[r] = rnd.nextLong();
                    }
                }
                int w = rnd.nextInt();
                // bias towards the populated encoding groups
                if ((n & 1) == 0) {
                    w = (w & ~0x1e00_0000) | (new int[] {8, 9, 10, 11, 4, 6, 12, 14, 5, 13, 7, 15}[rnd.nextInt(12)] << 25);
                }
                cpu.pc = ArmRig.RAM_BASE + 0x8_0000;
                cpu.nextPc = cpu.pc + 4;
                try {
                    interp.exec(w);
                } catch (ArmFault expected) {
                    // an architectural exception: fine
                } catch (RuntimeException e) {
                    fail(String.format("word %08x threw %s", w, e), e);
                }
            }
        }
    }
}
