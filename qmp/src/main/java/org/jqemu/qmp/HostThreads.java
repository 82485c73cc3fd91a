package org.jqemu.qmp;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Host thread ids (what QEMU reports as a vCPU's "thread-id"), found by thread name in /proc. */
final class HostThreads {
    private HostThreads() {}

    /** The Linux thread id of this process's thread named {@code name}, or the process id. */
    static long nativeId(String name) {
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path t : tasks) {
                try {
                    if (Files.readString(t.resolve("comm")).trim().equals(name)) {
                        return Long.parseLong(t.getFileName().toString());
                    }
                } catch (IOException | NumberFormatException e) {
                    // the thread ended while we looked
                }
            }
        } catch (IOException e) {
            // no /proc: fall through
        }
        return ProcessHandle.current().pid();
    }
}
