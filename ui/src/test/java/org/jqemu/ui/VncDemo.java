package org.jqemu.ui;

import java.util.Map;
import org.jqemu.system.machine.MachineConfig;
import org.jqemu.system.options.Opts;
import org.jqemu.ui.vnc.VncServer;

/** Manual testing: SeaBIOS on a VNC display (args: display number), until killed. */
public final class VncDemo {
    public static void main(String[] args) throws Exception {
        SeabiosMachine pc = new SeabiosMachine(new MachineConfig());
        VncServer.start(pc.machine, new Opts("-vnc", Map.of("vnc", "127.0.0.1:" + args[0])));
        pc.bootToNoDisk();
        System.out.println("READY");
        Thread.sleep(Long.MAX_VALUE);
    }
}
