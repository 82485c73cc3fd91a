package org.jqemu.target.arm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jqemu.system.cpu.CpuExecutor;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.memory.IoRegion;
import org.jqemu.system.memory.MemoryOps;
import org.jqemu.system.memory.RamRegion;

/**
 * A bare test machine for the AArch64 CPU, laid out like QEMU's virt where the test programs
 * look: RAM at 0x40000000, a write-only UART sink on the PL011 data register at 0x09000000, and
 * a firmware that answers PSCI SYSTEM_OFF (HVC/SMC with x0 = 0x84000008). The CPU runs on the
 * calling thread.
 */
final class ArmRig implements AutoCloseable {
    static final long RAM_BASE = 0x4000_0000L;
    static final long UART = 0x0900_0000L;

    final Machine machine = new Machine(new MachineConfig());
    final Aarch64Cpu cpu;
    final StringBuilder serial = new StringBuilder();
    volatile boolean poweredOff;
    int firmwareCalls;

    ArmRig() {
        this(128L << 20);
    }

    ArmRig(long ramSize) {
        this(ramSize, ArmCpuModel.CORTEX_A57);
    }

    ArmRig(long ramSize, ArmCpuModel model) {
        machine.memory().root().add(RAM_BASE, RamRegion.allocate(machine.arena(), "ram", ramSize, false));
        machine.memory().root().add(UART, new IoRegion("uart", 0x1000, new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                return offset == 0x18 ? 0x90 : 0; // FR: TX empty, RX empty
            }

            @Override
            public void write(long offset, int size, long value) {
                if (offset == 0) {
                    serial.append((char) (value & 0xff));
                }
            }
        }));
        cpu = new Aarch64Cpu(machine, 0, model);
        cpu.setFirmwareCallHandler((c, conduit, imm) -> {
            firmwareCalls++;
            long fn = c.xreg(0);
            if (fn == 0x84000008L) {
                poweredOff = true;
                c.requestExit();
                return true;
            }
            if (fn == 0x84000000L) { // PSCI_VERSION
                c.setXreg(0, 0x10000);
                return true;
            }
            c.setXreg(0, -1); // NOT_SUPPORTED
            return true;
        });
        machine.clock().start();
        // timers (the generic timer's deadlines) fire on the machine's main loop thread
        Thread.ofPlatform().daemon(true).name("arm-rig-main-loop").start(machine.mainLoop());
    }

    /** Loads the PT_LOAD segments of an ELF64 little-endian executable; returns its entry. */
    long loadElf(byte[] elf) {
        ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        long entry = b.getLong(24);
        long phoff = b.getLong(32);
        int phentsize = b.getShort(54) & 0xffff;
        int phnum = b.getShort(56) & 0xffff;
        for (int i = 0; i < phnum; i++) {
            int ph = (int) (phoff + (long) i * phentsize);
            if (b.getInt(ph) != 1) {
                continue;
            }
            long off = b.getLong(ph + 8);
            long paddr = b.getLong(ph + 24);
            long filesz = b.getLong(ph + 32);
            machine.memory().writeBytes(paddr, elf, (int) off, (int) filesz, false);
        }
        return entry;
    }

    void loadElf(Path p) throws IOException {
        long entry = loadElf(Files.readAllBytes(p));
        cpu.bootAt(entry, 0);
    }

    /** Runs until PSCI SYSTEM_OFF or the timeout; returns true if the program powered off. */
    boolean run(long timeoutMs) {
        long end = System.currentTimeMillis() + timeoutMs;
        while (!poweredOff && System.currentTimeMillis() < end) {
            int exit = cpu.execute();
            if (exit == CpuExecutor.EXIT_HALTED && !poweredOff) {
                java.util.concurrent.locks.LockSupport.parkNanos(100_000);
            }
        }
        return poweredOff;
    }

    @Override
    public void close() {
        machine.close();
    }
}
