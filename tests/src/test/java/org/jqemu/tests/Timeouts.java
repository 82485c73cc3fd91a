package org.jqemu.tests;

import java.util.concurrent.TimeUnit;

/**
 * Every wait of the end-to-end tests, in one place. A Debian guest boots to its /init markers in
 * 30–70 s on a loaded 2-core machine, so a boot gets about four times that and a step after the
 * boot (a command's answer, a power-off) half of it; a wait that runs out means a hang, and the
 * test fails with the guest's log instead of waiting on.
 *
 * <p>On top of that the whole test JVM has one budget ({@link #SUITE_BUDGET}): every wait is cut
 * short where the budget ends, so even if every guest hangs the tests module finishes within the
 * budget (plus the process kills) and CI reports the failures instead of running into its limit.
 * {@code -Djqemu.test.budget=SECONDS} changes it, e.g. for {@code ./run-tests --all} on a slow
 * machine.
 */
final class Timeouts {
    /**
     * Multiplies the limits below, for a machine much busier than CI's 2 idle cores
     * ({@code -Djqemu.test.timeScale=2}); CI runs with 1.
     */
    static final double SCALE = Double.parseDouble(System.getProperty("jqemu.test.timeScale", "1"));

    /** From starting jqemu to a marker of the guest's /init (or its kernel's first lines). */
    static final long BOOT = scaled(300);
    /** One step after the boot: a command's output, the network coming up, the power-off. */
    static final long STEP = scaled(120);
    /** From the guest's "reboot: Power down" (or a monitor's quit) to the process's exit. */
    static final long EXIT = scaled(60);
    /** A bare-metal test program under tests/programs, from start to exit (they take 1–5 s). */
    static final long PROGRAM = scaled(60);
    /** Building a Debian guest into ~/.cache/jqemu/guests the first time (apt downloads). */
    static final long GUEST_BUILD = 600;

    /** All waits of one test JVM together, in seconds. */
    static final long SUITE_BUDGET = Long.getLong("jqemu.test.budget", 40 * 60);

    private static final long START = System.nanoTime();
    private static final long SUITE_DEADLINE = START + TimeUnit.SECONDS.toNanos(SUITE_BUDGET);

    private Timeouts() {}

    private static long scaled(long seconds) {
        return Math.round(seconds * SCALE);
    }

    /** The {@link System#nanoTime} at which a wait of {@code seconds} starting now ends. */
    static long deadline(long seconds) {
        return Math.min(System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds), SUITE_DEADLINE);
    }

    /** Seconds a wait of {@code seconds} starting now may take (0 once the budget is used up). */
    static long seconds(long seconds) {
        return Math.max(0, TimeUnit.NANOSECONDS.toSeconds(deadline(seconds) - System.nanoTime()));
    }

    /** Whether the suite budget, not the wait's own bound, ended a wait that ended at {@code deadline}. */
    static boolean budgetCut(long deadline) {
        return deadline >= SUITE_DEADLINE;
    }

    /** A note for failure messages when the budget cut a wait short. */
    static String budgetNote(long deadline) {
        return budgetCut(deadline)
                ? " (the test JVM's budget of " + SUITE_BUDGET + " s, -Djqemu.test.budget, is used up)" : "";
    }
}
