package org.jqemu.target.i386;

import static org.jqemu.target.i386.InterruptUnit.GP;
import static org.jqemu.target.i386.InterruptUnit.NP;
import static org.jqemu.target.i386.InterruptUnit.TS;
import static org.jqemu.target.i386.SysBits.*;
import static org.jqemu.target.i386.X86Cpu.CS;
import static org.jqemu.target.i386.X86Cpu.DS;
import static org.jqemu.target.i386.X86Cpu.ES;
import static org.jqemu.target.i386.X86Cpu.FS;
import static org.jqemu.target.i386.X86Cpu.GS;
import static org.jqemu.target.i386.X86Cpu.SS;

/**
 * Segmentation and protection (Intel SDM vol. 3, chapters 3, 5 and 7): segment register loads in
 * real, virtual-8086 and protected mode with all their checks, far JMP/CALL/RET and IRET
 * (call gates, conforming segments, privilege changes with stack switch, returns to outer rings
 * and to virtual-8086 mode), task switches through 16- and 32-bit TSSs, the descriptor-table
 * registers, LAR/LSL/VERR/VERW and the I/O permission check.
 *
 * <p>Descriptors travel as a long: low dword in bits 0..31, high dword in bits 32..63. The
 * descriptor cache holds {@code segAttr = (high dword >> 8) & 0xf0ff} and the byte-granular limit.
 */
public final class Segmentation {
    static final int SWITCH_JMP = 0, SWITCH_CALL = 1, SWITCH_IRET = 2, SWITCH_INT = 3;
    private static final int W = 1 << 9; // writable (data) / readable (code) bit of the high dword
    private static final int[] DATA_SEGS = {ES, DS, FS, GS};

    private final X86Cpu cpu;
    private final X86Mmu mmu;
    private final InterruptUnit intr;
    private final StackCursor stack;
    private final StackCursor callerStack;
    /** Linear address of the descriptor last read by {@link #descriptor}. */
    private long descAddr;
    private boolean peekValid;

    public Segmentation(X86Cpu cpu, X86Mmu mmu, InterruptUnit intr) {
        this.cpu = cpu;
        this.mmu = mmu;
        this.intr = intr;
        this.stack = new StackCursor(cpu, mmu);
        this.callerStack = new StackCursor(cpu, mmu);
        intr.attach(mmu, this);
    }

    /** A system-table address: 64 bits wide in IA-32e mode, else wrapped at 4 GiB. */
    private long linear(long a) {
        return cpu.longMode() ? a : a & 0xffffffffL;
    }

    // ---- descriptor helpers ---------------------------------------------------------------

    static long baseOf(long d) {
        int e1 = (int) d;
        int e2 = (int) (d >>> 32);
        return ((e1 >>> 16) | ((e2 & 0xff) << 16) | (e2 & 0xff000000)) & 0xffffffffL;
    }

    static long limitOf(long d) {
        int e1 = (int) d;
        int e2 = (int) (d >>> 32);
        long limit = (e1 & 0xffff) | (e2 & 0xf0000);
        return (e2 & D_G) != 0 ? (limit << 12) | 0xfff : limit;
    }

    static int attrOf(long d) {
        return (int) (d >>> 40) & 0xf0ff;
    }

    private static int hi(long d) {
        return (int) (d >>> 32);
    }

    private static int dplOf(long d) {
        return (hi(d) >>> 13) & 3;
    }

    private static boolean present(long d) {
        return (hi(d) & D_P) != 0;
    }

    private static boolean isCode(long d) {
        return (hi(d) & (D_S | D_CODE)) == (D_S | D_CODE);
    }

    private static boolean conforming(long d) {
        return (hi(d) & D_CONFORMING) != 0;
    }

    /**
     * Reads the descriptor of {@code sel} from the GDT or LDT; outside the table it raises
     * {@code vector} with error code {@code (sel & 0xfffc) + ext}.
     */
    long descriptor(int sel, int vector, int ext) {
        long base;
        long limit;
        if ((sel & 4) != 0) {
            base = cpu.ldtBase;
            limit = (cpu.ldtSel & ~3) == 0 ? -1 : cpu.ldtLimit & 0xffffffffL;
        } else {
            base = cpu.gdtBase;
            limit = cpu.gdtLimit & 0xffffL;
        }
        int index = sel & 0xfff8;
        if (limit < 0 || index + 7 > limit) {
            throw intr.fault(vector, (sel & 0xfffc) + ext);
        }
        descAddr = linear(base + index);
        int e1 = mmu.readSys32(descAddr);
        int e2 = mmu.readSys32(descAddr + 4);
        return ((long) e2 << 32) | (e1 & 0xffffffffL);
    }

    /** Like {@link #descriptor} but reports a selector outside its table by returning 0. */
    private long peekDescriptor(int sel) {
        peekValid = false;
        if ((sel & ~3) == 0) {
            return 0;
        }
        long base;
        long limit;
        if ((sel & 4) != 0) {
            if ((cpu.ldtSel & ~3) == 0) {
                return 0;
            }
            base = cpu.ldtBase;
            limit = cpu.ldtLimit & 0xffffffffL;
        } else {
            base = cpu.gdtBase;
            limit = cpu.gdtLimit & 0xffffL;
        }
        int index = sel & 0xfff8;
        if (index + 7 > limit) {
            return 0;
        }
        peekValid = true;
        long a = linear(base + index);
        return ((long) mmu.readSys32(a + 4) << 32) | (mmu.readSys32(a) & 0xffffffffL);
    }

    /**
     * Sets the accessed bit of the descriptor last read; returns the updated descriptor. Only
     * MOV/POP/LxS segment loads do this, as in QEMU (hardware also sets it for CS/SS loads).
     */
    private long markAccessed(long d) {
        if ((hi(d) & D_A) == 0) {
            d |= (long) D_A << 32;
            mmu.writeSys32(descAddr + 4, hi(d));
        }
        return d;
    }

    void loadCache(int seg, int sel, long d) {
        cpu.segSel[seg] = sel & 0xffff;
        cpu.segBase[seg] = baseOf(d);
        cpu.segLimit[seg] = (int) limitOf(d);
        cpu.segAttr[seg] = attrOf(d);
    }

    /** A null selector in a data segment register: any later use faults (attr P = 0). */
    void loadNull(int seg) {
        loadNull(seg, 0);
    }

    private void loadNull(int seg, int sel) {
        cpu.segSel[seg] = sel & 0xffff;
        cpu.segBase[seg] = 0;
        cpu.segLimit[seg] = 0;
        cpu.segAttr[seg] = 0;
    }

    private void loadReal(int seg, int sel) {
        cpu.segSel[seg] = sel & 0xffff;
        cpu.segBase[seg] = (long) (sel & 0xffff) << 4;
    }

