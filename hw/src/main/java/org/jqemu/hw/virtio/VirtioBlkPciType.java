package org.jqemu.hw.virtio;

import java.util.List;
import org.jqemu.hw.pci.PciBus;
import org.jqemu.system.block.BlockBackends;
import org.jqemu.system.block.BlockImage;
import org.jqemu.system.device.Device;
import org.jqemu.system.device.DeviceType;
import org.jqemu.system.device.PropertyInfo;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;

/** {@code -device virtio-blk-pci,drive=ID[,serial=S][,addr=SLOT[.FN]][,id=NAME]}. */
public final class VirtioBlkPciType implements DeviceType {
    public static final String NAME = "virtio-blk-pci";
    /** PCI class 01 00 00: mass storage, SCSI — what QEMU reports for virtio-blk. */
    static final int CLASS_STORAGE_SCSI = 0x010000;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String bus() {
        return "PCI";
    }

    @Override
    public String category() {
        return "Storage devices";
    }

    @Override
    public String description() {
        return "virtio block device over modern virtio-pci";
    }

    @Override
    public List<PropertyInfo> properties() {
        return List.of(
                new PropertyInfo("drive", "str", null, "ID of a drive to use as a backend"),
                new PropertyInfo("serial", "str", null, "the serial number GET_ID reports"),
                new PropertyInfo("addr", "int32", "-1", "slot and function number, as SLOT[.FN]"));
    }

    @Override
    public Device create(Machine machine, Opts opts) throws ConfigException {
        PciBus bus = PciBus.of(machine, NAME);
        String where = opts.option() + " " + NAME;
        String drive = opts.getString("drive", null);
        if (drive == null) {
            throw new ConfigException(where + ": drive property not set");
        }
        BlockBackends backends = machine.component(BlockBackends.class);
        if (backends == null) {
            throw new ConfigException(where + ": Property 'virtio-blk-pci.drive' can't find value '" + drive + "'");
        }
        BlockImage image = backends.attach(drive, NAME);
        String serial = opts.getString("serial", null);
        int devfn = PciBus.parseAddr(opts, NAME);
        String id = opts.getString("id", drive);
        opts.checkAllUsed();
        VirtioPci pci = new VirtioPci(new VirtioBlk(machine, id, image, serial), bus, devfn, CLASS_STORAGE_SCSI);
        machine.addDevice(pci);
        return pci;
    }
}
