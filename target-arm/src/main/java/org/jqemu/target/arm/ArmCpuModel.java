package org.jqemu.target.arm;

import java.util.Locale;

/**
 * The {@code -cpu} models of the AArch64 target. A model fixes the ID registers (MIDR, the
 * ID_AA64* feature registers) the guest reads; they advertise exactly what the CPU implements.
 */
public enum ArmCpuModel {
    CORTEX_A57("cortex-a57", "ARM Cortex-A57 (ARMv8.0-A)"),
    MAX("max", "Enables all features supported by the tcg accelerator");

    private final String cliName;
    private final String description;

    ArmCpuModel(String cliName, String description) {
        this.cliName = cliName;
        this.description = description;
    }

    public String cliName() {
        return cliName;
    }

    public String description() {
        return description;
    }

    /** The model named on the command line, or null when there is none of that name. */
    public static ArmCpuModel byName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (ArmCpuModel m : values()) {
            if (m.cliName.equals(n)) {
                return m;
            }
        }
        return null;
    }
}
