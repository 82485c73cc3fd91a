package org.jqemu.system.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jqemu.system.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The whole jqemu flow in-process, against the test board and devices in META-INF/services. */
@Timeout(20)
class MainTest {
    record Result(int status, String out, String err) {}

    static Result run(String... args) {
        return run(InputStream.nullInputStream(), args);
    }

    static Result run(InputStream in, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(args, in, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static void assertUserError(Result r, String line) {
        assertEquals(1, r.status(), r.toString());
        assertEquals(line + "\n", r.err());
    }

    // ---- listings -------------------------------------------------------------------------

    @Test
    void version() {
        Result r = run("-version");
        assertEquals(0, r.status());
        assertTrue(r.out().startsWith("jqemu emulator version 0.1.0\n"), r.out());
        assertEquals(2, r.out().lines().count());
    }

    @Test
    void usageNamesEverySupportedOption() {
        Result r = run("-h");
        assertEquals(0, r.status());
        for (String opt : new String[] {"-machine", "-accel", "-cpu", "-m ", "-smp", "-kernel", "-initrd", "-append",
            "-bios", "-device", "-chardev", "-serial", "-nographic", "-display none", "-nic none", "-nodefaults",
            "-S ", "-no-reboot", "-no-shutdown", "-name", "-d ", "-D ", "-version", "-enable-kvm"}) {
            assertTrue(r.out().contains("\n" + opt), "usage lacks " + opt);
        }
    }

    @Test
    void machineHelp() {
        Result r = run("-machine", "help");
        assertEquals(0, r.status());
        assertEquals("""
                Supported machines are:
                other-board          Another empty board
                tb                   Empty board for tests (alias of test-board)
                test-board           Empty board for tests (default)
                """, r.out());
    }

    @Test
    void accelHelp() {
        Result r = run("-accel", "help");
        assertEquals("Accelerators supported in jqemu binary:\ntcg\nkvm\n", r.out());
    }

    @Test
    void cpuHelpListsTheMachinesModels() {
        assertEquals("Available CPUs:\n  test-cpu\n  other-cpu\n", run("-cpu", "help").out());
        Result unknown = run("-M", "nope", "-cpu", "help");
        assertEquals(1, unknown.status());
    }

    @Test
    void deviceHelpGroupsByCategory() {
        Result r = run("-device", "help");
        assertEquals(0, r.status());
        assertEquals("""
                Misc devices:
                name "test-exit", bus ISA, desc "Exits at start"

                Uncategorized devices:
                name "test-echo"
                """, r.out());
    }

    @Test
    void devicePropertyHelp() {
        Result r = run("-device", "test-exit,help");
        assertEquals(0, r.status());
        assertEquals("""
                test-exit options:
                  chardev=<str>          - ID of a chardev to use as a backend
                  guest-error=<str>      - logged under -d guest_errors at start
                  message=<str>
                  status=<uint32>        - exit status (default: 0)
                """, r.out());
        assertEquals("There are no options for test-echo.\n", run("-device", "test-echo,help").out());
        assertUserError(run("-device", "foo,help"), "jqemu: -device foo,help: 'foo' is not a valid device model name");
    }

    @Test
    void chardevAndLogAndDisplayHelp() {
        assertEquals("Available chardev backend types: \n  null\n  file\n  stdio\n  socket\n  mux\n",
                run("-chardev", "help").out());
        String log = run("-d", "help").out();
        assertTrue(log.startsWith("Log items (comma separated):\n"));
        assertTrue(log.contains("\nguest_errors    log when the guest OS does something invalid"));
        assertEquals("Available display backend types:\nnone\ngl\n", run("-display", "help").out());
    }

    // ---- user errors: one line, status 1 --------------------------------------------------

    @Test
    void parseErrors() {
        assertUserError(run("-foo"), "jqemu: -foo: invalid option");
        assertUserError(run("-m", "12Q"), "jqemu: -m 12Q: Invalid size");
        assertUserError(run("-m"), "jqemu: -m: requires an argument");
        assertUserError(run("-drive", "file=x.img"),
                "jqemu: -drive file=x.img: if=ide is not supported yet (if=virtio works; QEMU's default here is ide)");
        assertUserError(run("-smp", "x"), "jqemu: -smp x: Parameter 'smp.cpus' expects integer");
    }

    @Test
    void unknownMachine() {
        Result r = run("-machine", "foo");
        assertEquals(1, r.status());
        assertEquals("jqemu: -machine foo: unsupported machine type\nUse -machine help to list supported machines\n",
                r.err());
    }

    @Test
    void unknownMachineProperty() {
        assertUserError(run("-machine", "test-board,colour=red", "-nodefaults"),
                "jqemu: -machine test-board,colour=red: Invalid parameter 'colour'");
    }

    @Test
    void unknownDevice() {
        assertUserError(run("-nodefaults", "-device", "foo"), "jqemu: -device foo: 'foo' is not a valid device model name");
        assertUserError(run("-nodefaults", "-device", "test-hidden"),
                "jqemu: -device test-hidden: Parameter 'driver' expects a pluggable device type");
        assertUserError(run("-nodefaults", "-device", "test-exit,bogus=1"),
                "jqemu: -device test-exit,bogus=1: Invalid parameter 'bogus'");
    }

    @Test
    void cpuModelAndCount() {
        assertUserError(run("-cpu", "pentium"), "jqemu: unable to find CPU model 'pentium'");
        assertUserError(run("-smp", "3"),
                "jqemu: Invalid SMP CPUs 3. The max CPUs supported by machine 'test-board' is 2 (more are not supported yet)");
    }

    @Test
    void chardevErrors() {
        assertUserError(run("-chardev", "null"), "jqemu: -chardev null: chardev: no id specified");
        assertUserError(run("-chardev", "foo,id=x"), "jqemu: -chardev foo,id=x: 'foo' is not a valid char driver name");
        assertUserError(run("-chardev", "null,id=a", "-chardev", "null,id=a"),
                "jqemu: -chardev null,id=a: Duplicate ID 'a' for chardev");
        assertUserError(run("-chardev", "file,id=f"), "jqemu: -chardev file,id=f: chardev: file: no filename given");
        assertUserError(run("-chardev", "file,id=f,path=/nonexistent/dir/x"),
                "jqemu: -chardev file,id=f,path=/nonexistent/dir/x: Could not open '/nonexistent/dir/x': No such file or directory");
        assertUserError(run("-chardev", "null,id=a,colour=red"), "jqemu: -chardev null,id=a,colour=red: Invalid parameter 'colour'");
        assertUserError(run("-serial", "foo:bar"), "jqemu: -serial foo:bar: 'foo:bar' is not a valid char driver");
        assertUserError(run("-serial", "stdio", "-serial", "stdio"),
                "jqemu: -serial stdio: cannot use stdio by multiple character devices");
        assertUserError(run("-serial", "vc"), "jqemu: -serial vc: not supported yet");
    }

    // ---- accelerators (the fakes behave like the real tcg and a kvm without /dev/kvm) ------

    @Test
    void accelKvmAloneFails() {
        Result r = run("-accel", "kvm", "-nodefaults");
        assertEquals(1, r.status());
        assertEquals("Could not access KVM kernel module: No such file or directory\n"
                + "jqemu: -accel kvm: failed to initialize kvm: No such file or directory\n", r.err());
    }

    @Test
    void machineAccelKvmFailsWithoutLocation() {
        Result r = run("-machine", "accel=kvm", "-nodefaults");
        assertEquals(1, r.status());
        assertEquals("Could not access KVM kernel module: No such file or directory\n"
                + "jqemu: failed to initialize kvm: No such file or directory\n", r.err());
    }

    @Test
    void fallbackFromKvmToTcg() {
        Result r = run("-accel", "kvm", "-accel", "tcg", "-nodefaults", "-device", "test-exit,status=5");
        assertEquals(5, r.status(), r.toString());
        assertEquals("Could not access KVM kernel module: No such file or directory\n"
                + "jqemu: -accel kvm: failed to initialize kvm: No such file or directory\n"
                + "jqemu: falling back to tcg\n", r.err());

        r = run("-machine", "accel=kvm:tcg", "-nodefaults", "-device", "test-exit,status=6");
        assertEquals(6, r.status(), r.toString());
        assertEquals("Could not access KVM kernel module: No such file or directory\n"
                + "jqemu: failed to initialize kvm: No such file or directory\n"
                + "jqemu: falling back to tcg\n", r.err());
    }

    @Test
    void invalidAccelerator() {
        assertUserError(run("-accel", "foo", "-nodefaults"), "jqemu: -accel foo: invalid accelerator foo");
        Result r = run("-accel", "foo", "-accel", "tcg", "-nodefaults", "-device", "test-exit");
        assertEquals(0, r.status());
        assertEquals("jqemu: -accel foo: invalid accelerator foo\njqemu: falling back to tcg\n", r.err());
    }

    // ---- running ---------------------------------------------------------------------------

    @Test
    void exitStatusComesFromTheMachine() {
        Result r = run("-device", "test-exit,status=3", "-m", "64");
        assertEquals(3, r.status(), r.toString());
        assertEquals("", r.err());
    }

    @Test
    void devicesAreCreatedInCommandLineOrder() {
        // The first device to reset wins: its exit request comes first on the main loop.
        assertEquals(7, run("-device", "test-exit,status=7", "-device", "test-exit,status=8").status());
        assertEquals(8, run("-device", "test-exit,status=8", "-device", "test-exit,status=7").status());
    }

    @Test
    void serialToFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("serial.txt");
        Result r = run("-serial", "file:" + f, "-device", "test-exit,chardev=serial0,message=hello");
        assertEquals(0, r.status(), r.toString());
        assertEquals("hello", Files.readString(f));
    }

    @Test
    void serialViaChardevId(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("c.txt");
        Result r = run("-chardev", "file,id=log,path=" + f, "-serial", "chardev:log",
                "-device", "test-exit,chardev=serial0,message=via-alias");
        assertEquals(0, r.status(), r.toString());
        assertEquals("via-alias", Files.readString(f));
    }

    @Test
    void secondSerialIsSerial1(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("s1.txt");
        Result r = run("-serial", "none", "-serial", "null", "-serial", "file:" + f,
                "-device", "test-exit,chardev=serial1,message=second");
        assertEquals(0, r.status(), r.toString());
        assertEquals("second", Files.readString(f));
    }

    @Test
    void defaultSerialIsNullUnlessNodefaults() {
        assertEquals(0, run("-device", "test-exit,chardev=serial0").status());
        assertUserError(run("-nodefaults", "-device", "test-exit,chardev=serial0"),
                "jqemu: -device test-exit,chardev=serial0: Property 'test-exit.chardev' can't find value 'serial0'");
    }

    @Test
    void stdioSerialWritesToOut() {
        Result r = run("-serial", "stdio", "-device", "test-exit,chardev=serial0,message=to-stdout");
        assertEquals(0, r.status(), r.toString());
        assertEquals("to-stdout", r.out());
    }

    @Test
    void nographicPutsSerial0OnTheTerminalWithEscapes() {
        // The echo device answers each key; Ctrl-A h prints help; Ctrl-A x ends jqemu with status 0.
        byte[] keys = "ab\u0001\u0001\u0001h\u0001x".getBytes(StandardCharsets.US_ASCII);
        Result r = run(new SlowInput(keys), "-nographic", "-device", "test-echo,chardev=serial0");
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.out().startsWith("<a<b<\u0001"), r.out());
        assertTrue(r.out().contains("C-a h    print this help\n\r"), r.out());
        assertTrue(r.out().endsWith("jqemu: terminated\n\r"), r.out());
    }

    @Test
    void monStdioIsMultiplexed() {
        byte[] keys = "\u0001cz\u0001x".getBytes(StandardCharsets.US_ASCII);
        Result r = run(new SlowInput(keys), "-serial", "mon:stdio", "-device", "test-echo,chardev=serial0");
        assertEquals(0, r.status(), r.toString());
        // no monitor module on this class path: the mux says so
        assertTrue(r.out().contains("no monitor shares this terminal"), r.out());
        assertTrue(r.out().contains("<z"), r.out());
    }

    /** Input that arrives a little after start, as typed keys do; then end of file. */
    static final class SlowInput extends InputStream {
        private final byte[] data;
        private int pos;

        SlowInput(byte[] data) {
            this.data = data;
        }

        @Override
        public int read() {
            byte[] b = new byte[1];
            return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (pos >= data.length) {
                try {
                    Thread.sleep(60_000); // a terminal with nobody typing
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return -1;
            }
            try {
                Thread.sleep(pos == 0 ? 200 : 5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            b[off] = data[pos++];
            return 1;
        }
    }
}
