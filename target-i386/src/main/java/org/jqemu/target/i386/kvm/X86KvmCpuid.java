package org.jqemu.target.i386.kvm;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.Locale;
import org.jqemu.accel.kvm.Kvm;
import org.jqemu.accel.kvm.KvmStructs;

/**
 * The CPUID table a vCPU gets under {@code kvm}: what the host's KVM can offer
 * (KVM_GET_SUPPORTED_CPUID) filtered by the {@code -cpu} model, as QEMU does. {@code max} and
 * {@code host} get everything KVM supports. The named models get their own feature words (QEMU's
 * definitions in target/i386/cpu.c: {@code qemu64}, {@code qemu32}, {@code pentium}, {@code 486}),
 * ANDed with KVM's, plus what QEMU adds under KVM by default: the hypervisor bit (also for
 * {@code max}), x2APIC (the in-kernel local APIC has it) and KVM's paravirtual leaves
 * 0x40000000.. (kvmclock).
 *
 * <p>Unlike QEMU, the vendor string stays the host's: QEMU's {@code qemu64} says AuthenticAMD even
 * on Intel hosts; jqemu avoids the cross-vendor corner cases (SYSCALL/SYSENTER in compatibility
 * mode) that this brings. Family/model/stepping are the model's.
 */
final class X86KvmCpuid {
    private X86KvmCpuid() {}

    // CPUID.1:EDX
    private static final int FPU = 1, VME = 1 << 1, DE = 1 << 2, PSE = 1 << 3, TSC = 1 << 4, MSR = 1 << 5;
    private static final int PAE = 1 << 6, MCE = 1 << 7, CX8 = 1 << 8, APIC = 1 << 9, SEP = 1 << 11;
    private static final int MTRR = 1 << 12, PGE = 1 << 13, MCA = 1 << 14, CMOV = 1 << 15, PAT = 1 << 16;
    private static final int PSE36 = 1 << 17, CLFLUSH = 1 << 19, MMX = 1 << 23, FXSR = 1 << 24, SSE = 1 << 25;
    private static final int SSE2 = 1 << 26;
    // CPUID.1:ECX
    private static final int SSE3 = 1, CX16 = 1 << 13, X2APIC = 1 << 21, HYPERVISOR = 1 << 31;
    // CPUID.80000001
    private static final int SYSCALL = 1 << 11, NX = 1 << 20, LM = 1 << 29, LAHF_LM = 1;
    /** The leaf-1 EDX bits AMD repeats in 80000001:EDX (QEMU's CPUID_EXT2_AMD_ALIASES). */
    private static final int AMD_ALIASES = 0x0183f3ff;

    private static final int I486 = FPU | VME | PSE;
    private static final int PENTIUM = I486 | DE | TSC | MSR | MCE | CX8 | MMX;
    private static final int PPRO = FPU | DE | PSE | TSC | MSR | MCE | CX8 | PGE | CMOV | PAT | FXSR | MMX | SSE
            | SSE2 | PAE | SEP | APIC;

    /** A named CPU model's identification and feature words. */
    record Model(String name, int level, int xlevel, int family, int model, int stepping, int edx1, int ecx1,
            int extEdx, int extEcx) {
        int signature() {
            int fam = Math.min(family, 0xf);
            int extFam = family > 0xf ? family - 0xf : 0;
            return (extFam << 20) | ((model >> 4) << 16) | (fam << 8) | ((model & 0xf) << 4) | stepping;
        }
    }

    static final Model QEMU64 = new Model("qemu64", 0xd, 0x8000000a, 15, 107, 1,
            PPRO | MTRR | CLFLUSH | MCA | PSE36, SSE3 | CX16, LM | SYSCALL | NX, LAHF_LM);
    static final Model QEMU32 = new Model("qemu32", 4, 0x80000004, 6, 6, 3, PPRO, SSE3, 0, 0);
    static final Model PENTIUM_MODEL = new Model("pentium", 1, 0, 5, 4, 3, PENTIUM, 0, 0, 0);
    static final Model I486_MODEL = new Model("486", 1, 0, 4, 8, 0, I486, 0, 0, 0);

    /** The model a {@code -cpu} value names (properties after a comma are ignored); null for max/host. */
    static Model model(String cpuModel) {
        String name = cpuModel == null ? "qemu64" : cpuModel.split(",", 2)[0].toLowerCase(Locale.ROOT);
        return switch (name) {
            case "qemu64" -> QEMU64;
            case "qemu32" -> QEMU32;
            case "pentium" -> PENTIUM_MODEL;
            case "486" -> I486_MODEL;
            default -> null; // max, host: everything KVM supports
        };
    }

    private static final VarHandle NENT = KvmStructs.field(KvmStructs.KVM_CPUID2, "nent");
    private static final long ENTRIES = KvmStructs.offset(KvmStructs.KVM_CPUID2, "entries");
    private static final long ENTRY_SIZE = KvmStructs.KVM_CPUID_ENTRY2.byteSize();
    private static final long FUNCTION = KvmStructs.offset(KvmStructs.KVM_CPUID_ENTRY2, "function");
    private static final long INDEX = KvmStructs.offset(KvmStructs.KVM_CPUID_ENTRY2, "index");
    private static final long EAX = KvmStructs.offset(KvmStructs.KVM_CPUID_ENTRY2, "eax");
    private static final long EBX = KvmStructs.offset(KvmStructs.KVM_CPUID_ENTRY2, "ebx");
    private static final long ECX = KvmStructs.offset(KvmStructs.KVM_CPUID_ENTRY2, "ecx");
    private static final long EDX = KvmStructs.offset(KvmStructs.KVM_CPUID_ENTRY2, "edx");
    private static final String BRAND = "jqemu Virtual CPU";

