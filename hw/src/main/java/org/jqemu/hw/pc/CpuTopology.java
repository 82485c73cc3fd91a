package org.jqemu.hw.pc;

import org.jqemu.system.machine.MachineConfig;

/**
 * How a PC's CPUs sit in packages, and the APIC IDs that follow (Intel SDM vol. 3, 8.9.1
 * "Hierarchical Mapping of Shared Resources"): the ID is socket, core and thread numbers packed
 * in fields just wide enough for the counts, so IDs have gaps when a count is not a power of two,
 * as on QEMU's pc.
 */
record CpuTopology(int sockets, int cores, int threads) {
    static CpuTopology of(MachineConfig config) {
        return new CpuTopology(Math.max(1, config.smpSockets), Math.max(1, config.smpCores),
                Math.max(1, config.smpThreads));
    }

    /** The APIC ID of CPU {@code index} (CPUs numbered thread first, then core, then socket). */
    int apicId(int index) {
        int threadBits = bitsFor(threads);
        int coreBits = bitsFor(cores);
        int thread = index % threads;
        int core = (index / threads) % cores;
        int socket = index / (threads * cores);
        return (socket << (coreBits + threadBits)) | (core << threadBits) | thread;
    }

    /** Logical processors per package (CPUID leaf 1 EBX[23:16]). */
    int logicalPerPackage() {
        return cores * threads;
    }

    private static int bitsFor(int count) {
        return 32 - Integer.numberOfLeadingZeros(count - 1);
    }
}
