package org.jqemu.target.i386;

import static org.jqemu.target.i386.SysBits.*;

import org.jqemu.system.log.GuestLog;
import org.jqemu.system.log.LogCategory;
import org.jqemu.system.machine.ShutdownCause;

/**
 * Exceptions and interrupts (Intel SDM vol. 3, chapter 6): raising a guest fault from inside an
 * instruction, and delivering exceptions, software interrupts (INT n, INT3, INTO) and external
 * interrupts through the real-mode IVT or the protected-mode IDT (interrupt, trap and task gates,
 * stack switch through the TSS, virtual-8086 exits), with the double-fault rules of table 6-5 and
 * the triple fault that resets the machine.
 */
public final class InterruptUnit {
    public static final int DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DOUBLE = 8;
    public static final int TS = 10, NP = 11, SS = 12, GP = 13, PF = 14, MF = 16, ALIGNMENT = 17;

    private static final int EXCEPTION = 0, SOFTWARE = 1, EXTERNAL = 2;

    private final X86Cpu cpu;
    private final X86Fault fault = new X86Fault();
    private final GuestLog log;
    private X86Mmu mmu;
    private Segmentation seg;
    private int count;

    private StackCursor stack;

    public InterruptUnit(X86Cpu cpu) {
        this.cpu = cpu;
        this.log = cpu.machine.log();
    }

    void attach(X86Mmu mmu, Segmentation seg) {
        this.mmu = mmu;
        this.seg = seg;
        this.stack = new StackCursor(cpu, mmu);
    }

    public void reset() {
        count = 0;
    }

    // ---- raising --------------------------------------------------------------------------

    /** Raises exception {@code vector} without an error code; never returns normally. */
    public X86Fault fault(int vector) {
        return fault(vector, -1);
    }

    /**
     * Raises exception {@code vector} with {@code errorCode} (-1: none) by throwing this CPU's
     * {@link X86Fault}. Declared to return it so callers can write {@code throw intr.fault(...)}.
     */
    public X86Fault fault(int vector, int errorCode) {
        fault.vector = vector;
        fault.errorCode = errorCode;
        throw fault;
    }

    /** The fault object this CPU throws (for the execute loop's catch). */
    public X86Fault faultObject() {
        return fault;
    }

    // ---- delivery -------------------------------------------------------------------------

    /**
     * Delivers an exception ({@code software} false) or INT n / INT3 / INTO ({@code software}
     * true). {@code cpu.rip} must hold the address of the instruction that raised it and
     * {@code returnRip} what the handler's IRET returns to (the same for faults, the next
     * instruction for traps and INT n). Never throws: a fault during delivery is delivered in
     * turn, escalating to #DF and to a triple fault as the SDM says.
     */
    public void deliver(int vector, boolean software, int errorCode, long returnRip) {
        deliverEvent(vector, software ? SOFTWARE : EXCEPTION, errorCode, returnRip);
    }

    /** Delivers an external (hardware) interrupt; returns to {@code cpu.rip}. */
    public void deliverExternal(int vector) {
        deliverEvent(vector, EXTERNAL, -1, cpu.rip);
    }

    private void deliverEvent(int vector, int kind, int errorCode, long returnRip) {
        for (;;) {
            try {
                if (log.interrupts) {
                    logEvent(vector, kind, errorCode);
                }
                deliverOnce(vector, kind, errorCode, returnRip);
                return;
            } catch (X86Fault f) {
                int second = f.vector;
                if (kind == EXCEPTION && vector == DOUBLE) {
                    tripleFault();
                    return;
                }
                if (log.interrupts) {
                    log.log(LogCategory.INT, "check_exception old: 0x%x new 0x%x", vector, second);
                }
                boolean escalate = kind == EXCEPTION
                        && (contributory(vector) && contributory(second) || vector == PF && (second == PF || contributory(second)));
                if (escalate) {
                    vector = DOUBLE;
                    errorCode = 0;
                } else {
                    vector = second;
                    errorCode = f.errorCode;
                }
                kind = EXCEPTION;
                // The faulting instruction; after a task switch's commit point that is the new
                // task's first instruction (cpu.rip already holds it), as SDM 7.3 step 12 says.
                returnRip = cpu.rip;
            }
        }
    }

