package org.jqemu.accel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.jqemu.system.Main;
import org.jqemu.system.accel.Accelerator;
import org.jqemu.system.cli.AcceleratorSelector;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.options.Opts;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The real tcg and kvm accelerators through jqemu's selection, on a host without /dev/kvm. */
class AcceleratorSelectionTest {
    private static final String NO_KVM = "Could not access KVM kernel module: No such file or directory\n";

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);

    @BeforeEach
    void hostHasNoKvm() {
        assumeFalse(Files.exists(Path.of("/dev/kvm")), "these expectations are for hosts without /dev/kvm");
    }

    private static List<Accelerator> available() {
        return ServiceLoader.load(Accelerator.class).stream().map(ServiceLoader.Provider::get).toList();
    }

    private String select(Opts... requests) {
        try (Machine m = new Machine(new MachineConfig())) {
            Accelerator a = AcceleratorSelector.select(m, List.of(requests), available(), errStream);
            return a == null ? null : a.name();
        }
    }

    private static Opts accel(String option, String name) {
        return new Opts(option, Map.of("accel", name));
    }

    @Test
    void bothAreFound() {
        assertEquals(List.of("tcg", "kvm"), available().stream().map(Accelerator::name).toList());
    }

    @Test
    void kvmAloneFailsWithQemusWordsAndStatus1() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status = Main.run(new String[] {"-accel", "kvm", "-nodefaults"}, new PrintStream(out), errStream);
        assertEquals(1, status);
        assertEquals(NO_KVM + "jqemu: -accel kvm: failed to initialize kvm: No such file or directory\n",
                err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void machineAccelKvmFailsWithoutLocation() {
        int status = Main.run(new String[] {"-machine", "accel=kvm", "-nodefaults"}, new PrintStream(
                new ByteArrayOutputStream()), errStream);
        assertEquals(1, status);
        assertEquals(NO_KVM + "jqemu: failed to initialize kvm: No such file or directory\n",
                err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void accelKvmThenTcgFallsBack() {
        assertEquals("tcg", select(accel("-accel kvm", "kvm"), accel("-accel tcg", "tcg")));
        assertEquals(NO_KVM + "jqemu: -accel kvm: failed to initialize kvm: No such file or directory\n"
                + "jqemu: falling back to tcg\n", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void machineAccelKvmColonTcgFallsBack() {
        assertEquals("tcg", select(accel("", "kvm"), accel("", "tcg")));
        assertEquals(NO_KVM + "jqemu: failed to initialize kvm: No such file or directory\n"
                + "jqemu: falling back to tcg\n", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void tcgIsTheDefault() {
        assertEquals("tcg", select());
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }
}