    private void loadVm86(int seg, int sel) {
        loadReal(seg, sel);
        cpu.segLimit[seg] = 0xffff;
        cpu.segAttr[seg] = ATTR_P | ATTR_S | (3 << ATTR_DPL_SHIFT) | ATTR_W | ATTR_A;
    }

    private boolean protectedMode() {
        return (cpu.cr0 & CR0_PE) != 0;
    }

    private boolean vm86() {
        return (cpu.eflags & VM) != 0;
    }

    private boolean user() {
        return cpu.cpl == 3;
    }

    // ---- segment register loads -----------------------------------------------------------

    /** MOV/POP to a segment register and LDS/LES/LFS/LGS/LSS (never CS). */
    public void loadSeg(int seg, int sel) {
        sel &= 0xffff;
        if (!protectedMode()) {
            loadReal(seg, sel);
        } else if (vm86()) {
            loadVm86(seg, sel);
        } else {
            loadProtected(seg, sel, GP);
        }
    }

    /** A protected-mode data or stack segment load; {@code vector} is #GP, or #TS in a task switch. */
    private void loadProtected(int seg, int sel, int vector) {
        int rpl = sel & 3;
        int cpl = cpu.cpl;
        if ((sel & ~3) == 0) {
            if (seg == SS) {
                // 64-bit mode allows a null SS below ring 3 when RPL = CPL (SDM "MOV", "POP").
                if (!cpu.code64() || cpl == 3 || rpl != cpl) {
                    throw intr.fault(vector, 0);
                }
                loadNull(seg, sel);
                cpu.segAttr[SS] = ATTR_P | ATTR_S | ATTR_W | (cpl << ATTR_DPL_SHIFT) | ATTR_DB;
                return;
            }
            loadNull(seg, sel);
            return;
        }
        long d = descriptor(sel, vector, 0);
        int e2 = hi(d);
        int dpl = dplOf(d);
        int err = sel & 0xfffc;
        if ((e2 & D_S) == 0) {
            throw intr.fault(vector, err);
        }
        if (seg == SS) {
            if (rpl != cpl || dpl != cpl || (e2 & D_CODE) != 0 || (e2 & W) == 0) {
                throw intr.fault(vector, err);
            }
            if (!present(d)) {
                throw intr.fault(InterruptUnit.SS, err);
            }
        } else {
            if ((e2 & (D_CODE | W)) == D_CODE) {
                throw intr.fault(vector, err); // execute-only code
            }
            if ((!isCode(d) || !conforming(d)) && (rpl > dpl || cpl > dpl)) {
                throw intr.fault(vector, err);
            }
            if (!present(d)) {
                throw intr.fault(NP, err);
            }
        }
        // QEMU sets the accessed bit only for MOV/POP/LxS loads, not in task switches (nor for
        // CS and SS loads by far transfers); jqemu matches it so guest-visible GDTs compare equal.
        loadCache(seg, sel, vector == GP ? markAccessed(d) : d);
    }

    /** Checks a code segment as the target of a JMP/CALL (not through a gate). */
    private void checkDirectCode(long d, int sel) {
        int err = sel & 0xfffc;
        int dpl = dplOf(d);
        if (conforming(d) ? dpl > cpu.cpl : ((sel & 3) > cpu.cpl || dpl != cpu.cpl)) {
            throw intr.fault(GP, err);
        }
        if (!present(d)) {
            throw intr.fault(NP, err);
        }
    }

    // ---- far JMP / CALL / RET -------------------------------------------------------------

    /** JMP ptr16:16/32 and JMP m16:16/32; {@code nextRip} is saved in the old TSS on a task switch. */
    public void farJump(int sel, long offset, long nextRip) {
        sel &= 0xffff;
        if (!protectedMode() || vm86()) {
            setCsRealOrVm86(sel);
            cpu.rip = offset;
            return;
        }
        if ((sel & ~3) == 0) {
            throw intr.fault(GP, 0);
        }
        long d = descriptor(sel, GP, 0);
        int err = sel & 0xfffc;
        if ((hi(d) & D_S) != 0) {
            if (!isCode(d)) {
                throw intr.fault(GP, err);
            }
            checkDirectCode(d, sel);
            checkTargetOffset(d, offset);
            loadCache(CS, (sel & ~3) | cpu.cpl, d);
            cpu.rip = offset;
            return;
        }
        if (cpu.longMode()) {
            throw unsupportedGate(sel);
        }
        int type = (hi(d) >>> 8) & 0xf;
        int dpl = dplOf(d);
        switch (type) {
            case 1, 9, 5 -> {
                if (dpl < cpu.cpl || dpl < (sel & 3)) {
                    throw intr.fault(GP, err);
                }
                if (!present(d)) {
                    throw intr.fault(NP, err);
                }
                if (type == 5) {
                    taskSwitchThroughSelector((int) d >>> 16, SWITCH_JMP, nextRip, 0);
                } else {
                    taskSwitch(sel, d, SWITCH_JMP, nextRip, 0);
                }
            }
            case 4, 12 -> {
                if (dpl < cpu.cpl || dpl < (sel & 3)) {
                    throw intr.fault(GP, err);
                }
                if (!present(d)) {
                    throw intr.fault(NP, err);
                }
                int gsel = (int) d >>> 16;
                long goff = gateOffset(d, type);
                long cd = gateTarget(gsel);
                int cdpl = dplOf(cd);
                if (conforming(cd) ? cdpl > cpu.cpl : cdpl != cpu.cpl) {
                    throw intr.fault(GP, gsel & 0xfffc);
                }
                if (!present(cd)) {
                    throw intr.fault(NP, gsel & 0xfffc);
                }
                if (goff > limitOf(cd)) {
                    throw intr.fault(GP, 0);
                }
                loadCache(CS, (gsel & ~3) | cpu.cpl, cd);
                cpu.rip = goff;
            }
            default -> throw intr.fault(GP, err);
        }
    }

    /**
     * The offset limit check of a far transfer; a 64-bit code segment (IA-32e mode, L set) has
     * no limit, only a canonical-address rule.
     */
    private void checkTargetOffset(long d, long offset) {
        if (cpu.longMode() && (hi(d) & (1 << 21)) != 0) {
            if (((offset << 16) >> 16) != offset) {
                throw intr.fault(GP, 0);
            }
        } else if (offset > limitOf(d)) {
            throw intr.fault(GP, 0);
        }
    }

    /**
     * Call gates, task gates and TSSs as far-transfer targets in IA-32e mode: 64-bit call gates
     * are not implemented (Linux does not use them); task switching does not exist there.
     */
    private X86Fault unsupportedGate(int sel) {
        if (cpu.machine.log().unimp) {
            cpu.machine.log().unimplemented("far transfer through gate 0x%x in IA-32e mode", sel);
        }
        return intr.fault(GP, sel & 0xfffc);
    }