    private static boolean contributory(int v) {
        return v == DE || (v >= TS && v <= GP);
    }

    private void tripleFault() {
        if (log.cpuReset) {
            log.log(LogCategory.CPU_RESET, "Triple fault");
        }
        cpu.halted = true;
        cpu.setEflags(cpu.getEflags() & ~IF);
        cpu.machine.requestReset(ShutdownCause.GUEST_RESET);
    }

    /** One line per event, in the format of QEMU's {@code -d int}. */
    private void logEvent(int vector, int kind, int errorCode) {
        String head = String.format("%6d: v=%02x e=%04x i=%d cpl=%d IP=%04x:%08x pc=%08x SP=%04x:%08x",
                count++, vector, errorCode < 0 ? 0 : errorCode, kind == SOFTWARE ? 1 : 0, cpu.cpl,
                cpu.segSel[X86Cpu.CS], cpu.rip & 0xffffffffL, (cpu.segBase[X86Cpu.CS] + cpu.rip) & 0xffffffffL,
                cpu.segSel[X86Cpu.SS], cpu.regs[4] & 0xffffffffL);
        String tail = vector == PF && kind == EXCEPTION
                ? String.format(" CR2=%08x", cpu.cr2)
                : String.format(" env->regs[R_EAX]=%08x", cpu.regs[0] & 0xffffffffL);
        log.log(LogCategory.INT, "%s%s", head, tail);
    }

    private void deliverOnce(int vector, int kind, int errorCode, long returnRip) {
        if ((cpu.cr0 & CR0_PE) == 0) {
            deliverReal(vector, returnRip);
        } else if (cpu.longMode()) {
            deliverLong(vector, kind, errorCode, returnRip);
        } else {
            deliverProtected(vector, kind, errorCode, returnRip);
        }
    }

    /** Real mode: far call through the IVT entry, pushing FLAGS, CS, IP. */
    private void deliverReal(int vector, long returnRip) {
        int off = vector * 4;
        if (off + 3 > cpu.idtLimit) {
            throw fault(GP, vector * 8 + 2);
        }
        int ip = mmu.readSys16(cpu.idtBase + off);
        int cs = mmu.readSys16(cpu.idtBase + off + 2);
        useCurrentStack(false);
        push(2, cpu.getEflags());
        push(2, cpu.segSel[X86Cpu.CS]);
        push(2, (int) returnRip);
        commitStack();
        cpu.segSel[X86Cpu.CS] = cs;
        cpu.segBase[X86Cpu.CS] = (long) cs << 4;
        cpu.rip = ip;
        cpu.setEflags(cpu.getEflags() & ~(IF | TF | SysBits.AC | RF));
    }

