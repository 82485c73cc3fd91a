package org.jqemu.accel.kvm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The few libc calls the {@code kvm} accelerator needs, bound with java.lang.foreign (no JNI, no
 * native build): open/close/ioctl/mmap/munmap for /dev/kvm, and the thread-signal calls that kick a
 * vCPU out of KVM_RUN ({@link KvmVcpu} explains that mechanism).
 *
 * <p>Calls that can fail return -1 and the caller reads errno from a small per-thread capture
 * segment; the JVM itself may change errno between two Java statements, so errno is captured by
 * the downcall ({@code Linker.Option.captureCallState("errno")}) rather than read afterwards.
 */
@SuppressWarnings("restricted")
public final class LinuxNative {
    public static final int O_RDWR = 2;
    public static final int O_CLOEXEC = 0x80000;
    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int MAP_SHARED = 1;
    public static final int SIG_BLOCK = 0;
    public static final int SIG_UNBLOCK = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EAGAIN = 11;
    public static final int EACCES = 13;
    /** glibc's sigset_t: 1024 bits, of which the kernel uses the first 64. */
    public static final long SIGSET_T_SIZE = 128;
    /** The kernel's own sigset (what KVM_SET_SIGNAL_MASK takes): 64 bits on x86-64 and arm64. */
    public static final int KERNEL_SIGSET_SIZE = 8;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_OPTION = Linker.Option.captureCallState("errno");

    private static final MethodHandle OPEN = bind("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), true,
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = bind("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), false);
    private static final MethodHandle IOCTL_PTR = bind("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), true, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle IOCTL_LONG = bind("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), true, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle MMAP = bind("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), true);
    private static final MethodHandle MUNMAP = bind("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), true);
    private static final MethodHandle STRERROR = bind("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT), false);
    private static final MethodHandle GETPID = bind("getpid", FunctionDescriptor.of(JAVA_INT), false);
    private static final MethodHandle GETTID = bind("gettid", FunctionDescriptor.of(JAVA_INT), false);
    private static final MethodHandle TGKILL = bind("tgkill",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), true);
    private static final MethodHandle PTHREAD_SIGMASK = bind("pthread_sigmask",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), false);
    private static final MethodHandle SIGTIMEDWAIT = bind("sigtimedwait",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS), true);
    private static final MethodHandle SIGNAL = bind("signal", FunctionDescriptor.of(ADDRESS, JAVA_INT, ADDRESS), false);
    private static final MethodHandle SIGRTMIN = bind("__libc_current_sigrtmin", FunctionDescriptor.of(JAVA_INT), false);

    private LinuxNative() {}

    private static MethodHandle bind(String name, FunctionDescriptor fd, boolean errno, Linker.Option... options) {
        MemorySegment symbol = LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        Linker.Option[] all = options;
        if (errno) {
            all = java.util.Arrays.copyOf(options, options.length + 1);
            all[options.length] = ERRNO_OPTION;
        }
        return LINKER.downcallHandle(symbol, fd, all);
    }

    /** A segment to capture errno into; one per thread that makes calls (it is not shared). */
    public static MemorySegment newErrnoCapture(Arena arena) {
        return arena.allocate(CAPTURE);
    }

    public static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    /** The C library's text for an errno value, e.g. "No such file or directory". */
    public static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** open(2); returns the fd or -1 with errno in {@code capture}. */
    public static int open(MemorySegment capture, String path, int flags) {
        try (Arena a = Arena.ofConfined()) {
            return (int) OPEN.invokeExact(capture, a.allocateFrom(path), flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void close(int fd) {
        try {
            int unused = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** ioctl(2) with a pointer argument; returns the result or -1 with errno in {@code capture}. */
    public static int ioctl(MemorySegment capture, int fd, long request, MemorySegment arg) {
        try {
            return (int) IOCTL_PTR.invokeExact(capture, fd, request, arg);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** ioctl(2) with an integer argument (or none: pass 0). */
    public static int ioctl(MemorySegment capture, int fd, long request, long arg) {
        try {
            return (int) IOCTL_LONG.invokeExact(capture, fd, request, arg);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** mmap(2) of a shared, read-write file mapping; returns MAP_FAILED (-1) with errno on error. */
    public static MemorySegment mmapShared(MemorySegment capture, int fd, long length) {
        try {
            MemorySegment p = (MemorySegment) MMAP.invokeExact(capture, MemorySegment.NULL, length,
                    PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0L);
            return p.address() == -1L ? p : p.reinterpret(length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void munmap(MemorySegment capture, MemorySegment mapping) {
        try {
            int unused = (int) MUNMAP.invokeExact(capture, mapping, mapping.byteSize());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int getpid() {
        try {
            return (int) GETPID.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The kernel thread id of the calling thread. */
    public static int gettid() {
        try {
            return (int) GETTID.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Sends {@code signal} to one thread of this process; returns -1 with errno on error. */
    public static int tgkill(MemorySegment capture, int tgid, int tid, int signal) {
        try {
            return (int) TGKILL.invokeExact(capture, tgid, tid, signal);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** pthread_sigmask(3) for the calling thread; returns 0 or an error number. */
    public static int pthreadSigmask(int how, MemorySegment set, MemorySegment oldSet) {
        try {
            return (int) PTHREAD_SIGMASK.invokeExact(how, set, oldSet);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * sigtimedwait(2) with the given timespec (a zero timespec polls): the signal number taken, or
     * -1 with errno (EAGAIN when none was pending).
     */
    public static int sigtimedwait(MemorySegment capture, MemorySegment set, MemorySegment timespec) {
        try {
            return (int) SIGTIMEDWAIT.invokeExact(capture, set, MemorySegment.NULL, timespec);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The first real-time signal the C library leaves to applications (34 with glibc). */
    public static int sigrtmin() {
        try {
            return (int) SIGRTMIN.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Sets {@code signal}'s process-wide disposition to SIG_IGN. A thread that blocks the signal
     * still gets it queued (Linux never ignores a blocked signal), so this only makes stray copies
     * harmless; it needs no handler code, hence no upcall into Java from a signal context.
     */
    public static void ignoreSignal(int signal) {
        try {
            MemorySegment unused = (MemorySegment) SIGNAL.invokeExact(signal, MemorySegment.ofAddress(1L));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A zeroed glibc sigset_t holding just {@code signal}. */
    public static MemorySegment sigset(Arena arena, int signal) {
        MemorySegment set = arena.allocate(SIGSET_T_SIZE, 8);
        addSignal(set, signal);
        return set;
    }

    /** sigaddset(3) on a sigset in memory: bit (signal - 1), in 64-bit words. */
    public static void addSignal(MemorySegment set, int signal) {
        long word = (signal - 1) / 64;
        long bit = 1L << ((signal - 1) % 64);
        set.set(JAVA_LONG, word * 8, set.get(JAVA_LONG, word * 8) | bit);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(t);
    }
}
