package org.jqemu.hw.intc;

import java.util.ArrayList;
import java.util.List;
import org.jqemu.system.cpu.Cpu;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.MemoryOps;

/**
 * The APIC bus of an x86 machine: the message path between I/O APICs and the local APICs of the
 * CPUs (Intel SDM vol. 3, 10.6 "Issuing Interprocessor Interrupts", 10.6.2 "Determining IPI
 * Destination"; 82093AA datasheet, 3.2.4 "Redirection Table"), plus the shared 0xFEE00000 MMIO
 * window in which every CPU sees its own local APIC.
 *
 * <p>Destinations: physical mode matches the 8-bit APIC ID (0xFF = all); logical mode matches
 * the LDR under the flat or cluster model of each APIC's DFR. Lowest-priority delivery goes to
 * the first matching APIC (no priority arbitration; correct for one CPU, and fair enough for a
 * guest that only asks for "any of these").
 */
public final class ApicBus {
    /** The local APIC's default physical base (IA32_APIC_BASE reset value). */
    public static final long DEFAULT_BASE = 0xfee0_0000L;
    /** The APIC page plus the rest of the MSI address range 0xFEE00000-0xFEEFFFFF. */
    public static final int MMIO_SIZE = 0x10_0000;

    /** Delivery modes (ICR and redirection entry bits 10:8). */
    public static final int DM_FIXED = 0, DM_LOWEST = 1, DM_SMI = 2, DM_NMI = 4, DM_INIT = 5, DM_STARTUP = 6,
            DM_EXTINT = 7;

    /** Hears EOIs of level-triggered vectors (the I/O APICs clear remote IRR). */
    @FunctionalInterface
    public interface EoiListener {
        void eoi(int vector);
    }

    private final Machine machine;
    private final List<LocalApic> apics = new ArrayList<>();
    private final List<EoiListener> eoiListeners = new ArrayList<>();

    public ApicBus(Machine machine) {
        this.machine = machine;
    }

    public Machine machine() {
        return machine;
    }

    void register(LocalApic apic) {
        apics.add(apic);
    }

    public List<LocalApic> apics() {
        return List.copyOf(apics);
    }

    public void addEoiListener(EoiListener l) {
        eoiListeners.add(l);
    }

    void broadcastEoi(int vector) {
        for (EoiListener l : eoiListeners) {
            l.eoi(vector);
        }
    }

    /** The local APIC of the calling vCPU (the boot CPU's from any other thread). */
    public LocalApic current() {
        Cpu cpu = machine.currentCpu();
        if (cpu != null) {
            for (LocalApic a : apics) {
                if (a.cpuIndex() == cpu.index()) {
                    return a;
                }
            }
        }
        return apics.isEmpty() ? null : apics.get(0);
    }

    /**
     * The 0xFEE00000-0xFEEFFFFF window: CPU accesses to the first 4 KiB reach the accessing CPU's
     * own local APIC. Dword writes outside the APIC's registers (offset 0-0xF, which is reserved
     * there, or beyond 4 KiB) are MSI messages, as in QEMU, where devices and CPUs share this
     * window.
     */
    public MemoryOps mmio() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                LocalApic a = current();
                return a == null || offset >= 0x1000 ? 0 : a.mmioRead(offset, size);
            }

            @Override
            public void write(long offset, int size, long value) {
                if (size == 4 && (offset < 0x10 || offset >= 0x1000)) {
                    msi(DEFAULT_BASE + offset, (int) value);
                    return;
                }
                LocalApic a = current();
                if (a != null && offset < 0x1000) {
                    a.mmioWrite(offset, size, value);
                }
            }
        };
    }

    /** True when {@code apic} is addressed by {@code dest} in the given destination mode. */
    static boolean matches(LocalApic apic, int dest, boolean logical) {
        if (!logical) {
            return dest == 0xff || dest == apic.apicId();
        }
        int ldr = apic.ldr() >>> 24;
        if ((apic.dfr() >>> 28) == 0xf) {
            return (ldr & dest) != 0; // flat model: one bit per APIC
        }
        // Cluster model: high nibble is the cluster (15 = all), low nibble selects APICs in it.
        return ((dest >>> 4) == 0xf || (dest >>> 4) == (ldr >>> 4)) && (dest & ldr & 0xf) != 0;
    }

    /**
     * Sends an interrupt message: to every APIC that {@code dest} selects, or to one of them for
     * lowest-priority delivery.
     */
    public void deliver(int dest, boolean logical, int mode, int vector, boolean levelTriggered) {
        for (LocalApic a : apics) {
            if (matches(a, dest, logical)) {
                a.receive(mode, vector, levelTriggered);
                if (mode == DM_LOWEST) {
                    return;
                }
            }
        }
    }

    /**
     * An MSI write (PCI 3.0, 6.8; SDM 10.11 "Message Signalled Interrupts"): address bits 19:12
     * destination, bit 2 destination mode; data bits 7:0 vector, 10:8 delivery mode, 15 trigger.
     */
    public void msi(long address, int data) {
        deliver((int) (address >>> 12) & 0xff, (address & 0x4) != 0, (data >>> 8) & 7, data & 0xff,
                (data & 0x8000) != 0);
    }
}
