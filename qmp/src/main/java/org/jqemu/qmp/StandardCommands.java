package org.jqemu.qmp;

import static org.jqemu.qmp.SchemaType.BOOL;
import static org.jqemu.qmp.SchemaType.EMPTY;
import static org.jqemu.qmp.SchemaType.INT;
import static org.jqemu.qmp.SchemaType.SIZE;
import static org.jqemu.qmp.SchemaType.STR;
import static org.jqemu.qmp.SchemaType.object;
import static org.jqemu.qmp.SchemaType.optional;
import static org.jqemu.qmp.SchemaType.required;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import org.jqemu.system.block.BlockBackends;
import org.jqemu.system.block.BlockImage;
import org.jqemu.system.chardev.Chardev;
import org.jqemu.system.chardev.FileChardev;
import org.jqemu.system.chardev.MuxChardev;
import org.jqemu.system.chardev.NullChardev;
import org.jqemu.system.chardev.SocketChardev;
import org.jqemu.system.chardev.StdioChardev;
import org.jqemu.system.cpu.Cpu;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.MachineType;
import org.jqemu.system.machine.ShutdownCause;

/**
 * The QMP commands jqemu implements, with QEMU's names, arguments, replies and error texts
 * (QEMU's qapi/*.json is the reference).
 */
final class StandardCommands {
    private StandardCommands() {}

    private static final SchemaType.Enum CAPABILITY = new SchemaType.Enum("QMPCapability", List.of("oob"));
    private static final SchemaType.Enum RUN_STATE = new SchemaType.Enum("RunState",
            List.of("prelaunch", "running", "paused", "shutdown"));
    private static final SchemaType.Enum TARGET = new SchemaType.Enum("SysEmuTarget",
            List.of("aarch64", "ppc64", "s390x", "x86_64"));
    private static final SchemaType.Obj VERSION = object("VersionInfo",
            required("qemu", object("VersionTriple", required("major", INT), required("minor", INT),
                    required("micro", INT))),
            required("package", STR));

