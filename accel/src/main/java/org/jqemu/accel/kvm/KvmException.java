package org.jqemu.accel.kvm;

/**
 * A /dev/kvm call failed. The message names the call and the error as the C library words it
 * (e.g. "KVM_CREATE_VM: Cannot allocate memory"); {@link #errno()} keeps the number.
 */
public final class KvmException extends RuntimeException {
    private final int errno;

    public KvmException(String what, int errno) {
        super(what + ": " + LinuxNative.strerror(errno));
        this.errno = errno;
    }

    public KvmException(String message) {
        super(message);
        this.errno = 0;
    }

    public int errno() {
        return errno;
    }
}
