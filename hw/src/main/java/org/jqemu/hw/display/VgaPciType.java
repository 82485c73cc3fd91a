package org.jqemu.hw.display;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jqemu.hw.pci.PciBus;
import org.jqemu.system.device.Device;
import org.jqemu.system.device.DeviceType;
import org.jqemu.system.device.PropertyInfo;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;

/** {@code -device VGA[,romfile=PATH][,addr=SLOT[.FN]][,id=NAME]}; {@code -vga std} adds one. */
public final class VgaPciType implements DeviceType {
    public static final String NAME = "VGA";
    /** Debian's seabios package: SeaVGABIOS built for QEMU's stdvga. */
    public static final Path DEFAULT_ROM = Path.of("/usr/share/seabios/vgabios-stdvga.bin");

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String bus() {
        return "PCI";
    }

    @Override
    public String category() {
        return "Display devices";
    }

    @Override
    public String description() {
        return "standard VGA with Bochs VBE extensions";
    }

    @Override
    public List<PropertyInfo> properties() {
        return List.of(
                new PropertyInfo("romfile", "str", DEFAULT_ROM.getFileName().toString(), "the VGA BIOS image"),
                new PropertyInfo("addr", "int32", "-1", "slot and function number, as SLOT[.FN]"));
    }

    @Override
    public Device create(Machine machine, Opts opts) throws ConfigException {
        PciBus bus = PciBus.of(machine, NAME);
        String romfile = opts.getString("romfile", null);
        int devfn = PciBus.parseAddr(opts, NAME);
        String id = opts.getString("id", "vga");
        opts.checkAllUsed();
        byte[] rom = null;
        if (romfile != null && !romfile.isEmpty()) {
            Path p = Path.of(romfile);
            if (!p.isAbsolute() && !Files.exists(p)) {
                p = DEFAULT_ROM.resolveSibling(romfile);
            }
            try {
                rom = Files.readAllBytes(p);
            } catch (IOException e) {
                throw new ConfigException(opts.option() + ": failed to find romfile \"" + romfile + "\"");
            }
        } else if (romfile == null && Files.isReadable(DEFAULT_ROM)) {
            try {
                rom = Files.readAllBytes(DEFAULT_ROM);
            } catch (IOException e) {
                rom = null; // no VGA BIOS: the card still works, the BIOS screen stays empty
            }
        }
        VgaPci vga = new VgaPci(machine, id, bus, devfn, rom);
        machine.addDevice(vga);
        return vga;
    }
}