    static void registerAll(QmpMonitor m) {
        m.register(new QmpCommand("qmp_capabilities",
                object("q_obj_qmp_capabilities-arg", optional("enable", new SchemaType.Array(CAPABILITY))),
                EMPTY, StandardCommands::qmpCapabilities));
        m.register(new QmpCommand("query-version", EMPTY, VERSION, c -> QmpMonitor.version()));
        m.register(new QmpCommand("query-commands", EMPTY,
                new SchemaType.Array(object("CommandInfo", required("name", STR))), StandardCommands::queryCommands));
        m.register(new QmpCommand("query-qmp-schema", EMPTY, new SchemaType.Array(SchemaType.ANY),
                c -> SchemaIntrospection.describe(c.monitor().commands(), QmpMonitor.EVENTS)));
        m.register(new QmpCommand("query-status", EMPTY,
                object("StatusInfo", required("running", BOOL), required("singlestep", BOOL),
                        required("status", RUN_STATE)),
                StandardCommands::queryStatus));
        m.register(new QmpCommand("query-name", EMPTY, object("NameInfo", optional("name", STR)), c -> {
            ObjectNode r = Json.object();
            if (c.machine().config().name != null) {
                r.put("name", c.machine().config().name);
            }
            return r;
        }));
        m.register(new QmpCommand("query-uuid", EMPTY, object("UuidInfo", required("UUID", STR)), c -> {
            ObjectNode r = Json.object();
            r.put("UUID", "00000000-0000-0000-0000-000000000000"); // no -uuid yet: QEMU's default
            return r;
        }));
        m.register(new QmpCommand("query-kvm", EMPTY,
                object("KvmInfo", required("enabled", BOOL), required("present", BOOL)), c -> {
                    ObjectNode r = Json.object();
                    var accel = c.machine().accelerator();
                    r.put("enabled", accel != null && accel.name().equals("kvm"));
                    r.put("present", Files.exists(Path.of("/dev/kvm")));
                    return r;
                }));
        m.register(new QmpCommand("query-machines", EMPTY, new SchemaType.Array(object("MachineInfo",
                required("name", STR), optional("alias", STR), optional("is-default", BOOL),
                required("cpu-max", INT), required("hotpluggable-cpus", BOOL),
                required("numa-mem-supported", BOOL), required("deprecated", BOOL),
                optional("default-cpu-type", STR))), StandardCommands::queryMachines));
        m.register(new QmpCommand("query-cpus-fast", EMPTY, new SchemaType.Array(object("CpuInfoFast",
                required("cpu-index", INT), required("qom-path", STR), required("thread-id", INT),
                optional("props", object("CpuInstanceProperties", optional("socket-id", INT),
                        optional("core-id", INT), optional("thread-id", INT))),
                required("target", TARGET))), StandardCommands::queryCpusFast));
        m.register(new QmpCommand("query-chardev", EMPTY, new SchemaType.Array(object("ChardevInfo",
                required("label", STR), required("filename", STR), required("frontend-open", BOOL))),
                StandardCommands::chardevs));
        m.register(new QmpCommand("stop", EMPTY, EMPTY, c -> {
            c.machine().pause();
            return Json.object();
        }));
        m.register(new QmpCommand("cont", EMPTY, EMPTY, StandardCommands::cont));
        m.register(new QmpCommand("system_reset", EMPTY, EMPTY, c -> {
            c.machine().requestReset(ShutdownCause.HOST_QMP_SYSTEM_RESET);
            return Json.object();
        }));
        m.register(new QmpCommand("system_powerdown", EMPTY, EMPTY, StandardCommands::systemPowerdown));
        m.register(new QmpCommand("quit", EMPTY, EMPTY, c -> {
            c.afterReply(() -> c.machine().requestShutdown(ShutdownCause.HOST_QMP_QUIT));
            return Json.object();
        }));
        m.register(new QmpCommand("human-monitor-command",
                object("q_obj_human-monitor-command-arg", required("command-line", STR),
                        optional("cpu-index", INT)),
                STR, c -> Json.NODES.textNode(Hmp.execute(c, c.string("command-line")))));
        m.register(new QmpCommand("pmemsave",
                object("q_obj_pmemsave-arg", required("val", INT), required("size", SIZE),
                        required("filename", STR)),
                EMPTY, StandardCommands::pmemsave));
        m.register(new QmpCommand("memsave",
                object("q_obj_memsave-arg", required("val", INT), required("size", SIZE),
                        required("filename", STR), optional("cpu-index", INT)),
                EMPTY, StandardCommands::memsave));
        m.register(new QmpCommand("query-block", EMPTY, new SchemaType.Array(BLOCK_INFO), StandardCommands::queryBlock));
        m.register(new QmpCommand("query-pci", EMPTY, new SchemaType.Array(PCI_INFO), c -> Devices.queryPci(c.machine())));
        m.register(new QmpCommand("device_add",
                new SchemaType.Obj("q_obj_device_add-arg", List.of(required("driver", STR), optional("bus", STR),
                        optional("id", STR)), true),
                EMPTY, Devices::deviceAdd));
        m.register(new QmpCommand("device_del", object("q_obj_device_del-arg", required("id", STR)), EMPTY,
                Devices::deviceDel));
    }

    private static final SchemaType.Obj BLOCK_INFO = object("BlockInfo",
            required("device", STR), required("locked", BOOL), required("removable", BOOL),
            optional("inserted", object("BlockDeviceInfo", required("file", STR), required("node-name", STR),
                    required("ro", BOOL), required("drv", STR), required("encrypted", BOOL),
                    required("detect_zeroes", new SchemaType.Enum("BlockdevDetectZeroesOptions", List.of("off"))),
                    required("bps", INT), required("bps_rd", INT), required("bps_wr", INT), required("iops", INT),
                    required("iops_rd", INT), required("iops_wr", INT), required("write_threshold", INT),
                    required("cache", object("BlockdevCacheInfo", required("writeback", BOOL), required("direct", BOOL),
                            required("no-flush", BOOL))),
                    required("image", object("ImageInfo", required("filename", STR), required("format", STR),
                            required("virtual-size", INT))))));

