package org.jqemu.qmp;

import static org.jqemu.qmp.SchemaType.ANY;
import static org.jqemu.qmp.SchemaType.BOOL;
import static org.jqemu.qmp.SchemaType.EMPTY;
import static org.jqemu.qmp.SchemaType.INT;
import static org.jqemu.qmp.SchemaType.STR;
import static org.jqemu.qmp.SchemaType.object;
import static org.jqemu.qmp.SchemaType.optional;
import static org.jqemu.qmp.SchemaType.required;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jqemu.system.ui.Consoles;
import org.jqemu.system.ui.GraphicConsole;
import org.jqemu.system.ui.KeyCodes;
import org.jqemu.system.ui.PointerInput;
import org.jqemu.system.ui.RemoteDisplay;
import org.jqemu.system.ui.ScreenDump;

/**
 * The display and input commands (QEMU's qapi/ui.json): {@code screendump}, {@code send-key},
 * {@code input-send-event}, {@code query-vnc} and {@code set_password}. {@link #screendump} and
 * {@link #sendKey} are also what HMP's {@code screendump} and {@code sendkey} call.
 */
public final class DisplayCommands {
    private DisplayCommands() {}

    private static final SchemaType.Enum IMAGE_FORMAT = new SchemaType.Enum("ImageFormat", List.of("ppm", "png"));
    private static final SchemaType.Enum KEY_VALUE_KIND = new SchemaType.Enum("KeyValueKind", List.of("number", "qcode"));
    private static final SchemaType.Obj KEY_VALUE = object("KeyValue", required("type", KEY_VALUE_KIND),
            required("data", ANY));
    private static final SchemaType.Enum INPUT_EVENT_KIND = new SchemaType.Enum("InputEventKind",
            List.of("key", "btn", "rel", "abs"));
    private static final SchemaType.Obj INPUT_EVENT = object("InputEvent", required("type", INPUT_EVENT_KIND),
            required("data", ANY));

    static void registerAll(QmpMonitor m) {
        m.register(new QmpCommand("screendump",
                object("q_obj_screendump-arg", required("filename", STR), optional("device", STR),
                        optional("head", INT), optional("format", IMAGE_FORMAT)),
                EMPTY, c -> {
                    screendump(c.machine() == null ? null : Consoles.of(c.machine()), c.string("filename"),
                            c.string("format"));
                    return Json.object();
                }));
        m.register(new QmpCommand("send-key",
                object("q_obj_send-key-arg", required("keys", new SchemaType.Array(KEY_VALUE)),
                        optional("hold-time", INT)),
                EMPTY, c -> {
                    List<Integer> keys = new ArrayList<>();
                    for (JsonNode k : c.args().get("keys")) {
                        keys.add(keyValue(k));
                    }
                    sendKey(Consoles.of(c.machine()), keys, c.integer("hold-time", 100));
                    return Json.object();
                }));
        m.register(new QmpCommand("input-send-event",
                object("q_obj_input-send-event-arg", optional("device", STR), optional("head", INT),
                        required("events", new SchemaType.Array(INPUT_EVENT))),
                EMPTY, c -> {
                    inputSendEvent(Consoles.of(c.machine()), c.args().get("events"));
                    return Json.object();
                }));
        m.register(new QmpCommand("query-vnc", EMPTY,
                object("VncInfo", required("enabled", BOOL), optional("host", STR), optional("family", STR),
                        optional("service", STR), optional("auth", STR),
                        optional("clients", new SchemaType.Array(ANY))),
                c -> queryVnc(Consoles.of(c.machine()))));
        m.register(new QmpCommand("set_password",
                object("q_obj_set_password-arg", required("protocol", STR), required("password", STR),
                        optional("connected", STR), optional("display", STR)),
                EMPTY, c -> {
                    setPassword(Consoles.of(c.machine()), c.string("protocol"), c.string("password"));
                    return Json.object();
                }));
    }

