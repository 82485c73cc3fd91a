package org.jqemu.hw.virtio;

/**
 * What a virtio device needs from whatever carries it (PCI, MMIO, later CCW): a way to tell the
 * driver about used buffers and configuration changes (virtio 1.2, 2.3 "Notifications"). The
 * device never learns which transport it sits on.
 */
public interface VirtioTransport {
    /** A used buffer notification for {@code queue} (interrupt, ISR bit 0 / MSI-X vector). */
    void notifyUsedBuffer(Virtqueue queue);

    /** A configuration change notification (ISR bit 1); also sent when the device needs reset. */
    void notifyConfigChange();
}
