package org.jqemu.system.accel;

/**
 * An accelerator cannot run on this host. As QEMU does, the caller prints {@link #preface()} (if
 * any) as a bare line, then "jqemu: -accel NAME: MESSAGE" (or without the option part when the
 * accelerator came from -machine accel=).
 */
public final class AcceleratorException extends Exception {
    private final String preface;

    public AcceleratorException(String preface, String message) {
        super(message);
        this.preface = preface;
    }

    public AcceleratorException(String message) {
        this(null, message);
    }

    /** A line printed before the error proper, e.g. "Could not access KVM kernel module: ...". */
    public String preface() {
        return preface;
    }
}
