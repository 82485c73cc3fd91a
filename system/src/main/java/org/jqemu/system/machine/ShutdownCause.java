package org.jqemu.system.machine;

/** Why the machine stops or resets; the names are QEMU's (QMP SHUTDOWN/RESET "reason"). */
public enum ShutdownCause {
    HOST_ERROR("host-error"),
    HOST_QMP_QUIT("host-qmp-quit"),
    HOST_QMP_SYSTEM_RESET("host-qmp-system-reset"),
    HOST_SIGNAL("host-signal"),
    HOST_UI("host-ui"),
    GUEST_SHUTDOWN("guest-shutdown"),
    GUEST_RESET("guest-reset"),
    GUEST_PANIC("guest-panic");

    private final String qemuName;

    ShutdownCause(String qemuName) {
        this.qemuName = qemuName;
    }

    public String qemuName() {
        return qemuName;
    }

    public boolean fromGuest() {
        return this == GUEST_SHUTDOWN || this == GUEST_RESET || this == GUEST_PANIC;
    }
}