    /** Writes the guest screen to {@code filename}; {@code format} is "ppm" (default) or "png". */
    public static void screendump(Consoles consoles, String filename, String format) throws QmpException {
        GraphicConsole g = consoles == null ? null : consoles.graphic();
        if (g == null) {
            throw QmpException.generic("There is no QemuConsole I can screendump from.");
        }
        try {
            ScreenDump.write(g, Path.of(filename), "png".equals(format) ? ScreenDump.Format.PNG : ScreenDump.Format.PPM);
        } catch (IOException | RuntimeException e) {
            throw QmpException.generic("failed to open file '" + filename + "': " + e.getMessage());
        }
    }

    /** Presses {@code keys} (qnum) in order, holds them {@code holdMillis}, releases in reverse order. */
    public static void sendKey(Consoles consoles, List<Integer> keys, long holdMillis) {
        for (int k : keys) {
            consoles.sendKey(k, true);
        }
        Runnable release = () -> {
            for (int i = keys.size() - 1; i >= 0; i--) {
                consoles.sendKey(keys.get(i), false);
            }
        };
        if (holdMillis <= 0) {
            release.run();
        } else {
            Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(holdMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                release.run();
            });
        }
    }

    /** A QMP KeyValue ({"type":"qcode","data":"a"} or {"type":"number","data":30}) as a qnum. */
    static int keyValue(JsonNode k) throws QmpException {
        JsonNode data = k.get("data");
        if ("number".equals(k.get("type").asText())) {
            if (!data.isIntegralNumber()) {
                throw QmpException.generic("Invalid parameter type for 'data', expected: integer");
            }
            return data.asInt();
        }
        int q = KeyCodes.qcode(data.asText());
        if (q < 0) {
            throw QmpException.generic("Parameter 'data' does not accept value '" + data.asText() + "'");
        }
        return q;
    }

    private static void inputSendEvent(Consoles consoles, JsonNode events) throws QmpException {
        int dx = 0;
        int dy = 0;
        int dz = 0;
        int buttons = 0;
        boolean pointer = false;
        for (JsonNode e : events) {
            JsonNode d = e.get("data");
            switch (e.get("type").asText()) {
                case "key" -> consoles.sendKey(keyValue(d.get("key")), d.get("down").asBoolean());
                case "btn" -> {
                    pointer = true;
                    boolean down = d.get("down").asBoolean();
                    switch (d.get("button").asText()) {
                        case "left" -> buttons = down ? buttons | PointerInput.BUTTON_LEFT : buttons;
                        case "right" -> buttons = down ? buttons | PointerInput.BUTTON_RIGHT : buttons;
                        case "middle" -> buttons = down ? buttons | PointerInput.BUTTON_MIDDLE : buttons;
                        case "wheel-up" -> dz -= down ? 1 : 0;
                        case "wheel-down" -> dz += down ? 1 : 0;
                        default -> throw QmpException.generic("Parameter 'button' does not accept value '"
                                + d.get("button").asText() + "'");
                    }
                }
                case "rel" -> {
                    pointer = true;
                    if ("x".equals(d.get("axis").asText())) {
                        dx += d.get("value").asInt();
                    } else {
                        dy += d.get("value").asInt();
                    }
                }
                default -> throw QmpException.generic("absolute pointer events need a tablet, which this machine lacks");
            }
        }
        if (pointer) {
            consoles.sendPointer(dx, dy, dz, buttons);
        }
    }

    private static ObjectNode queryVnc(Consoles consoles) {
        ObjectNode r = Json.object();
        RemoteDisplay vnc = consoles.remote();
        r.put("enabled", vnc != null);
        if (vnc != null) {
            RemoteDisplay.Info i = vnc.info();
            r.put("host", i.host());
            r.put("family", i.family());
            r.put("service", i.service());
            r.put("auth", i.auth());
            ArrayNode clients = r.putArray("clients");
            for (int n = 0; n < i.clients(); n++) {
                clients.addObject().put("family", i.family());
            }
        }
        return r;
    }

    private static void setPassword(Consoles consoles, String protocol, String password) throws QmpException {
        if (!"vnc".equals(protocol)) {
            throw QmpException.generic("Parameter 'protocol' does not accept value '" + protocol + "'");
        }
        RemoteDisplay vnc = consoles.remote();
        if (vnc == null || !vnc.passwordRequired()) {
            throw QmpException.generic("Could not set password");
        }
        vnc.setPassword(password);
    }
}