    private static long gateOffset(long d, int type) {
        long low = d & 0xffff;
        return (type & 8) != 0 ? low | ((d >>> 32) & 0xffff0000L) : low;
    }

    /** The code segment a call gate names: must be a code segment, non-null. */
    private long gateTarget(int gsel) {
        if ((gsel & ~3) == 0) {
            throw intr.fault(GP, 0);
        }
        long cd = descriptor(gsel, GP, 0);
        if (!isCode(cd) || dplOf(cd) > cpu.cpl) {
            throw intr.fault(GP, gsel & 0xfffc);
        }
        return cd;
    }

    private void setCsRealOrVm86(int sel) {
        if (vm86()) {
            loadVm86(CS, sel);
        } else {
            loadReal(CS, sel);
        }
    }

    /** CALL ptr16:16/32 and CALL m16:16/32. */
    public void farCall(int sel, long offset, int size, long nextRip) {
        sel &= 0xffff;
        if (!protectedMode() || vm86()) {
            StackCursor st = stack.current(vm86());
            st.push(size, cpu.segSel[CS]);
            st.push(size, (int) nextRip);
            st.commit();
            setCsRealOrVm86(sel);
            cpu.rip = offset;
            return;
        }
        if ((sel & ~3) == 0) {
            throw intr.fault(GP, 0);
        }
        long d = descriptor(sel, GP, 0);
        int err = sel & 0xfffc;
        if ((hi(d) & D_S) != 0) {
            if (!isCode(d)) {
                throw intr.fault(GP, err);
            }
            checkDirectCode(d, sel);
            checkTargetOffset(d, offset);
            if (cpu.code64()) {
                long rsp = cpu.regs[4];
                int step = size == 8 ? 8 : size;
                writeStack(rsp - step, step, cpu.segSel[CS]);
                writeStack(rsp - 2 * step, step, nextRip);
                cpu.regs[4] = rsp - 2 * step;
            } else {
                StackCursor st = stack.current(user());
                st.push(size, cpu.segSel[CS]);
                st.push(size, (int) nextRip);
                st.commit();
            }
            loadCache(CS, (sel & ~3) | cpu.cpl, d);
            cpu.rip = offset;
            return;
        }
        if (cpu.longMode()) {
            throw unsupportedGate(sel);
        }
        int type = (hi(d) >>> 8) & 0xf;
        int dpl = dplOf(d);
        switch (type) {
            case 1, 9, 5 -> {
                if (dpl < cpu.cpl || dpl < (sel & 3)) {
                    throw intr.fault(GP, err);
                }
                if (!present(d)) {
                    throw intr.fault(NP, err);
                }
                if (type == 5) {
                    taskSwitchThroughSelector((int) d >>> 16, SWITCH_CALL, nextRip, 0);
                } else {
                    taskSwitch(sel, d, SWITCH_CALL, nextRip, 0);
                }
            }
            case 4, 12 -> callGate(d, sel, type, nextRip);
            default -> throw intr.fault(GP, err);
        }
    }

    private void callGate(long gate, int sel, int type, long nextRip) {
        int dpl = dplOf(gate);
        if (dpl < cpu.cpl || dpl < (sel & 3)) {
            throw intr.fault(GP, sel & 0xfffc);
        }
        if (!present(gate)) {
            throw intr.fault(NP, sel & 0xfffc);
        }
        int gsel = (int) gate >>> 16;
        long goff = gateOffset(gate, type);
        int params = hi(gate) & 0x1f;
        int size = (type & 8) != 0 ? 4 : 2;
        long cd = gateTarget(gsel);
        int cdpl = dplOf(cd);
        if (!present(cd)) {
            throw intr.fault(NP, gsel & 0xfffc);
        }
        if (goff > limitOf(cd)) {
            throw intr.fault(GP, 0);
        }
        if (!conforming(cd) && cdpl < cpu.cpl) {
            // To an inner ring: new stack from the TSS, then the caller's SS:ESP and parameters.
            long ssEsp = tssStack(cdpl, 0);
            int newSs = (int) (ssEsp >>> 32) & 0xffff;
            long ssDesc = checkStackForTss(newSs, cdpl, 0);
            StackCursor old = callerStack.current(user());
            StackCursor st = stack.fresh(ssDesc, (int) ssEsp, false);
            st.push(size, cpu.segSel[SS]);
            st.push(size, (int) cpu.regs[4]);
            for (int i = params - 1; i >= 0; i--) {
                st.push(size, old.peek(size, i));
            }
            st.push(size, cpu.segSel[CS]);
            st.push(size, (int) nextRip);
            loadCache(SS, (newSs & ~3) | cdpl, ssDesc);
            st.commit();
            loadCache(CS, (gsel & ~3) | cdpl, cd);
            cpu.cpl = cdpl;
        } else {
            StackCursor st = stack.current(user());
            st.push(size, cpu.segSel[CS]);
            st.push(size, (int) nextRip);
            st.commit();
            loadCache(CS, (gsel & ~3) | cpu.cpl, cd);
        }
        cpu.rip = goff;
    }

    /** RET far / RET far imm16. */
    public void farReturn(int size, int popBytes) {
        boolean op32 = size == 4;
        if (cpu.code64()) {
            farReturn64(size, popBytes);
            return;
        }
        if (!protectedMode() || vm86()) {
            StackCursor st = stack.current(vm86());
            int ip = st.pop(size);
            int cs = st.pop(size) & 0xffff;
            st.skip(popBytes);
            st.commit();
            setCsRealOrVm86(cs);
            cpu.rip = op32 ? ip & 0xffffffffL : ip & 0xffff;
            return;
        }
        StackCursor st = stack.current(user());
        int eip = st.pop(size);
        int sel = st.pop(size) & 0xffff;
        long d = checkReturnCode(sel);
        int rpl = sel & 3;
        long newEip = op32 ? eip & 0xffffffffL : eip & 0xffff;
        if (rpl == cpu.cpl) {
            if (newEip > limitOf(d)) {
                throw intr.fault(GP, 0);
            }
            st.skip(popBytes);
            st.commit();
            loadCache(CS, sel, d);
            cpu.rip = newEip;
            return;
        }
        st.skip(popBytes);
        int newEsp = st.pop(size);
        int newSs = st.pop(size) & 0xffff;
        returnToOuter(sel, d, newEip, newSs, newEsp + popBytes, op32);
    }

    /** The code segment checks of RET far and IRET to protected mode. */
    private long checkReturnCode(int sel) {
        if ((sel & ~3) == 0) {
            throw intr.fault(GP, 0);
        }
        long d = descriptor(sel, GP, 0);
        int err = sel & 0xfffc;
        int rpl = sel & 3;
        int dpl = dplOf(d);
        if (!isCode(d) || rpl < cpu.cpl || (conforming(d) ? dpl > rpl : dpl != rpl)) {
            throw intr.fault(GP, err);
        }
        if (!present(d)) {
            throw intr.fault(NP, err);
        }
        return d;
    }

