package org.jqemu.target.arm;

/**
 * Unwinds the interpreter to the block loop when an instruction raises a synchronous exception
 * (abort, undefined instruction, alignment). The syndrome was already stored in the CPU's
 * pending-exception fields; this object carries nothing and is preallocated, so raising it costs
 * no allocation and no stack trace.
 */
final class ArmFault extends RuntimeException {
    static final ArmFault INSTANCE = new ArmFault();

    private ArmFault() {
        super(null, null, false, false);
    }
}
