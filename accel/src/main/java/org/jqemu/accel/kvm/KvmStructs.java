package org.jqemu.accel.kvm;

import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.MemoryLayout.unionLayout;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;

/**
 * The {@code <linux/kvm.h>} structures jqemu passes to the kernel, as memory layouts whose names
 * are the C names: each layout is named after its C struct and each member after its C member, so
 * the layout test can ask gcc for {@code sizeof}/{@code offsetof} of every one of them. A member
 * whose name starts with {@value #ANONYMOUS} is an anonymous union in C (its members are reached
 * without its name); unnamed padding is not checked by itself but moves every later offset.
 *
 * <p>Only the x86-64 layouts of the arch-specific structs ({@code asm/kvm.h}) are declared.
 */
public final class KvmStructs {
    /** Prefix of members that C declares as anonymous unions. */
    public static final String ANONYMOUS = "anon_";

    private static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG;

    private KvmStructs() {}

    private static MemoryLayout u8(String name) {
        return U8.withName(name);
    }

    private static MemoryLayout u16(String name) {
        return U16.withName(name);
    }

    private static MemoryLayout u32(String name) {
        return U32.withName(name);
    }

    private static MemoryLayout u64(String name) {
        return U64.withName(name);
    }

    private static MemoryLayout array(String name, long count, MemoryLayout element) {
        return sequenceLayout(count, element).withName(name);
    }

    /** The vCPU's shared page: request flags in, exit reason and exit details out. */
    public static final GroupLayout KVM_RUN = structLayout(
            u8("request_interrupt_window"),
            u8("immediate_exit"),
            paddingLayout(6),
            u32("exit_reason"),
            u8("ready_for_interrupt_injection"),
            u8("if_flag"),
            u16("flags"),
            u64("cr8"),
            u64("apic_base"),
            unionLayout(
                    structLayout(u64("hardware_exit_reason")).withName("hw"),
                    structLayout(u64("hardware_entry_failure_reason"), u32("cpu"), paddingLayout(4))
                            .withName("fail_entry"),
                    structLayout(u32("exception"), u32("error_code")).withName("ex"),
                    structLayout(u8("direction"), u8("size"), u16("port"), u32("count"), u64("data_offset"))
                            .withName("io"),
                    structLayout(u64("phys_addr"), array("data", 8, U8), u32("len"), u8("is_write"),
                            paddingLayout(3)).withName("mmio"),
                    structLayout(u32("suberror"), u32("ndata"), array("data", 16, U64)).withName("internal"),
                    structLayout(u32("type"), u32("ndata"),
                            unionLayout(u64("flags"), array("data", 16, U64)).withName(ANONYMOUS + "data"))
                            .withName("system_event"),
                    array("padding", 256, U8)).withName(ANONYMOUS + "exit"),
            u64("kvm_valid_regs"),
            u64("kvm_dirty_regs"),
            unionLayout(array("padding", 2048, U8)).withName("s"))
            .withName("kvm_run");

    public static final GroupLayout KVM_USERSPACE_MEMORY_REGION = structLayout(
            u32("slot"), u32("flags"), u64("guest_phys_addr"), u64("memory_size"), u64("userspace_addr"))
            .withName("kvm_userspace_memory_region");

    /** General registers, in the order of {@code struct kvm_regs} (not the x86 encoding order). */
    public static final List<String> KVM_REGS_NAMES = List.of("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp",
            "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags");

    public static final GroupLayout KVM_REGS = structLayout(
            KVM_REGS_NAMES.stream().map(KvmStructs::u64).toArray(MemoryLayout[]::new)).withName("kvm_regs");

    /** A segment register with its hidden descriptor cache, field by field. */
    public static final GroupLayout KVM_SEGMENT = structLayout(
            u64("base"), u32("limit"), u16("selector"), u8("type"), u8("present"), u8("dpl"), u8("db"), u8("s"),
            u8("l"), u8("g"), u8("avl"), u8("unusable"), u8("padding")).withName("kvm_segment");

