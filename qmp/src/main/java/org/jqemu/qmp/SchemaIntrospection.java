package org.jqemu.qmp;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code query-qmp-schema}: the SchemaInfo list QEMU's introspection returns, built from the
 * registered commands and events, so it lists exactly what this jqemu accepts. Type names are
 * jqemu's own; as in QEMU, clients should rely on structure, not on type names.
 */
final class SchemaIntrospection {
    private final Map<String, ObjectNode> entities = new LinkedHashMap<>();
    private final ArrayNode types = Json.array();

    private SchemaIntrospection() {}

    static ArrayNode describe(Collection<QmpCommand> commands, Map<String, SchemaType.Obj> events) {
        SchemaIntrospection s = new SchemaIntrospection();
        ArrayNode out = Json.array();
        for (QmpCommand c : commands) {
            ObjectNode o = out.addObject();
            o.put("name", c.name());
            o.put("meta-type", "command");
            o.put("arg-type", s.name(c.args()));
            o.put("ret-type", s.name(c.returns()));
        }
        for (var e : events.entrySet()) {
            ObjectNode o = out.addObject();
            o.put("name", e.getKey());
            o.put("meta-type", "event");
            o.put("arg-type", s.name(e.getValue()));
        }
        out.addAll(s.types);
        return out;
    }

    /** The name of {@code t} in the schema, describing it (and what it uses) on first sight. */
    private String name(SchemaType t) {
        String name = switch (t) {
            case SchemaType.Builtin b -> b.name();
            case SchemaType.Enum e -> e.name();
            case SchemaType.Obj o -> o.name();
            case SchemaType.Array a -> "[" + name(a.element()) + "]";
        };
        if (entities.containsKey(name)) {
            return name;
        }
        ObjectNode o = Json.object();
        entities.put(name, o);
        o.put("name", name);
        switch (t) {
            case SchemaType.Builtin b -> {
                o.put("meta-type", "builtin");
                o.put("json-type", b.jsonType());
            }
            case SchemaType.Enum e -> {
                o.put("meta-type", "enum");
                ArrayNode members = o.putArray("members");
                ArrayNode values = o.putArray("values");
                for (String v : e.values()) {
                    members.addObject().put("name", v);
                    values.add(v);
                }
            }
            case SchemaType.Array a -> {
                o.put("meta-type", "array");
                o.put("element-type", name(a.element()));
            }
            case SchemaType.Obj ob -> {
                o.put("meta-type", "object");
                ArrayNode members = o.putArray("members");
                for (SchemaType.Member m : ob.members()) {
                    ObjectNode mo = members.addObject();
                    mo.put("name", m.name());
                    mo.put("type", name(m.type()));
                    if (m.optional()) {
                        mo.putNull("default");
                    }
                }
            }
        }
        types.add(o);
        return name;
    }
}
