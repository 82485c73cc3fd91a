package org.jqemu.target.arm;

import org.jqemu.accel.tcg.TcgCpu;
import org.jqemu.system.irq.IrqLine;
import org.jqemu.system.machine.Machine;

/**
 * An ARMv8-A CPU in AArch64 state at EL0/EL1 (Arm ARM DDI 0487).
 *
 * <p>CONTRACT between target-arm and the {@code virt} board (hw.arm), fixed before either was
 * written so the two could be built in parallel. The board:
 * <ul>
 *   <li>creates CPU i with {@code new Aarch64Cpu(machine, i, model)}; guest memory is
 *       {@code machine.memory()}, time is {@code machine.clock()} (generic timer counter at
 *       {@link #CNTFRQ_HZ});</li>
 *   <li>drives {@link #irqLine()} and {@link #fiqLine()} from the GIC CPU interface;</li>
 *   <li>receives the generic timer outputs through {@link #connectTimers} (level-sensitive;
 *       on virt: PPI 30 phys NS, 27 virt, 26 hyp, 29 phys S);</li>
 *   <li>implements PSCI through {@link #setFirmwareCallHandler};</li>
 *   <li>starts the boot CPU with {@link #bootAt} (Linux arm64 boot protocol: EL1h, MMU and
 *       caches off, DAIF masked, x0 = DTB address, x1..x3 = 0) and keeps secondaries
 *       {@link #powerOff() off} until PSCI CPU_ON calls {@link #powerOn}.</li>
 * </ul>
 * {@link #mpidr()} gives the affinity value the board writes into the DTB's cpu nodes.
 */
public final class Aarch64Cpu implements TcgCpu {
    /** The generic timer's counter frequency (CNTFRQ_EL0), QEMU's 62.5 MHz. */
    public static final long CNTFRQ_HZ = 62_500_000L;

    private final Machine machine;
    private final int index;
    private final ArmCpuModel model;

    public Aarch64Cpu(Machine machine, int index, ArmCpuModel model) {
        this.machine = machine;
        this.index = index;
        this.model = model;
    }

    public ArmCpuModel model() {
        return model;
    }

    /** MPIDR_EL1 as the guest reads it: Aff0 = index % 8, Aff1 = index / 8 (QEMU's GICv2 clustering), bit 31 RES1. */
    public long mpidr() {
        return 0x8000_0000L | ((long) (index / 8) << 8) | (index % 8);
    }

    /** The CPU's IRQ input (level). */
    public IrqLine irqLine() {
        throw new UnsupportedOperationException("target-arm: irqLine not implemented yet");
    }

    /** The CPU's FIQ input (level). */
    public IrqLine fiqLine() {
        throw new UnsupportedOperationException("target-arm: fiqLine not implemented yet");
    }

    /** The generic timer outputs: EL1 physical (non-secure), virtual, EL2 physical, secure physical. */
    public void connectTimers(IrqLine physNs, IrqLine virt, IrqLine hyp, IrqLine physSecure) {
        throw new UnsupportedOperationException("target-arm: connectTimers not implemented yet");
    }

    public void setFirmwareCallHandler(FirmwareCallHandler handler) {
        throw new UnsupportedOperationException("target-arm: firmware calls not implemented yet");
    }

    /** General register xN (n in 0..30); 31 reads as zero. */
    public long xreg(int n) {
        throw new UnsupportedOperationException("target-arm: registers not implemented yet");
    }

    public void setXreg(int n, long value) {
        throw new UnsupportedOperationException("target-arm: registers not implemented yet");
    }

    /** Linux arm64 boot entry: EL1h, MMU off, DAIF masked, PC = entry, x0 = dtb, x1..x3 = 0. */
    public void bootAt(long entry, long dtb) {
        throw new UnsupportedOperationException("target-arm: bootAt not implemented yet");
    }

    /** PSCI CPU_ON: the CPU starts at EL1h, MMU off, PC = entry, x0 = contextId. */
    public void powerOn(long entry, long contextId) {
        throw new UnsupportedOperationException("target-arm: powerOn not implemented yet");
    }

    /** PSCI CPU_OFF, and the state of secondaries at reset: the CPU runs nothing until powerOn. */
    public void powerOff() {
        throw new UnsupportedOperationException("target-arm: powerOff not implemented yet");
    }

    public boolean isPoweredOff() {
        throw new UnsupportedOperationException("target-arm: powerOff not implemented yet");
    }

    @Override
    public int index() {
        return index;
    }

    @Override
    public void reset() {
        throw new UnsupportedOperationException("target-arm: reset not implemented yet");
    }

    @Override
    public boolean hasWork() {
        return false;
    }

    @Override
    public void setKicker(Runnable kicker) {
        throw new UnsupportedOperationException("target-arm: setKicker not implemented yet");
    }

    @Override
    public int execute() {
        throw new UnsupportedOperationException("target-arm: execute not implemented yet");
    }

    @Override
    public void requestExit() {
        throw new UnsupportedOperationException("target-arm: requestExit not implemented yet");
    }
}
