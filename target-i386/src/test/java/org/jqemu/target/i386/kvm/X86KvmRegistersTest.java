package org.jqemu.target.i386.kvm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.jqemu.accel.kvm.KvmStructs;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.target.i386.X86Cpu;
import org.junit.jupiter.api.Test;

/** The X86Cpu ⇄ kvm_regs/kvm_sregs mapping, without /dev/kvm. */
class X86KvmRegistersTest {
    private static long off(String... path) {
        return KvmStructs.offset(KvmStructs.KVM_SREGS, path);
    }

    /** A 32-bit protected-mode state with a null DS, a ring-3 SS and distinct register values. */
    private static void protectedMode(X86Cpu cpu) {
        for (int i = 0; i < 8; i++) {
            cpu.regs[i] = 0x11111111L * (i + 1);
        }
        cpu.rip = 0x00101234L;
        cpu.setEflags(0x246);
        int[] sel = {0x23, 0x08, 0x2b, 0x00, 0x33, 0x3b};
        for (int s = 0; s < 6; s++) {
            cpu.segSel[s] = sel[s];
            cpu.segBase[s] = 0x1000L * s;
            cpu.segLimit[s] = -1;
            cpu.segAttr[s] = s == X86Cpu.CS ? 0xc09b : 0xc093 | (s == X86Cpu.SS ? 0x60 : 0);
        }
        cpu.segAttr[X86Cpu.DS] = 0; // null selector: not present
        cpu.ldtSel = 0x40;
        cpu.ldtBase = 0x5000;
        cpu.ldtLimit = 0x27;
        cpu.ldtAttr = 0x82;
        cpu.trSel = 0x48;
        cpu.trBase = 0x6000;
        cpu.trLimit = 0x67;
        cpu.trAttr = 0x8b;
        cpu.gdtBase = 0x7000;
        cpu.gdtLimit = 0x4f;
        cpu.idtBase = 0x8000;
        cpu.idtLimit = 0x7ff;
        cpu.cr0 = 0x80000011L;
        cpu.cr2 = 0xdeadb000L;
        cpu.cr3 = 0x9000;
        cpu.cr4 = 0x10;
        cpu.cpl = 3;
    }

    @Test
    void kvmFieldsCarryTheArchitecturalMeaning() {
        try (Machine m = new Machine(new MachineConfig()); Arena a = Arena.ofConfined()) {
            X86Cpu cpu = new X86Cpu(m, 0);
            protectedMode(cpu);
            X86KvmRegisters glue = new X86KvmRegisters(cpu);
            MemorySegment regs = a.allocate(KvmStructs.KVM_REGS);
            MemorySegment sregs = a.allocate(KvmStructs.KVM_SREGS);
            glue.writeRegs(regs);
            glue.writeSregs(sregs, true);
            // kvm_regs order is rax rbx rcx rdx rsi rdi rsp rbp; x86 encoding is eax ecx edx ebx esp ebp esi edi
            assertEquals(cpu.regs[3], regs.get(JAVA_LONG, KvmStructs.offset(KvmStructs.KVM_REGS, "rbx")));
            assertEquals(cpu.regs[4], regs.get(JAVA_LONG, KvmStructs.offset(KvmStructs.KVM_REGS, "rsp")));
            assertEquals(cpu.regs[6], regs.get(JAVA_LONG, KvmStructs.offset(KvmStructs.KVM_REGS, "rsi")));
            assertEquals(0x246, regs.get(JAVA_LONG, KvmStructs.offset(KvmStructs.KVM_REGS, "rflags")));
            // CS: 32-bit code, 4 GiB, present, execute/read accessed
            assertEquals(0xb, sregs.get(JAVA_BYTE, off("cs", "type")));
            assertEquals(1, sregs.get(JAVA_BYTE, off("cs", "db")));
            assertEquals(1, sregs.get(JAVA_BYTE, off("cs", "g")));
            assertEquals(1, sregs.get(JAVA_BYTE, off("cs", "s")));
            assertEquals(-1, sregs.get(JAVA_INT, off("cs", "limit")));
            assertEquals(3, sregs.get(JAVA_BYTE, off("ss", "dpl")));
            // a null data segment is unusable to KVM
            assertEquals(1, sregs.get(JAVA_BYTE, off("ds", "unusable")));
            assertEquals(0, sregs.get(JAVA_BYTE, off("ds", "present")));
            assertEquals(0xb, sregs.get(JAVA_BYTE, off("tr", "type")));
            assertEquals(0, sregs.get(JAVA_BYTE, off("tr", "s")));
            // reset values of what X86Cpu does not model
            assertEquals(0xfee00900L, sregs.get(JAVA_LONG, off("apic_base")));
            assertEquals(0, sregs.get(JAVA_LONG, off("efer")));
        }
    }

