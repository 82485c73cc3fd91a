package org.jqemu.accel.kvm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jqemu.system.memory.AddressSpace;
import org.jqemu.system.memory.FlatRange;
import org.jqemu.system.memory.RamRegion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One KVM virtual machine: its memory slots, in-kernel interrupt controllers and vCPUs.
 *
 * <p>Memory slots mirror the RAM and ROM ranges of the machine's flat memory map: every
 * {@link RamRegion} piece becomes a slot backed by the very same off-heap bytes the {@code tcg}
 * accelerator and the devices use, ROM as a read-only slot (guest writes to it come back as MMIO
 * exits, which the memory map then ignores as ROM does). Whatever is not RAM is not in a slot, so
 * guest accesses to it exit to userspace as MMIO. {@link #attachMemory} keeps the slots in step
 * with later map changes (PCI BARs, PAM, aliases).
 */
public final class KvmVm implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KvmVm.class);
    private static final long PAGE = 4096;

    private static final VarHandle SLOT = KvmStructs.field(KvmStructs.KVM_USERSPACE_MEMORY_REGION, "slot");
    private static final VarHandle SLOT_FLAGS = KvmStructs.field(KvmStructs.KVM_USERSPACE_MEMORY_REGION, "flags");
    private static final VarHandle SLOT_GPA =
            KvmStructs.field(KvmStructs.KVM_USERSPACE_MEMORY_REGION, "guest_phys_addr");
    private static final VarHandle SLOT_SIZE = KvmStructs.field(KvmStructs.KVM_USERSPACE_MEMORY_REGION, "memory_size");
    private static final VarHandle SLOT_HVA = KvmStructs.field(KvmStructs.KVM_USERSPACE_MEMORY_REGION, "userspace_addr");
    private static final VarHandle IRQ = KvmStructs.field(KvmStructs.KVM_IRQ_LEVEL, KvmStructs.ANONYMOUS + "irq", "irq");
    private static final VarHandle IRQ_LEVEL = KvmStructs.field(KvmStructs.KVM_IRQ_LEVEL, "level");
    private static final VarHandle PIT_FLAGS = KvmStructs.field(KvmStructs.KVM_PIT_CONFIG, "flags");

    /** One memory slot as the kernel has it. */
    public record Slot(long guestPhys, long size, long hostAddr, boolean readOnly) {}

    private final Kvm kvm;
    private final int fd;
    private final int maxSlots;
    private final boolean readOnlyMem;
    private final Map<Integer, Slot> slots = new HashMap<>();
    private final List<KvmVcpu> vcpus = new ArrayList<>();

    KvmVm(Kvm kvm, int fd) {
        this.kvm = kvm;
        this.fd = fd;
        int n = kvm.checkExtension(KvmCap.KVM_CAP_NR_MEMSLOTS);
        this.maxSlots = n > 0 ? n : 32;
        this.readOnlyMem = kvm.checkExtension(KvmCap.KVM_CAP_READONLY_MEM) > 0;
    }

    public Kvm kvm() {
        return kvm;
    }

    public int fd() {
        return fd;
    }

    // ---- memory ---------------------------------------------------------------------------

    /** Mirrors {@code memory}'s RAM into memory slots now and after every change of its map. */
    public void attachMemory(AddressSpace memory) {
        syncMemory(memory);
        memory.addMapListener(() -> syncMemory(memory));
    }

    /**
     * Makes the slots match the RAM ranges of the current flat view: unchanged slots stay, slots
     * that no longer match are deleted first (slots may never overlap), then new ones are added.
     */
    public synchronized void syncMemory(AddressSpace memory) {
        List<Slot> wanted = slotsFor(memory.flatView(), readOnlyMem);
        for (var it = slots.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (!wanted.remove(e.getValue())) {
                setUserMemoryRegion(e.getKey(), new Slot(e.getValue().guestPhys, 0, 0, false));
                it.remove();
            }
        }
        for (Slot s : wanted) {
            int id = freeSlot();
            setUserMemoryRegion(id, s);
            slots.put(id, s);
        }
    }

    /**
     * The memory slots a flat view needs: one per RAM/ROM piece (ROM read-only when the kernel
     * can do that), none for device regions or holes.
     */
    static List<Slot> slotsFor(FlatRange[] view, boolean readOnlyMem) {
        List<Slot> wanted = new ArrayList<>();
        for (FlatRange r : view) {
            if (r.region() instanceof RamRegion ram) {
                // KVM maps whole pages: the page-aligned interior becomes a slot, and the sub-page
                // edges (rare: a device register block inside a RAM page) stay MMIO, slow but right.
                long start = (r.start() + PAGE - 1) & -PAGE;
                long end = r.end() & -PAGE;
                long host = ram.segment().address() + r.regionOffset() + (start - r.start());
                if (start < r.end() && end > start && (host & (PAGE - 1)) == 0) {
                    wanted.add(new Slot(start, end - start, host, ram.readOnly() && readOnlyMem));
                }
                if (start != r.start() || end != r.end()) {
                    LOG.debug("kvm: RAM range 0x{}..0x{} of {} is not page aligned; its edges use MMIO exits",
                            Long.toHexString(r.start()), Long.toHexString(r.end()), ram.name());
                }
            }
        }
        return wanted;
    }

    /** The slots now registered, by slot number (for tests and `info mtree`-like dumps). */
    public synchronized Map<Integer, Slot> slots() {
        return Map.copyOf(slots);
    }

    private int freeSlot() {
        for (int i = 0; i < maxSlots; i++) {
            if (!slots.containsKey(i)) {
                return i;
            }
        }
        throw new KvmException("KVM_SET_USER_MEMORY_REGION: all " + maxSlots + " memory slots are in use");
    }

    private void setUserMemoryRegion(int slot, Slot s) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(KvmStructs.KVM_USERSPACE_MEMORY_REGION);
            SLOT.set(m, slot);
            SLOT_FLAGS.set(m, s.readOnly ? KvmConstants.KVM_MEM_READONLY : 0);
            SLOT_GPA.set(m, s.guestPhys);
            SLOT_SIZE.set(m, s.size);
            SLOT_HVA.set(m, s.hostAddr);
            Kvm.ioctl(fd, KvmIoctl.KVM_SET_USER_MEMORY_REGION, m);
        }
    }

    // ---- interrupt controllers and other VM-wide state -----------------------------------

    /** KVM_CREATE_IRQCHIP: the in-kernel interrupt controllers (on x86: two 8259s, an IOAPIC, LAPICs). */
    public void createIrqChip() {
        Kvm.ioctl(fd, KvmIoctl.KVM_CREATE_IRQCHIP, 0);
    }

    /** KVM_CREATE_PIT2: the in-kernel 8254 timer (after the irqchip). */
    public void createPit2(int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment c = a.allocate(KvmStructs.KVM_PIT_CONFIG);
            PIT_FLAGS.set(c, flags);
            Kvm.ioctl(fd, KvmIoctl.KVM_CREATE_PIT2, c);
        }
    }

    /**
     * Per-thread argument buffers for the interrupt ioctls, which devices issue from vCPU and
     * main-loop threads alike: after the first call on a thread they allocate nothing.
     */
    private final ThreadLocal<MemorySegment> irqLevelBuffer =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(KvmStructs.KVM_IRQ_LEVEL));
    private final ThreadLocal<MemorySegment> msiBuffer =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(KvmStructs.KVM_MSI));

    /** KVM_IRQ_LINE: drives input {@code gsi} of the in-kernel irqchip. Safe from any thread. */
    public void setIrqLine(int gsi, boolean level) {
        MemorySegment l = irqLevelBuffer.get();
        IRQ.set(l, gsi);
        IRQ_LEVEL.set(l, level ? 1 : 0);
        Kvm.ioctl(fd, KvmIoctl.KVM_IRQ_LINE, l);
    }

    /** One route of the GSI routing table: input {@code gsi} drives {@code pin} of irqchip {@code chip}. */
    public record IrqRoute(int gsi, int chip, int pin) {}

    private static final long ROUTES = KvmStructs.offset(KvmStructs.KVM_IRQ_ROUTING, "entries");
    private static final long ROUTE_SIZE = KvmStructs.KVM_IRQ_ROUTING_ENTRY.byteSize();
    private static final long ROUTE_GSI = KvmStructs.offset(KvmStructs.KVM_IRQ_ROUTING_ENTRY, "gsi");
    private static final long ROUTE_TYPE = KvmStructs.offset(KvmStructs.KVM_IRQ_ROUTING_ENTRY, "type");
    private static final long ROUTE_CHIP = KvmStructs.offset(KvmStructs.KVM_IRQ_ROUTING_ENTRY, "u", "irqchip", "irqchip");
    private static final long ROUTE_PIN = KvmStructs.offset(KvmStructs.KVM_IRQ_ROUTING_ENTRY, "u", "irqchip", "pin");
    private static final VarHandle MSI_ADDRESS_LO = KvmStructs.field(KvmStructs.KVM_MSI, "address_lo");
    private static final VarHandle MSI_ADDRESS_HI = KvmStructs.field(KvmStructs.KVM_MSI, "address_hi");
    private static final VarHandle MSI_DATA = KvmStructs.field(KvmStructs.KVM_MSI, "data");

    /** KVM_SET_GSI_ROUTING: replaces the kernel's default GSI → irqchip pin table with {@code routes}. */
    public void setGsiRouting(List<IrqRoute> routes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment t = a.allocate(ROUTES + routes.size() * ROUTE_SIZE, 8);
            t.set(java.lang.foreign.ValueLayout.JAVA_INT, KvmStructs.offset(KvmStructs.KVM_IRQ_ROUTING, "nr"),
                    routes.size());
            for (int i = 0; i < routes.size(); i++) {
                long e = ROUTES + i * ROUTE_SIZE;
                IrqRoute r = routes.get(i);
                t.set(java.lang.foreign.ValueLayout.JAVA_INT, e + ROUTE_GSI, r.gsi());
                t.set(java.lang.foreign.ValueLayout.JAVA_INT, e + ROUTE_TYPE, KvmConstants.KVM_IRQ_ROUTING_IRQCHIP);
                t.set(java.lang.foreign.ValueLayout.JAVA_INT, e + ROUTE_CHIP, r.chip());
                t.set(java.lang.foreign.ValueLayout.JAVA_INT, e + ROUTE_PIN, r.pin());
            }
            Kvm.ioctl(fd, KvmIoctl.KVM_SET_GSI_ROUTING, t);
        }
    }

    /**
     * KVM_SIGNAL_MSI: delivers one message signalled interrupt (address/data as a PCI device
     * writes them) through the in-kernel APICs. Returns false when the guest blocked it (no
     * destination accepted it). Safe from any thread.
     */
    public boolean signalMsi(long address, int data) {
        MemorySegment m = msiBuffer.get();
        MSI_ADDRESS_LO.set(m, (int) address);
        MSI_ADDRESS_HI.set(m, (int) (address >>> 32));
        MSI_DATA.set(m, data);
        return Kvm.ioctl(fd, KvmIoctl.KVM_SIGNAL_MSI, m) > 0;
    }

    /** An ioctl on the VM fd with an integer argument; throws {@link KvmException} on failure. */
    public int ioctl(KvmIoctl request, long arg) {
        return Kvm.ioctl(fd, request, arg);
    }

    /** An ioctl on the VM fd with a pointer argument; throws {@link KvmException} on failure. */
    public int ioctl(KvmIoctl request, MemorySegment arg) {
        return Kvm.ioctl(fd, request, arg);
    }

    // ---- vCPUs ----------------------------------------------------------------------------

    /** KVM_CREATE_VCPU with this id (the APIC id on x86) and its kvm_run mapping. */
    public KvmVcpu createVcpu(int id, org.jqemu.system.machine.Machine machine, KvmVcpu.RegisterSync sync) {
        int vcpuFd = Kvm.ioctl(fd, KvmIoctl.KVM_CREATE_VCPU, id);
        KvmVcpu v = new KvmVcpu(this, machine, id, vcpuFd, kvm.vcpuMmapSize(), Objects.requireNonNull(sync));
        synchronized (vcpus) {
            vcpus.add(v);
        }
        return v;
    }

    @Override
    public void close() {
        synchronized (vcpus) {
            vcpus.forEach(KvmVcpu::close);
            vcpus.clear();
        }
        LinuxNative.close(fd);
    }
}
