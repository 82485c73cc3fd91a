package org.jqemu.hw.arm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.jqemu.hw.TestMachines;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineListener;
import org.jqemu.system.machine.ShutdownCause;
import org.junit.jupiter.api.Test;

class PsciTest {
    /** A CPU as PSCI sees it: MPIDR as Aarch64Cpu reports it, and a power switch. */
    static final class FakeCore implements Psci.Core {
        final int index;
        boolean off;
        long entry = -1;
        long context = -1;

        FakeCore(int index, boolean off) {
            this.index = index;
            this.off = off;
        }

        @Override
        public long mpidr() {
            return 0x8000_0000L | ((long) (index / 8) << 8) | (index % 8);
        }

        @Override
        public boolean isPoweredOff() {
            return off;
        }

        @Override
        public void powerOn(long e, long c) {
            off = false;
            entry = e;
            context = c;
        }

        @Override
        public void powerOff() {
            off = true;
        }
    }

    private final Machine machine = TestMachines.newMachine();
    private final FakeCore cpu0 = new FakeCore(0, false);
    private final FakeCore cpu1 = new FakeCore(1, true);
    private final Psci psci = new Psci(machine, List.of(cpu0, cpu1));

    @Test
    void reportsVersionFeaturesAndMigrationType() {
        assertEquals(0x10001, psci.dispatch(cpu0, Psci.PSCI_VERSION, 0, 0, 0));
        assertEquals(Psci.SUCCESS, psci.dispatch(cpu0, Psci.PSCI_FEATURES, Psci.CPU_ON_64, 0, 0));
        assertEquals(Psci.SUCCESS, psci.dispatch(cpu0, Psci.PSCI_FEATURES, Psci.SYSTEM_OFF, 0, 0));
        assertEquals(Psci.NOT_SUPPORTED, psci.dispatch(cpu0, Psci.PSCI_FEATURES, 0x8000_0000L, 0, 0));
        assertEquals(2, psci.dispatch(cpu0, Psci.MIGRATE_INFO_TYPE, 0, 0, 0));
        assertEquals(Psci.NOT_SUPPORTED, psci.dispatch(cpu0, 0x8000_0000, 0, 0, 0), "SMCCC_VERSION");
        assertEquals(Psci.NOT_SUPPORTED, psci.dispatch(cpu0, Psci.MIGRATE_64, 0, 0, 0));
    }

    @Test
    void cpuOnStartsAnOffCpuOnceAndAffinityInfoFollows() {
        assertEquals(Psci.AFFINITY_OFF, psci.dispatch(cpu0, Psci.AFFINITY_INFO_64, 0x8000_0001L, 0, 0));
        assertEquals(Psci.SUCCESS, psci.dispatch(cpu0, Psci.CPU_ON_64, 1, 0x4020_1000L, 0x1234));
        assertFalse(cpu1.off);
        assertEquals(0x4020_1000L, cpu1.entry);
        assertEquals(0x1234, cpu1.context);
        assertEquals(Psci.AFFINITY_ON, psci.dispatch(cpu0, Psci.AFFINITY_INFO_64, 1, 0, 0));
        assertEquals(Psci.ALREADY_ON, psci.dispatch(cpu0, Psci.CPU_ON_64, 1, 0x4020_1000L, 0));
        assertEquals(Psci.INVALID_PARAMETERS, psci.dispatch(cpu0, Psci.CPU_ON_64, 5, 0x4020_1000L, 0));
        assertEquals(Psci.INVALID_PARAMETERS, psci.dispatch(cpu0, Psci.AFFINITY_INFO_64, 1, 1, 0));
        // The 32-bit form ignores the upper halves of its arguments.
        cpu1.off = true;
        assertEquals(Psci.SUCCESS, psci.dispatch(cpu0, Psci.CPU_ON_32, 0xffff_ffff_0000_0001L, 0xffff_ffff_4000_0000L, 0));
        assertEquals(0x4000_0000L, cpu1.entry);
    }

    @Test
    void cpuOffPowersTheCallerDown() {
        psci.dispatch(cpu0, Psci.CPU_ON_64, 1, 0x4000_0000L, 0);
        psci.dispatch(cpu1, Psci.CPU_OFF, 0, 0, 0);
        assertTrue(cpu1.off);
        assertEquals(Psci.AFFINITY_OFF, psci.dispatch(cpu0, Psci.AFFINITY_INFO_32, 1, 0, 0));
    }

    @Test
    void systemOffEndsTheMachineAsAGuestShutdown() throws Exception {
        List<ShutdownCause> causes = new ArrayList<>();
        machine.addListener(new MachineListener() {
            @Override
            public void shutdown(ShutdownCause cause) {
                causes.add(cause);
            }
        });
        TestMachines.startPaused(machine);
        psci.dispatch(cpu0, Psci.SYSTEM_OFF, 0, 0, 0);
        assertEquals(0, machine.awaitExit());
        assertEquals(List.of(ShutdownCause.GUEST_SHUTDOWN), causes);
    }

    @Test
    void systemResetResetsTheMachine() throws Exception {
        AtomicReference<ShutdownCause> reset = new AtomicReference<>();
        machine.addListener(new MachineListener() {
            @Override
            public void reset(ShutdownCause cause) {
                reset.set(cause);
            }
        });
        TestMachines.startPaused(machine);
        try {
            psci.dispatch(cpu0, Psci.SYSTEM_RESET, 0, 0, 0);
            assertTrue(cpu0.off, "the call does not return to the guest");
            TestMachines.drain(machine);
            assertEquals(ShutdownCause.GUEST_RESET, reset.get());
        } finally {
            machine.exit(0);
            machine.awaitExit();
        }
    }
}
