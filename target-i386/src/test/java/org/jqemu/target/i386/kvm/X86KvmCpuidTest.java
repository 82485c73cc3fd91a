package org.jqemu.target.i386.kvm;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jqemu.accel.kvm.Kvm;
import org.jqemu.accel.kvm.KvmConstants;
import org.jqemu.accel.kvm.KvmStructs;
import org.jqemu.accel.kvm.KvmVm;
import org.junit.jupiter.api.Test;

/** CPUID under kvm filtered by -cpu, and the PC's GSI routing, without /dev/kvm. */
class X86KvmCpuidTest {
    private static final long ENTRIES = KvmStructs.offset(KvmStructs.KVM_CPUID2, "entries");
    private static final long SIZE = KvmStructs.KVM_CPUID_ENTRY2.byteSize();

    /** A host KVM that offers "everything": leaves 0, 1, 7, 0xa, 0xd, 0x40000000, 0x80000000..0x8000000a. */
    private static MemorySegment host(Arena a) {
        int[][] rows = {
            // function, index, eax, ebx, ecx, edx
            {0, 0, 0x1f, 0x68747541, 0x444d4163, 0x69746e65}, // AuthenticAMD, max leaf 0x1f
            {1, 0, 0x00a20f10, 0x00020800, 0x7fffffff, -1}, // KVM never lists the hypervisor bit
            {7, 0, 0, -1, -1, -1},
            {7, 1, 0, -1, -1, -1},
            {0xa, 0, 0x07300403, 0, 0, 0},
            {0xd, 0, 0x7, 0x340, 0x340, 0},
            {0x40000000, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d},
            {0x80000000, 0, 0x80000021, 0, 0, 0},
            {0x80000001, 0, 0x00a20f10, 0, -1, -1},
            {0x80000008, 0, 0x3030, 0, 0, 0},
            {0x8000000a, 0, 1, 0x8000, 0, -1},
        };
        MemorySegment t = Kvm.allocateCpuid2(a, rows.length);
        t.set(JAVA_INT, 0, rows.length);
        for (int i = 0; i < rows.length; i++) {
            long e = ENTRIES + i * SIZE;
            int[] r = rows[i];
            t.set(JAVA_INT, e, r[0]);
            t.set(JAVA_INT, e + 4, r[1]);
            for (int k = 0; k < 4; k++) {
                t.set(JAVA_INT, e + 12 + 4L * k, r[2 + k]);
            }
        }
        return t;
    }

    /** function.index → {eax, ebx, ecx, edx} of a table. */
    private static Map<String, List<Integer>> leaves(MemorySegment t) {
        Map<String, List<Integer>> out = new LinkedHashMap<>();
        int n = t.get(JAVA_INT, 0);
        for (int i = 0; i < n; i++) {
            long e = ENTRIES + i * SIZE;
            out.put(Integer.toHexString(t.get(JAVA_INT, e)) + "." + t.get(JAVA_INT, e + 4),
                    List.of(t.get(JAVA_INT, e + 12), t.get(JAVA_INT, e + 16), t.get(JAVA_INT, e + 20),
                            t.get(JAVA_INT, e + 24)));
        }
        return out;
    }