    private void returnToOuter(int sel, long d, long newEip, int newSs, int newEsp, boolean op32) {
        int rpl = sel & 3;
        if ((newSs & ~3) == 0) {
            throw intr.fault(GP, 0);
        }
        long sd = descriptor(newSs, GP, 0);
        int serr = newSs & 0xfffc;
        if ((newSs & 3) != rpl || dplOf(sd) != rpl || (hi(sd) & (D_S | D_CODE | W)) != (D_S | W)) {
            throw intr.fault(GP, serr);
        }
        if (!present(sd)) {
            throw intr.fault(InterruptUnit.SS, serr);
        }
        if (newEip > limitOf(d)) {
            throw intr.fault(GP, 0);
        }
        loadCache(CS, sel, d);
        loadCache(SS, newSs, sd);
        int mask = (hi(sd) & D_DB) != 0 ? -1 : 0xffff;
        long esp = cpu.regs[4];
        cpu.regs[4] = ((esp & ~mask) | (newEsp & mask)) & 0xffffffffL;
        cpu.cpl = rpl;
        cpu.rip = newEip;
        dropInaccessibleDataSegments();
    }

    /**
     * After a return to an outer ring, data segments the outer ring may not use become null.
     * FS and GS already holding a null selector are left alone, as QEMU does: in 64-bit mode
     * their base comes from FS_BASE/GS_BASE (Linux keeps user TLS there with FS = 0), and
     * clearing it on every IRETQ to ring 3 would lose the thread pointer.
     */
    private void dropInaccessibleDataSegments() {
        for (int s : DATA_SEGS) {
            if ((s == X86Cpu.FS || s == X86Cpu.GS) && (cpu.segSel[s] & 0xfffc) == 0) {
                continue;
            }
            int attr = cpu.segAttr[s];
            boolean dataOrNonConformingCode = (attr & ATTR_CODE) == 0 || (attr & ATTR_C) == 0;
            int dpl = (attr >>> ATTR_DPL_SHIFT) & 3;
            if (dataOrNonConformingCode && dpl < cpu.cpl) {
                loadNull(s);
            }
        }
    }

    // ---- IRET -----------------------------------------------------------------------------

    /** IRET/IRETD; {@code nextRip} is saved in the old TSS on a nested-task return. */
    public void iret(int size, long nextRip) {
        boolean op32 = size == 4;
        cpu.nmiBlocked = false; // IRET ends NMI blocking (SDM 6.7.1), even if it then faults
        if (cpu.longMode() && (cpu.cr0 & CR0_PE) != 0) {
            iret64(size);
            return;
        }
        int oldFlags = cpu.getEflags();
        int arith = CF | PF | AF | ZF | SF | OF | TF | DF;
        if (!protectedMode() || vm86()) {
            boolean vm = vm86();
            if (vm && ((oldFlags & IOPL) >>> IOPL_SHIFT) < 3) {
                throw intr.fault(GP, 0);
            }
            StackCursor st = stack.current(vm);
            int ip = st.pop(size);
            int cs = st.pop(size) & 0xffff;
            int fl = st.pop(size);
            st.commit();
            setCsRealOrVm86(cs);
            cpu.rip = op32 ? ip & 0xffffffffL : ip & 0xffff;
            int mask = arith | IF | NT | AC | ID | (vm ? 0 : IOPL);
            if (!op32) {
                mask &= 0xffff;
            }
            cpu.setEflags((oldFlags & ~mask) | (fl & mask));
            return;
        }
        if ((oldFlags & NT) != 0) {
            taskReturn(nextRip);
            return;
        }
        StackCursor st = stack.current(user());
        int eip = st.pop(size);
        int sel = st.pop(size) & 0xffff;
        int fl = st.pop(size);
        if (op32 && (fl & VM) != 0 && cpu.cpl == 0) {
            int esp = st.pop(4);
            int ss = st.pop(4);
            int es = st.pop(4);
            int ds = st.pop(4);
            int fs = st.pop(4);
            int gs = st.pop(4);
            cpu.setEflags(fl);
            loadVm86(CS, sel);
            loadVm86(SS, ss);
            loadVm86(ES, es);
            loadVm86(DS, ds);
            loadVm86(FS, fs);
            loadVm86(GS, gs);
            cpu.regs[4] = esp & 0xffffffffL;
            cpu.rip = eip & 0xffff;
            cpu.cpl = 3;
            return;
        }
        long d = checkReturnCode(sel);
        int mask = arith | NT | RF | AC | ID;
        int iopl = (oldFlags & IOPL) >>> IOPL_SHIFT;
        if (cpu.cpl == 0) {
            mask |= IOPL;
        }
        if (cpu.cpl <= iopl) {
            mask |= IF;
        }
        if (!op32) {
            mask &= 0xffff;
        }
        int newFlags = (oldFlags & ~mask) | (fl & mask);
        long newEip = op32 ? eip & 0xffffffffL : eip & 0xffff;
        int rpl = sel & 3;
        if (rpl == cpu.cpl) {
            if (newEip > limitOf(d)) {
                throw intr.fault(GP, 0);
            }
            st.commit();
            loadCache(CS, sel, d);
            cpu.rip = newEip;
        } else {
            int newEsp = st.pop(size);
            int newSs = st.pop(size) & 0xffff;
            returnToOuter(sel, d, newEip, newSs, newEsp, op32);
        }
        cpu.setEflags(newFlags);
    }

    private void taskReturn(long nextRip) {
        int link = mmu.readSys16(cpu.trBase);
        if ((link & 4) != 0) {
            throw intr.fault(TS, link & 0xfffc);
        }
        long d = descriptor(link, TS, 0);
        int type = (hi(d) >>> 8) & 0x1f;
        if (type != 3 && type != 11) {
            throw intr.fault(TS, link & 0xfffc);
        }
        if (!present(d)) {
            throw intr.fault(NP, link & 0xfffc);
        }
        taskSwitch(link, d, SWITCH_IRET, nextRip, 0);
    }

    // ---- task switching (SDM 7.3) ---------------------------------------------------------

    /** The SS:ESP for ring {@code dpl} from the current TSS, as (ss << 32) | esp. */
    long tssStack(int dpl, int ext) {
        boolean tss32 = (cpu.trAttr & 8) != 0;
        int shift = tss32 ? 1 : 0;
        int off = (dpl * 4 + 2) << shift;
        if ((cpu.trAttr & ATTR_P) == 0 || off + (4 << shift) - 1 > (cpu.trLimit & 0xffffffffL)) {
            throw intr.fault(TS, (cpu.trSel & 0xfffc) + ext);
        }
        int esp;
        int ss;
        if (tss32) {
            esp = mmu.readSys32(cpu.trBase + off);
            ss = mmu.readSys16(cpu.trBase + off + 4);
        } else {
            esp = mmu.readSys16(cpu.trBase + off);
            ss = mmu.readSys16(cpu.trBase + off + 2);
        }
        return ((long) ss << 32) | (esp & 0xffffffffL);
    }

