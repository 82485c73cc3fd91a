package org.jqemu.hw.chr;

import java.util.List;
import org.jqemu.hw.isa.IsaBus;
import org.jqemu.system.chardev.Chardev;
import org.jqemu.system.device.Device;
import org.jqemu.system.device.DeviceType;
import org.jqemu.system.device.PropertyInfo;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;

/**
 * {@code -device isa-serial[,index=N][,iobase=P][,irq=I][,chardev=ID]}: a 16550A on the ISA bus.
 * The index (0-3, COM1-COM4) picks the PC's standard port and IRQ unless they are given; without
 * it the first COM port whose I/O range is still free is taken.
 */
public final class IsaSerialType implements DeviceType {
    public static final String NAME = "isa-serial";
    /** The PC's COM1-COM4. */
    public static final int[] IOBASE = {0x3f8, 0x2f8, 0x3e8, 0x2e8};
    public static final int[] IRQ = {4, 3, 4, 3};

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String bus() {
        return "isa";
    }

    @Override
    public String category() {
        return "Input devices";
    }

    @Override
    public String description() {
        return "16550A UART on the ISA bus (COM1-COM4)";
    }

    @Override
    public List<PropertyInfo> properties() {
        return List.of(
                new PropertyInfo("index", "uint32", "4294967295", "COM port number 0-3 (default: the first free one)"),
                new PropertyInfo("iobase", "uint32", "4294967295", "first of 8 I/O ports (default: from index)"),
                new PropertyInfo("irq", "uint32", "4294967295", "ISA IRQ line (default: from index)"),
                new PropertyInfo("chardev", "str", null, "ID of a chardev to use as a backend"));
    }

    @Override
    public Device create(Machine machine, Opts opts) throws ConfigException {
        IsaBus bus = IsaBus.of(machine, NAME);
        long index = opts.getNumber("index", -1);
        if (index == 0xffffffffL) {
            index = -1;
        }
        if (index < -1 || index >= IOBASE.length) {
            throw new ConfigException("Max. supported number of ISA serial ports is " + IOBASE.length + ".");
        }
        if (index < 0) {
            index = firstFreeIndex(bus);
        }
        long iobase = IsaBus.number(opts, NAME, "iobase", IOBASE[(int) index], 0, 0xfff8);
        long irq = IsaBus.number(opts, NAME, "irq", IRQ[(int) index], 0, IsaBus.IRQ_COUNT - 1);
        Chardev chardev = IsaBus.chardev(machine, opts, NAME);
        String id = IsaBus.deviceId(opts, NAME, iobase);
        opts.checkAllUsed();
        return create(machine, bus, id, (int) iobase, (int) irq, chardev);
    }

    private static int firstFreeIndex(IsaBus bus) {
        for (int i = 0; i < IOBASE.length; i++) {
            if (!bus.portInUse(IOBASE[i])) {
                return i;
            }
        }
        return 0; // all taken: mapping will report the clash
    }

    /** Creates and maps a UART; the board uses this for the COM ports of -serial. */
    public static Serial16550 create(Machine machine, IsaBus bus, String id, int iobase, int irq, Chardev chardev)
            throws ConfigException {
        Serial16550 uart = new Serial16550(machine, id, bus.irq(irq), chardev);
        bus.mapPorts(id, iobase, 8, uart.ports());
        machine.addDevice(uart);
        return uart;
    }
}
