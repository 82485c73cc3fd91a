package org.jqemu.target.i386;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jqemu.system.cpu.CpuExecutor;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.memory.IoRegion;
import org.jqemu.system.memory.MemoryOps;
import org.jqemu.system.memory.RamRegion;

/**
 * A bare test machine for the x86 CPU: RAM at 0, a capture device on COM1 (THR at 0x3f8, LSR at
 * 0x3fd always "ready", scratch register 0x3ff), an isa-debug-exit style device at 0xf4, and
 * a multiboot a.out-kludge loader. The CPU runs on the calling thread.
 */
final class ExecRig implements AutoCloseable {
    final Machine machine = new Machine(new MachineConfig());
    final X86Cpu cpu;
    final StringBuilder serial = new StringBuilder();
    /** -1 while running; else the isa-debug-exit status ((value << 1) | 1). */
    int exitStatus = -1;
    int scratchReg;
    final long ramSize;

    ExecRig(long ramSize) {
        this.ramSize = ramSize;
        machine.memory().root().add(0, RamRegion.allocate(machine.arena(), "ram", ramSize, false));
        cpu = new X86Cpu(machine, 0);
        machine.clock().start();
        // a BIOS-like interrupt vector table: every vector at F000:FF53 (an IRET in SeaBIOS)
        byte[] ivt = new byte[1024];
        for (int v = 0; v < 256; v++) {
            put32(ivt, v * 4, 0xf000ff53);
        }
        machine.memory().writeBytes(0, ivt);
        machine.io().root().add(0x3f8, new IoRegion("com1", 8, new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                return switch ((int) offset) {
                    case 5 -> 0x60;
                    case 7 -> scratchReg;
                    default -> 0;
                };
            }

            @Override
            public void write(long offset, int size, long value) {
                if (offset == 0) {
                    serial.append((char) (value & 0xff));
                } else if (offset == 7) {
                    scratchReg = (int) value & 0xff;
                }
            }
        }));
        machine.io().root().add(0xf4, new IoRegion("debug-exit", 4, new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                return 0;
            }

            @Override
            public void write(long offset, int size, long value) {
                exitStatus = (int) ((value << 1) | 1);
                cpu.requestExit();
            }
        }));
    }

    ExecRig() {
        this(128L << 20);
    }

    /** Loads a multiboot a.out-kludge image and enters it as a multiboot loader would. */
    void loadMultiboot(byte[] image, String cmdline) {
        int hdr = -1;
        for (int off = 0; off + 32 <= Math.min(image.length, 8192); off += 4) {
            if (le32(image, off) == 0x1BADB002 && le32(image, off) + le32(image, off + 4) + le32(image, off + 8) == 0) {
                hdr = off;
                break;
            }
        }
        if (hdr < 0 || (le32(image, hdr + 4) & 0x10000) == 0) {
            throw new IllegalArgumentException("no multiboot a.out-kludge header");
        }
        long headerAddr = le32(image, hdr + 12) & 0xffffffffL;
        long loadAddr = le32(image, hdr + 16) & 0xffffffffL;
        long loadEnd = le32(image, hdr + 20) & 0xffffffffL;
        long bssEnd = le32(image, hdr + 24) & 0xffffffffL;
        long entry = le32(image, hdr + 28) & 0xffffffffL;
        long fileOff = hdr - (headerAddr - loadAddr);
        int len = (int) (loadEnd == 0 ? image.length - fileOff : loadEnd - loadAddr);
        machine.memory().writeBytes(loadAddr, image, (int) fileOff, len, true);
        if (bssEnd > loadAddr + len) {
            machine.memory().writeBytes(loadAddr + len, new byte[(int) (bssEnd - loadAddr - len)], 0,
                    (int) (bssEnd - loadAddr - len), true);
        }
        // multiboot info at 0x9000: flags mem (0) | cmdline (2) | mmap (6)
        long info = 0x9000;
        byte[] mbi = new byte[88];
        int flags = 1 | 4 | 8 | 64;
        put32(mbi, 0, flags);
        put32(mbi, 4, 639);
        put32(mbi, 8, (int) ((ramSize >> 10) - 1024));
        long cmdAddr = 0x9800;
        byte[] cmd = (cmdline + "\0").getBytes();
        machine.memory().writeBytes(cmdAddr, cmd);
        put32(mbi, 16, (int) cmdAddr);
        put32(mbi, 20, 0); // mods_count
        put32(mbi, 24, 0x9400);
        long mmapAddr = 0x9a00;
        byte[] mmap = new byte[24 * 2];
        put32(mmap, 0, 20);
        put32(mmap, 12, 0x9fc00);
        put32(mmap, 20, 1);
        put32(mmap, 24, 20);
        put32(mmap, 28, 0x100000);
        put32(mmap, 36, (int) (ramSize - 0x100000));
        put32(mmap, 44, 1);
        machine.memory().writeBytes(mmapAddr, mmap);
        put32(mbi, 44, mmap.length);
        put32(mbi, 48, (int) mmapAddr);
        machine.memory().writeBytes(info, mbi);
        cpu.enterMultiboot(entry, 0x2BADB002, (int) info);
    }

    static int le32(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }

    static void put32(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >> 8);
        b[off + 2] = (byte) (v >> 16);
        b[off + 3] = (byte) (v >> 24);
    }

    /** Runs until the exit device is written, the CPU halts for good, or the budget runs out. */
    int run(long maxMillis) {
        long deadline = System.currentTimeMillis() + maxMillis;
        while (exitStatus < 0 && System.currentTimeMillis() < deadline) {
            int r = cpu.execute();
            if (r == CpuExecutor.EXIT_HALTED && !cpu.hasWork()) {
                break;
            }
        }
        return exitStatus;
    }

    /** Assembles {@code source} with nasm (flat binary). */
    static byte[] nasm(String source, Path includeDir) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("jqemu-nasm");
        Path src = dir.resolve("t.asm");
        Path out = dir.resolve("t.bin");
        Files.writeString(src, source);
        return nasmFile(src, includeDir, out);
    }

    static byte[] nasmFile(Path src, Path includeDir, Path out) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("nasm", "-f", "bin"));
        if (includeDir != null) {
            cmd.add("-I" + includeDir + "/");
        }
        cmd.addAll(List.of("-o", out.toString(), src.toString()));
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IllegalStateException("nasm is required for the x86 execution tests (apt-get install nasm)", e);
        }
        String log = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException("nasm failed: " + log);
        }
        return Files.readAllBytes(out);
    }

    @Override
    public void close() {
        machine.close();
    }
}
