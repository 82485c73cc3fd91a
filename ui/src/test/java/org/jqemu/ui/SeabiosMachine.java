package org.jqemu.ui;

import java.nio.file.Files;
import java.nio.file.Path;
import org.jqemu.accel.tcg.TcgAccelerator;
import org.jqemu.hw.display.VgaPci;
import org.jqemu.hw.pc.PcMachine;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.ui.Consoles;
import org.jqemu.system.ui.DisplaySurface;
import org.jqemu.system.ui.GraphicConsole;

/** A pc machine in this JVM that runs Debian's SeaBIOS with the stdvga VGA BIOS until it has no disk to boot. */
public final class SeabiosMachine implements AutoCloseable {
    public static final Path BIOS = Path.of("/usr/share/seabios/bios-256k.bin");
    public static final Path VGA_BIOS = Path.of("/usr/share/seabios/vgabios-stdvga.bin");

    public final Machine machine;

    public SeabiosMachine(MachineConfig c) throws Exception {
        c.ramSize = 128L << 20;
        c.vga = "std";
        machine = new Machine(c);
        TcgAccelerator tcg = new TcgAccelerator();
        tcg.init(machine);
        machine.setAccelerator(tcg);
        new PcMachine().build(machine);
    }

    public static boolean available() {
        return Files.isReadable(BIOS) && Files.isReadable(VGA_BIOS);
    }

    public GraphicConsole console() {
        return Consoles.of(machine).graphic();
    }

    public String text() {
        return ((VgaPci) machine.devices().stream().filter(d -> d instanceof VgaPci).findFirst().orElseThrow())
                .vga().textScreen();
    }

    /** Starts the machine and waits until SeaBIOS says it found nothing to boot. */
    public void bootToNoDisk() throws InterruptedException {
        machine.start();
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (System.nanoTime() < deadline && !text().contains("Booting from Hard Disk")) {
            Thread.sleep(200);
        }
        if (!text().contains("Booting from Hard Disk")) {
            throw new AssertionError("SeaBIOS did not reach the boot attempt:\n" + text());
        }
        Thread.sleep(500);
    }

    /** The current picture, refreshed: {width, height} and pixels. */
    public int[] pixels(int[] size) {
        GraphicConsole g = console();
        g.refresh();
        DisplaySurface s = g.surface();
        synchronized (s) {
            size[0] = s.width();
            size[1] = s.height();
            return s.snapshot();
        }
    }

    @Override
    public void close() {
        machine.exit(0);
        machine.close();
    }
}
