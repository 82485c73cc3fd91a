package org.jqemu.target.i386.kvm;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.jqemu.accel.kvm.KvmAccelerator;
import org.jqemu.accel.kvm.KvmIrqChip;
import org.jqemu.system.accel.AcceleratorException;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.memory.IoRegion;
import org.jqemu.system.memory.MemoryOps;
import org.jqemu.system.memory.RamRegion;
import org.jqemu.target.i386.X86Cpu;

/**
 * Runs {@code smoke.asm} under the {@code kvm} accelerator on a minimal machine: 640 KiB of RAM,
 * a serial data port, an MMIO register, a result port and an exit port, plus the in-kernel irqchip
 * and PIT. Pauses the guest while it spins inside KVM_RUN, checks where it stopped, sends it to its
 * exit code and resumes it. Prints what the guest wrote and returns a one-line verdict. Used by
 * {@link KvmSmokeTest} where /dev/kvm exists and by tests/kvm/nested/run.sh inside a nested VM.
 */
public final class KvmSmoke {
    /** Generous: inside a nested VM under TCG the JVM itself is slow (see tests/kvm/README.md). */
    private static final long WATCHDOG_SECONDS = 300;

    /** What one run produced. */
    public record Result(int exitStatus, String serial, int mmioResult, boolean irqchip, boolean pausedInLoop,
            long pauseMicros, long initMillis, long runMillis) {
        public boolean passed() {
            return exitStatus == 0 && serial.equals("KVMTTT\n") && mmioResult == 0x1235 && irqchip && pausedInLoop;
        }

        @Override
        public String toString() {
            return String.format("kvm-smoke %s: exit=%d serial=%s mmio=0x%x irqchip=%s paused-in-loop=%s pause=%dus"
                    + " init=%dms run=%dms", passed() ? "PASS" : "FAIL", exitStatus, serial.replace("\n", "\\n"),
                    mmioResult, irqchip, pausedInLoop, pauseMicros, initMillis, runMillis);
        }
    }