    private void deliverProtected(int vector, int kind, int errorCode, long returnRip) {
        int eflags = cpu.getEflags();
        boolean vm86 = (eflags & VM) != 0;
        int ext = kind == SOFTWARE ? 0 : 1;
        int idtErr = vector * 8 + 2 + ext;
        if (kind == SOFTWARE && vm86 && ((eflags & IOPL) >>> IOPL_SHIFT) < 3) {
            throw fault(GP, 0);
        }
        if (vector * 8 + 7 > cpu.idtLimit) {
            throw fault(GP, idtErr);
        }
        long gateAddr = cpu.idtBase + vector * 8L;
        int e1 = mmu.readSys32(gateAddr);
        int e2 = mmu.readSys32(gateAddr + 4);
        int type = (e2 >>> 8) & 0x1f;
        if (type != 0x05 && type != 0x06 && type != 0x07 && type != 0x0e && type != 0x0f) {
            throw fault(GP, idtErr);
        }
        int gateDpl = (e2 >>> 13) & 3;
        if (kind == SOFTWARE && gateDpl < cpu.cpl) {
            throw fault(GP, idtErr);
        }
        if ((e2 & D_P) == 0) {
            throw fault(NP, idtErr);
        }
        if (type == 0x05) {
            seg.taskSwitchThroughSelector(e1 >>> 16, Segmentation.SWITCH_INT, returnRip, ext);
            if (errorCode >= 0) {
                boolean tss32 = (cpu.trAttr & 8) != 0;
                useCurrentStack(cpu.cpl == 3);
                push(tss32 ? 4 : 2, errorCode);
                commitStack();
            }
            return;
        }
        boolean gate32 = (type & 8) != 0;
        int size = gate32 ? 4 : 2;
        int sel = e1 >>> 16;
        long offset = gate32 ? ((e2 & 0xffff0000L) | (e1 & 0xffff)) : (e1 & 0xffff);
        if ((sel & ~3) == 0) {
            throw fault(GP, ext);
        }
        long d = seg.descriptor(sel, GP, ext);
        int c2 = (int) (d >>> 32);
        int dpl = (c2 >>> 13) & 3;
        if ((c2 & (D_S | D_CODE)) != (D_S | D_CODE) || dpl > cpu.cpl) {
            throw fault(GP, (sel & 0xfffc) + ext);
        }
        if ((c2 & D_P) == 0) {
            throw fault(NP, (sel & 0xfffc) + ext);
        }
        long limit = Segmentation.limitOf(d);
        if (offset > limit) {
            throw fault(GP, ext);
        }
        boolean conforming = (c2 & D_CONFORMING) != 0;
        int oldSs = cpu.segSel[X86Cpu.SS];
        int oldEsp = (int) cpu.regs[4];
        int newCpl;
        long ssDesc = 0;
        int newSs = 0;
        if (!conforming && dpl < cpu.cpl) {
            if (vm86 && dpl != 0) {
                throw fault(GP, (sel & 0xfffc) + ext);
            }
            newCpl = dpl;
            long ssEsp = seg.tssStack(dpl, ext);
            newSs = (int) (ssEsp >>> 32) & 0xffff;
            int newEsp = (int) ssEsp;
            ssDesc = seg.checkStackForTss(newSs, dpl, ext);
            stack.fresh(ssDesc, newEsp, false);
            if (vm86) {
                push(size, cpu.segSel[X86Cpu.GS]);
                push(size, cpu.segSel[X86Cpu.FS]);
                push(size, cpu.segSel[X86Cpu.DS]);
                push(size, cpu.segSel[X86Cpu.ES]);
            }
            push(size, oldSs);
            push(size, oldEsp);
        } else if (conforming || dpl == cpu.cpl) {
            if (vm86) {
                throw fault(GP, (sel & 0xfffc) + ext);
            }
            newCpl = cpu.cpl;
            useCurrentStack(cpu.cpl == 3);
        } else {
            throw fault(GP, (sel & 0xfffc) + ext);
        }
        push(size, eflags);
        push(size, cpu.segSel[X86Cpu.CS]);
        push(size, (int) returnRip);
        if (errorCode >= 0) {
            push(size, errorCode);
        }
        // Nothing can fault from here on: commit.
        if (newCpl != cpu.cpl) {
            seg.loadCache(X86Cpu.SS, (newSs & ~3) | newCpl, ssDesc);
            if (vm86) {
                seg.loadNull(X86Cpu.ES);
                seg.loadNull(X86Cpu.DS);
                seg.loadNull(X86Cpu.FS);
                seg.loadNull(X86Cpu.GS);
            }
        }
        commitStack();
        seg.loadCache(X86Cpu.CS, (sel & ~3) | newCpl, d);
        cpu.cpl = newCpl;
        cpu.rip = offset;
        int clear = TF | VM | RF | NT | ((type & 1) == 0 ? IF : 0);
        cpu.setEflags(eflags & ~clear);
    }

    private void useCurrentStack(boolean user) {
        stack.current(user);
    }

    private void push(int size, int v) {
        stack.push(size, v);
    }

    private void commitStack() {
        stack.commit();
    }

    // ---- IA-32e mode (SDM 6.14) ----------------------------------------------------------