    /** Checks the inner-ring stack segment named by the TSS: #TS, or #SS when not present. */
    long checkStackForTss(int ss, int dpl, int ext) {
        if ((ss & ~3) == 0) {
            throw intr.fault(TS, ext);
        }
        int err = (ss & 0xfffc) + ext;
        if ((ss & 3) != dpl) {
            throw intr.fault(TS, err);
        }
        long d = descriptor(ss, TS, ext);
        if (dplOf(d) != dpl || (hi(d) & (D_S | D_CODE | W)) != (D_S | W)) {
            throw intr.fault(TS, err);
        }
        if (!present(d)) {
            throw intr.fault(InterruptUnit.SS, err);
        }
        return d;
    }

    /** A task gate's TSS selector: must name an available TSS in the GDT. */
    void taskSwitchThroughSelector(int tssSel, int source, long nextRip, int ext) {
        tssSel &= 0xffff;
        int err = (tssSel & 0xfffc) + ext;
        if ((tssSel & 4) != 0) {
            throw intr.fault(GP, err);
        }
        long d = descriptor(tssSel, GP, ext);
        int type = (hi(d) >>> 8) & 0x1f;
        if (type != 1 && type != 9) {
            throw intr.fault(GP, err);
        }
        if (!present(d)) {
            throw intr.fault(NP, err);
        }
        taskSwitch(tssSel, d, source, nextRip, ext);
    }

    private void taskSwitch(int sel, long d, int source, long nextRip, int ext) {
        boolean new32 = (hi(d) & (8 << 8)) != 0;
        long newBase = baseOf(d);
        long newLimit = limitOf(d);
        if (newLimit < (new32 ? 0x67 : 0x2b)) {
            throw intr.fault(TS, (sel & 0xfffc) + ext);
        }
        // Read the whole new state first, so a #PF here leaves the old task intact.
        int[] r = taskRegs;
        int[] s = taskSegs;
        long newCr3 = cpu.cr3;
        int newEip;
        int newFlags;
        int newLdt;
        if (new32) {
            newCr3 = mmu.readSys32(newBase + 0x1c) & 0xffffffffL;
            newEip = mmu.readSys32(newBase + 0x20);
            newFlags = mmu.readSys32(newBase + 0x24);
            for (int i = 0; i < 8; i++) {
                r[i] = mmu.readSys32(newBase + 0x28 + 4 * i);
            }
            for (int i = 0; i < 6; i++) {
                s[i] = mmu.readSys16(newBase + 0x48 + 4 * i);
            }
            newLdt = mmu.readSys16(newBase + 0x60);
        } else {
            newEip = mmu.readSys16(newBase + 0x0e);
            newFlags = (cpu.getEflags() & 0xffff0000) | mmu.readSys16(newBase + 0x10);
            for (int i = 0; i < 8; i++) {
                r[i] = 0xffff0000 | mmu.readSys16(newBase + 0x12 + 2 * i);
            }
            for (int i = 0; i < 4; i++) {
                s[i] = mmu.readSys16(newBase + 0x22 + 2 * i);
            }
            s[FS] = 0;
            s[GS] = 0;
            newLdt = mmu.readSys16(newBase + 0x2a);
        }
        // Save the outgoing task.
        int oldFlags = cpu.getEflags();
        if (source == SWITCH_IRET) {
            oldFlags &= ~NT;
        }
        long oldBase = cpu.trBase;
        if ((cpu.trAttr & 8) != 0) {
            mmu.writeSys32(oldBase + 0x20, (int) nextRip);
            mmu.writeSys32(oldBase + 0x24, oldFlags);
            for (int i = 0; i < 8; i++) {
                mmu.writeSys32(oldBase + 0x28 + 4 * i, (int) cpu.regs[i]);
            }
            for (int i = 0; i < 6; i++) {
                mmu.writeSys16(oldBase + 0x48 + 4 * i, cpu.segSel[i]);
            }
        } else {
            mmu.writeSys16(oldBase + 0x0e, (int) nextRip);
            mmu.writeSys16(oldBase + 0x10, oldFlags);
            for (int i = 0; i < 8; i++) {
                mmu.writeSys16(oldBase + 0x12 + 2 * i, (int) cpu.regs[i]);
            }
            for (int i = 0; i < 4; i++) {
                mmu.writeSys16(oldBase + 0x22 + 2 * i, cpu.segSel[i]);
            }
        }
        if (source == SWITCH_JMP || source == SWITCH_IRET) {
            long a = (cpu.gdtBase + (cpu.trSel & 0xfff8) + 4) & 0xffffffffL;
            mmu.writeSys32(a, mmu.readSys32(a) & ~D_TSS_BUSY);
        }
        if (source == SWITCH_CALL || source == SWITCH_INT) {
            mmu.writeSys16(newBase, cpu.trSel);
            newFlags |= NT;
        }
        if (source != SWITCH_IRET) {
            long a = (cpu.gdtBase + (sel & 0xfff8) + 4) & 0xffffffffL;
            mmu.writeSys32(a, mmu.readSys32(a) | D_TSS_BUSY);
        }
        cpu.trSel = sel;
        cpu.trBase = newBase;
        cpu.trLimit = (int) newLimit;
        cpu.trAttr = attrOf(d) | 2;
        cpu.cr0 |= CR0_TS;
        if (new32 && (cpu.cr0 & CR0_PG) != 0 && newCr3 != cpu.cr3) {
            cpu.cr3 = newCr3;
            mmu.flushAll();
        }
        // From here on faults belong to the new task: they return to its first instruction.
        cpu.rip = new32 ? newEip & 0xffffffffL : newEip & 0xffff;
        if (source == SWITCH_INT) {
            loadNewTask(newFlags, r, s, newLdt); // InterruptUnit delivers what this raises
            return;
        }
        try {
            loadNewTask(newFlags, r, s, newLdt);
        } catch (X86Fault f) {
            // The interpreter would rewind to the JMP/CALL/IRET of the old task; deliver here.
            intr.deliver(f.vector, false, f.errorCode, cpu.rip);
        }
    }