    public static Result run(Path workDir) throws IOException, InterruptedException, AcceleratorException {
        byte[] code = assemble(workDir);
        long t0 = System.nanoTime();
        StringBuffer serial = new StringBuffer(); // written by the vCPU thread, read here
        int[] mmio = {0, -1};
        try (Machine m = new Machine(new MachineConfig())) {
            KvmAccelerator kvm = new KvmAccelerator();
            kvm.init(m);
            m.setAccelerator(kvm);
            m.memory().root().add(0, RamRegion.allocate(m.arena(), "ram", 0xa0000, false));
            m.memory().root().add(0xd0000, new IoRegion("smoke-register", 0x1000, ops(
                    (off, size) -> off == 0x10 ? mmio[0] + 1 : 0,
                    (off, size, v) -> {
                        if (off == 0x10) {
                            mmio[0] = (int) v;
                        }
                    })));
            m.io().root().add(0x3f8, new IoRegion("serial-data", 1, ops((o, s) -> 0,
                    (o, s, v) -> serial.append((char) (v & 0xff)))));
            m.io().root().add(0x500, new IoRegion("result", 2, ops((o, s) -> 0, (o, s, v) -> mmio[1] = (int) v)));
            m.io().root().add(0x504, new IoRegion("exit", 1, ops((o, s) -> 0, (o, s, v) -> m.exit((int) v))));
            m.memory().writeBytes(0x7c00, code);
            X86Cpu cpu = new X86Cpu(m, 0);
            m.addCpu(cpu);
            m.addResetHandler(() -> enterRealMode(cpu, 0x7c00));
            boolean irqchip = m.component(KvmIrqChip.class) != null && m.component(KvmIrqChip.class).pitInKernel();
            Thread watchdog = Thread.ofPlatform().daemon(true).start(() -> {
                try {
                    Thread.sleep(TimeUnit.SECONDS.toMillis(WATCHDOG_SECONDS));
                    System.err.println("kvm-smoke: no exit after " + WATCHDOG_SECONDS + " s; serial so far: " + serial);
                    m.exit(2);
                } catch (InterruptedException e) {
                    // finished in time
                }
            });
            long t1 = System.nanoTime();
            m.start();
            // The guest ends up spinning with no exits; pausing it proves the kick reaches a
            // thread inside KVM_RUN, and RIP read back there proves the register sync.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WATCHDOG_SECONDS);
            while (!m.terminating() && System.nanoTime() < deadline && serial.indexOf("\n") < 0) {
                Thread.sleep(10);
            }
            boolean pausedInLoop = false;
            long pauseMicros = -1;
            if (!m.terminating() && serial.indexOf("\n") >= 0) {
                Thread.sleep(200); // let it spin inside KVM_RUN
                long p0 = System.nanoTime();
                m.pause();
                pauseMicros = (System.nanoTime() - p0) / 1000;
                int spin = (code[3] & 0xff) | (code[4] & 0xff) << 8;
                int finish = (code[5] & 0xff) | (code[6] & 0xff) << 8;
                pausedInLoop = cpu.rip == spin && cpu.segBase[X86Cpu.CS] == 0;
                if (!pausedInLoop) {
                    System.err.printf("kvm-smoke: paused at %04x:%04x, expected the loop at 0000:%04x%n",
                            cpu.segSel[X86Cpu.CS], cpu.rip, spin);
                }
                cpu.rip = finish;
                m.resume();
            }
            int status = m.awaitExit();
            watchdog.interrupt();
            return new Result(status, serial.toString(), mmio[1], irqchip, pausedInLoop, pauseMicros,
                    (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000);
        }
    }

    /** Real mode at 0000:ip, as a boot loader would leave the CPU (the board's job in a real PC). */
    static void enterRealMode(X86Cpu cpu, int ip) {
        java.util.Arrays.fill(cpu.regs, 0);
        for (int s = 0; s < 6; s++) {
            cpu.segSel[s] = 0;
            cpu.segBase[s] = 0;
            cpu.segLimit[s] = 0xffff;
            cpu.segAttr[s] = s == X86Cpu.CS ? 0x9b : 0x93;
        }
        cpu.ldtSel = 0;
        cpu.ldtBase = 0;
        cpu.ldtLimit = 0xffff;
        cpu.ldtAttr = 0x82;
        cpu.trSel = 0;
        cpu.trBase = 0;
        cpu.trLimit = 0xffff;
        cpu.trAttr = 0x8b;
        cpu.gdtBase = 0;
        cpu.gdtLimit = 0xffff;
        cpu.idtBase = 0;
        cpu.idtLimit = 0x3ff;
        cpu.cr0 = 0x60000010L;
        cpu.cr2 = 0;
        cpu.cr3 = 0;
        cpu.cr4 = 0;
        cpu.cpl = 0;
        cpu.setEflags(0x2);
        cpu.rip = ip;
    }

    private static byte[] assemble(Path workDir) throws IOException, InterruptedException {
        Files.createDirectories(workDir);
        Path asm = workDir.resolve("smoke.asm");
        Path bin = workDir.resolve("smoke.bin");
        try (InputStream in = KvmSmoke.class.getResourceAsStream("smoke.asm")) {
            Files.write(asm, in.readAllBytes());
        }
        Process p = new ProcessBuilder("nasm", "-f", "bin", "-o", bin.toString(), asm.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException("nasm failed: " + out);
        }
        return Files.readAllBytes(bin);
    }

    interface Read {
        long read(long offset, int size);
    }

    interface Write {
        void write(long offset, int size, long value);
    }

    private static MemoryOps ops(Read r, Write w) {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                return r.read(offset, size);
            }

            @Override
            public void write(long offset, int size, long value) {
                w.write(offset, size, value);
            }
        };
    }

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args.length > 0 ? args[0] : System.getProperty("java.io.tmpdir"), "kvm-smoke");
        Result r = run(work);
        System.out.println(r);
        System.exit(r.passed() ? 0 : 1);
    }
}
