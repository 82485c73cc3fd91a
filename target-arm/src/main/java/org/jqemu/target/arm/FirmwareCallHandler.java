package org.jqemu.target.arm;

/**
 * What a board does with the HVC and SMC instructions when no EL2/EL3 software is loaded: the
 * board implements the firmware (PSCI, SMCCC) itself, as QEMU's virt does with
 * {@code psci-conduit}. Called on the vCPU thread that executed the instruction.
 */
@FunctionalInterface
public interface FirmwareCallHandler {
    /** How the guest called the firmware. */
    enum Conduit { HVC, SMC }

    /**
     * Handles a call: reads arguments from x0..x7 ({@link Aarch64Cpu#xreg}) and writes results
     * ({@link Aarch64Cpu#setXreg}). Returns false when the board does not handle this conduit;
     * the CPU then takes the architectural UNDEFINED exception.
     */
    boolean call(Aarch64Cpu cpu, Conduit conduit, int imm16);
}
