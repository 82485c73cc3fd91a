package org.jqemu.hw.timer;

import org.jqemu.system.clock.Timer;
import org.jqemu.system.device.Device;
import org.jqemu.system.irq.IrqLine;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.MemoryOps;

/**
 * Intel 8254 programmable interval timer (8254 datasheet: "Control Word Format", "Read-Back
 * Command", "Counter Latch Command", "Modes 0-5"), clocked at the PC's 1.193182 MHz. Ports
 * 0x40-0x42 are the three counters, 0x43 the control word. Counter 0's OUT drives IRQ0; counter 1
 * (DRAM refresh on the AT) only counts; counter 2's GATE and OUT reach port 0x61 (see
 * {@code PcSpeaker}).
 *
 * <p>Counters are not ticked: each keeps the virtual time its count was loaded, and the value and
 * OUT are computed from the elapsed ticks when read. Only counter 0 arms a timer, at the next OUT
 * transition, and raises or lowers IRQ0 there as the datasheet's waveforms show. Timer callbacks
 * evaluate OUT at the transition's own time, not at the (later) time they run, so a delayed main
 * loop still delivers every edge.
 *
 * <p>Deliberate simplifications, as in QEMU: modes 1 and 5 start at the count write rather than
 * waiting for a GATE edge (counters 0 and 1 have GATE tied high), and a new count in modes 2 and
 * 3 takes effect at once instead of at the end of the current period.
 */
public final class I8254Pit implements Device {
    /** Input clock of all three counters, in Hz. */
    public static final long FREQUENCY = 1_193_182L;
    private static final long NS_PER_S = 1_000_000_000L;

    // Read/write access states (control word bits 5-4 and the byte order of word access).
    private static final int RW_LSB = 1;
    private static final int RW_MSB = 2;
    private static final int RW_WORD0 = 3;
    private static final int RW_WORD1 = 4;

    private final Machine machine;
    private final String id;
    private final Channel[] channels = new Channel[3];

    public I8254Pit(Machine machine, String id, IrqLine irq0) {
        this.machine = machine;
        this.id = id;
        for (int i = 0; i < 3; i++) {
            channels[i] = new Channel(i, i == 0 ? irq0 : null);
        }
        reset();
    }

    @Override
    public String id() {
        return id;
    }

    /** As QEMU's PIT after reset: every counter in mode 3 with count 0x10000, gate 2 low. */
    @Override
    public void reset() {
        for (Channel c : channels) {
            c.resetChannel();
        }
    }

    /** Ticks of the 1.193182 MHz clock in {@code ns} nanoseconds, rounded down. */
    static long ticks(long ns) {
        return ns / NS_PER_S * FREQUENCY + (ns % NS_PER_S) * FREQUENCY / NS_PER_S;
    }

    /** The first time, in nanoseconds, by which {@code t} ticks have elapsed. */
    static long nanosOfTicks(long t) {
        return t / FREQUENCY * NS_PER_S + ((t % FREQUENCY) * NS_PER_S + FREQUENCY - 1) / FREQUENCY;
    }

    private long now() {
        return machine.clock().nanos();
    }

    /** The GATE input of counter {@code channel} (only counter 2's is wired, to port 0x61). */
    public void setGate(int channel, boolean level) {
        channels[channel].setGate(level, now());
    }

    public boolean gate(int channel) {
        return channels[channel].gate;
    }

    /** The OUT pin of counter {@code channel} now. */
    public boolean output(int channel) {
        return channels[channel].output(now());
    }