    private void loadNewTask(int newFlags, int[] r, int[] s, int newLdt) {
        cpu.setEflags(newFlags);
        for (int i = 0; i < 8; i++) {
            cpu.regs[i] = r[i] & 0xffffffffL;
        }
        if ((newFlags & VM) != 0) {
            for (int i = 0; i < 6; i++) {
                loadVm86(i, s[i]);
            }
            cpu.cpl = 3;
            loadLdtForTask(newLdt);
            return;
        }
        for (int i = 0; i < 6; i++) {
            cpu.segSel[i] = s[i];
        }
        cpu.cpl = s[CS] & 3;
        loadLdtForTask(newLdt);
        int cs = s[CS];
        if ((cs & ~3) == 0) {
            throw intr.fault(TS, 0);
        }
        long cd = descriptor(cs, TS, 0);
        int cdpl = dplOf(cd);
        if (!isCode(cd) || (conforming(cd) ? cdpl > (cs & 3) : cdpl != (cs & 3))) {
            throw intr.fault(TS, cs & 0xfffc);
        }
        if (!present(cd)) {
            throw intr.fault(NP, cs & 0xfffc);
        }
        loadCache(CS, cs, cd);
        loadProtected(SS, s[SS], TS);
        loadProtected(ES, s[ES], TS);
        loadProtected(DS, s[DS], TS);
        loadProtected(FS, s[FS], TS);
        loadProtected(GS, s[GS], TS);
        if (cpu.rip > (cpu.segLimit[CS] & 0xffffffffL)) {
            throw intr.fault(GP, 0);
        }
    }

    private final int[] taskRegs = new int[8];
    private final int[] taskSegs = new int[6];

    private void loadLdtForTask(int ldt) {
        cpu.ldtSel = ldt;
        if ((ldt & ~3) == 0) {
            cpu.ldtBase = 0;
            cpu.ldtLimit = 0;
            cpu.ldtAttr = 0;
            return;
        }
        if ((ldt & 4) != 0) {
            throw intr.fault(TS, ldt & 0xfffc);
        }
        long d = descriptor(ldt, TS, 0);
        if (((hi(d) >>> 8) & 0x1f) != 2 || !present(d)) {
            throw intr.fault(TS, ldt & 0xfffc);
        }
        cpu.ldtBase = baseOf(d);
        cpu.ldtLimit = (int) limitOf(d);
        cpu.ldtAttr = attrOf(d);
    }

    // ---- descriptor-table registers -------------------------------------------------------

    private void checkSystemInsn() {
        if (!protectedMode() || vm86()) {
            throw intr.fault(InterruptUnit.UD);
        }
        if (cpu.cpl != 0) {
            throw intr.fault(GP, 0);
        }
    }

    private void checkCpl0() {
        if (protectedMode() && cpu.cpl != 0) {
            throw intr.fault(GP, 0);
        }
    }

    public void lgdt(long base, int limit) {
        checkCpl0();
        cpu.gdtBase = cpu.code64() ? base : base & 0xffffffffL;
        cpu.gdtLimit = limit & 0xffff;
    }

    public void lidt(long base, int limit) {
        checkCpl0();
        cpu.idtBase = cpu.code64() ? base : base & 0xffffffffL;
        cpu.idtLimit = limit & 0xffff;
    }

    public void lldt(int sel) {
        checkSystemInsn();
        sel &= 0xffff;
        if ((sel & ~3) == 0) {
            cpu.ldtSel = sel;
            cpu.ldtBase = 0;
            cpu.ldtLimit = 0;
            cpu.ldtAttr = 0;
            return;
        }
        int err = sel & 0xfffc;
        if ((sel & 4) != 0) {
            throw intr.fault(GP, err);
        }
        long d = descriptor(sel, GP, 0);
        if (((hi(d) >>> 8) & 0x1f) != 2) {
            throw intr.fault(GP, err);
        }
        if (!present(d)) {
            throw intr.fault(NP, err);
        }
        cpu.ldtSel = sel;
        cpu.ldtBase = baseOf(d) | upperBase(sel);
        cpu.ldtLimit = (int) limitOf(d);
        cpu.ldtAttr = attrOf(d);
    }

    /**
     * In IA-32e mode LDT and TSS descriptors are 16 bytes (SDM 7.2.3): bits 63..32 of the base
     * in the next 8 bytes, whose type field must be 0. Returns those base bits (0 outside).
     */
    private long upperBase(int sel) {
        if (!cpu.longMode()) {
            return 0;
        }
        if ((sel & 0xfff8) + 15 > (cpu.gdtLimit & 0xffff)) {
            throw intr.fault(GP, sel & 0xfffc);
        }
        long a = descAddr;
        int hi2 = mmu.readSys32(a + 12);
        if (((hi2 >>> 8) & 0x1f) != 0) {
            throw intr.fault(GP, sel & 0xfffc);
        }
        return (mmu.readSys32(a + 8) & 0xffffffffL) << 32;
    }

    public void ltr(int sel) {
        checkSystemInsn();
        sel &= 0xffff;
        int err = sel & 0xfffc;
        if ((sel & ~3) == 0) {
            throw intr.fault(GP, 0);
        }
        if ((sel & 4) != 0) {
            throw intr.fault(GP, err);
        }
        long d = descriptor(sel, GP, 0);
        int type = (hi(d) >>> 8) & 0x1f;
        if (type != 1 && type != 9) {
            throw intr.fault(GP, err);
        }
        if (!present(d)) {
            throw intr.fault(NP, err);
        }
        long upper = upperBase(sel);
        mmu.writeSys32(descAddr + 4, hi(d) | D_TSS_BUSY);
        cpu.trSel = sel;
        cpu.trBase = baseOf(d) | upper;
        cpu.trLimit = (int) limitOf(d);
        cpu.trAttr = attrOf(d) | 2;
    }

    // ---- LAR / LSL / VERR / VERW ----------------------------------------------------------

    private void checkProtectedOnly() {
        if (!protectedMode() || vm86()) {
            throw intr.fault(InterruptUnit.UD);
        }
    }

    /** Readable by LAR/LSL/VERR at this CPL and RPL (conforming code segments always are). */
    private boolean privilegeAllows(long d, int sel) {
        if (isCode(d) && conforming(d)) {
            return true;
        }
        int dpl = dplOf(d);
        return dpl >= cpu.cpl && dpl >= (sel & 3);
    }

    /** LAR: the access-rights dword {@code high & 0x00f0ff00}, or -1 (ZF = 0) when not visible. */
    public long lar(int sel) {
        checkProtectedOnly();
        long d = peekDescriptor(sel & 0xffff);
        if (!peekValid) {
            return -1;
        }
        if ((hi(d) & D_S) == 0) {
            int type = (hi(d) >>> 8) & 0xf;
            if (type == 0 || type == 6 || type == 7 || type == 8 || type == 10 || type == 13 || type == 14 || type == 15) {
                return -1;
            }
            int dpl = dplOf(d);
            if (dpl < cpu.cpl || dpl < (sel & 3)) {
                return -1;
            }
        } else if (!privilegeAllows(d, sel)) {
            return -1;
        }
        return hi(d) & 0x00f0ff00L;
    }

