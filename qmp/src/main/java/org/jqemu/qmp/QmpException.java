package org.jqemu.qmp;

/** A QMP error reply: QEMU's error class ("GenericError", "CommandNotFound", ...) and message. */
public final class QmpException extends Exception {
    private final String errorClass;

    public QmpException(String errorClass, String desc) {
        super(desc, null, false, false);
        this.errorClass = errorClass;
    }

    public static QmpException generic(String desc) {
        return new QmpException("GenericError", desc);
    }

    public String errorClass() {
        return errorClass;
    }
}
