package org.jqemu.accel.kvm;

import static org.jqemu.accel.kvm.KvmConstants.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import org.jqemu.system.cpu.CpuExecutor;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineListener;
import org.jqemu.system.machine.ShutdownCause;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One KVM vCPU and its run loop: KVM_RUN on the shared kvm_run page, port I/O exits to
 * {@code machine.io()} and MMIO exits to {@code machine.memory()} (under the machine lock, as the
 * {@code tcg} accelerator calls devices), and the exits that end or stop the guest.
 *
 * <h2>Register state</h2>
 * The architecture glue ({@link RegisterSync}) owns the mapping between the Java CPU object and
 * KVM's registers. The rule is simple: while {@link #run()} executes, KVM holds the truth; when it
 * returns to the vCPU thread's loop (pause, reset, quit) the state is copied back into the Java CPU
 * ({@code info registers}, QMP and the gdbstub read it there, and may change it), and it is copied
 * into KVM again before the next KVM_RUN — after a system reset with {@code afterReset} set, so
 * the glue can reset what the Java CPU does not model (EFER, MSRs, the APIC base).
 *
 * <h2>Kicking a vCPU out of KVM_RUN</h2>
 * A thread blocked in KVM_RUN leaves it only when a signal is pending for it. jqemu does it
 * without a signal handler (and so without an upcall into Java from a signal context):
 * <ol>
 *   <li>The vCPU thread blocks {@link #KICK_SIGNAL} (a real-time signal) with pthread_sigmask and
 *       gives KVM_SET_SIGNAL_MASK a mask without it: the signal is deliverable only inside
 *       KVM_RUN.</li>
 *   <li>{@link #kick()} sets a flag and {@code kvm_run.immediate_exit}, then sends the signal to
 *       that thread with tgkill. Inside KVM_RUN, the pending signal makes KVM return EINTR at
 *       once; outside it, the signal stays pending (blocked) and the next KVM_RUN returns EINTR
 *       immediately — so a kick can never be lost between the flag check and the ioctl.</li>
 *   <li>After EINTR the thread takes the pending signal with a zero-timeout sigtimedwait.</li>
 * </ol>
 * The signal's process-wide disposition is SIG_IGN: Linux queues a signal that the target thread
 * blocks (or blocked before KVM_RUN swapped masks) even when it is ignored, so kicks work, while a
 * stray copy sent to any other thread is simply dropped instead of killing the process.
 */
public final class KvmVcpu implements CpuExecutor, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KvmVcpu.class);

    /** SIGRTMIN+6: unused by the JVM and the C library. */
    public static final int KICK_SIGNAL;

    static {
        KICK_SIGNAL = LinuxNative.sigrtmin() + 6;
        LinuxNative.ignoreSignal(KICK_SIGNAL);
    }

    private static final String EXIT = KvmStructs.ANONYMOUS + "exit";
    private static final VarHandle IMMEDIATE_EXIT = KvmStructs.field(KvmStructs.KVM_RUN, "immediate_exit");
    private static final VarHandle EXIT_REASON = KvmStructs.field(KvmStructs.KVM_RUN, "exit_reason");
    private static final VarHandle IO_DIRECTION = KvmStructs.field(KvmStructs.KVM_RUN, EXIT, "io", "direction");
    private static final VarHandle IO_SIZE = KvmStructs.field(KvmStructs.KVM_RUN, EXIT, "io", "size");
    private static final VarHandle IO_PORT = KvmStructs.field(KvmStructs.KVM_RUN, EXIT, "io", "port");
    private static final VarHandle IO_COUNT = KvmStructs.field(KvmStructs.KVM_RUN, EXIT, "io", "count");
    private static final VarHandle IO_DATA_OFFSET = KvmStructs.field(KvmStructs.KVM_RUN, EXIT, "io", "data_offset");
    private static final VarHandle MMIO_ADDR = KvmStructs.field(KvmStructs.KVM_RUN, EXIT, "mmio", "phys_addr");
    private static final long MMIO_DATA = KvmStructs.offset(KvmStructs.KVM_RUN, EXIT, "mmio", "data");
    private static final VarHandle MMIO_LEN = KvmStructs.field(KvmStructs.KVM_RUN, EXIT, "mmio", "len");
    private static final VarHandle MMIO_IS_WRITE = KvmStructs.field(KvmStructs.KVM_RUN, EXIT, "mmio", "is_write");
    private static final VarHandle FAIL_REASON =
            KvmStructs.field(KvmStructs.KVM_RUN, EXIT, "fail_entry", "hardware_entry_failure_reason");
    private static final VarHandle FAIL_CPU = KvmStructs.field(KvmStructs.KVM_RUN, EXIT, "fail_entry", "cpu");
    private static final VarHandle INTERNAL_SUBERROR = KvmStructs.field(KvmStructs.KVM_RUN, EXIT, "internal", "suberror");
    private static final VarHandle INTERNAL_NDATA = KvmStructs.field(KvmStructs.KVM_RUN, EXIT, "internal", "ndata");
    private static final long INTERNAL_DATA = KvmStructs.offset(KvmStructs.KVM_RUN, EXIT, "internal", "data");
    private static final VarHandle EVENT_TYPE = KvmStructs.field(KvmStructs.KVM_RUN, EXIT, "system_event", "type");
    private static final VarHandle HW_EXIT_REASON = KvmStructs.field(KvmStructs.KVM_RUN, EXIT, "hw", "hardware_exit_reason");
    private static final VarHandle SIGMASK_LEN = KvmStructs.field(KvmStructs.KVM_SIGNAL_MASK, "len");
    private static final long SIGMASK_SET = KvmStructs.offset(KvmStructs.KVM_SIGNAL_MASK, "sigset");
    private static final long KVM_RUN_REQUEST = KvmIoctl.KVM_RUN.number();

    /** Moves registers between the Java CPU object and KVM; written per architecture. */
    public interface RegisterSync {
        /**
         * Java CPU → KVM, on the vCPU thread before KVM_RUN; {@code afterReset} at power-on and
         * after a system reset.
         */
        void put(KvmVcpu vcpu, boolean afterReset);

        /** KVM → Java CPU, on the vCPU thread after leaving KVM_RUN for the machine. */
        void get(KvmVcpu vcpu);
    }

    private final KvmVm vm;
    private final Machine machine;
    private final int id;
    private final int fd;
    private final MemorySegment run;
    private final RegisterSync sync;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment runErrno = LinuxNative.newErrnoCapture(arena);
    private final MemorySegment kickErrno = LinuxNative.newErrnoCapture(arena);
    private final MemorySegment kickSet = LinuxNative.sigset(arena, KICK_SIGNAL);
    private final MemorySegment zeroTimeout = arena.allocate(16, 8);
    private final int pid = LinuxNative.getpid();

    private volatile Thread boundThread;
    private volatile int tid;
    private volatile boolean kickRequested;
    private volatile boolean resetPending;
    private volatile boolean closed;
    private boolean kvmHasState;
    private boolean everRan;
    /** The guest ended or reset itself (or KVM failed); do not enter it again before a reset. */
    private volatile boolean stoppedUntilReset;

    KvmVcpu(KvmVm vm, Machine machine, int id, int fd, int mmapSize, RegisterSync sync) {
        this.vm = vm;
        this.machine = machine;
        this.id = id;
        this.fd = fd;
        this.sync = sync;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment errno = LinuxNative.newErrnoCapture(a);
            MemorySegment m = LinuxNative.mmapShared(errno, fd, mmapSize);
            if (m.address() == -1L) {
                LinuxNative.close(fd);
                throw new KvmException("mmap of kvm_run for vCPU " + id, LinuxNative.errno(errno));
            }
            this.run = m;
        }
        machine.addListener(new MachineListener() {
            @Override
            public void reset(ShutdownCause cause) {
                resetPending = true;
                stoppedUntilReset = false;
            }
        });
    }

    public int id() {
        return id;
    }

    public KvmVm vm() {
        return vm;
    }

    /** The shared kvm_run page (for the glue and tests; layout {@link KvmStructs#KVM_RUN}). */
    public MemorySegment runPage() {
        return run;
    }

    /** An ioctl on this vCPU's fd with a pointer argument; throws {@link KvmException} on failure. */
    public int ioctl(KvmIoctl request, MemorySegment arg) {
        return Kvm.ioctl(fd, request, arg);
    }

    /** An ioctl on this vCPU's fd with an integer argument; throws {@link KvmException} on failure. */
    public int ioctl(KvmIoctl request, long arg) {
        return Kvm.ioctl(fd, request, arg);
    }

    // ---- the run loop ---------------------------------------------------------------------

    @Override
    public int run() {
        if (boundThread != Thread.currentThread()) {
            bindThread();
        }
        if (stoppedUntilReset) {
            return EXIT_HALTED;
        }
        // Power-on counts as a reset: the glue then also resets what the Java CPU does not model.
        boolean afterReset = resetPending || !everRan;
        if (!kvmHasState || afterReset) {
            resetPending = false;
            everRan = true;
            sync.put(this, afterReset);
            kvmHasState = true;
        }
        int exit = enterGuest();
        sync.get(this);
        // The Java CPU now holds the truth and may be changed (reset, monitor, debugger).
        kvmHasState = false;
        return exit;
    }

    private int enterGuest() {
        while (true) {
            if (kickRequested) {
                return takeKick();
            }
            int r = LinuxNative.ioctl(runErrno, fd, KVM_RUN_REQUEST, 0L);
            if (r < 0) {
                int e = LinuxNative.errno(runErrno);
                if (e == LinuxNative.EINTR || e == LinuxNative.EAGAIN) {
                    if (kickRequested) {
                        return takeKick();
                    }
                    // A kick whose flag an earlier takeKick() already consumed can still leave
                    // immediate_exit set and its signal pending (kick() sets them after the flag):
                    // clear both, or every KVM_RUN would return at once. The loop re-checks the
                    // flag before going in, so a new kick racing with this is not lost.
                    IMMEDIATE_EXIT.setVolatile(run, (byte) 0);
                    drainKickSignals();
                    continue;
                }
                throw new KvmException("KVM_RUN on vCPU " + id, e);
            }
            int reason = (int) EXIT_REASON.get(run);
            switch (reason) {
                case KVM_EXIT_IO -> handleIo();
                case KVM_EXIT_MMIO -> handleMmio();
                case KVM_EXIT_INTR -> { } // a signal arrived just as the guest exited; the loop re-checks the kick
                case KVM_EXIT_HLT -> {
                    return EXIT_HALTED; // only without an in-kernel irqchip, which halts in the kernel
                }
                case KVM_EXIT_SHUTDOWN -> {
                    // The guest triple-faulted: a PC resets, and so does QEMU.
                    machine.log().log(org.jqemu.system.log.LogCategory.GUEST_ERRORS,
                            "kvm: vCPU %d: KVM_EXIT_SHUTDOWN (triple fault), resetting the machine", id);
                    stoppedUntilReset = true;
                    machine.requestReset(ShutdownCause.GUEST_RESET);
                    return EXIT_HALTED;
                }
                case KVM_EXIT_SYSTEM_EVENT -> {
                    handleSystemEvent();
                    return EXIT_HALTED;
                }
                case KVM_EXIT_INTERNAL_ERROR -> {
                    stopOnError(internalErrorMessage());
                    return EXIT_HALTED;
                }
                case KVM_EXIT_FAIL_ENTRY -> {
                    stopOnError(String.format("KVM: entry failed, hardware error 0x%x (vCPU %d, host CPU %d)",
                            (long) FAIL_REASON.get(run), id, (int) FAIL_CPU.get(run)));
                    return EXIT_HALTED;
                }
                case KVM_EXIT_UNKNOWN -> {
                    stopOnError(String.format("KVM: unknown exit, hardware exit reason 0x%x (vCPU %d)",
                            (long) HW_EXIT_REASON.get(run), id));
                    return EXIT_HALTED;
                }
                default -> {
                    stopOnError("KVM: unhandled exit " + exitReasonName(reason) + " on vCPU " + id);
                    return EXIT_HALTED;
                }
            }
        }
    }

    /** Port I/O: {@code count} items of {@code size} bytes at {@code data_offset} in the run page. */
    private void handleIo() {
        boolean out = (byte) IO_DIRECTION.get(run) == KVM_EXIT_IO_OUT;
        int size = (byte) IO_SIZE.get(run) & 0xff;
        int port = (short) IO_PORT.get(run) & 0xffff;
        int count = (int) IO_COUNT.get(run);
        long data = (long) IO_DATA_OFFSET.get(run);
        machine.lock();
        try {
            for (int i = 0; i < count; i++, data += size) {
                if (out) {
                    machine.io().write(port, size, load(run, data, size));
                } else {
                    store(run, data, size, machine.io().read(port, size));
                }
            }
        } finally {
            machine.unlock();
        }
    }

    private void handleMmio() {
        long addr = (long) MMIO_ADDR.get(run);
        int len = (int) MMIO_LEN.get(run);
        boolean write = (byte) MMIO_IS_WRITE.get(run) != 0;
        machine.lock();
        try {
            if (len == 1 || len == 2 || len == 4 || len == 8) {
                if (write) {
                    machine.memory().write(addr, len, load(run, MMIO_DATA, len));
                } else {
                    store(run, MMIO_DATA, len, machine.memory().read(addr, len));
                }
            } else {
                for (int i = 0; i < len && i < 8; i++) {
                    if (write) {
                        machine.memory().write(addr + i, 1, run.get(ValueLayout.JAVA_BYTE, MMIO_DATA + i));
                    } else {
                        run.set(ValueLayout.JAVA_BYTE, MMIO_DATA + i, (byte) machine.memory().read(addr + i, 1));
                    }
                }
            }
        } finally {
            machine.unlock();
        }
    }

    private void handleSystemEvent() {
        int type = (int) EVENT_TYPE.get(run);
        stoppedUntilReset = true;
        switch (type) {
            case KVM_SYSTEM_EVENT_SHUTDOWN -> machine.requestShutdown(ShutdownCause.GUEST_SHUTDOWN);
            case KVM_SYSTEM_EVENT_RESET -> machine.requestReset(ShutdownCause.GUEST_RESET);
            case KVM_SYSTEM_EVENT_CRASH -> {
                LOG.error("KVM: vCPU {}: guest crashed (KVM_EXIT_SYSTEM_EVENT, type KVM_SYSTEM_EVENT_CRASH)", id);
                machine.requestShutdown(ShutdownCause.GUEST_PANIC);
            }
            default -> stopOnError("KVM: vCPU " + id + ": unhandled KVM_EXIT_SYSTEM_EVENT type " + type);
        }
    }

    private String internalErrorMessage() {
        int sub = (int) INTERNAL_SUBERROR.get(run);
        int n = Math.min((int) INTERNAL_NDATA.get(run), 16);
        StringBuilder sb = new StringBuilder(String.format("KVM internal error. Suberror: %d (%s) on vCPU %d",
                sub, internalErrorName(sub), id));
        for (int i = 0; i < n; i++) {
            sb.append(String.format("%nextra data[%d]: 0x%016x", i, run.get(ValueLayout.JAVA_LONG, INTERNAL_DATA + 8L * i)));
        }
        return sb.toString();
    }

    /**
     * What QEMU does when KVM cannot go on: report, then stop the VM (the monitor stays usable and
     * a system reset may recover it).
     */
    private void stopOnError(String message) {
        LOG.error(message);
        stoppedUntilReset = true;
        machine.mainLoop().postUnlocked(machine::pause);
    }

    private static long load(MemorySegment s, long off, int size) {
        return switch (size) {
            case 1 -> s.get(ValueLayout.JAVA_BYTE, off) & 0xffL;
            case 2 -> s.get(ValueLayout.JAVA_SHORT_UNALIGNED, off) & 0xffffL;
            case 4 -> s.get(ValueLayout.JAVA_INT_UNALIGNED, off) & 0xffffffffL;
            default -> s.get(ValueLayout.JAVA_LONG_UNALIGNED, off);
        };
    }

    private static void store(MemorySegment s, long off, int size, long v) {
        switch (size) {
            case 1 -> s.set(ValueLayout.JAVA_BYTE, off, (byte) v);
            case 2 -> s.set(ValueLayout.JAVA_SHORT_UNALIGNED, off, (short) v);
            case 4 -> s.set(ValueLayout.JAVA_INT_UNALIGNED, off, (int) v);
            default -> s.set(ValueLayout.JAVA_LONG_UNALIGNED, off, v);
        }
    }

    // ---- kicking --------------------------------------------------------------------------

    /** Makes a running {@link #run()} return {@link #EXIT_KICKED} soon; safe from any thread. */
    @Override
    public void kick() {
        if (closed) {
            return;
        }
        kickRequested = true;
        IMMEDIATE_EXIT.setVolatile(run, (byte) 1);
        int t = tid;
        if (t != 0) {
            LinuxNative.tgkill(kickErrno, pid, t, KICK_SIGNAL);
        }
    }

    private int takeKick() {
        kickRequested = false;
        IMMEDIATE_EXIT.setVolatile(run, (byte) 0);
        drainKickSignals();
        return EXIT_KICKED;
    }

    private void drainKickSignals() {
        while (LinuxNative.sigtimedwait(runErrno, kickSet, zeroTimeout) == KICK_SIGNAL) {
            // one queued kick taken; real-time signals queue, so loop until none is left
        }
    }

    /** Blocks the kick signal in this thread and lets KVM_RUN unblock it (see the class comment). */
    private void bindThread() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment old = a.allocate(LinuxNative.SIGSET_T_SIZE, 8);
            int r = LinuxNative.pthreadSigmask(LinuxNative.SIG_BLOCK, kickSet, old);
            if (r != 0) {
                throw new KvmException("pthread_sigmask", r);
            }
            long word0 = old.get(ValueLayout.JAVA_LONG, 0) & ~(1L << (KICK_SIGNAL - 1));
            MemorySegment mask = a.allocate(SIGMASK_SET + LinuxNative.KERNEL_SIGSET_SIZE, 8);
            SIGMASK_LEN.set(mask, LinuxNative.KERNEL_SIGSET_SIZE);
            mask.set(ValueLayout.JAVA_LONG_UNALIGNED, SIGMASK_SET, word0);
            ioctl(KvmIoctl.KVM_SET_SIGNAL_MASK, mask);
        }
        tid = LinuxNative.gettid();
        boundThread = Thread.currentThread();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        LinuxNative.close(fd);
        Thread t = boundThread;
        if (t != null && t.isAlive() && t != Thread.currentThread()) {
            // A vCPU thread that did not stop still reads kvm_run and its errno cells: keep them
            // (the process is ending anyway) rather than let it touch unmapped memory.
            LOG.debug("kvm: vCPU {} thread still alive at close; kvm_run stays mapped", id);
            return;
        }
        try (Arena a = Arena.ofConfined()) {
            LinuxNative.munmap(LinuxNative.newErrnoCapture(a), run);
        }
        arena.close();
    }
}
