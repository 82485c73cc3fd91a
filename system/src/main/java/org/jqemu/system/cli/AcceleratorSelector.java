package org.jqemu.system.cli;

import java.io.PrintStream;
import java.util.List;
import org.jqemu.system.accel.Accelerator;
import org.jqemu.system.accel.AcceleratorException;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.options.Opts;

/**
 * Tries the requested accelerators in order, as QEMU's configure_accelerators does: each failure
 * is reported; if a later one works, "falling back to NAME" follows; if none works, jqemu exits.
 * Reports carry the "-accel ...:" location only when the request came from -accel.
 */
public final class AcceleratorSelector {
    private AcceleratorSelector() {}

    /** Returns the accelerator now initialised for {@code machine}, or null after printing why not. */
    public static Accelerator select(Machine machine, List<Opts> requests, List<Accelerator> available,
            PrintStream err) {
        List<Opts> tries = requests.isEmpty() ? List.of(new Opts("", java.util.Map.of("accel", "tcg"))) : requests;
        boolean failed = false;
        for (Opts request : tries) {
            String name = request.asMap().get("accel");
            String where = request.option().isEmpty() ? "" : request.option() + ": ";
            Accelerator accel = available.stream().filter(a -> a.name().equals(name)).findFirst().orElse(null);
            if (accel == null) {
                err.println("jqemu: " + where + "invalid accelerator " + name);
                failed = true;
                continue;
            }
            try {
                accel.init(machine);
            } catch (AcceleratorException e) {
                if (e.preface() != null) {
                    err.println(e.preface());
                }
                err.println("jqemu: " + where + e.getMessage());
                failed = true;
                continue;
            }
            if (failed) {
                err.println("jqemu: falling back to " + accel.name());
            }
            return accel;
        }
        if (!failed) {
            err.println("jqemu: no accelerator found");
        }
        return null;
    }
}
