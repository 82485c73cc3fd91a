package org.jqemu.target.i386;

/**
 * The machine-check architecture's registers (Intel SDM vol. 3, 16.3 "Machine-Check MSRs"):
 * IA32_MCG_CAP/STATUS/CTL and, per error-reporting bank, IA32_MCi_CTL/STATUS/ADDR/MISC. jqemu
 * never signals a machine check; the registers exist so that a guest that sees CPUID's MCE and
 * MCA flags (as on QEMU's models) can initialise them. Ten banks and MCG_CTL, as QEMU's default.
 */
final class MachineCheck {
    static final int MSR_MCG_CAP = 0x179, MSR_MCG_STATUS = 0x17a, MSR_MCG_CTL = 0x17b;
    static final int MSR_MC0_CTL = 0x400;
    static final int BANKS = 10;
    /** MCG_CAP bit 8: IA32_MCG_CTL is present. */
    static final long MCG_CTL_P = 1L << 8;

    private long mcgStatus;
    private long mcgCtl;
    /** CTL, STATUS, ADDR, MISC of each bank, in MSR order. */
    private final long[] banks = new long[BANKS * 4];

    /** Power-on: everything clear (the SDM leaves MCi_STATUS undefined; clear is what QEMU shows). */
    void reset() {
        mcgStatus = 0;
        mcgCtl = 0;
        java.util.Arrays.fill(banks, 0);
    }

    static boolean handles(int index) {
        return index == MSR_MCG_CAP || index == MSR_MCG_STATUS || index == MSR_MCG_CTL
                || index >= MSR_MC0_CTL && index < MSR_MC0_CTL + BANKS * 4;
    }

    long read(int index) {
        return switch (index) {
            case MSR_MCG_CAP -> MCG_CTL_P | BANKS;
            case MSR_MCG_STATUS -> mcgStatus;
            case MSR_MCG_CTL -> mcgCtl;
            default -> banks[index - MSR_MC0_CTL];
        };
    }

    /** False for a write the hardware refuses with #GP: MCG_CAP, or non-zero MCi_STATUS (SDM 16.3.2.2). */
    boolean write(int index, long v) {
        switch (index) {
            case MSR_MCG_CAP -> {
                return false;
            }
            case MSR_MCG_STATUS -> mcgStatus = v;
            case MSR_MCG_CTL -> mcgCtl = v;
            default -> {
                int i = index - MSR_MC0_CTL;
                if ((i & 3) == 1 && v != 0) {
                    return false;
                }
                banks[i] = v;
            }
        }
        return true;
    }
}