    private static final SchemaType.Obj PCI_INFO = object("PciInfo", required("bus", INT),
            required("devices", new SchemaType.Array(object("PciDeviceInfo", required("bus", INT), required("slot", INT),
                    required("function", INT),
                    required("class_info", object("PciDeviceClass", optional("desc", STR), required("class", INT))),
                    required("id", object("PciDeviceId", required("device", INT), required("vendor", INT),
                            optional("subsystem", INT), optional("subsystem-vendor", INT))),
                    optional("irq", INT), required("irq_pin", INT), required("qdev_id", STR),
                    required("regions", new SchemaType.Array(object("PciMemoryRegion", required("bar", INT),
                            required("type", STR), required("address", INT), required("size", INT),
                            optional("prefetch", BOOL), optional("mem_type_64", BOOL))))))));

    private static JsonNode queryBlock(QmpCall c) {
        ArrayNode a = Json.array();
        BlockBackends b = c.machine().component(BlockBackends.class);
        if (b == null) {
            return a;
        }
        for (var e : b.nodes().entrySet()) {
            BlockImage img = e.getValue();
            ObjectNode o = a.addObject();
            o.put("device", e.getKey());
            o.put("locked", false);
            o.put("removable", false);
            ObjectNode in = o.putObject("inserted");
            in.put("file", img.path().toString());
            in.put("node-name", img.nodeName());
            in.put("ro", img.readOnly());
            in.put("drv", img.format());
            in.put("encrypted", false);
            in.put("detect_zeroes", "off");
            for (String k : List.of("bps", "bps_rd", "bps_wr", "iops", "iops_rd", "iops_wr", "write_threshold")) {
                in.put(k, 0);
            }
            ObjectNode cache = in.putObject("cache");
            cache.put("writeback", true);
            cache.put("direct", false);
            cache.put("no-flush", false);
            ObjectNode image = in.putObject("image");
            image.put("filename", img.path().toString());
            image.put("format", img.format());
            image.put("virtual-size", img.size());
        }
        return a;
    }

    /** memsave: {@code size} bytes of the CPU's virtual memory from {@code val} into a file. */
    private static JsonNode memsave(QmpCall c) throws QmpException {
        long addr = c.integer("val", 0);
        long size = c.integer("size", 0);
        int index = (int) c.integer("cpu-index", 0);
        List<Cpu> cpus = c.machine().cpus();
        if (index < 0 || index >= cpus.size()) {
            throw QmpException.generic("Parameter 'cpu-index' expects a CPU index");
        }
        return save(c, GuestMemory.virtual(c.machine(), cpus.get(index)), addr, size);
    }

    /** Writes guest memory to {@code filename}; QEMU's errors for a bad file or an unmapped page. */
    private static JsonNode save(QmpCall c, GuestMemory mem, long addr, long size) throws QmpException {
        String filename = c.string("filename");
        byte[] chunk = new byte[(int) Math.min(size, 64 * 1024)];
        try (OutputStream out = Files.newOutputStream(Path.of(filename))) {
            for (long done = 0; done < size; done += chunk.length) {
                int n = (int) Math.min(chunk.length, size - done);
                if (!mem.read(addr + done, chunk, n)) {
                    throw QmpException.generic(String.format("Invalid addr 0x%016x/size %d specified", addr, size));
                }
                out.write(chunk, 0, n);
            }
        } catch (IOException | java.nio.file.InvalidPathException e) {
            throw QmpException.generic("Could not open '" + filename + "': " + reason(e));
        }
        return Json.object();
    }

    private static JsonNode qmpCapabilities(QmpCall c) throws QmpException {
        JsonNode enable = c.args().get("enable");
        if (enable != null) {
            for (JsonNode cap : enable) {
                throw QmpException.generic("Capability '" + cap.asText() + "' not available");
            }
        }
        c.session().setNegotiated();
        return Json.object();
    }

    private static JsonNode queryCommands(QmpCall c) {
        ArrayNode a = Json.array();
        for (QmpCommand cmd : c.monitor().commands()) {
            a.addObject().put("name", cmd.name());
        }
        return a;
    }

    static JsonNode queryStatus(QmpCall c) {
        RunState s = c.monitor().state();
        ObjectNode r = Json.object();
        r.put("status", s.qemuName());
        r.put("singlestep", false);
        r.put("running", s == RunState.RUNNING);
        return r;
    }