    /**
     * Delivery through a 16-byte IDT gate in IA-32e mode: only 64-bit interrupt and trap gates,
     * the handler must be 64-bit code, the frame is always SS:RSP, RFLAGS, CS:RIP (+ error code)
     * in 8-byte slots on a stack aligned to 16 bytes, taken from the 64-bit TSS (RSP0-2) on a
     * privilege change or from the IST when the gate names one; a privilege change loads SS
     * with a null selector of the new CPL.
     */
    private void deliverLong(int vector, int kind, int errorCode, long returnRip) {
        int ext = kind == SOFTWARE ? 0 : 1;
        int idtErr = vector * 8 + 2 + ext;
        if (vector * 16 + 15 > cpu.idtLimit) {
            throw fault(GP, idtErr);
        }
        long gateAddr = cpu.idtBase + vector * 16L;
        long lo = mmu.readSys64(gateAddr);
        long upper = mmu.readSys64(gateAddr + 8);
        int e1 = (int) lo;
        int e2 = (int) (lo >>> 32);
        int type = (e2 >>> 8) & 0x1f;
        if (type != 0x0e && type != 0x0f) {
            throw fault(GP, idtErr);
        }
        if (kind == SOFTWARE && ((e2 >>> 13) & 3) < cpu.cpl) {
            throw fault(GP, idtErr);
        }
        if ((e2 & D_P) == 0) {
            throw fault(NP, idtErr);
        }
        int sel = e1 >>> 16;
        long offset = (e1 & 0xffffL) | (e2 & 0xffff0000L) | (upper << 32);
        int ist = e2 & 7;
        if ((sel & ~3) == 0) {
            throw fault(GP, ext);
        }
        long d = seg.descriptor(sel, GP, ext);
        int c2 = (int) (d >>> 32);
        int dpl = (c2 >>> 13) & 3;
        int selErr = (sel & 0xfffc) + ext;
        if ((c2 & (D_S | D_CODE)) != (D_S | D_CODE) || dpl > cpu.cpl || (c2 & (1 << 21)) == 0 || (c2 & D_DB) != 0) {
            throw fault(GP, selErr);
        }
        if ((c2 & D_P) == 0) {
            throw fault(NP, selErr);
        }
        int newCpl = (c2 & D_CONFORMING) != 0 ? cpu.cpl : dpl;
        long rsp;
        if (ist != 0) {
            rsp = tss64(0x24 + (ist - 1) * 8, ext);
        } else if (newCpl < cpu.cpl) {
            rsp = tss64(4 + newCpl * 8, ext);
        } else {
            rsp = cpu.regs[4];
        }
        rsp &= ~0xfL;
        boolean user = newCpl == 3;
        int eflags = cpu.getEflags();
        long oldRsp = cpu.regs[4];
        rsp -= 8;
        mmu.write64(rsp, cpu.segSel[X86Cpu.SS], user);
        rsp -= 8;
        mmu.write64(rsp, oldRsp, user);
        rsp -= 8;
        mmu.write64(rsp, eflags & 0xffffffffL, user);
        rsp -= 8;
        mmu.write64(rsp, cpu.segSel[X86Cpu.CS], user);
        rsp -= 8;
        mmu.write64(rsp, returnRip, user);
        if (errorCode >= 0) {
            rsp -= 8;
            mmu.write64(rsp, errorCode & 0xffffffffL, user);
        }
        // Nothing can fault from here on: commit.
        if (newCpl != cpu.cpl) {
            seg.loadNull(X86Cpu.SS);
            cpu.segSel[X86Cpu.SS] = newCpl;
            cpu.segAttr[X86Cpu.SS] = newCpl << ATTR_DPL_SHIFT;
        }
        cpu.regs[4] = rsp;
        seg.loadCache(X86Cpu.CS, (sel & ~3) | newCpl, d);
        cpu.cpl = newCpl;
        cpu.rip = offset;
        int clear = TF | VM | RF | NT | ((type & 1) == 0 ? IF : 0);
        cpu.setEflags(eflags & ~clear);
    }

    /** An 8-byte stack pointer from the 64-bit TSS at {@code off}; #TS outside its limit. */
    private long tss64(int off, int ext) {
        if ((cpu.trAttr & ATTR_P) == 0 || off + 7 > (cpu.trLimit & 0xffffffffL)) {
            throw fault(TS, (cpu.trSel & 0xfffc) + ext);
        }
        return mmu.readSys64(cpu.trBase + off);
    }
}
