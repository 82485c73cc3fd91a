package org.jqemu.hw.acpi;

import org.jqemu.hw.pci.I440fxHost;
import org.jqemu.hw.pci.PciBus;
import org.jqemu.hw.pci.PciDevice;
import org.jqemu.system.clock.Timer;
import org.jqemu.system.irq.IrqLine;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.ShutdownCause;
import org.jqemu.system.memory.IoRegion;
import org.jqemu.system.memory.MemoryOps;
import org.jqemu.system.options.ConfigException;

/**
 * Function 3 of the Intel 82371AB PIIX4: power management, 8086:7113, as QEMU's pc board has it
 * at 00:01.3 (PIIX4 datasheet, 3.4 "Power Management Function Configuration Registers": PMBA 0x40,
 * PMREGMISC 0x80; 7.2 "Power Management I/O Registers": PMSTS/PMEN/PMCNTRL/PMTMR, GPSTS/GPEN;
 * ACPI 1.0b, 4.7.3 "PM1 Event/Control Registers", 4.7.3.3 "Power Management Timer").
 *
 * <p>The 64-byte PM I/O block appears at PMBA (bits 15:6) while PMREGMISC bit 0 (PMIOSE) is set:
 * <ul>
 * <li>+0x00 PM1a_STS (write 1 to clear): TMR_STS 0, GBL_STS 5, PWRBTN_STS 8, RTC_STS 10, WAK_STS 15;
 * <li>+0x02 PM1a_EN: the same bits enable the SCI;
 * <li>+0x04 PM1a_CNT: SCI_EN 0, SLP_TYP 12:10, SLP_EN 13 (write-only): sleep type 0 (QEMU's
 *     {@code _S5}) and 2 ({@code _S4}) power the machine off, 1 ({@code _S3}) is logged as
 *     unimplemented;
 * <li>+0x08 PM_TMR: the 3.579545 MHz ACPI timer, 24 bits (TMR_STS when bit 23 toggles) or 32;
 * <li>+0x0C GPSTS / +0x0E GPEN: general-purpose event status (write 1 to clear) and enables.
 * </ul>
 * The SCI is a level on ISA IRQ 9: any enabled status bit. APM control (port 0xB2) commands 0xF1
 * and 0xF0 set and clear SCI_EN, which is how the FADT's SMI_CMD/ACPI_ENABLE handshake works on
 * QEMU's pc. {@link #powerButton()} is the front-panel button (QMP {@code system_powerdown}).
 */
public final class Piix4Pm extends PciDevice {
    public static final int DEVICE_ID_82371AB_PM = 0x7113;
    public static final int PMBA = 0x40;
    public static final int PMREGMISC = 0x80;
    public static final int DEVACTB = 0x58;
    public static final int IO_SIZE = 64;
    public static final long PM_TIMER_HZ = 3_579_545L;

    public static final int TMR_STS = 1, GBL_STS = 1 << 5, PWRBTN_STS = 1 << 8, RTC_STS = 1 << 10, WAK_STS = 1 << 15;
    public static final int SCI_EN = 1, SLP_EN = 1 << 13;
    static final int STS_BITS = TMR_STS | 1 << 4 | GBL_STS | PWRBTN_STS | 1 << 9 | RTC_STS | WAK_STS;
    static final int SCI_SOURCES = TMR_STS | GBL_STS | PWRBTN_STS | RTC_STS;
    public static final int APM_ENABLE_ACPI = 0xf1, APM_DISABLE_ACPI = 0xf0;

    private final IrqLine sci;
    private final boolean timer32;
    private final int presetBase;
    private final IoRegion pmRegion;
    private final Timer overflowTimer;
    private long mappedBase = -1;

    private int pm1Sts;
    private int pm1En;
    private int pm1Cnt;
    private int gpSts;
    private int gpEn;
    private long lastOverflow;
    private int apmControl;
    private int apmStatus;

    /**
     * @param sci the SCI line (ISA IRQ 9 on a PC)
     * @param timer32 a 32-bit PM timer (FADT TMR_VAL_EXT) instead of the PIIX4's 24 bits
     * @param presetBase if non-zero, PMBA and PMIOSE start programmed with this base, standing
     *     in for a BIOS when the board boots a kernel directly (QEMU's SeaBIOS writes 0x600)
     */
    public Piix4Pm(Machine machine, PciBus bus, int devfn, IrqLine sci, boolean timer32, int presetBase)
            throws ConfigException {
        super(machine, "piix4-pm");
        this.sci = sci;
        this.timer32 = timer32;
        this.presetBase = presetBase;
        setIds(I440fxHost.VENDOR_INTEL, DEVICE_ID_82371AB_PM, 0x03, 0x068000);
        setInterruptPin(1);
        for (int i = HEADER_SIZE; i < CONFIG_SIZE; i++) {
            setWmask(i, 1, 0);
        }
        setRaw(PMBA, 4, 0x1);
        setWmask(PMBA, 4, 0xffc0);
        setWmask(PMREGMISC, 1, 0x01);
        // DEVACTB (0x58) bit 25, APMC_EN, reads as already set: there is no SMM, and SeaBIOS skips
        // its SMI handler relocation when it sees this (QEMU does the same without SMM).
        setRaw(DEVACTB + 3, 1, 0x02);
        setWmask(DEVACTB, 4, 0);
        if (presetBase != 0) {
            setRaw(PMBA, 4, (presetBase & 0xffc0) | 1);
            setRaw(PMREGMISC, 1, 1);
        }
        pmRegion = new IoRegion("piix4-pm", IO_SIZE, pmOps());
        overflowTimer = machine.newTimer("pm-timer-overflow", this::timerOverflow);
        bus.plug(this, devfn);
        updateIoMapping();
    }

