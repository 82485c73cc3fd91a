package org.jqemu.qmp;

import static org.jqemu.qmp.SchemaType.BOOL;
import static org.jqemu.qmp.SchemaType.EMPTY;
import static org.jqemu.qmp.SchemaType.STR;
import static org.jqemu.qmp.SchemaType.object;
import static org.jqemu.qmp.SchemaType.required;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.jqemu.system.net.NetBackends;

/**
 * The network monitor commands: QMP {@code set_link} {name, up} and its HMP twin
 * {@code set_link NAME on|off} (QEMU's qapi/net.json). The name is a NIC's (its device id, or
 * {@code MODEL.N}) or a netdev's id; {@link NetBackends#setLink} has the rules.
 */
final class NetCommands {
    private NetCommands() {}

    static void registerAll(QmpMonitor m) {
        m.register(new QmpCommand("set_link", object("q_obj_set_link-arg", required("name", STR), required("up", BOOL)),
                EMPTY, NetCommands::setLink));
    }

    private static JsonNode setLink(QmpCall c) throws QmpException {
        String name = c.string("name");
        NetBackends nets = c.machine().component(NetBackends.class);
        if (nets == null || !nets.setLink(name, c.bool("up", true))) {
            throw new QmpException("DeviceNotFound", "Device '" + name + "' not found");
        }
        return Json.object();
    }

    /** HMP {@code set_link NAME on|off}: the QMP command, so both monitors agree. */
    static String hmpSetLink(QmpCall c, String args) throws QmpException {
        String[] words = args.trim().split("\\s+");
        if (words.length != 2 || words[0].isEmpty()) {
            return "Usage: set_link name on|off\r\n";
        }
        boolean up;
        switch (words[1]) {
            case "on" -> up = true;
            case "off" -> up = false;
            default -> {
                return "Expected 'on' or 'off'\r\n";
            }
        }
        ObjectNode o = Json.object();
        o.put("name", words[0]);
        o.put("up", up);
        setLink(new QmpCall(c.monitor(), c.session(), o));
        return "";
    }
}
