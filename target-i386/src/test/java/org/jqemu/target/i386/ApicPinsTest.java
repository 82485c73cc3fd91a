package org.jqemu.target.i386;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.jqemu.system.cpu.CpuExecutor;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.memory.RamRegion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The CPU side of the local APIC contract ({@link X86InterruptSource}): wait-for-SIPI, INIT,
 * startup IPIs, NMI and its blocking, CR8 as the TPR, IA32_APIC_BASE and CPUID's APIC flag and
 * topology fields, with a recording stand-in for the APIC.
 */
class ApicPinsTest {
    private final Machine machine = new Machine(new MachineConfig());
    private final MemorySegment ram;
    private final FakeApic apic = new FakeApic();
    /** An application processor (index 1). */
    private final X86Cpu cpu;

    ApicPinsTest() {
        RamRegion r = RamRegion.allocate(machine.arena(), "ram", 1 << 20, false);
        machine.memory().root().add(0, r);
        ram = r.segment();
        cpu = new X86Cpu(machine, 1);
        cpu.setInterruptSource(apic);
        // At 0x9000 (startup vector 0x09): mov ax, 0x1234; hlt; jmp back to the hlt.
        put(0x9000, 0xb8, 0x34, 0x12, 0xf4, 0xeb, 0xfd);
        // The NMI handler at 0000:9100 (real-mode IVT entry 2): inc bx; hlt; iret.
        put(0x9100, 0x43, 0xf4, 0xcf);
        ram.set(ValueLayout.JAVA_INT_UNALIGNED, 2 * 4, 0x0000_9100);
    }

    @AfterEach
    void close() {
        machine.close();
    }

    private void put(long addr, int... bytes) {
        for (int i = 0; i < bytes.length; i++) {
            ram.set(ValueLayout.JAVA_BYTE, addr + i, (byte) bytes[i]);
        }
    }

    @Test
    void applicationProcessorWaitsForStartupIpi() {
        assertTrue(cpu.waitForSipi);
        assertFalse(cpu.isBsp());
        assertFalse(cpu.hasWork());
        assertEquals(CpuExecutor.EXIT_HALTED, cpu.execute());
        assertEquals(0xfff0, cpu.rip, "nothing ran");

        apic.pins.startup(0x09);
        assertTrue(cpu.hasWork());
        assertEquals(CpuExecutor.EXIT_HALTED, cpu.execute());
        assertFalse(cpu.waitForSipi);
        assertEquals(0x0900, cpu.segSel[X86Cpu.CS]);
        assertEquals(0x9000, cpu.segBase[X86Cpu.CS]);
        assertEquals(0x1234, cpu.regs[0] & 0xffff, "ran from vector << 12");
        assertEquals(4, cpu.rip, "halted after the HLT");
    }

    @Test
    void startupIpiIsIgnoredOutsideWaitForSipi() {
        apic.pins.startup(0x09);
        cpu.execute();
        apic.pins.startup(0x20);
        assertFalse(cpu.hasWork(), "a running CPU ignores SIPI");
        cpu.execute();
        assertEquals(0x9000, cpu.segBase[X86Cpu.CS]);
    }

    @Test
    void initResetsRegistersButKeepsFpuAndPatThenWaitsForSipi() {
        apic.pins.startup(0x09);
        cpu.execute();
        cpu.fpu.fcw = 0x27f;
        cpu.sys.wrmsrValue(SystemInsns.MSR_PAT, 0x0606060606060606L);
        cpu.sys.wrmsrValue(SystemInsns.MSR_SYSENTER_CS, 0x10);

        apic.pins.init();
        assertTrue(cpu.hasWork());
        assertEquals(CpuExecutor.EXIT_HALTED, cpu.execute());
        assertTrue(cpu.waitForSipi);
        assertEquals(0, cpu.regs[0], "EAX reset");
        assertEquals(0xf000, cpu.segSel[X86Cpu.CS]);
        assertEquals(0x27f, cpu.fpu.fcw, "x87 state survives INIT");
        assertEquals(0x0606060606060606L, cpu.sys.rdmsrValue(SystemInsns.MSR_PAT), "PAT survives INIT");
        assertEquals(0, cpu.sys.rdmsrValue(SystemInsns.MSR_SYSENTER_CS), "INIT clears SYSENTER_CS");

        // INIT and SIPI both pending before the CPU runs (the usual INIT-SIPI sequence): both act.
        apic.pins.init();
        apic.pins.startup(0x09);
        cpu.execute();
        assertEquals(0x1234, cpu.regs[0] & 0xffff);

        cpu.reset();
        assertTrue(cpu.waitForSipi, "a machine reset puts an AP back into wait-for-SIPI");
        assertEquals(0x40, cpu.fpu.fcw, "RESET does reset the FPU (power-on FCW)");
    }

