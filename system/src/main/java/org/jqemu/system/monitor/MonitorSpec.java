package org.jqemu.system.monitor;

/**
 * One monitor the command line asks for, checked for syntax only.
 *
 * <ul>
 *   <li>{@code -qmp unix:PATH,...} / {@code -qmp tcp:HOST:PORT,...} (and {@code -qmp-pretty}): a
 *       monitor socket server; {@code device} holds the address, {@code chardev} is null;</li>
 *   <li>{@code -qmp DEV} for other devices and {@code -monitor DEV}: {@code device} is a chardev in
 *       {@code -serial} syntax ({@code stdio}, {@code telnet:...}) that Main creates with the id
 *       {@code chardev} ("compat_monitor0", ...);</li>
 *   <li>{@code -mon chardev=ID,mode=...}: {@code chardev} names a {@code -chardev}, {@code device}
 *       is null.</li>
 * </ul>
 *
 * @param option the option as the user wrote it, for messages
 * @param chardev the chardev the monitor runs on, or null for a socket server
 * @param device what Main creates for the monitor (see above), or null
 * @param mode control (QMP) or readline (HMP)
 * @param pretty indent QMP output, as {@code -qmp-pretty} / {@code pretty=on}
 */
public record MonitorSpec(String option, String chardev, String device, Mode mode, boolean pretty) {
    /** True for a monitor socket server the monitor module opens itself ({@code -qmp unix:/tcp:}). */
    public boolean isServerSocket() {
        return chardev == null;
    }

    public enum Mode {
        CONTROL, READLINE
    }
}
