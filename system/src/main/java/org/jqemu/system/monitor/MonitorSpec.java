package org.jqemu.system.monitor;

/**
 * One monitor the command line asks for, checked for syntax only.
 *
 * <ul>
 *   <li>{@code -qmp SOCKET} / {@code -qmp-pretty SOCKET}: {@code socket} is QEMU's socket shorthand
 *       ({@code unix:PATH,server=on,wait=off}, {@code tcp:HOST:PORT,...});</li>
 *   <li>{@code -mon chardev=ID,mode=control}: {@code chardev} names a {@code -chardev}.</li>
 * </ul>
 *
 * @param option the option as the user wrote it, for messages
 * @param chardev the chardev id, or null for a socket monitor
 * @param socket the socket description, or null for a chardev monitor
 * @param mode control (QMP) or readline (HMP)
 * @param pretty indent QMP output, as {@code -qmp-pretty} / {@code pretty=on}
 */
public record MonitorSpec(String option, String chardev, String socket, Mode mode, boolean pretty) {
    public enum Mode {
        CONTROL, READLINE
    }
}
