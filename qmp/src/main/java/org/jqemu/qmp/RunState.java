package org.jqemu.qmp;

/** QEMU's run states that jqemu can be in, as {@code query-status} names them. */
enum RunState {
    /** Started with -S and not yet continued. */
    PRELAUNCH("prelaunch"),
    RUNNING("running"),
    /** Stopped by a monitor. */
    PAUSED("paused"),
    /** The guest powered off under -no-shutdown. */
    SHUTDOWN("shutdown");

    private final String qemuName;

    RunState(String qemuName) {
        this.qemuName = qemuName;
    }

    String qemuName() {
        return qemuName;
    }
}
