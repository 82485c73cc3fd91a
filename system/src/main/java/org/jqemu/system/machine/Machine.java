package org.jqemu.system.machine;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jqemu.system.accel.Accelerator;
import org.jqemu.system.chardev.Chardev;
import org.jqemu.system.clock.Timer;
import org.jqemu.system.clock.TimerQueue;
import org.jqemu.system.clock.VirtualClock;
import org.jqemu.system.cpu.Cpu;
import org.jqemu.system.device.Device;
import org.jqemu.system.log.GuestLog;
import org.jqemu.system.memory.AddressSpace;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One VM: its memory and I/O address spaces, CPUs, devices, chardevs, clock, main loop and the
 * machine lock. Nothing here is global, so several machines can run in one JVM.
 *
 * <p>Lifecycle: create, {@link #setAccelerator}, let the board build into it, {@link #start()},
 * then {@link #awaitExit()} returns the process exit status.
 *
 * <p>The machine lock serialises device state: vCPUs take it around device accesses, the main loop
 * around timers and backend input. Guest RAM is not under it.
 */
public final class Machine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Machine.class);

    /** Physical address space size: 52 bits covers every board we model. */
    public static final long MEMORY_SPACE_SIZE = 1L << 52;

    private final MachineConfig config;
    private final Arena arena = Arena.ofShared();
    private final GuestLog log = new GuestLog();
    private final VirtualClock clock = new VirtualClock();
    private final TimerQueue timers = new TimerQueue(clock);
    private final ReentrantLock lock = new ReentrantLock();
    private final AddressSpace memory = new AddressSpace("memory", MEMORY_SPACE_SIZE);
    private final AddressSpace io = new AddressSpace("io", 0x10000);
    private final MainLoop mainLoop = new MainLoop(this, timers);
    private final List<Cpu> cpus = new ArrayList<>();
    private final List<VcpuThread> vcpuThreads = new ArrayList<>();
    // Copy-on-write: hotplug changes the list while monitors and devices iterate it.
    private final List<Device> devices = new CopyOnWriteArrayList<>();
    private final Map<String, Chardev> chardevs = new LinkedHashMap<>();
    private final List<Runnable> resetHandlers = new ArrayList<>();
    private final List<Runnable> powerButtons = new CopyOnWriteArrayList<>();
    private final Map<Class<?>, Object> components = new HashMap<>();
    private final List<MachineListener> listeners = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final CountDownLatch exited = new CountDownLatch(1);

    private final ReentrantLock parkLock = new ReentrantLock();
    private final Condition parkChanged = parkLock.newCondition();
    private volatile boolean parkRequested;
    private int parkedCount;
    private volatile boolean terminating;
    private volatile boolean running;
    private volatile int exitStatus;
    private Accelerator accelerator;

    public Machine(MachineConfig config) {
        this.config = config;
        log.enable(config.logCategories);
        memory.setUnassignedAccess((addr, size, write, value) -> {
            if (log.guestErrors) {
                log.guestError("%s of %d bytes at unassigned address 0x%x", write ? "write" : "read", size, addr);
            }
        });
        io.setUnassignedAccess((addr, size, write, value) -> {
            if (log.unimp) {
                log.unimplemented("%s of %d bytes at unassigned I/O port 0x%x", write ? "write" : "read", size, addr);
            }
        });
    }

    public MachineConfig config() {
        return config;
    }

    public GuestLog log() {
        return log;
    }

    /** Lives as long as the machine: allocate guest RAM and other off-heap state here. */
    public Arena arena() {
        return arena;
    }

    public VirtualClock clock() {
        return clock;
    }

    public Timer newTimer(String name, Runnable callback) {
        return timers.newTimer(name, callback);
    }

    public MainLoop mainLoop() {
        return mainLoop;
    }

    public AddressSpace memory() {
        return memory;
    }

    /** The x86 I/O port space (64 KiB); unused on boards without port I/O. */
    public AddressSpace io() {
        return io;
    }

    public void lock() {
        lock.lock();
    }

    public void unlock() {
        lock.unlock();
    }

    public boolean holdsLock() {
        return lock.isHeldByCurrentThread();
    }

    public void setAccelerator(Accelerator accelerator) {
        this.accelerator = accelerator;
    }

    public Accelerator accelerator() {
        return accelerator;
    }

    // ---- parts the board adds -------------------------------------------------------------

    public void addCpu(Cpu cpu) {
        cpus.add(cpu);
    }

    public List<Cpu> cpus() {
        return Collections.unmodifiableList(cpus);
    }

    /**
     * The CPU whose vCPU thread is calling, or null when called from another thread (main loop,
     * tests). Per-CPU devices such as the x86 local APIC use it to know whose registers a memory
     * access reaches.
     */
    public Cpu currentCpu() {
        return VcpuThread.current();
    }

    public void addDevice(Device device) {
        devices.add(device);
    }

    public List<Device> devices() {
        return Collections.unmodifiableList(devices);
    }

    /** Forgets a device that was unplugged (hotplug); the caller has already disconnected it. */
    public void removeDevice(Device device) {
        devices.remove(device);
    }

    /**
     * A device is gone (QMP's DEVICE_DELETED): {@code id} is the user's id or null,
     * {@code path} its QOM path.
     */
    public void deviceDeleted(String id, String path) {
        listeners.forEach(l -> l.deviceDeleted(id, path));
    }

    public void addChardev(Chardev chardev) {
        chardevs.put(chardev.id(), chardev);
    }

    public Chardev chardev(String id) {
        return chardevs.get(id);
    }

    public Map<String, Chardev> chardevs() {
        return Collections.unmodifiableMap(chardevs);
    }

    /**
     * Runs on every system reset (and once at start), after devices and CPUs have been reset, in
     * registration order: a direct kernel boot re-loads the kernel and sets the entry state here.
     */
    public void addResetHandler(Runnable handler) {
        resetHandlers.add(handler);
    }

    /**
     * A power button the board wires to its guest (ACPI's power button event): pressed by
     * {@link #requestPowerdown()} on the main loop with the machine lock held.
     */
    public void addPowerButton(Runnable press) {
        powerButtons.add(press);
    }

    /** True when the board has a power button, so the guest can be asked to power off. */
    public boolean hasPowerButton() {
        return !powerButtons.isEmpty();
    }

    /** Board-level singletons of this machine, such as its ISA bus, found by type. */
    public <T> void putComponent(Class<T> type, T value) {
        components.put(type, value);
    }

    public <T> T component(Class<T> type) {
        return type.cast(components.get(type));
    }

    /** Host resources (block images, sockets) released when the machine closes, after the vCPUs stop. */
    public void addResourceToClose(AutoCloseable resource) {
        closeables.add(resource);
    }

    public void addListener(MachineListener listener) {
        listeners.add(listener);
    }

    // ---- run control ----------------------------------------------------------------------

    /** Starts the vCPU threads and the main loop; with -S the vCPUs wait for {@link #resume()}. */
    public void start() {
        if (accelerator == null) {
            throw new IllegalStateException("no accelerator");
        }
        resetDevices();
        for (Cpu cpu : cpus) {
            vcpuThreads.add(new VcpuThread(this, cpu, accelerator.createExecutor(this, cpu)));
        }
        parkRequested = config.startPaused;
        running = !config.startPaused;
        if (running) {
            clock.start();
        }
        mainLoop.start();
        for (VcpuThread t : vcpuThreads) {
            t.start();
        }
    }

    public boolean isRunning() {
        return running;
    }

    /** Stops the guest (QMP stop): vCPUs park, the virtual clock stands still. */
    public void pause() {
        if (!running) {
            return;
        }
        parkVcpus();
        clock.stop();
        running = false;
        listeners.forEach(MachineListener::stopped);
    }

    /** Resumes the guest (QMP cont). */
    public void resume() {
        if (running || terminating) {
            return;
        }
        running = true;
        clock.start();
        unparkVcpus();
        listeners.forEach(MachineListener::resumed);
    }

    /**
     * A system reset (guest or host asked). Under -no-reboot a guest reset ends the VM instead,
     * as in QEMU. Safe from any thread, including a vCPU inside a device access.
     */
    public void requestReset(ShutdownCause cause) {
        if (config.noReboot && cause.fromGuest()) {
            requestShutdown(cause);
            return;
        }
        mainLoop.postUnlocked(() -> {
            boolean wasRunning = running;
            parkVcpus();
            lock();
            try {
                resetDevices();
            } finally {
                unlock();
            }
            listeners.forEach(l -> l.reset(cause));
            if (wasRunning) {
                unparkVcpus();
            }
        });
    }

    private void resetDevices() {
        for (Device d : devices) {
            d.reset();
        }
        for (Cpu c : cpus) {
            c.reset();
        }
        for (Runnable r : resetHandlers) {
            r.run();
        }
    }

    /**
     * Presses the power button (QMP system_powerdown): the guest decides whether to power off.
     * Listeners hear it even on a board without a button, as QEMU emits POWERDOWN regardless.
     */
    public void requestPowerdown() {
        listeners.forEach(MachineListener::powerdown);
        for (Runnable press : powerButtons) {
            mainLoop.post(press);
        }
    }

    /**
     * The guest powered off (or the host asked). Under -no-shutdown a guest power-off only stops
     * the VM, as in QEMU; otherwise the process exits with status 0.
     */
    public void requestShutdown(ShutdownCause cause) {
        listeners.forEach(l -> l.shutdown(cause));
        if (config.noShutdown && cause.fromGuest()) {
            mainLoop.postUnlocked(this::pause);
            return;
        }
        exit(0);
    }

    /** Ends the VM now with this process exit status (isa-debug-exit, quit). */
    public void exit(int status) {
        if (terminating) {
            return;
        }
        exitStatus = status;
        terminating = true;
        for (VcpuThread t : vcpuThreads) {
            t.kick();
        }
        parkLock.lock();
        try {
            parkChanged.signalAll();
        } finally {
            parkLock.unlock();
        }
        exited.countDown();
    }

    /** An internal error (a jqemu bug): end the VM with status 1 rather than hang. */
    public void fail(Throwable cause) {
        LOG.error("jqemu: internal error: {}", String.valueOf(cause));
        exit(1);
    }

    public boolean terminating() {
        return terminating;
    }

    /** Blocks until the VM ends; returns the process exit status and releases everything. */
    public int awaitExit() throws InterruptedException {
        exited.await();
        close();
        return exitStatus;
    }

    @Override
    public void close() {
        if (!terminating) {
            exit(0);
        }
        mainLoop.stop();
        boolean joined = true;
        try {
            for (VcpuThread t : vcpuThreads) {
                t.join();
            }
            mainLoop.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            joined = false;
        }
        for (Chardev c : chardevs.values()) {
            try {
                c.close();
            } catch (RuntimeException e) {
                LOG.debug("closing chardev {}", c.id(), e);
            }
        }
        chardevs.clear();
        for (AutoCloseable r : closeables) {
            try {
                r.close();
            } catch (Exception e) {
                LOG.debug("closing {}", r, e);
            }
        }
        closeables.clear();
        // Guest RAM goes only once no thread of this machine can touch it any more.
        if (joined && !mainLoop.onLoopThread() && vcpuThreads.stream().noneMatch(VcpuThread::isCurrent)
                && arena.scope().isAlive()) {
            arena.close();
        }
    }

    // ---- vCPU parking (used by VcpuThread) ------------------------------------------------

    boolean vcpusMustPark() {
        return parkRequested;
    }

    void parkVcpu() {
        parkLock.lock();
        try {
            parkedCount++;
            parkChanged.signalAll();
            while (parkRequested && !terminating) {
                parkChanged.awaitUninterruptibly();
            }
            parkedCount--;
            parkChanged.signalAll();
        } finally {
            parkLock.unlock();
        }
    }

    /** Stops every vCPU outside guest code and waits until they are parked. */
    private void parkVcpus() {
        if (holdsLock()) {
            throw new IllegalStateException("parking vCPUs with the machine lock held would deadlock");
        }
        parkRequested = true;
        for (VcpuThread t : vcpuThreads) {
            t.kick();
        }
        parkLock.lock();
        try {
            while (parkedCount < vcpuThreads.size() && !terminating) {
                if (vcpuThreads.stream().anyMatch(VcpuThread::isCurrent)) {
                    break; // called on a vCPU thread: it parks itself after returning
                }
                parkChanged.awaitUninterruptibly();
            }
        } finally {
            parkLock.unlock();
        }
    }

    private void unparkVcpus() {
        parkLock.lock();
        try {
            parkRequested = false;
            parkChanged.signalAll();
        } finally {
            parkLock.unlock();
        }
    }
}
