package org.jqemu.hw.pc;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.AliasRegion;
import org.jqemu.system.memory.RamRegion;
import org.jqemu.system.options.ConfigException;

/**
 * The PC's BIOS ROM, mapped as QEMU's i440FX board maps a {@code -bios} image: the whole image as
 * read-only memory ending at 4 GiB (where the reset vector 0xFFFFFFF0 lands), and its last
 * min(size, 128 KiB) also visible just below 1 MiB (the "isa-bios" window 0xE0000-0xFFFFF for a
 * 128 KiB or larger image), above RAM. The image must be a non-empty multiple of 64 KiB.
 */
public final class PcSystemFirmware {
    /** Debian's SeaBIOS build for QEMU, used when neither -bios nor -kernel is given. */
    public static final Path DEFAULT_BIOS = Path.of("/usr/share/seabios/bios-256k.bin");
    static final long ISA_BIOS_MAX = 128 << 10;
    static final long MAX_BIOS_SIZE = 16 << 20;

    private PcSystemFirmware() {}

    /**
     * Maps {@code file}; {@code name} is how the user named it, for the error message.
     *
     * @return the BIOS ROM region
     */
    public static RamRegion map(Machine machine, Path file, String name) throws ConfigException {
        byte[] image;
        try {
            image = Files.readAllBytes(file);
        } catch (IOException | RuntimeException e) {
            throw new ConfigException("could not load PC BIOS '" + name + "'");
        }
        long size = image.length;
        if (size == 0 || size % 65536 != 0 || size > MAX_BIOS_SIZE) {
            throw new ConfigException("could not load PC BIOS '" + name + "'");
        }
        RamRegion bios = RamRegion.allocate(machine.arena(), "pc.bios", size, true);
        MemorySegment.copy(image, 0, bios.segment(), ValueLayout.JAVA_BYTE, 0, image.length);
        machine.memory().root().add((1L << 32) - size, bios);
        long isaSize = Math.min(size, ISA_BIOS_MAX);
        AliasRegion isaBios = new AliasRegion("isa-bios", bios, size - isaSize, isaSize);
        machine.memory().root().add(0x100000 - isaSize, isaBios, 1);
        return bios;
    }
}