    /** LSL: the byte-granular limit, or -1 (ZF = 0) when not visible. */
    public long lsl(int sel) {
        checkProtectedOnly();
        long d = peekDescriptor(sel & 0xffff);
        if (!peekValid) {
            return -1;
        }
        if ((hi(d) & D_S) == 0) {
            int type = (hi(d) >>> 8) & 0xf;
            if (type != 1 && type != 2 && type != 3 && type != 9 && type != 11) {
                return -1;
            }
            int dpl = dplOf(d);
            if (dpl < cpu.cpl || dpl < (sel & 3)) {
                return -1;
            }
        } else if (!privilegeAllows(d, sel)) {
            return -1;
        }
        return limitOf(d);
    }

    public boolean verr(int sel) {
        checkProtectedOnly();
        long d = peekDescriptor(sel & 0xffff);
        if (!peekValid || (hi(d) & D_S) == 0) {
            return false;
        }
        if (isCode(d) && (hi(d) & W) == 0) {
            return false;
        }
        return privilegeAllows(d, sel);
    }

    public boolean verw(int sel) {
        checkProtectedOnly();
        long d = peekDescriptor(sel & 0xffff);
        if (!peekValid || (hi(d) & D_S) == 0 || isCode(d) || (hi(d) & W) == 0) {
            return false;
        }
        int dpl = dplOf(d);
        return dpl >= cpu.cpl && dpl >= (sel & 3);
    }

    // ---- I/O permission (SDM vol. 1, 19.5) -------------------------------------------------

    /** IN/OUT/INS/OUTS: #GP(0) unless CPL <= IOPL, or the TSS I/O bitmap allows the ports. */
    public void checkIo(int port, int size) {
        if (!protectedMode()) {
            return;
        }
        int iopl = (cpu.eflags & IOPL) >>> IOPL_SHIFT;
        if (!vm86() && cpu.cpl <= iopl) {
            return;
        }
        int type = cpu.trAttr & 0xf;
        long limit = cpu.trLimit & 0xffffffffL;
        if ((type != 9 && type != 11) || limit < 0x67) {
            throw intr.fault(GP, 0);
        }
        int ioBase = mmu.readSys16(cpu.trBase + 0x66);
        long off = ioBase + ((port & 0xffff) >>> 3);
        if (off + 1 > limit) {
            throw intr.fault(GP, 0);
        }
        int bits = mmu.readSys16(cpu.trBase + off);
        if ((bits & (((1 << size) - 1) << (port & 7))) != 0) {
            throw intr.fault(GP, 0);
        }
    }

    // ---- IA-32e mode: far return, IRET, SYSCALL/SYSRET, SYSENTER/SYSEXIT ---------------------

    private long readStack(long a, int size) {
        return switch (size) {
            case 8 -> mmu.read64(a, user());
            case 4 -> mmu.read(a, 4, user()) & 0xffffffffL;
            default -> mmu.read(a, 2, user()) & 0xffffL;
        };
    }

    private void writeStack(long a, int size, long v) {
        if (size == 8) {
            mmu.write64(a, v, user());
        } else {
            mmu.write(a, size, (int) v, user());
        }
    }

    /**
     * RET far in 64-bit mode (SDM "RET"): pops RIP and CS with the operand size; a return to an
     * outer ring pops RSP and SS too. Return into compatibility mode is allowed.
     */
    private void farReturn64(int size, int popBytes) {
        long rsp = cpu.regs[4];
        long rip = readStack(rsp, size);
        int sel = (int) readStack(rsp + size, size) & 0xffff;
        long d = checkReturnCode(sel);
        int rpl = sel & 3;
        checkTargetOffset(d, rip);
        if (rpl == cpu.cpl) {
            cpu.regs[4] = rsp + 2L * size + popBytes;
            loadCache(CS, sel, d);
            cpu.rip = rip;
            return;
        }
        long newRsp = readStack(rsp + 2L * size + popBytes, size);
        int newSs = (int) readStack(rsp + 3L * size + popBytes, size) & 0xffff;
        loadStackForReturn(newSs, rpl, d);
        loadCache(CS, sel, d);
        cpu.cpl = rpl;
        cpu.regs[4] = newRsp + popBytes;
        cpu.rip = rip;
        dropInaccessibleDataSegments();
    }

    /** SS for a return to ring {@code rpl} in IA-32e mode: null is allowed into 64-bit code below ring 3. */
    private void loadStackForReturn(int newSs, int rpl, long codeDesc) {
        boolean to64 = (hi(codeDesc) & (1 << 21)) != 0;
        if ((newSs & ~3) == 0) {
            if (!to64 || rpl == 3) {
                throw intr.fault(GP, 0);
            }
            loadNull(SS, newSs);
            cpu.segAttr[SS] = ATTR_P | ATTR_S | ATTR_W | (rpl << ATTR_DPL_SHIFT) | ATTR_DB;
            return;
        }
        long sd = descriptor(newSs, GP, 0);
        int serr = newSs & 0xfffc;
        if ((newSs & 3) != rpl || dplOf(sd) != rpl || (hi(sd) & (D_S | D_CODE | W)) != (D_S | W)) {
            throw intr.fault(GP, serr);
        }
        if (!present(sd)) {
            throw intr.fault(InterruptUnit.SS, serr);
        }
        loadCache(SS, newSs, sd);
    }

    /**
     * IRET in IA-32e mode (SDM "IRET", IA-32e branch): pops RIP, CS, RFLAGS, RSP and SS (all
     * five, also without a privilege change, when in 64-bit mode); from compatibility mode a
     * same-ring IRET pops only three. Task returns (NT) are #GP(0) there.
     */
    private void iret64(int size) {
        int oldFlags = cpu.getEflags();
        if ((oldFlags & NT) != 0) {
            throw intr.fault(GP, 0);
        }
        long rsp = cpu.code64() ? cpu.regs[4] : cpu.regs[4] & 0xffffffffL;
        long rip = readStack(rsp, size);
        int sel = (int) readStack(rsp + size, size) & 0xffff;
        int fl = (int) readStack(rsp + 2L * size, size);
        long d = checkReturnCode(sel);
        int rpl = sel & 3;
        int mask = CF | PF | AF | ZF | SF | OF | TF | DF | NT | RF | AC | ID;
        int iopl = (oldFlags & IOPL) >>> IOPL_SHIFT;
        if (cpu.cpl == 0) {
            mask |= IOPL;
        }
        if (cpu.cpl <= iopl) {
            mask |= IF;
        }
        if (size == 2) {
            mask &= 0xffff;
        }
        checkTargetOffset(d, rip);
        boolean from64 = cpu.code64();
        if (rpl == cpu.cpl && !from64) {
            cpu.regs[4] = rsp + 3L * size;
            loadCache(CS, sel, d);
            cpu.rip = rip;
        } else {
            long newRsp = readStack(rsp + 3L * size, size);
            int newSs = (int) readStack(rsp + 4L * size, size) & 0xffff;
            loadStackForReturn(newSs, rpl, d);
            loadCache(CS, sel, d);
            boolean to64 = (hi(d) & (1 << 21)) != 0;
            cpu.regs[4] = to64 ? newRsp : newRsp & 0xffffffffL;
            cpu.rip = to64 ? rip : rip & 0xffffffffL;
            if (rpl != cpu.cpl) {
                cpu.cpl = rpl;
                dropInaccessibleDataSegments();
            }
        }
        cpu.setEflags((oldFlags & ~mask) | (fl & mask));
    }

