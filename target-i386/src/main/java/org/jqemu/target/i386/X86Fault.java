package org.jqemu.target.i386;

/**
 * A guest exception raised in the middle of an instruction (#GP, #PF, ...). One instance per CPU
 * is preallocated and rethrown, without a stack trace, so raising a guest fault costs no
 * allocation; the execute loop catches it, rewinds to the faulting instruction and hands the
 * recorded vector and error code to {@link InterruptUnit#deliver}.
 */
public final class X86Fault extends RuntimeException {
    /** The exception vector (0..31). */
    public int vector;
    /** The error code to push, or -1 when the exception has none. */
    public int errorCode;

    X86Fault() {
        super(null, null, false, false);
    }

    @Override
    public String getMessage() {
        return "x86 exception " + vector + (errorCode >= 0 ? " error " + Integer.toHexString(errorCode) : "");
    }
}