    @Test
    void nmiWakesHaltAndIsBlockedUntilIret() {
        apic.pins.startup(0x09);
        cpu.execute();
        assertEquals(0, cpu.regs[3]);
        apic.pins.nmi();
        apic.pins.nmi();
        assertTrue(cpu.hasWork());
        cpu.execute();
        assertEquals(1, cpu.regs[3], "one NMI ran; the second waits for IRET");
        assertTrue(cpu.nmiBlocked);
        assertFalse(cpu.hasWork());
    }

    @Test
    void cr8IsTheTaskPriorityClass() {
        cpu.writeCr8(5);
        assertEquals(0x50, apic.tpr);
        apic.tpr = 0x9f;
        assertEquals(9, cpu.readCr8());
    }

    @Test
    void apicBaseMsrGoesToTheApic() {
        assertEquals(0xfee00800L, cpu.sys.rdmsrValue(SystemInsns.MSR_APIC_BASE), "an AP: no BSP bit");
        cpu.sys.wrmsrValue(SystemInsns.MSR_APIC_BASE, 0xfee00000L);
        assertEquals(0xfee00000L, apic.base);
        assertThrows(X86Fault.class, () -> cpu.sys.wrmsrValue(SystemInsns.MSR_APIC_BASE, 1L << 60));
    }

    @Test
    void cpuidReportsApicFlagAndTopology() {
        cpu.setTopology(3, 2, 2);
        cpu.regs[0] = 1;
        cpu.sys.cpuid();
        assertEquals((3L << 24) | (4 << 16), cpu.regs[3] & 0xffff0000L, "initial APIC ID, logical count");
        assertTrue((cpu.regs[2] & SystemInsns.FEAT_APIC) != 0);
        assertTrue((cpu.regs[2] & SystemInsns.FEAT_HTT) != 0);
        assertTrue((cpu.regs[1] & 0x8000_0000L) != 0, "hypervisor bit, as QEMU");
        cpu.regs[0] = 4;
        cpu.regs[1] = 0;
        cpu.sys.cpuid();
        assertEquals(1, cpu.regs[0] & 0x1f, "sub-leaf 0: a data cache");
        assertEquals(1, (cpu.regs[0] >>> 26) & 0x3f, "two cores per package");
        assertEquals(1, (cpu.regs[0] >>> 14) & 0xfff, "two threads share it");
        cpu.regs[0] = 4;
        cpu.regs[1] = 3;
        cpu.sys.cpuid();
        assertEquals(0, cpu.regs[0] & 0x1f, "sub-leaf 3: no more caches");

        apic.base = 0xfee00000L; // globally disabled: CPUID hides the APIC (SDM 10.4.3)
        cpu.setTopology(0, 1, 1);
        cpu.regs[0] = 1;
        cpu.sys.cpuid();
        assertEquals(0, cpu.regs[2] & (SystemInsns.FEAT_APIC | SystemInsns.FEAT_HTT));
        assertEquals(0, cpu.regs[3] & 0xffff0000L);
    }

    /** Records what the CPU asks of its APIC. */
    private static final class FakeApic implements X86InterruptSource {
        Pins pins;
        int tpr;
        long base = 0xfee00800L;

        @Override
        public void connect(Pins cpu) {
            pins = cpu;
        }

        @Override
        public boolean hasInterrupt() {
            return false;
        }

        @Override
        public int acknowledge() {
            return 0xff;
        }

        @Override
        public int tpr() {
            return tpr;
        }

        @Override
        public void setTpr(int value) {
            tpr = value;
        }

        @Override
        public long apicBase() {
            return base;
        }

        @Override
        public boolean setApicBase(long value) {
            if ((value >>> 52) != 0) {
                return false;
            }
            base = value;
            return true;
        }

        @Override
        public long tscDeadline() {
            return 0;
        }

        @Override
        public void setTscDeadline(long tsc) {}

        @Override
        public void setTscHz(long hz) {}
    }
}
