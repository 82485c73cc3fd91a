package org.jqemu.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceLoader;
import org.jqemu.system.device.Device;
import org.jqemu.system.device.DeviceType;
import org.jqemu.system.device.HotplugBus;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.AddressSpace;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;

/**
 * The monitor's view of devices: {@code query-pci} / {@code info pci}, read the way firmware
 * reads them (PCI configuration mechanism #1 on ports 0xCF8/0xCFC, PCI Local Bus spec 3.0, 3.2.2.3.2
 * and 6.2.5.1 for BAR sizing), and {@code device_add} / {@code device_del}.
 *
 * <p>Configuration reads go through the machine's I/O space under the machine lock, restoring
 * CONFADD and every BAR and command register they touch, so a guest between its own 0xCF8 write
 * and 0xCFC read never notices. device_add and device_del go to the machine's {@link HotplugBus}
 * (the pc's pci.0, ACPI PCI hotplug); a device on any other bus gives QEMU's hotplug errors.
 */
final class Devices {
    private static final int CONFADD = 0xcf8, CONFDATA = 0xcfc;

    private Devices() {}

    static String typeName(Device d) {
        return d.getClass().getSimpleName();
    }

    /** True when the machine decodes configuration mechanism #1 (a PC's host bridge). */
    private static boolean hasConfigPorts(Machine m) {
        return m.io().lookup(CONFADD) != null && m.io().lookup(CONFDATA) != null;
    }

    /** query-pci's reply: bus 0 and its functions. */
    static ArrayNode queryPci(Machine m) {
        ArrayNode out = Json.array();
        if (!hasConfigPorts(m)) {
            return out;
        }
        ObjectNode bus = out.addObject();
        bus.put("bus", 0);
        ArrayNode devices = bus.putArray("devices");
        m.lock();
        try {
            AddressSpace io = m.io();
            long saved = io.read(CONFADD, 4);
            try {
                for (int slot = 0; slot < 32; slot++) {
                    for (int fn = 0; fn < 8; fn++) {
                        int devfn = slot << 3 | fn;
                        int id = config(io, devfn, 0x00, 4);
                        if ((id & 0xffff) == 0xffff) {
                            if (fn == 0) {
                                break; // no device in this slot
                            }
                            continue;
                        }
                        devices.add(function(io, slot, fn, id));
                        if (fn == 0 && (config(io, devfn, 0x0e, 1) & 0x80) == 0) {
                            break; // single-function device
                        }
                    }
                }
            } finally {
                io.write(CONFADD, 4, saved);
            }
        } finally {
            m.unlock();
        }
        return out;
    }

    private static ObjectNode function(AddressSpace io, int slot, int fn, int id) {
        int devfn = slot << 3 | fn;
        ObjectNode d = Json.object();
        d.put("bus", 0);
        d.put("slot", slot);
        d.put("function", fn);
        int cls = config(io, devfn, 0x0a, 2);
        ObjectNode ci = d.putObject("class_info");
        String desc = classDescription(cls);
        if (desc != null) {
            ci.put("desc", desc);
        }
        ci.put("class", cls);
        ObjectNode ids = d.putObject("id");
        ids.put("device", id >>> 16);
        ids.put("vendor", id & 0xffff);
        int sub = config(io, devfn, 0x2c, 4);
        ids.put("subsystem", sub >>> 16);
        ids.put("subsystem-vendor", sub & 0xffff);
        int pin = config(io, devfn, 0x3d, 1);
        if (pin != 0) {
            d.put("irq", config(io, devfn, 0x3c, 1));
        }
        d.put("irq_pin", pin);
        d.put("qdev_id", "");
        ArrayNode regions = d.putArray("regions");
        int header = config(io, devfn, 0x0e, 1) & 0x7f;
        int bars = header == 0 ? 6 : header == 1 ? 2 : 0;
        int command = config(io, devfn, 0x04, 2);
        for (int bar = 0; bar < bars; bar++) {
            int reg = 0x10 + bar * 4;
            int low = config(io, devfn, reg, 4);
            boolean isIo = (low & 1) != 0;
            boolean is64 = !isIo && (low & 6) == 4;
            long size = barSize(io, devfn, reg, command, isIo, is64);
            if (size != 0) {
                long addr = isIo ? low & ~3L : low & 0xfffffff0L;
                if (is64) {
                    addr |= (long) config(io, devfn, reg + 4, 4) << 32;
                }
                ObjectNode r = regions.addObject();
                r.put("bar", bar);
                r.put("type", isIo ? "io" : "memory");
                r.put("address", addr);
                r.put("size", size);
                if (!isIo) {
                    r.put("prefetch", (low & 8) != 0);
                    r.put("mem_type_64", is64);
                }
            }
            if (is64) {
                bar++;
            }
        }
        return d;
    }

