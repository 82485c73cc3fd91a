package org.jqemu.qmp;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One QMP command: its name, its arguments and reply as QAPI types (checked before the handler
 * runs, and listed by {@code query-qmp-schema}), and what it does.
 *
 * @param args the argument object; {@link SchemaType#EMPTY} for a command without arguments
 * @param returns the reply's type
 */
public record QmpCommand(String name, SchemaType.Obj args, SchemaType returns, Handler handler) {
    /** Runs a command whose arguments have been checked. */
    @FunctionalInterface
    public interface Handler {
        JsonNode run(QmpCall call) throws QmpException;
    }
}
