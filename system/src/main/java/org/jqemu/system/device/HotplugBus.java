package org.jqemu.system.device;

import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;

/**
 * A bus that takes and gives up devices while the machine runs (QEMU's hotplug handler): QMP
 * {@code device_add} and {@code device_del} go through it. A board that has one registers it as
 * the machine component {@code HotplugBus.class}; without one every bus is cold-plug only.
 *
 * <p>Removal is a request: the guest is asked to let go and the device goes away when the guest
 * ejects it, at which point the bus calls {@link org.jqemu.system.machine.Machine#deviceDeleted}.
 */
public interface HotplugBus {
    /** QEMU's name of the bus ("pci.0"). */
    String busName();

    /** True when devices of {@code type} plug into this bus. */
    boolean accepts(DeviceType type);

    /**
     * Creates the device from its options (as {@code -device} would), plugs it and tells the
     * guest. Takes the machine lock itself.
     *
     * @param userId the {@code id=} the user gave, or null
     */
    Device plug(DeviceType type, Opts opts, String userId) throws ConfigException;

    /** True when {@code device} sits on this bus. */
    boolean contains(Device device);

    /**
     * Asks the guest to release {@code device}. Fails with QEMU's message when the device or its
     * slot cannot be unplugged.
     */
    void requestUnplug(Device device) throws ConfigException;
}