    /** Sizes a BAR as firmware does: decoding off, write all-ones, read the mask, restore. */
    private static long barSize(AddressSpace io, int devfn, int reg, int command, boolean isIo, boolean is64) {
        int low = config(io, devfn, reg, 4);
        int high = is64 ? config(io, devfn, reg + 4, 4) : 0;
        writeConfig(io, devfn, 0x04, 2, command & ~3);
        writeConfig(io, devfn, reg, 4, -1);
        long mask = config(io, devfn, reg, 4) & 0xffffffffL;
        if (is64) {
            writeConfig(io, devfn, reg + 4, 4, -1);
            mask |= (config(io, devfn, reg + 4, 4) & 0xffffffffL) << 32;
            writeConfig(io, devfn, reg + 4, 4, high);
        } else {
            mask |= 0xffffffff00000000L;
        }
        writeConfig(io, devfn, reg, 4, low);
        writeConfig(io, devfn, 0x04, 2, command);
        mask &= isIo ? ~3L : ~0xfL;
        if (isIo) {
            mask |= 0xffffffffffff0000L; // I/O BARs decode 16 bits
        }
        return mask == 0 ? 0 : -mask;
    }

    private static int config(AddressSpace io, int devfn, int reg, int size) {
        io.write(CONFADD, 4, 0x80000000L | devfn << 8 | (reg & 0xfc));
        return (int) io.read(CONFDATA + (reg & 3), size);
    }

    private static void writeConfig(AddressSpace io, int devfn, int reg, int size, long value) {
        io.write(CONFADD, 4, 0x80000000L | devfn << 8 | (reg & 0xfc));
        io.write(CONFDATA + (reg & 3), size, value);
    }

    private static String classDescription(int cls) {
        return switch (cls) {
            case 0x0100 -> "SCSI controller";
            case 0x0101 -> "IDE controller";
            case 0x0106 -> "SATA controller";
            case 0x0200 -> "Ethernet controller";
            case 0x0300 -> "VGA controller";
            case 0x0600 -> "Host bridge";
            case 0x0601 -> "ISA bridge";
            case 0x0680 -> "Bridge";
            case 0x0780 -> "Communication controller";
            case 0x0c03 -> "USB controller";
            default -> null;
        };
    }

    /** HMP's info pci: QEMU's layout of the same data. */
    static String infoPci(QmpCall c) {
        StringBuilder out = new StringBuilder();
        for (JsonNode bus : queryPci(c.machine())) {
            for (JsonNode d : bus.get("devices")) {
                out.append(String.format("  Bus %2d, device %3d, function %d:\r\n", d.get("bus").asInt(),
                        d.get("slot").asInt(), d.get("function").asInt()));
                JsonNode ci = d.get("class_info");
                out.append("    ").append(ci.has("desc") ? ci.get("desc").asText()
                        : String.format("Class %04x", ci.get("class").asInt()));
                JsonNode id = d.get("id");
                out.append(String.format(": PCI device %04x:%04x\r\n", id.get("vendor").asInt(), id.get("device").asInt()));
                out.append(String.format("      PCI subsystem %04x:%04x\r\n", id.get("subsystem-vendor").asInt(),
                        id.get("subsystem").asInt()));
                if (d.has("irq")) {
                    out.append(String.format("      IRQ %d, pin %c\r\n", d.get("irq").asInt(),
                            (char) ('A' + d.get("irq_pin").asInt() - 1)));
                }
                for (JsonNode r : d.get("regions")) {
                    long a = r.get("address").asLong();
                    long end = a + r.get("size").asLong() - 1;
                    out.append("      BAR").append(r.get("bar").asInt()).append(": ");
                    if (r.get("type").asText().equals("io")) {
                        out.append(String.format("I/O at 0x%04x [0x%04x].\r\n", a, end));
                    } else {
                        out.append(r.get("mem_type_64").asBoolean() ? "64 bit" : "32 bit")
                                .append(r.get("prefetch").asBoolean() ? " prefetchable" : "")
                                .append(String.format(" memory at 0x%08x [0x%08x].\r\n", a, end));
                    }
                }
                out.append("      id \"").append(d.get("qdev_id").asText()).append("\"\r\n");
            }
        }
        return out.toString();
    }

    // ---- device_add / device_del --------------------------------------------------------------

