package org.jqemu.accel.kvm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

/**
 * The /dev/kvm system file descriptor: API version, capability checks, the vCPU mmap size, the
 * host's supported CPUID, and the factory of VMs. {@link #open} fails with a {@link KvmException}
 * whose {@code errno()} tells "missing" (ENOENT) from "not allowed" (EACCES).
 */
public final class Kvm implements AutoCloseable {
    private static final VarHandle CPUID2_NENT = KvmStructs.field(KvmStructs.KVM_CPUID2, "nent");
    private static final int E2BIG = 7;

    private final Path device;
    private final int fd;
    private int vcpuMmapSize;

    private Kvm(Path device, int fd) {
        this.device = device;
        this.fd = fd;
    }

    /**
     * Opens the KVM device (normally /dev/kvm). Check {@link #apiVersion()} before anything else:
     * no other call is defined unless it is {@value KvmConstants#KVM_API_VERSION}.
     */
    public static Kvm open(Path device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment errno = LinuxNative.newErrnoCapture(a);
            int fd = LinuxNative.open(errno, device.toString(), LinuxNative.O_RDWR | LinuxNative.O_CLOEXEC);
            if (fd < 0) {
                throw new KvmException("open " + device, LinuxNative.errno(errno));
            }
            return new Kvm(device, fd);
        }
    }

    /** KVM_GET_API_VERSION (12 on every Linux since 2.6.22). */
    public int apiVersion() {
        return ioctl(KvmIoctl.KVM_GET_API_VERSION, 0);
    }

    public Path device() {
        return device;
    }

    public int fd() {
        return fd;
    }

    /** KVM_CHECK_EXTENSION: 0 when absent, otherwise 1 or a capability-specific count. */
    public int checkExtension(KvmCap cap) {
        return ioctl(KvmIoctl.KVM_CHECK_EXTENSION, cap.number());
    }

    /** Size of each vCPU's shared kvm_run mapping. */
    public synchronized int vcpuMmapSize() {
        if (vcpuMmapSize == 0) {
            vcpuMmapSize = ioctl(KvmIoctl.KVM_GET_VCPU_MMAP_SIZE, 0);
        }
        return vcpuMmapSize;
    }

    /**
     * KVM_GET_SUPPORTED_CPUID: the CPUID leaves this host's KVM can present, as a kvm_cpuid2
     * allocated in {@code arena} (the table is grown until the kernel stops answering E2BIG).
     */
    public MemorySegment supportedCpuid(Arena arena) {
        for (int n = 64; ; n *= 2) {
            MemorySegment table = allocateCpuid2(arena, n);
            try (Arena a = Arena.ofConfined()) {
                MemorySegment errno = LinuxNative.newErrnoCapture(a);
                int r = LinuxNative.ioctl(errno, fd, KvmIoctl.KVM_GET_SUPPORTED_CPUID.number(), table);
                if (r >= 0) {
                    return table;
                }
                int e = LinuxNative.errno(errno);
                if (e != E2BIG || n >= 4096) {
                    throw new KvmException("KVM_GET_SUPPORTED_CPUID", e);
                }
            }
        }
    }

    /** A zeroed kvm_cpuid2 with room for {@code entries} entries, nent set. */
    public static MemorySegment allocateCpuid2(Arena arena, int entries) {
        MemorySegment s = arena.allocate(KvmStructs.KVM_CPUID2.byteSize()
                + entries * KvmStructs.KVM_CPUID_ENTRY2.byteSize(), 8);
        CPUID2_NENT.set(s, entries);
        return s;
    }

    /** KVM_CREATE_VM (default machine type 0). */
    public KvmVm createVm() {
        int vmFd = ioctl(KvmIoctl.KVM_CREATE_VM, 0);
        return new KvmVm(this, vmFd);
    }

    /** An ioctl on the system fd with an integer argument; throws on failure. */
    public int ioctl(KvmIoctl request, long arg) {
        return ioctl(fd, request, arg);
    }

    /** errno capture cells, one per thread, so an ioctl allocates nothing after a thread's first. */
    private static final ThreadLocal<MemorySegment> ERRNO =
            ThreadLocal.withInitial(() -> LinuxNative.newErrnoCapture(Arena.ofAuto()));

    static int ioctl(int fd, KvmIoctl request, long arg) {
        MemorySegment errno = ERRNO.get();
        int r = LinuxNative.ioctl(errno, fd, request.number(), arg);
        if (r < 0) {
            throw new KvmException(request.name(), LinuxNative.errno(errno));
        }
        return r;
    }

    static int ioctl(int fd, KvmIoctl request, MemorySegment arg) {
        MemorySegment errno = ERRNO.get();
        int r = LinuxNative.ioctl(errno, fd, request.number(), arg);
        if (r < 0) {
            throw new KvmException(request.name(), LinuxNative.errno(errno));
        }
        return r;
    }

    @Override
    public void close() {
        LinuxNative.close(fd);
    }
}
