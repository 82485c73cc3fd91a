package org.jqemu.system.log;

import java.util.EnumSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One machine's {@code -d} settings. Hot paths test the plain boolean fields before building a
 * message, so a disabled category costs one field read.
 */
public final class GuestLog {
    private final Logger logger = LoggerFactory.getLogger("jqemu");

    public boolean guestErrors;
    public boolean unimp;
    public boolean interrupts;
    public boolean inAsm;
    public boolean exec;
    public boolean cpu;
    public boolean cpuReset;
    public boolean mmu;

    public void enable(Set<LogCategory> categories) {
        guestErrors = categories.contains(LogCategory.GUEST_ERRORS);
        unimp = categories.contains(LogCategory.UNIMP);
        interrupts = categories.contains(LogCategory.INT);
        inAsm = categories.contains(LogCategory.IN_ASM);
        exec = categories.contains(LogCategory.EXEC);
        cpu = categories.contains(LogCategory.CPU);
        cpuReset = categories.contains(LogCategory.CPU_RESET);
        mmu = categories.contains(LogCategory.MMU);
    }

    public Set<LogCategory> enabled() {
        EnumSet<LogCategory> s = EnumSet.noneOf(LogCategory.class);
        for (LogCategory c : LogCategory.values()) {
            if (isEnabled(c)) {
                s.add(c);
            }
        }
        return s;
    }

    public boolean isEnabled(LogCategory c) {
        return switch (c) {
            case GUEST_ERRORS -> guestErrors;
            case UNIMP -> unimp;
            case INT -> interrupts;
            case IN_ASM -> inAsm;
            case EXEC -> exec;
            case CPU -> cpu;
            case CPU_RESET -> cpuReset;
            case MMU -> mmu;
        };
    }

    /** Writes one line if {@code category} is enabled. */
    public void log(LogCategory category, String format, Object... args) {
        if (isEnabled(category)) {
            logger.info(category.qemuName() + ": " + String.format(format, args));
        }
    }

    public void guestError(String format, Object... args) {
        log(LogCategory.GUEST_ERRORS, format, args);
    }

    public void unimplemented(String format, Object... args) {
        log(LogCategory.UNIMP, format, args);
    }
}