    /** A flat code or stack segment cache entry for SYSCALL/SYSRET/SYSENTER/SYSEXIT. */
    private void flat(int seg, int sel, int dpl, boolean code, boolean long64, boolean db) {
        cpu.segSel[seg] = sel & 0xffff;
        cpu.segBase[seg] = 0;
        cpu.segLimit[seg] = -1;
        cpu.segAttr[seg] = ATTR_P | ATTR_S | (dpl << ATTR_DPL_SHIFT) | ATTR_G | ATTR_A
                | (code ? ATTR_CODE | ATTR_R : ATTR_W) | (long64 ? ATTR_L : 0) | (db ? ATTR_DB : 0);
    }

    /**
     * SYSCALL (SDM vol. 2): needs EFER.SCE. In IA-32e mode RCX = next RIP, R11 = RFLAGS, CS/SS
     * from STAR[47:32], RIP from LSTAR (64-bit caller) or CSTAR (compatibility caller), RFLAGS
     * masked by FMASK. In legacy mode (AMD only) EIP from STAR[31:0], IF/VM/RF cleared.
     */
    public void syscall(long nextRip) {
        SystemInsns sys = cpu.sys;
        if ((cpu.efer & X86Cpu.EFER_SCE) == 0) {
            throw intr.fault(InterruptUnit.UD);
        }
        int sel = (int) (sys.star >>> 32) & 0xfffc;
        int fl = cpu.getEflags();
        if (cpu.longMode()) {
            cpu.regs[1] = nextRip;
            cpu.regs[11] = fl & 0xffffffffL & ~RF;
            boolean from64 = cpu.code64();
            flat(CS, sel, 0, true, true, false);
            flat(SS, sel + 8, 0, false, false, true);
            cpu.cpl = 0;
            cpu.setEflags(fl & ~sys.fmask & ~RF);
            cpu.rip = from64 ? sys.lstar : sys.cstar;
        } else {
            cpu.regs[1] = nextRip & 0xffffffffL;
            flat(CS, sel, 0, true, false, true);
            flat(SS, sel + 8, 0, false, false, true);
            cpu.cpl = 0;
            cpu.setEflags(fl & ~(IF | VM | RF));
            cpu.rip = sys.star & 0xffffffffL;
        }
    }

    /**
     * SYSRET: CPL 0, EFER.SCE, protected mode. REX.W returns to 64-bit code (CS = STAR[63:48]+16,
     * RIP = RCX, which must be canonical), else to 32-bit code (CS = STAR[63:48]); SS =
     * STAR[63:48]+8; RFLAGS = R11 in IA-32e mode.
     */
    public void sysret(boolean rexW) {
        SystemInsns sys = cpu.sys;
        if ((cpu.efer & X86Cpu.EFER_SCE) == 0) {
            throw intr.fault(InterruptUnit.UD);
        }
        if (!protectedMode() || cpu.cpl != 0) {
            throw intr.fault(GP, 0);
        }
        int base = (int) (sys.star >>> 48) & 0xffff;
        if (cpu.longMode()) {
            long rcx = cpu.regs[1];
            if (rexW && ((rcx << 16) >> 16) != rcx) {
                throw intr.fault(GP, 0);
            }
            if (rexW) {
                flat(CS, (base + 16) | 3, 3, true, true, false);
                cpu.rip = rcx;
            } else {
                flat(CS, base | 3, 3, true, false, true);
                cpu.rip = rcx & 0xffffffffL;
            }
            flat(SS, (base + 8) | 3, 3, false, false, true);
            cpu.cpl = 3;
            cpu.setEflags(((int) cpu.regs[11] & ~(RF | VM)) | 2);
        } else {
            flat(CS, base | 3, 3, true, false, true);
            flat(SS, (base + 8) | 3, 3, false, false, true);
            cpu.cpl = 3;
            cpu.rip = cpu.regs[1] & 0xffffffffL;
            cpu.setEflags(cpu.getEflags() | IF);
        }
    }

    /**
     * SYSENTER: #GP(0) in real mode or with SYSENTER_CS = 0; CS = SYSENTER_CS, SS = +8, ring 0,
     * RSP/RIP from the MSRs; VM, IF and RF cleared. A 64-bit CS in IA-32e mode.
     */
    public void sysenter() {
        SystemInsns sys = cpu.sys;
        int cs = sys.sysenterCs & 0xfffc;
        if (!protectedMode() || cs == 0) {
            throw intr.fault(GP, 0);
        }
        boolean lm = cpu.longMode();
        cpu.setEflags(cpu.getEflags() & ~(VM | IF | RF));
        flat(CS, cs, 0, true, lm, !lm);
        flat(SS, cs + 8, 0, false, false, true);
        cpu.cpl = 0;
        cpu.regs[4] = lm ? sys.sysenterEsp : sys.sysenterEsp & 0xffffffffL;
        cpu.rip = lm ? sys.sysenterEip : sys.sysenterEip & 0xffffffffL;
    }

    /**
     * SYSEXIT: CPL 0 in protected mode and SYSENTER_CS != 0, else #GP(0). To ring 3 with
     * CS = SYSENTER_CS+16 (+32 and 64-bit with REX.W), SS = CS+8, RSP = RCX, RIP = RDX.
     */
    public void sysexit(boolean rexW) {
        SystemInsns sys = cpu.sys;
        int cs = sys.sysenterCs & 0xfffc;
        if (!protectedMode() || cpu.cpl != 0 || cs == 0) {
            throw intr.fault(GP, 0);
        }
        if (rexW) {
            flat(CS, (cs + 32) | 3, 3, true, true, false);
            flat(SS, (cs + 40) | 3, 3, false, false, true);
            cpu.regs[4] = cpu.regs[1];
            cpu.rip = cpu.regs[2];
        } else {
            flat(CS, (cs + 16) | 3, 3, true, false, true);
            flat(SS, (cs + 24) | 3, 3, false, false, true);
            cpu.regs[4] = cpu.regs[1] & 0xffffffffL;
            cpu.rip = cpu.regs[2] & 0xffffffffL;
        }
        cpu.cpl = 3;
    }
}