    /**
     * The table for one vCPU: {@code supported} filtered by {@code model} (null: unfiltered), with
     * this vCPU's APIC id in leaf 1 EBX[31:24] and the x2APIC id leaves (0xB, 0x1F: EDX).
     */
    static MemorySegment forVcpu(Arena arena, MemorySegment supported, Model model, int apicId) {
        int n = (int) NENT.get(supported);
        MemorySegment t = Kvm.allocateCpuid2(arena, n);
        boolean amd = isAmd(supported, n);
        int out = 0;
        for (int i = 0; i < n; i++) {
            long from = ENTRIES + i * ENTRY_SIZE;
            long e = ENTRIES + out * ENTRY_SIZE;
            MemorySegment.copy(supported, from, t, e, ENTRY_SIZE);
            if (model == null) {
                hypervisorBit(t, e);
            }
            if (model == null || filter(t, e, model, amd)) {
                apicId(t, e, apicId);
                out++;
            }
        }
        NENT.set(t, out);
        return t;
    }

    /**
     * KVM does not list CPUID.1:ECX[31] as supported: as QEMU, jqemu sets it, so the guest looks
     * for the hypervisor's leaves 0x40000000.. (KVM's signature, kvmclock).
     */
    private static void hypervisorBit(MemorySegment t, long e) {
        if (t.get(JAVA_INT, e + FUNCTION) == 1) {
            t.set(JAVA_INT, e + ECX, t.get(JAVA_INT, e + ECX) | HYPERVISOR);
        }
    }

    private static boolean isAmd(MemorySegment s, int n) {
        for (int i = 0; i < n; i++) {
            long e = ENTRIES + i * ENTRY_SIZE;
            if (s.get(JAVA_INT, e + FUNCTION) == 0) {
                return s.get(JAVA_INT, e + EBX) == 0x68747541; // "Auth"
            }
        }
        return false;
    }

    private static void apicId(MemorySegment t, long e, int apicId) {
        int function = t.get(JAVA_INT, e + FUNCTION);
        if (function == 1) {
            t.set(JAVA_INT, e + EBX, (t.get(JAVA_INT, e + EBX) & 0x00ffffff) | (apicId << 24));
        } else if (function == 0xb || function == 0x1f) {
            t.set(JAVA_INT, e + EDX, apicId);
        }
    }

    /** Filters one entry in place; false when the model has no such leaf. */
    private static boolean filter(MemorySegment t, long e, Model m, boolean amd) {
        int f = t.get(JAVA_INT, e + FUNCTION);
        if (f >= 0x40000000) { // signed: 0x80000000 and up are negative
            return true; // KVM's paravirtual leaves (kvmclock, ...), as QEMU offers them by default
        }
        boolean extended = f < 0; // 0x80000000 and up
        if (!extended && Integer.compareUnsigned(f, m.level()) > 0) {
            return false;
        }
        if (extended && f != 0x80000000 && Integer.compareUnsigned(f, m.xlevel()) > 0) {
            return false;
        }
        switch (f) {
            case 0 -> t.set(JAVA_INT, e + EAX, Math.min(t.get(JAVA_INT, e + EAX), m.level()));
            case 1 -> {
                t.set(JAVA_INT, e + EAX, m.signature());
                int clflush = (m.edx1() & CLFLUSH) != 0 ? 8 << 8 : 0;
                t.set(JAVA_INT, e + EBX, (1 << 16) | clflush);
                int x2apic = (m.edx1() & APIC) != 0 ? X2APIC : 0;
                t.set(JAVA_INT, e + ECX, (t.get(JAVA_INT, e + ECX) & (m.ecx1() | x2apic)) | HYPERVISOR);
                t.set(JAVA_INT, e + EDX, t.get(JAVA_INT, e + EDX) & m.edx1());
            }
            case 7, 0xa, 0xd -> {
                // No structured extended features, no PMU and no XSAVE in the named models.
                if (f == 7 && t.get(JAVA_INT, e + INDEX) != 0) {
                    return false;
                }
                t.set(JAVA_INT, e + EAX, 0);
                t.set(JAVA_INT, e + EBX, 0);
                t.set(JAVA_INT, e + ECX, 0);
                t.set(JAVA_INT, e + EDX, 0);
            }
            case 0x80000000 -> t.set(JAVA_INT, e + EAX,
                    m.xlevel() == 0 ? 0 : (int) Math.min(t.get(JAVA_INT, e + EAX) & 0xffffffffL, m.xlevel() & 0xffffffffL));
            case 0x80000001 -> {
                int aliases = amd ? m.edx1() & AMD_ALIASES : 0;
                t.set(JAVA_INT, e + EAX, m.signature());
                t.set(JAVA_INT, e + EBX, 0);
                t.set(JAVA_INT, e + ECX, t.get(JAVA_INT, e + ECX) & m.extEcx());
                t.set(JAVA_INT, e + EDX, t.get(JAVA_INT, e + EDX) & (m.extEdx() | aliases));
            }
            case 0x80000002, 0x80000003, 0x80000004 -> {
                int base = (f - 0x80000002) * 16;
                t.set(JAVA_INT, e + EAX, word(base));
                t.set(JAVA_INT, e + EBX, word(base + 4));
                t.set(JAVA_INT, e + ECX, word(base + 8));
                t.set(JAVA_INT, e + EDX, word(base + 12));
            }
            case 0x8000000a -> {
                return false; // SVM: no nested virtualization in the named models
            }
            default -> { } // caches, topology, address sizes: the host's
        }
        return true;
    }

    private static int word(int at) {
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int ch = at + i < BRAND.length() ? BRAND.charAt(at + i) : 0;
            v |= (ch & 0xff) << (8 * i);
        }
        return v;
    }
}