    /** HMP's "driver,prop=value,..." as device_add's arguments. */
    static ObjectNode deviceAddArgs(String text) {
        ObjectNode o = Json.object();
        String[] parts = text.trim().split(",");
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            int eq = p.indexOf('=');
            if (i == 0 && eq < 0) {
                o.put("driver", p);
            } else if (eq > 0) {
                o.put(p.substring(0, eq), p.substring(eq + 1));
            }
        }
        return o;
    }

    /**
     * device_add: QEMU's checks in QEMU's order, then the machine's hotplug bus (ACPI PCI hotplug
     * on the pc's pci.0) creates the device as -device would and tells the guest. Other buses are
     * cold-plug only and give QEMU's error.
     */
    static JsonNode deviceAdd(QmpCall c) throws QmpException {
        JsonNode driver = c.args().get("driver");
        if (driver == null) {
            throw QmpException.generic("Parameter 'driver' is missing");
        }
        if (!driver.isTextual()) {
            throw QmpException.generic("Invalid parameter type for 'driver', expected: string");
        }
        DeviceType type = null;
        for (DeviceType t : ServiceLoader.load(DeviceType.class)) {
            if (t.name().equals(driver.asText())) {
                type = t;
            }
        }
        if (type == null || !type.userCreatable()) {
            throw QmpException.generic("'" + driver.asText() + "' is not a valid device model name");
        }
        JsonNode id = c.args().get("id");
        if (id != null) {
            if (!id.asText().matches("[A-Za-z][A-Za-z0-9_.-]*")) {
                throw QmpException.generic("Parameter 'id' expects an identifier");
            }
            for (Device d : c.machine().devices()) {
                if (d.id() != null && d.id().equals(id.asText())) {
                    throw QmpException.generic("Duplicate device ID '" + id.asText() + "'");
                }
            }
        }
        HotplugBus hotplug = c.machine().component(HotplugBus.class);
        JsonNode bus = c.args().get("bus");
        if (bus != null && (hotplug == null || !hotplug.busName().equals(bus.asText()))) {
            throw QmpException.generic("Bus '" + bus.asText() + "' not found");
        }
        if (hotplug == null || !hotplug.accepts(type)) {
            throw QmpException.generic("Bus '" + busName(type.bus()) + "' does not support hotplugging");
        }
        Map<String, String> props = new LinkedHashMap<>();
        for (var e : c.args().properties()) {
            props.put(e.getKey(), e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString());
        }
        Opts opts = new Opts("device_add", props);
        opts.getString("driver", null);
        opts.getString("bus", null);
        try {
            hotplug.plug(type, opts, id == null ? null : id.asText());
        } catch (ConfigException e) {
            throw QmpException.generic(withoutOptionPrefix(e.getMessage(), type.name()));
        }
        return Json.object();
    }

    /** A -device style message ("device_add virtio-net-pci: ...") as QEMU's QMP words it. */
    private static String withoutOptionPrefix(String message, String typeName) {
        for (String prefix : new String[] {"device_add " + typeName + ": ", "device_add: ", typeName + ": "}) {
            if (message.startsWith(prefix)) {
                return message.substring(prefix.length());
            }
        }
        return message;
    }

    /**
     * device_del: DeviceNotFound for an unknown id; on a hotplug bus the guest is asked to eject
     * the device, and DEVICE_DELETED follows once it has; elsewhere QEMU's hotplug error.
     */
    static JsonNode deviceDel(QmpCall c) throws QmpException {
        String id = c.string("id");
        HotplugBus hotplug = c.machine().component(HotplugBus.class);
        for (Device d : c.machine().devices()) {
            if (id.equals(d.id())) {
                if (hotplug == null || !hotplug.contains(d)) {
                    throw QmpException.generic("Device '" + id + "' does not support hotplugging");
                }
                try {
                    hotplug.requestUnplug(d);
                } catch (ConfigException e) {
                    throw QmpException.generic(e.getMessage());
                }
                return Json.object();
            }
        }
        throw new QmpException("DeviceNotFound", "Device '" + id + "' not found");
    }

    /** QEMU's name of the first bus of a kind. */
    private static String busName(String bus) {
        Map<String, String> names = Map.of("PCI", "pci.0", "ISA", "isa.0", "System", "main-system-bus");
        if (bus == null) {
            return "main-system-bus";
        }
        for (var e : names.entrySet()) {
            if (e.getKey().equalsIgnoreCase(bus)) {
                return e.getValue();
            }
        }
        return bus.toLowerCase() + ".0";
    }
}
