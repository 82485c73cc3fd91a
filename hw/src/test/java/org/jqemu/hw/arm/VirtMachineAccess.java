package org.jqemu.hw.arm;

/** Test access to the board's package-private helpers from other test packages. */
public final class VirtMachineAccess {
    private VirtMachineAccess() {}

    public static int intxSpiOffset(int pirq) {
        return VirtMachine.intxSpiOffset(pirq);
    }
}
