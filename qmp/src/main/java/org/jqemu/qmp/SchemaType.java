package org.jqemu.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Set;

/**
 * The QAPI types jqemu's commands use, enough to check arguments the way QEMU's input visitor
 * does (with its error texts) and to describe them in {@code query-qmp-schema}.
 */
public sealed interface SchemaType {
    /** A built-in scalar. {@code name} is QAPI's (str, int, size, bool, number, any, null). */
    record Builtin(String name, String jsonType) implements SchemaType {}

    /** A string with a fixed set of values. */
    record Enum(String name, List<String> values) implements SchemaType {}

    /** An array of {@code element}. */
    record Array(SchemaType element) implements SchemaType {}

    /**
     * A JSON object with named members. An open object also takes members it does not name
     * (device_add's device properties), which its command checks itself.
     */
    record Obj(String name, List<Member> members, boolean open) implements SchemaType {
        public Obj(String name, List<Member> members) {
            this(name, members, false);
        }
    }

    /** A member of an object type: a command argument or a field of a reply. */
    record Member(String name, SchemaType type, boolean optional) {}

    Builtin STR = new Builtin("str", "string");
    Builtin INT = new Builtin("int", "int");
    Builtin SIZE = new Builtin("size", "int");
    Builtin BOOL = new Builtin("bool", "boolean");
    Builtin NUMBER = new Builtin("number", "number");
    Builtin ANY = new Builtin("any", "value");
    Builtin NULL = new Builtin("null", "null");

    static Member required(String name, SchemaType type) {
        return new Member(name, type, false);
    }

    static Member optional(String name, SchemaType type) {
        return new Member(name, type, true);
    }

    static Obj object(String name, Member... members) {
        return new Obj(name, List.of(members));
    }

    Obj EMPTY = new Obj("empty", List.of());

    /**
     * Checks {@code value} against this type; {@code where} is the parameter name in messages
     * ("val", "enable[0]"). QEMU's texts: "Invalid parameter type for 'x', expected: integer".
     */
    default void check(String where, JsonNode value) throws QmpException {
        switch (this) {
            case Builtin b -> {
                switch (b.name()) {
                    case "str" -> expect(value.isTextual(), where, "string");
                    case "int" -> {
                        expect(value.isIntegralNumber(), where, "integer");
                        if (!value.canConvertToLong()) {
                            throw QmpException.generic("Parameter '" + where + "' expects int64");
                        }
                    }
                    case "size" -> {
                        expect(value.isIntegralNumber(), where, "integer");
                        if (!value.canConvertToLong() || value.asLong() < 0) {
                            throw QmpException.generic("Parameter '" + where + "' expects uint64");
                        }
                    }
                    case "bool" -> expect(value.isBoolean(), where, "boolean");
                    case "number" -> expect(value.isNumber(), where, "number");
                    case "null" -> expect(value.isNull(), where, "null");
                    default -> { } // any
                }
            }
            case Enum e -> {
                expect(value.isTextual(), where, "string");
                if (!Set.copyOf(e.values()).contains(value.asText())) {
                    throw QmpException.generic("Parameter '" + where + "' does not accept value '" + value.asText() + "'");
                }
            }
            case Array a -> {
                expect(value.isArray(), where, "array");
                for (int i = 0; i < value.size(); i++) {
                    a.element().check(where + "[" + i + "]", value.get(i));
                }
            }
            case Obj o -> {
                expect(value.isObject(), where, "object");
                checkMembers(o, value, where + ".");
            }
        }
    }

    /** Checks an object's members: all required present, each well typed, none unknown. */
    static void checkMembers(Obj type, JsonNode object, String prefix) throws QmpException {
        for (Member m : type.members()) {
            JsonNode v = object.get(m.name());
            if (v == null) {
                if (!m.optional()) {
                    throw QmpException.generic("Parameter '" + prefix + m.name() + "' is missing");
                }
                continue;
            }
            m.type().check(prefix + m.name(), v);
        }
        for (var it = object.fieldNames(); it.hasNext() && !type.open();) {
            String name = it.next();
            if (type.members().stream().noneMatch(m -> m.name().equals(name))) {
                throw QmpException.generic("Parameter '" + prefix + name + "' is unexpected");
            }
        }
    }

    private static void expect(boolean ok, String where, String expected) throws QmpException {
        if (!ok) {
            throw QmpException.generic("Invalid parameter type for '" + where + "', expected: " + expected);
        }
    }
}
