package org.jqemu.ui;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.Map;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.options.Opts;
import org.jqemu.system.ui.ScreenDump;
import org.jqemu.ui.gl.GlConsole;

/**
 * SeaBIOS in the GL window (needs DISPLAY). Prints READY once the BIOS screen is up; then each
 * stdin line "dump PATH" writes a PPM screendump and prints DONE.
 */
public final class GlDemo {
    public static void main(String[] args) throws Exception {
        SeabiosMachine pc = new SeabiosMachine(new MachineConfig());
        GlConsole.start(pc.machine, new Opts("-display", Map.of("type", "gl")));
        pc.bootToNoDisk();
        System.out.println("READY");
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.startsWith("dump ")) {
                ScreenDump.write(pc.console(), Path.of(line.substring(5)), ScreenDump.Format.PPM);
                System.out.println("DONE");
                System.out.flush();
            }
        }
        pc.close();
        System.exit(0);
    }
}