    /** The ACPI PM timer's current value. */
    public long pmTimer() {
        long t = ticks(machine.clock().nanos());
        return timer32 ? t & 0xffff_ffffL : t & 0xff_ffff;
    }

    private static long ticks(long nanos) {
        return (nanos / 1_000_000_000L) * PM_TIMER_HZ + (nanos % 1_000_000_000L) * PM_TIMER_HZ / 1_000_000_000L;
    }

    /** Number of times the timer's top bit has toggled since time 0. */
    private long overflows(long nanos) {
        return ticks(nanos) >> (timer32 ? 31 : 23);
    }

    /** The I/O base of the PM block while enabled, or -1. */
    public long ioBase() {
        return mappedBase;
    }

    // ---- events ---------------------------------------------------------------------------------

    /** The power button was pressed: PWRBTN_STS, and an SCI if the guest enabled it. */
    public void powerButton() {
        if ((pm1En & PWRBTN_STS) != 0) {
            pm1Sts |= PWRBTN_STS;
            updateSci();
        }
    }

    /** The RTC alarm (RTC_STS). */
    public void rtcAlarm() {
        pm1Sts |= RTC_STS;
        updateSci();
    }

    /** A general-purpose event (GPSTS bit {@code bit}), e.g. for hotplug. */
    public void gpe(int bit) {
        gpSts |= 1 << bit;
        updateSci();
    }

    public int pm1Control() {
        return pm1Cnt;
    }

    private void syncTimerStatus() {
        long now = overflows(machine.clock().nanos());
        if (now != lastOverflow) {
            lastOverflow = now;
            pm1Sts |= TMR_STS;
        }
    }

    private void timerOverflow() {
        syncTimerStatus();
        updateSci();
        armOverflow();
    }

    private void armOverflow() {
        if ((pm1En & TMR_STS) == 0) {
            overflowTimer.cancel();
            return;
        }
        long next = (overflows(machine.clock().nanos()) + 1) << (timer32 ? 31 : 23);
        // Convert the tick count back to nanoseconds, rounding up so the toggle has happened.
        long ns = (next / PM_TIMER_HZ) * 1_000_000_000L + ((next % PM_TIMER_HZ) * 1_000_000_000L + PM_TIMER_HZ - 1) / PM_TIMER_HZ;
        overflowTimer.modNs(ns);
    }

    private void updateSci() {
        boolean level = (pm1Sts & pm1En & SCI_SOURCES) != 0 || (gpSts & gpEn) != 0;
        sci.set(level);
    }

    private void writeControl(int value) {
        pm1Cnt = value & ~SLP_EN & 0xffff;
        if ((value & SLP_EN) != 0) {
            int type = (value >> 10) & 7;
            switch (type) {
                case 0, 2 -> machine.requestShutdown(ShutdownCause.GUEST_SHUTDOWN);
                default -> {
                    if (machine.log().unimp) {
                        machine.log().unimplemented("piix4-pm: sleep type %d (suspend) not supported", type);
                    }
                }
            }
        }
    }

    // ---- I/O --------------------------------------------------------------------------------------