    @Test
    void stateSurvivesTheRoundTrip() {
        try (Machine m = new Machine(new MachineConfig()); Arena a = Arena.ofConfined()) {
            X86Cpu from = new X86Cpu(m, 1);
            protectedMode(from);
            X86Cpu to = new X86Cpu(m, 1);
            MemorySegment regs = a.allocate(KvmStructs.KVM_REGS);
            MemorySegment sregs = a.allocate(KvmStructs.KVM_SREGS);
            new X86KvmRegisters(from).writeRegs(regs);
            new X86KvmRegisters(from).writeSregs(sregs, false);
            X86KvmRegisters back = new X86KvmRegisters(to);
            back.readRegs(regs, false);
            back.readSregs(sregs);
            assertArrayEquals(from.regs, to.regs);
            assertEquals(from.rip, to.rip);
            assertEquals(from.getEflags(), to.getEflags());
            assertArrayEquals(from.segSel, to.segSel);
            assertArrayEquals(from.segBase, to.segBase);
            assertArrayEquals(from.segLimit, to.segLimit);
            assertArrayEquals(from.segAttr, to.segAttr);
            assertEquals(from.ldtAttr, to.ldtAttr);
            assertEquals(from.trAttr, to.trAttr);
            assertEquals(from.trBase, to.trBase);
            assertEquals(from.gdtBase, to.gdtBase);
            assertEquals(from.gdtLimit, to.gdtLimit);
            assertEquals(from.idtLimit, to.idtLimit);
            assertEquals(from.cr0, to.cr0);
            assertEquals(from.cr2, to.cr2);
            assertEquals(from.cr3, to.cr3);
            assertEquals(from.cr4, to.cr4);
            assertEquals(3, to.cpl, "CPL from SS.DPL");
        }
    }

    @Test
    void eferCr8FpuAndMsrsSurviveTheRoundTrip() {
        try (Machine m = new Machine(new MachineConfig()); Arena a = Arena.ofConfined()) {
            X86Cpu from = new X86Cpu(m, 0);
            protectedMode(from);
            from.efer = X86Cpu.EFER_SCE | X86Cpu.EFER_NXE;
            from.cr8 = 5;
            from.fpu.fcw = 0x37f;
            from.fpu.setStatusWord(0x3800 & (5 << 11) | 0x41); // TOP=5, C0, IE
            from.fpu.empty = 0b1001_1111; // ST(0)=phys 5, ST(1)=phys 6 hold values
            from.fpu.mant[5] = 0xc000000000000000L;
            from.fpu.sexp[5] = 0x3fff;
            from.fpu.mant[6] = 0x8000000000000000L;
            from.fpu.sexp[6] = 0xc000;
            from.fpu.mxcsr = 0x1f80 | 0x20;
            for (int i = 0; i < 32; i++) {
                from.fpu.xmm[i] = 0x0101010101010101L * (i + 1);
            }
            from.sys.sysenterCs = 0x10;
            from.sys.sysenterEip = 0xc0100000L;
            from.sys.lstar = 0xffffffff81000000L;
            from.sys.fmask = 0x47700;
            from.sys.kernelGsBase = 0xffff888000000000L;
            from.sys.pat = 0x0007010600070106L;
            X86KvmRegisters glue = new X86KvmRegisters(from);
            MemorySegment regs = a.allocate(KvmStructs.KVM_REGS);
            MemorySegment sregs = a.allocate(KvmStructs.KVM_SREGS);
            MemorySegment fpu = a.allocate(KvmStructs.KVM_FPU);
            glue.writeRegs(regs);
            glue.writeSregs(sregs, false);
            glue.writeFpu(fpu);
            // kvm_fpu is FXSAVE's image: registers in ST(i) order, the abridged tag byte
            assertEquals(0xc000000000000000L, fpu.get(JAVA_LONG, KvmStructs.offset(KvmStructs.KVM_FPU, "fpr")));
            assertEquals((byte) 0b0110_0000, fpu.get(JAVA_BYTE, KvmStructs.offset(KvmStructs.KVM_FPU, "ftwx")));
            assertEquals(X86Cpu.EFER_SCE | X86Cpu.EFER_NXE, sregs.get(JAVA_LONG, off("efer")));
            assertEquals(5, sregs.get(JAVA_LONG, off("cr8")));

            X86Cpu to = new X86Cpu(m, 0);
            X86KvmRegisters back = new X86KvmRegisters(to);
            back.readRegs(regs, false);
            back.readSregs(sregs);
            back.readFpu(fpu);
            for (int msr : X86KvmRegisters.SYNCED_MSRS) {
                back.setMsrValue(msr, glue.msrValue(msr));
            }
            assertEquals(from.efer, to.efer);
            assertEquals(from.cr8, to.cr8);
            assertEquals(from.fpu.fcw, to.fpu.fcw);
            assertEquals(from.fpu.statusWord(), to.fpu.statusWord());
            assertEquals(from.fpu.empty, to.fpu.empty);
            assertArrayEquals(from.fpu.mant, to.fpu.mant);
            assertArrayEquals(from.fpu.sexp, to.fpu.sexp);
            assertEquals(from.fpu.mxcsr, to.fpu.mxcsr);
            assertArrayEquals(java.util.Arrays.copyOf(from.fpu.xmm, 32), java.util.Arrays.copyOf(to.fpu.xmm, 32));
            for (int msr : X86KvmRegisters.SYNCED_MSRS) {
                assertEquals(glue.msrValue(msr), back.msrValue(msr), "MSR 0x" + Integer.toHexString(msr));
            }
            assertEquals(0xffffffff81000000L, to.sys.lstar);
            assertEquals(0x10, to.sys.sysenterCs);
        }
    }
}
