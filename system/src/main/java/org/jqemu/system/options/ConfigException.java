package org.jqemu.system.options;

/**
 * A user error in the configuration: bad option, value, file or combination. The message is one
 * line naming the bad value; {@code Main} prints it as "jqemu: MESSAGE" and exits with status 1.
 */
public final class ConfigException extends Exception {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
