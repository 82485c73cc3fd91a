package org.jqemu.system.log;

/** The {@code -d} categories, named as QEMU names them. */
public enum LogCategory {
    GUEST_ERRORS("guest_errors", "log when the guest OS does something invalid (eg accessing a non-existent register)"),
    UNIMP("unimp", "log unimplemented functionality"),
    INT("int", "show interrupts/exceptions in short format"),
    IN_ASM("in_asm", "show target assembly code for each compiled TB"),
    EXEC("exec", "show trace before each executed TB (lots of logs)"),
    CPU("cpu", "show CPU registers before entering a TB (lots of logs)"),
    CPU_RESET("cpu_reset", "show CPU state before CPU resets"),
    MMU("mmu", "log MMU-related activities");

    private final String qemuName;
    private final String help;

    LogCategory(String qemuName, String help) {
        this.qemuName = qemuName;
        this.help = help;
    }

    public String qemuName() {
        return qemuName;
    }

    public String help() {
        return help;
    }

    public static LogCategory byName(String name) {
        for (LogCategory c : values()) {
            if (c.qemuName.equals(name)) {
                return c;
            }
        }
        return null;
    }
}