    private MemoryOps pmOps() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                if (offset == 0x08 && size == 4) {
                    // PM_TMR in one sample: built byte by byte, a carry between two reads of the
                    // clock could make the timer run backwards (Linux: "PM-Timer had inconsistent results").
                    return pmTimer();
                }
                long v = 0;
                for (int i = 0; i < size; i++) {
                    v |= (long) readByte((int) offset + i) << (8 * i);
                }
                return v;
            }

            @Override
            public void write(long offset, int size, long value) {
                int off = (int) offset;
                // Registers are written whole: assemble the value for each 16-bit register touched.
                if (off <= 0x00 && off + size > 0x00) {
                    int v = (int) (value >>> (8 * (0x00 - off)));
                    int mask = size - (0x00 - off) >= 2 ? 0xffff : 0xff;
                    syncTimerStatus();
                    pm1Sts &= ~(v & mask & STS_BITS);
                    updateSci();
                }
                if (off <= 0x02 && off + size > 0x02) {
                    int v = (int) (value >>> (8 * (0x02 - off)));
                    pm1En = size - (0x02 - off) >= 2 ? v & 0xffff : (pm1En & 0xff00) | (v & 0xff);
                    pm1En &= SCI_SOURCES;
                    updateSci();
                    armOverflow();
                }
                if (off <= 0x05 && off + size > 0x04) {
                    if (off == 0x05 && size == 1) {
                        writeControl((pm1Cnt & 0xff) | (int) (value & 0xff) << 8);
                    } else if (off <= 0x04) {
                        int v = (int) (value >>> (8 * (0x04 - off)));
                        writeControl(size - (0x04 - off) >= 2 ? v & 0xffff : (pm1Cnt & 0xff00) | (v & 0xff));
                    }
                }
                if (off <= 0x0c && off + size > 0x0c) {
                    int v = (int) (value >>> (8 * (0x0c - off)));
                    gpSts &= ~(v & (size - (0x0c - off) >= 2 ? 0xffff : 0xff));
                    updateSci();
                }
                if (off <= 0x0e && off + size > 0x0e) {
                    int v = (int) (value >>> (8 * (0x0e - off)));
                    gpEn = size - (0x0e - off) >= 2 ? v & 0xffff : (gpEn & 0xff00) | (v & 0xff);
                    updateSci();
                }
            }
        };
    }

    private int readByte(int off) {
        return switch (off) {
            case 0x00, 0x01 -> {
                syncTimerStatus();
                yield (pm1Sts >> (8 * (off & 1))) & 0xff;
            }
            case 0x02, 0x03 -> (pm1En >> (8 * (off & 1))) & 0xff;
            case 0x04, 0x05 -> (pm1Cnt >> (8 * (off & 1))) & 0xff;
            case 0x08, 0x09, 0x0a, 0x0b -> (int) (pmTimer() >>> (8 * (off - 8))) & 0xff;
            case 0x0c, 0x0d -> (gpSts >> (8 * (off & 1))) & 0xff;
            case 0x0e, 0x0f -> (gpEn >> (8 * (off & 1))) & 0xff;
            default -> 0;
        };
    }

    /**
     * QEMU's GPE0 block (4 ports, 0xAFE0 on its pc: GPE0_STS then GPE0_EN, 16 bits each, the
     * FADT's GPE0_BLK), the same registers as GPSTS/GPEN in the PM block.
     */
    public MemoryOps gpeBlockPorts() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                long v = 0;
                for (int i = 0; i < size && offset + i < 4; i++) {
                    v |= (long) readByte(0x0c + (int) offset + i) << (8 * i);
                }
                return v;
            }

            @Override
            public void write(long offset, int size, long value) {
                pmRegion.ops().write(0x0c + offset, size, value);
            }
        };
    }

    /** APM control (0xB2) and status (0xB3) ports. */
    public MemoryOps apmPorts() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                long v = 0;
                for (int i = 0; i < size; i++) {
                    v |= (long) ((offset + i) == 0 ? apmControl : apmStatus) << (8 * i);
                }
                return v;
            }

            @Override
            public void write(long offset, int size, long value) {
                for (int i = 0; i < size && offset + i < 2; i++) {
                    int b = (int) (value >>> (8 * i)) & 0xff;
                    if (offset + i == 0) {
                        apmControl = b;
                        if (b == APM_ENABLE_ACPI) {
                            pm1Cnt |= SCI_EN;
                        } else if (b == APM_DISABLE_ACPI) {
                            pm1Cnt &= ~SCI_EN;
                        }
                    } else {
                        apmStatus = b;
                    }
                }
            }
        };
    }

    // ---- config space -----------------------------------------------------------------------------

    @Override
    public void configWrite(int offset, int size, int value) {
        super.configWrite(offset, size, value);
        if ((offset < PMBA + 4 && offset + size > PMBA) || (offset <= PMREGMISC && offset + size > PMREGMISC)) {
            updateIoMapping();
        }
    }

    private void updateIoMapping() {
        long want = (raw(PMREGMISC, 1) & 1) != 0 ? raw(PMBA, 4) & 0xffc0 : -1;
        if (want == 0) {
            want = -1;
        }
        if (want == mappedBase) {
            return;
        }
        if (mappedBase >= 0) {
            machine.io().root().remove(pmRegion);
        }
        if (want >= 0) {
            machine.io().root().add(want, pmRegion);
        }
        mappedBase = want;
    }

    @Override
    public void reset() {
        super.reset();
        pm1Sts = 0;
        pm1En = 0;
        pm1Cnt = 0;
        gpSts = 0;
        gpEn = 0;
        apmControl = 0;
        apmStatus = 0;
        lastOverflow = overflows(machine.clock().nanos());
        overflowTimer.cancel();
        updateIoMapping();
        updateSci();
    }
}