    @Test
    void qemu64GetsItsFeatureWordsAndSignature() {
        try (Arena a = Arena.ofConfined()) {
            Map<String, List<Integer>> l = leaves(X86KvmCpuid.forVcpu(a, host(a), X86KvmCpuid.model("qemu64"), 3));
            assertEquals(0xd, l.get("0.0").get(0), "max basic leaf: qemu64's level");
            assertEquals(0x68747541, l.get("0.0").get(1), "host vendor kept");
            // family 15 model 107 stepping 1
            assertEquals(0x60fb1, l.get("1.0").get(0));
            assertEquals(3, l.get("1.0").get(1) >>> 24, "APIC id");
            assertEquals(0x8, (l.get("1.0").get(1) >> 8) & 0xff, "CLFLUSH line size");
            // SSE3 | CX16 | x2APIC | hypervisor
            assertEquals(1 | 1 << 13 | 1 << 21 | 1 << 31, l.get("1.0").get(2));
            // PPRO | MTRR | CLFLUSH | MCA | PSE36
            assertEquals(0x078bfbfd, l.get("1.0").get(3));
            assertEquals(List.of(0, 0, 0, 0), l.get("7.0"), "no leaf 7 features");
            assertNull(l.get("7.1"));
            assertEquals(List.of(0, 0, 0, 0), l.get("a.0"), "no PMU");
            assertEquals(List.of(0, 0, 0, 0), l.get("d.0"), "no XSAVE");
            assertEquals(0x4b4d564b, l.get("40000000.0").get(1), "KVM's paravirtual leaves kept");
            assertEquals(0x8000000a, l.get("80000000.0").get(0), "qemu64's xlevel");
            assertEquals(1, l.get("80000001.0").get(2), "LAHF_LM only (no SVM)");
            // LM | SYSCALL | NX and, on an AMD host, the leaf-1 aliases
            assertEquals((1 << 29 | 1 << 11 | 1 << 20) | (0x078bfbfd & 0x0183f3ff), l.get("80000001.0").get(3));
            assertEquals(0x3030, l.get("80000008.0").get(0), "host address sizes");
            assertNull(l.get("8000000a.0"), "no SVM leaf");
        }
    }

    @Test
    void smallModelsLoseTheLeavesTheyDoNotHave() {
        try (Arena a = Arena.ofConfined()) {
            Map<String, List<Integer>> l = leaves(X86KvmCpuid.forVcpu(a, host(a), X86KvmCpuid.model("486"), 0));
            assertEquals(1, l.get("0.0").get(0));
            assertEquals(0x480, l.get("1.0").get(0));
            assertEquals(0xb, l.get("1.0").get(3), "FPU VME PSE");
            assertNull(l.get("7.0"));
            assertEquals(0, l.get("80000000.0").get(0), "no extended leaves");
            assertNull(l.get("80000001.0"));
        }
    }

    @Test
    void maxGetsEverythingKvmSupports() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = host(a);
            assertNull(X86KvmCpuid.model("max,+avx"));
            Map<String, List<Integer>> l = leaves(X86KvmCpuid.forVcpu(a, host, null, 2));
            Map<String, List<Integer>> h = leaves(host);
            assertEquals(h.keySet(), l.keySet());
            assertEquals(h.get("1.0").get(3), l.get("1.0").get(3));
            assertEquals(-1, l.get("1.0").get(2), "KVM's leaf-1 ECX plus the hypervisor bit");
            assertEquals(0x02020800, l.get("1.0").get(1), "only the APIC id changes");
        }
    }

    @Test
    void gsiRoutingIsQemus() {
        List<KvmVm.IrqRoute> routes = X86KvmArchitecture.pcRoutes();
        int pic = 0;
        for (KvmVm.IrqRoute r : routes) {
            if (r.chip() == KvmConstants.KVM_IRQCHIP_IOAPIC) {
                assertEquals(r.gsi() == 0 ? 2 : r.gsi(), r.pin(), "GSI " + r.gsi());
            } else {
                pic++;
                assertEquals(r.gsi() < 8 ? KvmConstants.KVM_IRQCHIP_PIC_MASTER : KvmConstants.KVM_IRQCHIP_PIC_SLAVE,
                        r.chip());
                assertEquals(r.gsi() & 7, r.pin());
            }
            assertEquals(false, r.gsi() == 2, "GSI 2 is the cascade: no route");
        }
        assertEquals(15, pic);
        assertEquals(15 + 23, routes.size());
    }

    @Test
    void tscFrequencyProperty() {
        assertEquals(0, X86KvmArchitecture.tscFrequency(null));
        assertEquals(0, X86KvmArchitecture.tscFrequency("qemu64"));
        assertEquals(2_500_000_000L, X86KvmArchitecture.tscFrequency("qemu64,tsc-frequency=2500000000"));
        assertEquals(1_800_000_000L, X86KvmArchitecture.tscFrequency("max,tsc-freq=1800M"));
    }
}