    public static final GroupLayout KVM_DTABLE = structLayout(
            u64("base"), u16("limit"), array("padding", 3, U16)).withName("kvm_dtable");

    public static final GroupLayout KVM_SREGS = structLayout(
            KVM_SEGMENT.withName("cs"), KVM_SEGMENT.withName("ds"), KVM_SEGMENT.withName("es"),
            KVM_SEGMENT.withName("fs"), KVM_SEGMENT.withName("gs"), KVM_SEGMENT.withName("ss"),
            KVM_SEGMENT.withName("tr"), KVM_SEGMENT.withName("ldt"),
            KVM_DTABLE.withName("gdt"), KVM_DTABLE.withName("idt"),
            u64("cr0"), u64("cr2"), u64("cr3"), u64("cr4"), u64("cr8"), u64("efer"), u64("apic_base"),
            array("interrupt_bitmap", 4, U64)).withName("kvm_sregs");

    public static final GroupLayout KVM_CPUID_ENTRY2 = structLayout(
            u32("function"), u32("index"), u32("flags"), u32("eax"), u32("ebx"), u32("ecx"), u32("edx"),
            array("padding", 3, U32)).withName("kvm_cpuid_entry2");

    /** Header of a CPUID table; {@code entries} is a flexible array of {@link #KVM_CPUID_ENTRY2}. */
    public static final GroupLayout KVM_CPUID2 = structLayout(
            u32("nent"), u32("padding"), array("entries", 0, KVM_CPUID_ENTRY2)).withName("kvm_cpuid2");

    public static final GroupLayout KVM_MSR_ENTRY = structLayout(
            u32("index"), u32("reserved"), u64("data")).withName("kvm_msr_entry");

    /** Header of an MSR list; {@code entries} is a flexible array of {@link #KVM_MSR_ENTRY}. */
    public static final GroupLayout KVM_MSRS = structLayout(
            u32("nmsrs"), u32("pad"), array("entries", 0, KVM_MSR_ENTRY)).withName("kvm_msrs");

    public static final GroupLayout KVM_IRQ_LEVEL = structLayout(
            unionLayout(u32("irq"), u32("status")).withName(ANONYMOUS + "irq"), u32("level"))
            .withName("kvm_irq_level");

    public static final GroupLayout KVM_PIT_CONFIG = structLayout(
            u32("flags"), array("pad", 15, U32)).withName("kvm_pit_config");

    /** Header of a signal mask for KVM_RUN; {@code sigset} is a flexible byte array. */
    public static final GroupLayout KVM_SIGNAL_MASK = structLayout(
            u32("len"), array("sigset", 0, U8)).withName("kvm_signal_mask");

    /** KVM_SET_GSI_ROUTING: one GSI's route, to an irqchip pin or as an MSI message. */
    public static final GroupLayout KVM_IRQ_ROUTING_ENTRY = structLayout(
            u32("gsi"), u32("type"), u32("flags"), u32("pad"),
            unionLayout(
                    structLayout(u32("irqchip"), u32("pin")).withName("irqchip"),
                    structLayout(u32("address_lo"), u32("address_hi"), u32("data"),
                            unionLayout(u32("pad"), u32("devid")).withName(ANONYMOUS + "devid")).withName("msi"),
                    array("pad", 8, U32)).withName("u"))
            .withName("kvm_irq_routing_entry");

    /** Header of a routing table; {@code entries} is a flexible array of {@link #KVM_IRQ_ROUTING_ENTRY}. */
    public static final GroupLayout KVM_IRQ_ROUTING = structLayout(
            u32("nr"), u32("flags"), array("entries", 0, KVM_IRQ_ROUTING_ENTRY)).withName("kvm_irq_routing");

