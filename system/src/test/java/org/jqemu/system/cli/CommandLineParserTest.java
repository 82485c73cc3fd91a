package org.jqemu.system.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jqemu.system.cli.CommandLine.Kind;
import org.jqemu.system.log.LogCategory;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.monitor.MonitorSpec;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CommandLineParserTest {
    private static MachineConfig config(String... args) throws ConfigException {
        CommandLine cl = CommandLineParser.parse(args);
        assertTrue(cl.runsVm(), "unexpected listing " + cl.info());
        return cl.config();
    }

    private static String error(String... args) {
        return assertThrows(ConfigException.class, () -> CommandLineParser.parse(args)).getMessage();
    }

    @Test
    void machineWithImpliedTypeAndAccelList() throws ConfigException {
        MachineConfig c = config("-machine", "pc,accel=kvm:tcg,flavour=x");
        assertEquals("pc", c.machineType);
        assertEquals(List.of("kvm", "tcg"), c.accels.stream().map(o -> o.asMap().get("accel")).toList());
        // accel= failures are reported without an option location, as QEMU does
        assertEquals("", c.accels.get(0).option());
        assertEquals(Map.of("flavour", "x"), c.machineOpts.asMap());
    }

    @Test
    void shortAndDoubleDashSpellings() throws ConfigException {
        MachineConfig c = config("-M", "type=q35", "--m", "64", "--nographic");
        assertEquals("q35", c.machineType);
        assertEquals(64L << 20, c.ramSize);
        assertTrue(c.nographic);
        assertTrue(c.displayNone, "-nographic implies -display none");
    }

    @Test
    void repeatedAccelKeepsOrderAndLocation() throws ConfigException {
        MachineConfig c = config("-accel", "kvm", "-accel", "accel=tcg");
        assertEquals(List.of("kvm", "tcg"), c.accels.stream().map(o -> o.asMap().get("accel")).toList());
        assertEquals("-accel kvm", c.accels.get(0).option());
    }

    @Test
    void accelAndMachineAccelAreIncompatible() {
        assertEquals("The -accel and \"-machine accel=\" options are incompatible",
                error("-machine", "accel=kvm", "-accel", "tcg"));
    }

    @Test
    void accelPropertiesAreNotIgnored() {
        assertEquals("-accel tcg,thread=single: Invalid parameter 'thread'", error("-accel", "tcg,thread=single"));
    }

    @Test
    void sizes() throws ConfigException {
        assertEquals(512L << 20, config("-m", "512").ramSize);
        assertEquals(1L << 30, config("-m", "1G").ramSize);
        assertEquals(1L << 30, config("-m", "1g").ramSize);
        assertEquals(2L << 30, config("-m", "size=2G").ramSize);
        assertEquals(1536L << 20, config("-m", "1.5G").ramSize);
        assertEquals(4096L, config("-m", "4K").ramSize);
        assertEquals(0x10L << 20, config("-m", "0x10").ramSize);
    }

    @ParameterizedTest
    @ValueSource(strings = {"12Q", "-5", "G", "abc", "0", "1.5.5M"})
    void badSizes(String size) {
        assertEquals("-m " + size + ": Invalid size", error("-m", size));
    }

    @Test
    void emptySize() {
        assertEquals("-m : missing 'size' option value", error("-m", ""));
    }

    @Test
    void memoryHotplugIsRefused() {
        assertTrue(error("-m", "1G,slots=2,maxmem=4G").endsWith("not supported yet"));
    }

    @Test
    void smp() throws ConfigException {
        assertEquals(2, config("-smp", "2").smp);
        assertEquals(3, config("-smp", "cpus=3").smp);
        assertEquals(4, config("-smp", "sockets=2,cores=2").smp);
        assertEquals(1, config().smp);
        assertTrue(config("-smp", "2").warnings.isEmpty());
        MachineConfig zero = config("-smp", "0");
        assertEquals(1, zero.smp, "0 means: compute it, as QEMU 7.2 does");
        assertEquals(List.of("Deprecated CPU topology (considered invalid): CPU topology parameters must be greater than zero"),
                zero.warnings);
        assertEquals(1, config("-smp", "2,sockets=0").warnings.size());
        assertEquals("-smp foo: Parameter 'smp.cpus' expects integer", error("-smp", "foo"));
        assertEquals("-smp 2,bogus=1: Invalid parameter 'bogus'", error("-smp", "2,bogus=1"));
        assertTrue(error("-smp", "2,maxcpus=4").endsWith("is not supported yet"));
        assertEquals("-smp 2,sockets=3: Invalid CPU topology: product of the hierarchy must match maxcpus: "
                + "sockets (3) * dies (1) * cores (1) * threads (1) != maxcpus (2)", error("-smp", "2,sockets=3"));
    }

    @Test
    void escapedCommasInValues() throws ConfigException {
        MachineConfig c = config("-device", "test-exit,message=a,,b,,,status=3", "-chardev", "file,id=f,path=/tmp/x,,y");
        Opts dev = c.devices.get(0);
        assertEquals("test-exit", dev.asMap().get("driver"));
        assertEquals("a,b,", dev.asMap().get("message"));
        assertEquals("3", dev.asMap().get("status"));
        assertEquals("/tmp/x,y", c.chardevs.get(0).asMap().get("path"));
        assertEquals("-device test-exit,message=a,,b,,,status=3", dev.option());
    }

    @Test
    void escapedCommaInImpliedValue() throws ConfigException {
        assertEquals("we,ird", config("-machine", "we,,ird").machineType);
    }

    @Test
    void bareKeysAreFlags() throws ConfigException {
        Opts o = config("-chardev", "socket,id=s,port=4,server,nowait").chardevs.get(0);
        assertEquals("on", o.asMap().get("server"));
        assertEquals("off", o.asMap().get("wait"));
    }

    @Test
    void simpleOptions() throws ConfigException {
        MachineConfig c = config("-kernel", "k.elf", "-initrd", "i.gz", "-append", "console=ttyS0 quiet",
                "-bios", "b.bin", "-cpu", "test-cpu,+x", "-S", "-no-reboot", "-no-shutdown", "-nodefaults",
                "-name", "guest=vm1,debug-threads=on", "-nic", "none", "-display", "none",
                "-serial", "stdio", "-serial", "file:out.txt", "-d", "guest_errors,unimp", "-D", "log.txt");
        assertEquals("k.elf", c.kernel);
        assertEquals("i.gz", c.initrd);
        assertEquals("console=ttyS0 quiet", c.append);
        assertEquals("b.bin", c.bios);
        assertEquals("test-cpu,+x", c.cpuModel);
        assertTrue(c.startPaused && c.noReboot && c.noShutdown && c.nodefaults && c.nicNone && c.displayNone);
        assertFalse(c.nographic);
        assertEquals("vm1", c.name);
        assertEquals(List.of("stdio", "file:out.txt"), c.serials);
        assertEquals(Set.of(LogCategory.GUEST_ERRORS, LogCategory.UNIMP), c.logCategories);
        assertEquals("log.txt", c.logFile);
    }

    @Test
    void enableKvmMeansAccelKvm() throws ConfigException {
        assertEquals("kvm", config("-enable-kvm").accels.get(0).asMap().get("accel"));
    }

    @Test
    void unknownOption() {
        assertEquals("-foo: invalid option", error("-foo"));
        assertEquals("--foo: invalid option", error("--foo"));
    }

    @Test
    void missingArgument() {
        assertEquals("-m: requires an argument", error("-m"));
        assertEquals("-device: requires an argument", error("-nographic", "-device"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"-icount", "-gdb", "-mem-path",
        "-virtfs", "-fsdev", "-boot", "-hda", "-cdrom", "-object", "-global"})
    void laterOptionsAreRefused(String option) {
        assertEquals(option + ": not supported yet", error(option, "x"));
    }

    @Test
    void monitors() throws ConfigException {
        MachineConfig c = CommandLineParser.parse("-qmp", "unix:/tmp/q.sock,server=on,wait=off",
                "-qmp-pretty", "tcp:localhost:4444,server,nowait", "-mon", "chardev=m0,mode=control,pretty=on").config();
        assertEquals(List.of(
                new MonitorSpec("-qmp unix:/tmp/q.sock,server=on,wait=off", null, "unix:/tmp/q.sock,server=on,wait=off",
                        MonitorSpec.Mode.CONTROL, false),
                new MonitorSpec("-qmp-pretty tcp:localhost:4444,server,nowait", null, "tcp:localhost:4444,server,nowait",
                        MonitorSpec.Mode.CONTROL, true),
                new MonitorSpec("-mon chardev=m0,mode=control,pretty=on", "m0", null, MonitorSpec.Mode.CONTROL, true)),
                c.monitors);
        assertFalse(c.defaultMonitor);
        assertEquals("-mon mode=control: Parameter 'chardev' is missing", error("-mon", "mode=control"));
        assertEquals("-mon m0,mode=x: Parameter 'mode' does not accept value 'x'", error("-mon", "m0,mode=x"));
    }

    @Test
    void chardevMonitorsGetCompatIds() throws ConfigException {
        MachineConfig c = CommandLineParser.parse("-monitor", "stdio", "-qmp", "tcp:localhost:1,server=on",
                "-qmp", "telnet::4444,server=on,wait=off", "-mon", "m1").config();
        assertEquals(List.of(
                new MonitorSpec("-monitor stdio", "compat_monitor0", "stdio", MonitorSpec.Mode.READLINE, false),
                new MonitorSpec("-qmp tcp:localhost:1,server=on", null, "tcp:localhost:1,server=on",
                        MonitorSpec.Mode.CONTROL, false),
                new MonitorSpec("-qmp telnet::4444,server=on,wait=off", "compat_monitor2",
                        "telnet::4444,server=on,wait=off", MonitorSpec.Mode.CONTROL, false),
                new MonitorSpec("-mon m1", "m1", null, MonitorSpec.Mode.READLINE, false)), c.monitors);
        MachineConfig none = CommandLineParser.parse("-monitor", "none").config();
        assertEquals(List.of(), none.monitors);
        assertFalse(none.defaultMonitor);
        assertTrue(CommandLineParser.parse("-nographic").config().defaultMonitor);
        assertFalse(CommandLineParser.parse("-nodefaults").config().defaultMonitor);
    }

    @ParameterizedTest
    @ValueSource(strings = {"-s", "-snapshot", "-full-screen", "-usb"})
    void laterFlagsAreRefused(String option) {
        assertEquals(option + ": not supported yet", error(option));
    }

    @Test
    void vgaDefaultsToStdExceptUnderNodefaults() throws Exception {
        assertEquals("std", config().vga);
        assertEquals("std", config("-nographic").vga, "QEMU keeps the VGA under -nographic");
        assertEquals("none", config("-nodefaults").vga);
        assertEquals("none", config("-device", "VGA").vga);
        assertEquals("std", config("-nographic", "-vga", "std").vga);
        assertEquals("127.0.0.1:3", config("-vnc", "127.0.0.1:3,password=on").vnc.asMap().get("vnc"));
        assertEquals("gl", config("-display", "gl").display.asMap().get("type"));
    }

    @Test
    void laterValuesOfKnownOptionsAreRefused() {
        assertEquals("-nic vde: netdev type 'vde' is not supported yet", error("-nic", "vde"));
        assertEquals("-display gtk: not supported yet", error("-display", "gtk"));
        assertEquals("-vga cirrus: not supported yet", error("-vga", "cirrus"));
        assertEquals("-vga bogus: unknown vga type: bogus (std, none)", error("-vga", "bogus"));
        assertEquals("-display frob: Parameter 'type' does not accept value 'frob'", error("-display", "frob"));
        assertEquals("-hda disk.img: not supported yet", error("disk.img"));
    }

    @Test
    void noneValuesAreAccepted() throws ConfigException {
        config("-vga", "none", "-monitor", "none", "-parallel", "none", "-net", "none");
    }

    @Test
    void logItems() {
        assertEquals("-d int,foo: unknown log item 'foo' (-d help lists them)", error("-d", "int,foo"));
        assertTrue(error("-d", "trace:*").endsWith("not supported yet"));
    }

    @Test
    void helpRequests() throws ConfigException {
        assertEquals(Kind.MACHINES, CommandLineParser.parse("-machine", "help").info().kind());
        assertEquals(Kind.MACHINES, CommandLineParser.parse("-M", "type=help").info().kind());
        assertEquals(Kind.ACCELERATORS, CommandLineParser.parse("-accel", "help").info().kind());
        assertEquals(Kind.CPUS, CommandLineParser.parse("-cpu", "help").info().kind());
        assertEquals(Kind.DEVICES, CommandLineParser.parse("-device", "help").info().kind());
        CommandLine.Info props = CommandLineParser.parse("-device", "isa-serial,help").info();
        assertEquals(Kind.DEVICE_PROPERTIES, props.kind());
        assertEquals("isa-serial", props.argument());
        assertEquals(Kind.CHARDEVS, CommandLineParser.parse("-chardev", "help").info().kind());
        assertEquals(Kind.LOG_ITEMS, CommandLineParser.parse("-d", "help").info().kind());
        assertEquals(Kind.DISPLAYS, CommandLineParser.parse("-display", "help").info().kind());
        assertEquals(Kind.USAGE, CommandLineParser.parse("-h").info().kind());
        assertEquals(Kind.USAGE, CommandLineParser.parse("--help").info().kind());
        assertEquals(Kind.VERSION, CommandLineParser.parse("-version").info().kind());
    }

    @Test
    void versionStopsParsingLikeQemu() throws ConfigException {
        // QEMU prints the version as soon as it meets -version; later garbage is not looked at.
        assertEquals(Kind.VERSION, CommandLineParser.parse("-version", "-foo").info().kind());
        assertEquals("-foo: invalid option", error("-foo", "-version"));
    }

    @Test
    void deviceNeedsDriver() {
        assertEquals("-device id=x: Parameter 'driver' is missing", error("-device", "id=x"));
    }

    @Test
    void defaults() throws ConfigException {
        MachineConfig c = config();
        assertNull(c.machineType);
        assertEquals(0, c.ramSize);
        assertTrue(c.accels.isEmpty());
        assertTrue(c.serials.isEmpty());
    }
}
