package org.jqemu.accel.kvm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ServiceLoader;
import org.jqemu.system.accel.Accelerator;
import org.jqemu.system.accel.AcceleratorException;
import org.jqemu.system.cpu.Cpu;
import org.jqemu.system.cpu.CpuExecutor;
import org.jqemu.system.machine.Machine;

/**
 * {@code -accel kvm}: hardware virtualization through /dev/kvm. {@link #init} opens the device,
 * checks the API version and every capability jqemu relies on, creates the VM, mirrors guest RAM
 * into memory slots and lets the architecture glue ({@link KvmArchitecture}) create the in-kernel
 * interrupt controllers; {@link #createExecutor} then makes one {@link KvmVcpu} per CPU.
 *
 * <p>Errors read as QEMU's: a first line on its own ("Could not access KVM kernel module: ...",
 * "kvm does not support KVM_CAP_...") and then "failed to initialize kvm: REASON", which the CLI
 * prefixes with "-accel kvm:" when the accelerator came from -accel.
 */
public final class KvmAccelerator implements Accelerator {
    static final Path DEVICE = Path.of("/dev/kvm");

    /** Capabilities every architecture needs (QEMU's generic list). */
    private static final KvmCap[] GENERIC_CAPABILITIES = {
        KvmCap.KVM_CAP_USER_MEMORY, KvmCap.KVM_CAP_DESTROY_MEMORY_REGION_WORKS,
        KvmCap.KVM_CAP_JOIN_MEMORY_REGIONS_WORKS,
    };

    private final Path device;
    private Kvm kvm;
    private KvmVm vm;
    private KvmArchitecture arch;

    public KvmAccelerator() {
        this(DEVICE);
    }

    /** Uses another device node; tests point this at files that fail the way /dev/kvm can. */
    KvmAccelerator(Path device) {
        this.device = device;
    }

    @Override
    public String name() {
        return "kvm";
    }

    @Override
    public String description() {
        return "Kernel-based Virtual Machine (/dev/kvm)";
    }

    @Override
    public void init(Machine machine) throws AcceleratorException {
        Kvm k = openDevice();
        try {
            KvmArchitecture a = architectureForHost(System.getProperty("os.arch"));
            for (KvmCap cap : GENERIC_CAPABILITIES) {
                requireCapability(k, cap);
            }
            for (KvmCap cap : a.requiredCapabilities()) {
                requireCapability(k, cap);
            }
            KvmVm v;
            try {
                v = k.createVm();
            } catch (KvmException e) {
                throw new AcceleratorException("ioctl(KVM_CREATE_VM) failed: " + e.errno() + " "
                        + LinuxNative.strerror(e.errno()), "failed to initialize kvm: " + LinuxNative.strerror(e.errno()));
            }
            try {
                a.setupVm(v, machine);
            } catch (IllegalArgumentException e) {
                v.close();
                throw new AcceleratorException(e.getMessage()); // a -cpu/-machine value KVM cannot do
            }
            v.attachMemory(machine.memory());
            // The machine closes its resources after the vCPU threads stopped: vCPU fds and
            // kvm_run mappings first, then the VM, then /dev/kvm.
            machine.addResourceToClose(() -> {
                v.close();
                k.close();
            });
            this.kvm = k;
            this.vm = v;
            this.arch = a;
        } catch (AcceleratorException | RuntimeException e) {
            k.close();
            throw e;
        }
    }

    private Kvm openDevice() throws AcceleratorException {
        Kvm k;
        try {
            k = Kvm.open(device);
        } catch (KvmException e) {
            String reason = LinuxNative.strerror(e.errno());
            String message = "failed to initialize kvm: " + reason;
            if (e.errno() == LinuxNative.EACCES) {
                message += " (add your user to the group that owns " + device + ", " + owningGroup() + ")";
            }
            throw new AcceleratorException("Could not access KVM kernel module: " + reason, message);
        }
        // As QEMU: an error or an older version is "too old", a newer one "not supported".
        int version;
        try {
            version = k.apiVersion();
        } catch (KvmException e) {
            k.close();
            throw new AcceleratorException("kvm version too old",
                    "failed to initialize kvm: " + LinuxNative.strerror(e.errno()));
        }
        if (version != KvmConstants.KVM_API_VERSION) {
            k.close();
            throw new AcceleratorException(version < KvmConstants.KVM_API_VERSION ? "kvm version too old"
                    : "kvm version not supported", "failed to initialize kvm: Invalid argument");
        }
        return k;
    }

    /** The group to join for access to the device, as "group 'kvm'" (or a fallback). */
    private String owningGroup() {
        try {
            return "group '" + Files.readAttributes(device, PosixFileAttributes.class).group().getName() + "'";
        } catch (java.io.IOException | UnsupportedOperationException | SecurityException e) {
            return "usually 'kvm'";
        }
    }

    private static void requireCapability(Kvm k, KvmCap cap) throws AcceleratorException {
        if (k.checkExtension(cap) <= 0) {
            throw new AcceleratorException("kvm does not support " + cap.name(),
                    "failed to initialize kvm: Invalid argument");
        }
    }

    private static KvmArchitecture architectureForHost(String osArch) throws AcceleratorException {
        for (KvmArchitecture a : ServiceLoader.load(KvmArchitecture.class, KvmAccelerator.class.getClassLoader())) {
            if (a.supportsHost(osArch)) {
                return a;
            }
        }
        throw new AcceleratorException("kvm: this jqemu build has no KVM support for " + osArch + " hosts");
    }

    /** The VM, once {@link #init} succeeded (for the board's and monitor's use). */
    public KvmVm vm() {
        return vm;
    }

    @Override
    public CpuExecutor createExecutor(Machine machine, Cpu cpu) {
        if (vm == null) {
            throw new IllegalStateException("kvm accelerator was not initialised");
        }
        if (!arch.supports(cpu)) {
            throw new IllegalArgumentException(cpu.getClass().getSimpleName() + " cannot run under kvm");
        }
        return arch.createVcpu(vm, machine, cpu);
    }
}
