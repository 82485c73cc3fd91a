package org.jqemu.hw.misc;

import static org.jqemu.hw.TestMachines.in8;
import static org.jqemu.hw.TestMachines.out8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.jqemu.hw.TestMachines;
import org.jqemu.hw.TestMachines.TestChardev;
import org.jqemu.hw.isa.IsaBus;
import org.jqemu.system.device.DeviceType;
import org.jqemu.system.device.PropertyInfo;
import org.jqemu.system.irq.IrqLine;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class IsaDeviceTypesTest {
    private Machine m;
    private Map<String, DeviceType> types;

    @BeforeEach
    void setUp() {
        m = TestMachines.newMachine();
        IrqLine[] irqs = new IrqLine[16];
        java.util.Arrays.fill(irqs, IrqLine.NONE);
        m.putComponent(IsaBus.class, new IsaBus(m, irqs));
        types = ServiceLoader.load(DeviceType.class).stream().map(ServiceLoader.Provider::get)
                .collect(Collectors.toMap(DeviceType::name, t -> t));
    }

    @AfterEach
    void tearDown() {
        m.close();
    }

    private void create(String text) throws ConfigException {
        Opts o = Opts.parse("-device", text, "driver");
        types.get(o.asMap().get("driver")).create(m, o);
    }

    private String error(String text) {
        return assertThrows(ConfigException.class, () -> create(text)).getMessage();
    }

    @Test
    void typesAreRegisteredWithProperties() {
        for (String name : new String[] {"isa-serial", "isa-debug-exit", "isa-debugcon"}) {
            DeviceType t = types.get(name);
            assertEquals("isa", t.bus(), name);
        }
        assertEquals("iobase,iosize", types.get("isa-debug-exit").properties().stream()
                .map(PropertyInfo::name).collect(Collectors.joining(",")));
        assertEquals("index,iobase,irq,chardev", types.get("isa-serial").properties().stream()
                .map(PropertyInfo::name).collect(Collectors.joining(",")));
    }

    @Test
    void debugExitEndsWithOddStatus() throws Exception {
        create("isa-debug-exit,iobase=0xf4,iosize=0x04");
        out8(m, 0xf4, 0x10);
        assertEquals((0x10 << 1) | 1, m.awaitExit());
    }

    @Test
    void debugExitWordWrite() throws Exception {
        create("isa-debug-exit");
        m.lock();
        try {
            m.io().write16(0x501, 0x0001);
        } finally {
            m.unlock();
        }
        assertEquals(3, m.awaitExit());
    }

    @Test
    void debugconWritesToChardevAndReadsBack() throws Exception {
        TestChardev chr = new TestChardev("dbg");
        m.addChardev(chr);
        create("isa-debugcon,chardev=dbg");
        out8(m, 0xe9, 'o');
        out8(m, 0xe9, 'k');
        assertEquals("ok", chr.output.toString());
        assertEquals(0xe9, in8(m, 0xe9));
        assertEquals("Can't create debugcon device, empty char device", error("isa-debugcon,iobase=0x402"));
    }

    @Test
    void serialPicksFirstFreeComPort() throws Exception {
        TestChardev a = new TestChardev("a");
        TestChardev b = new TestChardev("b");
        m.addChardev(a);
        m.addChardev(b);
        create("isa-serial,chardev=a");
        create("isa-serial,chardev=b,id=com2");
        out8(m, 0x3f8, '1');
        out8(m, 0x2f8, '2');
        assertEquals("1", a.output.toString());
        assertEquals("2", b.output.toString());
        assertEquals("dup: I/O port 0x3f8 is already in use by isa-serial@0x3f8", error("isa-serial,index=0,id=dup"));
    }

    @Test
    void badPropertiesAreOneLineErrors() {
        assertEquals("-device: Invalid parameter 'foo'", error("isa-debug-exit,foo=1"));
        assertEquals("-device: Parameter 'iobase' expects a number, got 'zz'", error("isa-debug-exit,iobase=zz"));
        assertEquals("Property 'isa-debug-exit.iobase' doesn't take value '0x10000' (minimum 0, maximum 65535)",
                error("isa-debug-exit,iobase=0x10000"));
        assertEquals("Property 'isa-serial.chardev' can't find value 'nope'", error("isa-serial,chardev=nope"));
        assertEquals("Max. supported number of ISA serial ports is 4.", error("isa-serial,index=4"));
        assertEquals("Property 'isa-serial.irq' doesn't take value '16' (minimum 0, maximum 15)",
                error("isa-serial,irq=16"));
    }

    @Test
    void noIsaBusNoIsaDevice() throws Exception {
        try (Machine bare = TestMachines.newMachine()) {
            Opts o = Opts.parse("-device", "isa-debug-exit", "driver");
            ConfigException e = assertThrows(ConfigException.class, () -> types.get("isa-debug-exit").create(bare, o));
            assertEquals("No 'ISA' bus found for device 'isa-debug-exit'", e.getMessage());
        }
    }
}
