package org.jqemu.qmp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineConfig;
import org.junit.jupiter.api.Test;

class QmpMonitorDispatchTest {
    @Test
    void clientsTakeTurnsAndEachKeepsItsOrder() {
        ArrayDeque<Runnable> mainLoop = new ArrayDeque<>();
        try (Machine machine = new Machine(new MachineConfig())) {
            QmpMonitor monitor = new QmpMonitor(machine, mainLoop::add);
            List<String> ran = new ArrayList<>();
            Object flooder = new Object();
            Object other = new Object();
            for (int i = 0; i < 5; i++) {
                int n = i;
                monitor.dispatch(flooder, () -> ran.add("f" + n));
            }
            monitor.dispatch(other, () -> ran.add("o0"));
            monitor.dispatch(other, () -> ran.add("o1"));
            assertEquals(1, mainLoop.size(), "one dispatcher task at a time");
            while (!mainLoop.isEmpty()) {
                mainLoop.poll().run();
            }
            assertEquals(List.of("f0", "o0", "f1", "o1", "f2", "f3", "f4"), ran);
        }
    }

    @Test
    void workPostedByACommandRunsBeforeTheNextCommand() {
        ArrayDeque<Runnable> mainLoop = new ArrayDeque<>();
        try (Machine machine = new Machine(new MachineConfig())) {
            QmpMonitor monitor = new QmpMonitor(machine, mainLoop::add);
            List<String> ran = new ArrayList<>();
            Object client = new Object();
            monitor.dispatch(client, () -> {
                ran.add("reset requested");
                mainLoop.add(() -> ran.add("reset done"));
            });
            monitor.dispatch(client, () -> ran.add("next command"));
            while (!mainLoop.isEmpty()) {
                mainLoop.poll().run();
            }
            assertEquals(List.of("reset requested", "reset done", "next command"), ran);
        }
    }
}