    /** KVM_SIGNAL_MSI: one message signalled interrupt, delivered through the in-kernel APICs. */
    public static final GroupLayout KVM_MSI = structLayout(
            u32("address_lo"), u32("address_hi"), u32("data"), u32("flags"), u32("devid"), array("pad", 12, U8))
            .withName("kvm_msi");

    /** KVM_GET/SET_IRQCHIP: the state of one in-kernel 8259 or the IOAPIC, kept opaque. */
    public static final GroupLayout KVM_IRQCHIP = structLayout(
            u32("chip_id"), u32("pad"), unionLayout(array("dummy", 512, U8)).withName("chip"))
            .withName("kvm_irqchip");

    /** KVM_GET/SET_PIT2: the in-kernel 8254's three channels (kept opaque) and its flags. */
    public static final GroupLayout KVM_PIT_STATE2 = structLayout(
            array("channels", 3, structLayout(u32("count"), u16("latched_count"), u8("count_latched"),
                    u8("status_latched"), u8("status"), u8("read_state"), u8("write_state"), u8("write_latch"),
                    u8("rw_mode"), u8("mode"), u8("bcd"), u8("gate"), u64("count_load_time"))),
            u32("flags"), array("reserved", 9, U32)).withName("kvm_pit_state2");

    /** KVM_GET/SET_LAPIC: the local APIC's register page. */
    public static final GroupLayout KVM_LAPIC_STATE = structLayout(array("regs", 1024, U8)).withName("kvm_lapic_state");

    /** KVM_GET/SET_MP_STATE: running, or waiting for INIT/SIPI (an application processor after reset). */
    public static final GroupLayout KVM_MP_STATE = structLayout(u32("mp_state")).withName("kvm_mp_state");

    /** KVM_GET/SET_FPU: x87, MMX and SSE state in FXSAVE's terms. */
    public static final GroupLayout KVM_FPU = structLayout(
            array("fpr", 8, sequenceLayout(16, U8)), u16("fcw"), u16("fsw"), u8("ftwx"), u8("pad1"),
            u16("last_opcode"), u64("last_ip"), u64("last_dp"), array("xmm", 16, sequenceLayout(16, U8)),
            u32("mxcsr"), u32("pad2")).withName("kvm_fpu");

    /** Every layout above: the layout test checks each of them against gcc. */
    public static final List<GroupLayout> ALL = List.of(KVM_RUN, KVM_USERSPACE_MEMORY_REGION, KVM_REGS,
            KVM_SEGMENT, KVM_DTABLE, KVM_SREGS, KVM_CPUID_ENTRY2, KVM_CPUID2, KVM_MSR_ENTRY, KVM_MSRS,
            KVM_IRQ_LEVEL, KVM_PIT_CONFIG, KVM_SIGNAL_MASK, KVM_IRQ_ROUTING_ENTRY, KVM_IRQ_ROUTING, KVM_MSI,
            KVM_IRQCHIP, KVM_PIT_STATE2, KVM_LAPIC_STATE, KVM_MP_STATE, KVM_FPU);

    /**
     * A field of {@code layout} reached by member names, as a VarHandle whose only coordinate is
     * the segment holding the struct at offset 0.
     */
    public static VarHandle field(MemoryLayout layout, String... path) {
        MemoryLayout.PathElement[] elements = new MemoryLayout.PathElement[path.length];
        for (int i = 0; i < path.length; i++) {
            elements[i] = MemoryLayout.PathElement.groupElement(path[i]);
        }
        return MethodHandles.insertCoordinates(layout.varHandle(elements), 1, 0L);
    }

    /** The byte offset of a member reached by names. */
    public static long offset(MemoryLayout layout, String... path) {
        MemoryLayout.PathElement[] elements = new MemoryLayout.PathElement[path.length];
        for (int i = 0; i < path.length; i++) {
            elements[i] = MemoryLayout.PathElement.groupElement(path[i]);
        }
        return layout.byteOffset(elements);
    }
}
