package org.jqemu.target.i386;

import org.jqemu.system.cpu.InterruptAcknowledge;

/**
 * The interrupt side of one x86 CPU as the board builds it: its local APIC (hw.intc.LocalApic),
 * which also passes the 8259's INTR through (LVT LINT0 in ExtINT mode) and answers the
 * acknowledge cycle for both. The CPU holds one of these instead of a bare 8259.
 *
 * <h2>How the CPU wires it (for the target-i386 engineers)</h2>
 * <ol>
 * <li>Implement {@link Pins} in the CPU and call {@link #connect(Pins)} once, when the board hands
 *     the source to the CPU (e.g. a new {@code X86Cpu.setInterruptSource(X86InterruptSource)}).
 *     The APIC calls the pins from any thread (the main loop for timers, another vCPU for IPIs),
 *     always with the machine lock held: a pin only sets a volatile flag and kicks the vCPU.</li>
 * <li>Between instructions, when {@link Pins#interruptRequest} was last called with true, IF = 1
 *     and no interrupt shadow (STI/MOV SS) applies: take the machine lock, call
 *     {@link #acknowledge()} and deliver the vector it returns as an external interrupt. The
 *     vector can be the APIC's spurious vector, which is delivered like any other. After the
 *     acknowledge, {@code interruptRequest} has been re-driven for what remains pending.
 *     {@code hasWork()} of a halted CPU is: interruptRequest && IF, or a pending NMI/INIT/SIPI.</li>
 * <li>{@link Pins#nmi()}: latch an NMI; deliver vector 2 at the next instruction boundary unless
 *     NMIs are blocked (until the next IRET after an NMI).</li>
 * <li>{@link Pins#init()}: INIT (SDM vol. 3, 9.1 table 9-1 "INIT" column): the CPU resets its
 *     registers but keeps x87/SSE state, MTRRs and caches as the SDM says; an AP (apicBase bit 8
 *     clear) then waits for a SIPI ({@code wait-for-SIPI} state, not executing). The APIC resets
 *     itself; the CPU must not call {@link #setApicBase} for it.</li>
 * <li>{@link Pins#startup(int)}: SIPI with vector V, honoured only in wait-for-SIPI: CS selector
 *     = V << 8, CS base = V << 12, IP = 0, then run.</li>
 * <li>MSR 0x1B (IA32_APIC_BASE): RDMSR returns {@link #apicBase()}; WRMSR calls
 *     {@link #setApicBase}, which returns false for a reserved-bit violation (raise #GP(0)).</li>
 * <li>CR8 (64-bit mode): MOV from CR8 = {@code tpr() >> 4}; MOV to CR8 = {@code setTpr((v & 15) << 4)}.</li>
 * <li>MSR 0x6E0 (IA32_TSC_DEADLINE), only if CPUID advertises it: RDMSR/WRMSR through
 *     {@link #tscDeadline()}/{@link #setTscDeadline(long)}; the APIC converts TSC ticks with the
 *     TSC rate given by {@link #setTscHz(long)} (the CPU reports its TSC as virtual-clock ns x
 *     rate / 1e9, starting at 0 at machine creation).</li>
 * </ol>
 * The x2APIC MSR interface (0x800-0x8FF) is not offered: CPUID must not advertise x2APIC.
 */
public interface X86InterruptSource extends InterruptAcknowledge {
    /** The CPU's inputs the APIC drives. */
    interface Pins {
        /** Level of the CPU's maskable-interrupt request (an APIC vector or the 8259 via ExtINT). */
        void interruptRequest(boolean pending);

        /** A non-maskable interrupt (edge). */
        void nmi();

        /** An INIT IPI (or INIT through LVT): reset to the wait-for-SIPI state (APs) or restart. */
        void init();

        /** A startup IPI with its 8-bit vector (start address vector << 12). */
        void startup(int vector);
    }

    /** Gives the APIC its CPU; the APIC re-drives {@link Pins#interruptRequest} immediately. */
    void connect(Pins cpu);

    /** True while a maskable interrupt is pending for the CPU (same as the last interruptRequest). */
    boolean hasInterrupt();

    /**
     * The interrupt-acknowledge cycle, called with the machine lock held: the highest-priority
     * deliverable APIC vector moves from IRR to ISR, or, for ExtINT, the 8259 pair answers.
     */
    @Override
    int acknowledge();

    /** The task priority register (APIC offset 0x80, 8 bits). */
    int tpr();

    void setTpr(int value);

    /** IA32_APIC_BASE: base address | bit 11 global enable | bit 8 BSP. */
    long apicBase();

    /** WRMSR 0x1B; false when reserved bits are set (the CPU raises #GP). */
    boolean setApicBase(long value);

    /** IA32_TSC_DEADLINE; 0 when disarmed. */
    long tscDeadline();

    void setTscDeadline(long tsc);

    /** The CPU's TSC rate in Hz, for TSC-deadline mode (default 1 GHz, TSC = virtual ns). */
    void setTscHz(long hz);
}