    /** Ports 0x40-0x43. */
    public MemoryOps ports() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                int port = (int) offset & 3;
                return port == 3 ? 0 : channels[port].readData(now());
            }

            @Override
            public void write(long offset, int size, long value) {
                int port = (int) offset & 3;
                if (port == 3) {
                    writeControl((int) value & 0xff);
                } else {
                    channels[port].writeData((int) value & 0xff, now());
                }
            }
        };
    }

    private void writeControl(int value) {
        int select = value >> 6;
        long now = now();
        if (select == 3) {
            // Read-back: bits 3-1 pick counters 2, 1, 0; a clear bit 5 latches counts, bit 4 status.
            for (int i = 0; i < 3; i++) {
                if ((value & (2 << i)) != 0) {
                    if ((value & 0x20) == 0) {
                        channels[i].latchCount(now);
                    }
                    if ((value & 0x10) == 0) {
                        channels[i].latchStatus(now);
                    }
                }
            }
            return;
        }
        Channel c = channels[select];
        int access = (value >> 4) & 3;
        if (access == 0) {
            c.latchCount(now);
        } else {
            c.program(access, (value >> 1) & 7, (value & 1) != 0, now);
        }
    }

    /** One counter. */
    private final class Channel {
        private final int index;
        private final IrqLine irq;
        private final Timer timer;

        int count;             // reload value: 1..0x10000 (binary) or 1..10000 (BCD)
        int mode;
        boolean bcd;
        int rwMode;
        int readState;
        int writeState;
        int writeLatch;
        boolean gate;
        long loadTime;
        long frozenAt = -1;    // modes 0 and 4 stop counting while GATE is low
        boolean waitingForCount;
        boolean nullCount;
        int latchedCount;
        int countLatched;      // 0, or the RW state in which the latched count is read
        boolean statusLatched;
        int status;
        long nextTransition = -1;

        Channel(int index, IrqLine irq) {
            this.index = index;
            this.irq = irq;
            this.timer = irq == null ? null : machine.newTimer(id + ".ch" + index, this::onTransition);
        }

        void resetChannel() {
            mode = 3;
            bcd = false;
            rwMode = RW_WORD0;
            readState = RW_WORD0;
            writeState = RW_WORD0;
            gate = index != 2;
            countLatched = 0;
            statusLatched = false;
            frozenAt = -1;
            load(0, now());
        }

        private int modulus() {
            return bcd ? 10000 : 0x10000;
        }

        /** The counter's starting value register written (a 0 means the largest count). */
        private void load(int raw, long now) {
            int value = bcd ? fromBcd(raw) : raw;
            count = value == 0 ? modulus() : value;
            loadTime = now;
            frozenAt = !gate && (mode == 0 || mode == 4) ? now : -1;
            waitingForCount = false;
            nullCount = false;
            updateIrq(now);
        }

        void program(int access, int newMode, boolean newBcd, long now) {
            rwMode = access;
            readState = access;
            writeState = access;
            mode = newMode > 5 ? newMode - 4 : newMode; // modes 6 and 7 are 2 and 3
            bcd = newBcd;
            // A control word stops the counter until a new count arrives; OUT goes to its
            // initial state: low in mode 0, high in every other mode.
            waitingForCount = true;
            nullCount = true;
            frozenAt = -1;
            updateIrq(now);
        }

        /** Ticks counted by {@code now}: the time base stops while GATE is low in modes 0 and 4. */
        private long elapsed(long now) {
            long t = frozenAt >= 0 ? frozenAt : now;
            return Math.max(0, ticks(t - loadTime));
        }

        /** The counting element's value at {@code now}, in the counter's number format. */
        int counterValue(long now) {
            if (waitingForCount) {
                return encode(count);
            }
            long d = elapsed(now);
            long v = switch (mode) {
                case 2 -> count - (d % count);
                case 3 -> count - ((2 * d) % count);
                default -> Math.floorMod(count - d, (long) modulus());
            };
            return encode((int) v);
        }

        private int encode(int v) {
            int m = v % modulus();
            return bcd ? toBcd(m) : m & 0xffff;
        }

        /** OUT at {@code now}, per the datasheet's waveforms. */
        boolean output(long now) {
            if (waitingForCount) {
                return mode != 0;
            }
            if ((mode == 2 || mode == 3) && !gate) {
                return true; // a low GATE forces OUT high in the periodic modes
            }
            long d = elapsed(now);
            return switch (mode) {
                case 0, 1 -> d >= count;                     // low until terminal count
                case 2 -> count < 2 || d % count != count - 1; // low for the tick before reload
                case 3 -> d % count < (count + 1) / 2;        // high for the first half period
                default -> d != count;                        // modes 4, 5: a one-tick low strobe
            };
        }

        /** Tick (since load) of the next OUT change after {@code d}, or -1 if OUT stays put. */
        private long nextTransitionTick(long d) {
            switch (mode) {
                case 0, 1 -> {
                    return d < count ? count : -1;
                }
                case 2, 3 -> {
                    if (count < 2) {
                        return -1;
                    }
                    long base = d / count * count;
                    long mid = mode == 2 ? count - 1 : (count + 1) / 2;
                    return d - base < mid ? base + mid : base + count;
                }
                default -> {
                    return d < count ? count : d == count ? count + 1 : -1;
                }
            }
        }

        /** Counter 0 only: sets IRQ0 to OUT at {@code at} and arms the timer for the next change. */
        private void updateIrq(long at) {
            if (timer == null) {
                return;
            }
            irq.set(output(at));
            long next = -1;
            boolean stopped = waitingForCount || frozenAt >= 0 || ((mode == 2 || mode == 3) && !gate);
            if (!stopped) {
                long tick = nextTransitionTick(elapsed(at));
                if (tick >= 0) {
                    next = Math.max(loadTime + nanosOfTicks(tick), at + 1);
                }
            }
            nextTransition = next;
            if (next < 0) {
                timer.cancel();
            } else {
                timer.modNs(next);
            }
        }

        /**
         * Plays every transition that is due, in order: when the main loop ran late, each edge
         * still reaches the interrupt controller (bounded, so a tiny period cannot stall the loop).
         */
        private void onTransition() {
            long now = now();
            for (int i = 0; i < 1000 && nextTransition >= 0 && nextTransition <= now; i++) {
                updateIrq(nextTransition);
            }
        }

        void setGate(boolean level, long now) {
            if (level == gate) {
                return;
            }
            switch (mode) {
                case 0, 4 -> {
                    if (level && frozenAt >= 0) {
                        loadTime += now - frozenAt; // resume where counting stopped
                        frozenAt = -1;
                    } else if (!level && !waitingForCount) {
                        frozenAt = now;
                    }
                }
                default -> {
                    if (level) {
                        loadTime = now; // a rising GATE (re)starts modes 1, 2, 3 and 5
                    }
                }
            }
            gate = level;
            updateIrq(now);
        }

        void latchCount(long now) {
            if (countLatched == 0) {
                latchedCount = counterValue(now);
                countLatched = rwMode;
            }
        }

        void latchStatus(long now) {
            if (!statusLatched) {
                status = (output(now) ? 0x80 : 0) | (nullCount ? 0x40 : 0) | (rwMode << 4) | (mode << 1)
                        | (bcd ? 1 : 0);
                statusLatched = true;
            }
        }

        int readData(long now) {
            if (statusLatched) {
                statusLatched = false;
                return status;
            }
            if (countLatched != 0) {
                switch (countLatched) {
                    case RW_LSB -> {
                        countLatched = 0;
                        return latchedCount & 0xff;
                    }
                    case RW_MSB -> {
                        countLatched = 0;
                        return (latchedCount >> 8) & 0xff;
                    }
                    case RW_WORD0 -> {
                        countLatched = RW_MSB;
                        return latchedCount & 0xff;
                    }
                    default -> {
                        countLatched = 0;
                        return (latchedCount >> 8) & 0xff;
                    }
                }
            }
            int v = counterValue(now);
            switch (readState) {
                case RW_LSB -> {
                    return v & 0xff;
                }
                case RW_MSB -> {
                    return (v >> 8) & 0xff;
                }
                case RW_WORD0 -> {
                    readState = RW_WORD1;
                    return v & 0xff;
                }
                default -> {
                    readState = RW_WORD0;
                    return (v >> 8) & 0xff;
                }
            }
        }

        void writeData(int value, long now) {
            switch (writeState) {
                case RW_LSB -> load(value, now);
                case RW_MSB -> load(value << 8, now);
                case RW_WORD0 -> {
                    writeLatch = value;
                    writeState = RW_WORD1;
                    if (mode == 0) {
                        // Mode 0: writing the first byte stops the count and drops OUT.
                        waitingForCount = true;
                        updateIrq(now);
                    }
                }
                default -> {
                    load(writeLatch | (value << 8), now);
                    writeState = RW_WORD0;
                }
            }
        }
    }

    static int fromBcd(int v) {
        return ((v >> 12) & 0xf) * 1000 + ((v >> 8) & 0xf) * 100 + ((v >> 4) & 0xf) * 10 + (v & 0xf);
    }

    static int toBcd(int v) {
        return ((v / 1000) % 10) << 12 | ((v / 100) % 10) << 8 | ((v / 10) % 10) << 4 | (v % 10);
    }
}