    static JsonNode cont(QmpCall c) throws QmpException {
        if (c.monitor().state() == RunState.SHUTDOWN) {
            throw QmpException.generic("Resetting the Virtual Machine is required");
        }
        c.machine().resume();
        return Json.object();
    }

    static JsonNode systemPowerdown(QmpCall c) throws QmpException {
        // QEMU sends POWERDOWN and returns success even when no device listens, so a script waits
        // for a shutdown that never comes. jqemu says so instead.
        if (!c.machine().hasPowerButton()) {
            throw QmpException.generic("This machine has no power button, so the guest cannot be asked to "
                    + "power off; use 'quit' to end the VM");
        }
        c.machine().requestPowerdown();
        return Json.object();
    }

    private static JsonNode queryMachines(QmpCall c) {
        ArrayNode a = Json.array();
        for (MachineType t : ServiceLoader.load(MachineType.class)) {
            ObjectNode o = a.addObject();
            o.put("name", t.name());
            if (!t.aliases().isEmpty()) {
                o.put("alias", t.aliases().get(0));
            }
            if (t.isDefault()) {
                o.put("is-default", true);
            }
            o.put("cpu-max", t.maxCpus());
            o.put("hotpluggable-cpus", false);
            o.put("numa-mem-supported", false);
            o.put("deprecated", false);
            if (!t.cpuModels().isEmpty()) {
                o.put("default-cpu-type", t.cpuModels().get(0) + "-" + target(t.name()) + "-cpu");
            }
        }
        return a;
    }

    private static JsonNode queryCpusFast(QmpCall c) {
        Machine m = c.machine();
        String target = target(machineTypeName(m));
        ArrayNode a = Json.array();
        for (Cpu cpu : m.cpus()) {
            ObjectNode o = a.addObject();
            o.put("cpu-index", cpu.index());
            o.put("qom-path", "/machine/unattached/device[" + cpu.index() + "]");
            o.put("thread-id", HostThreads.nativeId("vcpu-" + cpu.index()));
            ObjectNode props = o.putObject("props");
            // -smp N without topology is N sockets of one core of one thread, as in QEMU.
            props.put("core-id", 0);
            props.put("thread-id", 0);
            props.put("socket-id", cpu.index());
            o.put("target", target);
        }
        return a;
    }

    static JsonNode chardevs(QmpCall c) {
        ArrayNode a = Json.array();
        for (Chardev ch : c.machine().chardevs().values()) {
            ObjectNode o = a.addObject();
            o.put("frontend-open", true);
            o.put("filename", filename(ch));
            o.put("label", ch.id());
        }
        for (QmpMonitor.Endpoint e : c.monitor().endpoints()) {
            ObjectNode o = a.addObject();
            o.put("frontend-open", true);
            o.put("filename", e.filename());
            o.put("label", e.label());
        }
        return a;
    }

    private static String filename(Chardev ch) {
        return switch (ch) {
            case SocketChardev s -> s.filename();
            case StdioChardev s -> "stdio";
            case NullChardev n -> "null";
            case FileChardev f -> "file";
            case MuxChardev x -> "mux";
            default -> ch.getClass().getSimpleName();
        };
    }

    /** pmemsave: {@code size} bytes of guest physical memory from {@code val} into a file. */
    private static JsonNode pmemsave(QmpCall c) throws QmpException {
        return save(c, GuestMemory.physical(c.machine()), c.integer("val", 0), c.integer("size", 0));
    }

    private static String reason(Exception e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "No such file or directory";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "Permission denied";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    // ---- helpers ------------------------------------------------------------------------------

    static String machineTypeName(Machine m) {
        if (m.config().machineType != null) {
            return m.config().machineType;
        }
        for (MachineType t : ServiceLoader.load(MachineType.class)) {
            if (t.isDefault()) {
                return t.name();
            }
        }
        return "";
    }

    /** QEMU's SysEmuTarget of a board. */
    static String target(String machineType) {
        return switch (machineType) {
            case "virt" -> "aarch64";
            case "pseries" -> "ppc64";
            case "s390-ccw-virtio" -> "s390x";
            default -> "x86_64";
        };
    }
}
