package org.jqemu.hw.display;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.jqemu.system.device.Device;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.memory.MemoryOps;
import org.jqemu.system.memory.RamRegion;
import org.jqemu.system.ui.DisplaySurface;
import org.jqemu.system.ui.GraphicConsole;

/**
 * The standard VGA core with the Bochs VBE extension, as QEMU's "stdvga": IBM VGA registers
 * (IBM VGA Technical Reference: sequencer 0x3C4/5, CRT controller 0x3B4/5 or 0x3D4/5, graphics
 * controller 0x3CE/F, attribute controller 0x3C0/1, DAC 0x3C6-0x3C9, miscellaneous output
 * 0x3C2/0x3CC, input status 0x3C2/0x3DA), the legacy memory window 0xA0000-0xBFFFF with the
 * planar read modes 0-1 and write modes 0-3, chain-4 and odd/even addressing, and the Bochs
 * "dispi" interface (index 0x1CE, data 0x1CF; Bochs vbe.h) for linear framebuffer modes of
 * 8/15/16/24/32 bits per pixel.
 *
 * <p>Video memory keeps the four planes interleaved, byte {@code 4 * offset + plane}, which makes
 * chain-4 (mode 13h) and VBE modes plain linear framebuffers, as in QEMU.
 *
 * <p>Rendering (called by viewers): blank when the attribute controller's palette address source
 * bit is clear or the screen is off; VBE modes; text modes with the font from plane 2, 8 or 9
 * dot cells, line-graphics ninth column, 16 background colours (no character blink) and a
 * blinking cursor; 256-colour (mode 13h) and 16-colour planar graphics. The CGA-compatible
 * 2-bit modes (4, 5, 6) are not drawn.
 *
 * <p>At reset the registers hold mode 3 (80x25 text) and plane 2 a console font from the host,
 * so a guest started without a VGA BIOS (direct kernel boot) has a working text console.
 */
public final class Vga implements Device, GraphicConsole {
    public static final int VRAM_SIZE = 16 << 20;

    // Bochs dispi registers (vbe.h).
    static final int VBE_ID = 0;
    static final int VBE_XRES = 1;
    static final int VBE_YRES = 2;
    static final int VBE_BPP = 3;
    static final int VBE_ENABLE = 4;
    static final int VBE_BANK = 5;
    static final int VBE_VIRT_WIDTH = 6;
    static final int VBE_VIRT_HEIGHT = 7;
    static final int VBE_X_OFFSET = 8;
    static final int VBE_Y_OFFSET = 9;
    static final int VBE_VIDEO_MEMORY_64K = 10;
    static final int VBE_REGS = 11;
    static final int VBE_ID5 = 0xb0c5;
    static final int VBE_ENABLED = 0x01;
    static final int VBE_GETCAPS = 0x02;
    static final int VBE_8BIT_DAC = 0x20;
    static final int VBE_NOCLEARMEM = 0x80;
    static final int VBE_MAX_XRES = 2560;
    static final int VBE_MAX_YRES = 1600;

    /** The standard mode 3 register set (IBM VGA BIOS parameter table). */
    private static final int[] MODE3_SEQ = {0x03, 0x00, 0x03, 0x00, 0x02};
    private static final int[] MODE3_CRTC = {0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e,
        0x00, 0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff};
    private static final int[] MODE3_ATTR = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b,
        0x3c, 0x3d, 0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08, 0x00};
    private static final int[] MODE3_GFX = {0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x00, 0xff};

    /** Expands 4 plane bits to one byte per plane (bit p set: byte p = 0xff). */
    private static final int[] MASK16 = new int[16];

    static {
        for (int i = 0; i < 16; i++) {
            int v = 0;
            for (int p = 0; p < 4; p++) {
                if ((i & (1 << p)) != 0) {
                    v |= 0xff << (8 * p);
                }
            }
            MASK16[i] = v;
        }
    }

    private final Machine machine;
    private final String id;
    private final RamRegion vramRegion;
    private final MemorySegment vram;
    private final VgaFont font;
    private final DisplaySurface surface = new DisplaySurface(720, 400);

    private int misc;
    private int seqIndex;
    private final int[] sr = new int[8];
    private int gcIndex;
    private final int[] gr = new int[16];
    private int crtcIndex;
    private final int[] cr = new int[256];
    private int arIndex;
    private boolean arData;
    private final int[] ar = new int[21];
    private int featureControl;
    private int st01;
    private int dacMask;
    private int dacReadIndex;
    private int dacWriteIndex;
    private int dacSub;
    private int dacState;
    private final int[] dacLatch = new int[3];
    private final int[] palette = new int[768];
    private int latch;

    private int vbeIndex;
    private final int[] vbe = new int[VBE_REGS];
    private int vbeLineOffset;
    private long vbeStart;

    // renderer scratch, used only under the surface monitor
    private int[] row = new int[VBE_MAX_XRES];
    private final int[] rgb = new int[256];
    /** What the last text frame was drawn from: registers, cursor phase, cells and fonts. */
    private long textStateHash;
    private byte[] textShadow = new byte[0];
    private byte[] textScratch = new byte[0];

    public Vga(Machine machine, String id) {
        this.machine = machine;
        this.id = id;
        this.vramRegion = RamRegion.allocate(machine.arena(), id + ".vram", VRAM_SIZE, false);
        this.vram = vramRegion.segment();
        this.font = VgaFont.system();
        reset();
    }

    @Override
    public String id() {
        return id;
    }

    /** Video memory, the linear framebuffer a PCI BAR shows. */
    public RamRegion vram() {
        return vramRegion;
    }

    @Override
    public DisplaySurface surface() {
        return surface;
    }

    @Override
    public void reset() {
        java.util.Arrays.fill(sr, 0);
        java.util.Arrays.fill(gr, 0);
        java.util.Arrays.fill(cr, 0);
        java.util.Arrays.fill(ar, 0);
        java.util.Arrays.fill(vbe, 0);
        vbe[VBE_ID] = VBE_ID5;
        vbe[VBE_BPP] = 8;
        vbeLineOffset = 0;
        vbeStart = 0;
        vbeIndex = 0;
        System.arraycopy(MODE3_SEQ, 0, sr, 0, MODE3_SEQ.length);
        System.arraycopy(MODE3_CRTC, 0, cr, 0, MODE3_CRTC.length);
        System.arraycopy(MODE3_ATTR, 0, ar, 0, MODE3_ATTR.length);
        System.arraycopy(MODE3_GFX, 0, gr, 0, MODE3_GFX.length);
        misc = 0x67;
        arIndex = 0x20; // palette address source set: the display is on
        arData = false;
        dacMask = 0xff;
        dacReadIndex = dacWriteIndex = dacSub = dacState = 0;
        featureControl = 0;
        st01 = 0;
        latch = 0;
        seqIndex = gcIndex = crtcIndex = 0;
        // The EGA palette in DAC entries 0-63: bits 0-2 blue/green/red at 2/3, bits 3-5 at 1/3.
        java.util.Arrays.fill(palette, 0);
        for (int i = 0; i < 64; i++) {
            palette[3 * i] = ((i >> 2) & 1) * 0x2a + ((i >> 5) & 1) * 0x15;
            palette[3 * i + 1] = ((i >> 1) & 1) * 0x2a + ((i >> 4) & 1) * 0x15;
            palette[3 * i + 2] = (i & 1) * 0x2a + ((i >> 3) & 1) * 0x15;
        }
        vram.fill((byte) 0);
        if (font != null) {
            for (int c = 0; c < 256; c++) {
                for (int r = 0; r < font.height(); r++) {
                    vram.set(ValueLayout.JAVA_BYTE, 4L * (c * 32 + r) + 2, (byte) font.row(c, r));
                }
            }
        }
        // A blank screen of grey-on-black spaces.
        for (int i = 0; i < 80 * 25; i++) {
            vram.set(ValueLayout.JAVA_BYTE, 4L * i, (byte) ' ');
            vram.set(ValueLayout.JAVA_BYTE, 4L * i + 1, (byte) 0x07);
        }
    }

    private boolean vbeEnabled() {
        return (vbe[VBE_ENABLE] & VBE_ENABLED) != 0;
    }

    // ---- I/O ports 0x3B0-0x3DF ----------------------------------------------------------------

    /** Ports 0x3B0-0x3DF at offsets 0-0x2F; word accesses are two byte accesses, as on ISA. */
    public MemoryOps ioPorts() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                long v = 0;
                for (int i = 0; i < size; i++) {
                    v |= (long) portRead(0x3b0 + (int) offset + i) << (8 * i);
                }
                return v;
            }

            @Override
            public void write(long offset, int size, long value) {
                for (int i = 0; i < size; i++) {
                    portWrite(0x3b0 + (int) offset + i, (int) (value >>> (8 * i)) & 0xff);
                }
            }
        };
    }

    /** True for a CRT controller port of the other (mono vs colour) address range, which the card ignores. */
    private boolean otherCrtcRange(int port) {
        boolean color = (misc & 1) != 0;
        return color ? port >= 0x3b0 && port <= 0x3bf : port >= 0x3d0 && port <= 0x3df;
    }

    int portRead(int port) {
        if (otherCrtcRange(port)) {
            return 0xff;
        }
        switch (port) {
            case 0x3c0:
                return arData ? 0 : arIndex;
            case 0x3c1:
                return (arIndex & 0x1f) < ar.length ? ar[arIndex & 0x1f] : 0;
            case 0x3c2:
                return 0; // input status 0: no switch sense, no pending vertical interrupt
            case 0x3c4:
                return seqIndex;
            case 0x3c5:
                return sr[seqIndex];
            case 0x3c6:
                return dacMask;
            case 0x3c7:
                return dacState;
            case 0x3c8:
                return dacWriteIndex;
            case 0x3c9: {
                int v = palette[dacReadIndex * 3 + dacSub];
                if (++dacSub == 3) {
                    dacSub = 0;
                    dacReadIndex = (dacReadIndex + 1) & 0xff;
                }
                return v;
            }
            case 0x3ca:
                return featureControl;
            case 0x3cc:
                return misc;
            case 0x3ce:
                return gcIndex;
            case 0x3cf:
                return gr[gcIndex];
            case 0x3b4, 0x3d4:
                return crtcIndex;
            case 0x3b5, 0x3d5:
                return cr[crtcIndex];
            case 0x3ba, 0x3da:
                // Nobody times us: toggle vertical retrace and display enable so polling loops end.
                st01 ^= 0x09;
                arData = false;
                return st01;
            default:
                return 0xff;
        }
    }

    void portWrite(int port, int v) {
        if (otherCrtcRange(port)) {
            return;
        }
        switch (port) {
            case 0x3c0 -> {
                if (!arData) {
                    arIndex = v & 0x3f;
                } else {
                    int i = arIndex & 0x1f;
                    switch (i) {
                        case 0x10, 0x11 -> ar[i] = v;
                        case 0x12 -> ar[i] = v & 0x3f;
                        case 0x13, 0x14 -> ar[i] = v & 0x0f;
                        default -> {
                            if (i < 0x10) {
                                ar[i] = v & 0x3f;
                            }
                        }
                    }
                }
                arData = !arData;
            }
            case 0x3c2 -> misc = v & ~0x10;
            case 0x3c4 -> seqIndex = v & 7;
            case 0x3c5 -> sr[seqIndex] = v;
            case 0x3c6 -> dacMask = v;
            case 0x3c7 -> {
                dacReadIndex = v;
                dacSub = 0;
                dacState = 3;
            }
            case 0x3c8 -> {
                dacWriteIndex = v;
                dacSub = 0;
                dacState = 0;
            }
            case 0x3c9 -> {
                dacLatch[dacSub] = v;
                if (++dacSub == 3) {
                    for (int i = 0; i < 3; i++) {
                        palette[dacWriteIndex * 3 + i] = dacLatch[i];
                    }
                    dacSub = 0;
                    dacWriteIndex = (dacWriteIndex + 1) & 0xff;
                }
            }
            case 0x3ce -> gcIndex = v & 0x0f;
            case 0x3cf -> gr[gcIndex] = v;
            case 0x3b4, 0x3d4 -> crtcIndex = v;
            case 0x3b5, 0x3d5 -> {
                // CR11 bit 7 write-protects CR0-CR7, except the line compare bit 4 of CR7.
                if ((cr[0x11] & 0x80) != 0 && crtcIndex <= 7) {
                    if (crtcIndex == 7) {
                        cr[7] = (cr[7] & ~0x10) | (v & 0x10);
                    }
                    return;
                }
                cr[crtcIndex] = v;
            }
            case 0x3ba, 0x3da -> featureControl = v & 0x10;
            default -> {
                if (machine.log().unimp) {
                    machine.log().unimplemented("%s: write 0x%02x to port 0x%x", id, v, port);
                }
            }
        }
    }

    // ---- Bochs VBE (dispi) --------------------------------------------------------------------

    /** Ports 0x1CE (index) and 0x1CF (data), 16 bits wide. */
    public MemoryOps vbePorts() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                return offset == 0 ? vbeIndex : vbeRead(vbeIndex);
            }

            @Override
            public void write(long offset, int size, long value) {
                if (offset == 0) {
                    vbeIndex = (int) value & 0xffff;
                } else {
                    vbeWrite(vbeIndex, (int) value & 0xffff);
                }
            }
        };
    }

    int vbeRead(int index) {
        if (index >= VBE_REGS) {
            return 0;
        }
        if ((vbe[VBE_ENABLE] & VBE_GETCAPS) != 0) {
            switch (index) {
                case VBE_XRES:
                    return VBE_MAX_XRES;
                case VBE_YRES:
                    return VBE_MAX_YRES;
                case VBE_BPP:
                    return 32;
                default:
                    break;
            }
        }
        if (index == VBE_VIDEO_MEMORY_64K) {
            return VRAM_SIZE >> 16;
        }
        return vbe[index];
    }

    void vbeWrite(int index, int v) {
        switch (index) {
            case VBE_ID -> {
                if (v >= 0xb0c0 && v <= VBE_ID5) {
                    vbe[VBE_ID] = v;
                }
            }
            case VBE_XRES -> {
                if (v <= VBE_MAX_XRES && (v & 7) == 0) {
                    vbe[VBE_XRES] = v;
                }
            }
            case VBE_YRES -> {
                if (v <= VBE_MAX_YRES) {
                    vbe[VBE_YRES] = v;
                }
            }
            case VBE_BPP -> {
                int bpp = v == 0 ? 8 : v;
                if (bpp == 4 || bpp == 8 || bpp == 15 || bpp == 16 || bpp == 24 || bpp == 32) {
                    vbe[VBE_BPP] = bpp;
                }
            }
            case VBE_BANK -> vbe[VBE_BANK] = v & ((VRAM_SIZE >> 16) - 1);
            case VBE_ENABLE -> {
                boolean was = vbeEnabled();
                if ((v & VBE_ENABLED) != 0 && !was) {
                    vbe[VBE_VIRT_WIDTH] = vbe[VBE_XRES];
                    vbe[VBE_X_OFFSET] = 0;
                    vbe[VBE_Y_OFFSET] = 0;
                    vbe[VBE_ENABLE] = v;
                    updateVbeGeometry();
                    if ((v & VBE_NOCLEARMEM) == 0) {
                        vram.asSlice(0, Math.min(VRAM_SIZE, (long) vbe[VBE_YRES] * vbeLineOffset)).fill((byte) 0);
                    }
                } else if ((v & VBE_ENABLED) == 0) {
                    vbe[VBE_BANK] = 0;
                }
                vbe[VBE_ENABLE] = v;
            }
            case VBE_VIRT_WIDTH, VBE_X_OFFSET, VBE_Y_OFFSET -> {
                vbe[index] = v;
                updateVbeGeometry();
            }
            default -> {
                // VIRT_HEIGHT and VIDEO_MEMORY_64K are computed, not set
            }
        }
    }

    private int vbeBytesPerPixel() {
        return vbe[VBE_BPP] == 4 ? 1 : (vbe[VBE_BPP] + 7) / 8;
    }

    private void updateVbeGeometry() {
        int width = Math.max(vbe[VBE_VIRT_WIDTH], vbe[VBE_XRES]);
        vbe[VBE_VIRT_WIDTH] = width;
        vbeLineOffset = width * vbeBytesPerPixel();
        vbe[VBE_VIRT_HEIGHT] = vbeLineOffset == 0 ? 0 : Math.min(0xffff, VRAM_SIZE / vbeLineOffset);
        vbeStart = (long) vbe[VBE_Y_OFFSET] * vbeLineOffset + (long) vbe[VBE_X_OFFSET] * vbeBytesPerPixel();
    }

    // ---- legacy memory window 0xA0000-0xBFFFF ----------------------------------------------------

    /** The 128 KiB window at 0xA0000. */
    public MemoryOps legacyWindow() {
        return new MemoryOps() {
            @Override
            public long read(long offset, int size) {
                long v = 0;
                for (int i = 0; i < size; i++) {
                    v |= (long) memRead((int) offset + i) << (8 * i);
                }
                return v;
            }

            @Override
            public void write(long offset, int size, long value) {
                for (int i = 0; i < size; i++) {
                    memWrite((int) offset + i, (int) (value >>> (8 * i)) & 0xff);
                }
            }
        };
    }

    /** The window offset as a plane address, or -1 when the memory map select does not decode it. */
    private int windowAddress(int addr) {
        switch ((gr[6] >> 2) & 3) {
            case 0:
                return addr;
            case 1:
                return addr < 0x10000 ? addr : -1;
            case 2:
                return addr >= 0x10000 && addr < 0x18000 ? addr - 0x10000 : -1;
            default:
                return addr >= 0x18000 ? addr - 0x18000 : -1;
        }
    }

    private int vb(long index) {
        return vram.get(ValueLayout.JAVA_BYTE, index) & 0xff;
    }

    int memRead(int offset) {
        if (vbeEnabled()) {
            return offset < 0x10000 ? vb(((long) vbe[VBE_BANK] << 16) + offset) : 0xff;
        }
        int addr = windowAddress(offset);
        if (addr < 0) {
            return 0xff;
        }
        if ((sr[4] & 0x08) != 0) { // chain 4
            return vb(addr);
        }
        if ((gr[5] & 0x10) != 0) { // odd/even
            int plane = (gr[4] & 2) | (addr & 1);
            return vb(((long) (addr & ~1) << 1) | plane);
        }
        latch = vram.get(ValueLayout.JAVA_INT_UNALIGNED, 4L * addr);
        if ((gr[5] & 0x08) == 0) {
            return (latch >>> (8 * (gr[4] & 3))) & 0xff;
        }
        // read mode 1: a 1 for each pixel whose planes match the colour compare (where cared)
        int r = (latch ^ MASK16[gr[2] & 0xf]) & MASK16[gr[7] & 0xf];
        r |= r >>> 16;
        r |= r >>> 8;
        return ~r & 0xff;
    }

    void memWrite(int offset, int val) {
        if (vbeEnabled()) {
            if (offset < 0x10000) {
                vram.set(ValueLayout.JAVA_BYTE, ((long) vbe[VBE_BANK] << 16) + offset, (byte) val);
            }
            return;
        }
        int addr = windowAddress(offset);
        if (addr < 0) {
            return;
        }
        if ((sr[4] & 0x08) != 0) {
            if ((sr[2] & (1 << (addr & 3))) != 0) {
                vram.set(ValueLayout.JAVA_BYTE, addr, (byte) val);
            }
            return;
        }
        if ((sr[4] & 0x04) == 0) { // odd/even
            int plane = addr & 1;
            if ((sr[2] & (1 << plane)) != 0) {
                vram.set(ValueLayout.JAVA_BYTE, ((long) (addr & ~1) << 1) | plane, (byte) val);
            }
            return;
        }
        int v;
        int bitMask;
        switch (gr[5] & 3) {
            case 0 -> {
                v = rotate(val) * 0x01010101;
                int setMask = MASK16[gr[1] & 0xf];
                v = (v & ~setMask) | (MASK16[gr[0] & 0xf] & setMask);
                bitMask = gr[8];
            }
            case 1 -> {
                storePlanes(addr, latch);
                return;
            }
            case 2 -> {
                v = MASK16[val & 0xf];
                bitMask = gr[8];
            }
            default -> {
                bitMask = gr[8] & rotate(val);
                v = MASK16[gr[0] & 0xf];
            }
        }
        switch ((gr[3] >> 3) & 3) {
            case 1 -> v &= latch;
            case 2 -> v |= latch;
            case 3 -> v ^= latch;
            default -> { }
        }
        int m = (bitMask & 0xff) * 0x01010101;
        storePlanes(addr, (v & m) | (latch & ~m));
    }

    private int rotate(int val) {
        int b = gr[3] & 7;
        return ((val >>> b) | (val << (8 - b))) & 0xff;
    }

    private void storePlanes(int addr, int v) {
        int mask = MASK16[sr[2] & 0xf];
        long at = 4L * addr;
        int old = vram.get(ValueLayout.JAVA_INT_UNALIGNED, at);
        vram.set(ValueLayout.JAVA_INT_UNALIGNED, at, (old & ~mask) | (v & mask));
    }

    // ---- rendering ----------------------------------------------------------------------------

    /**
     * Renders without the machine lock: a guest that hammers the VGA window holds that lock almost
     * all the time and would starve the viewers. Registers are plain ints read as they are; a
     * mode change in the middle of a frame at worst shows one mixed frame, corrected by the next.
     */
    @Override
    public void refresh() {
        synchronized (surface) {
            render();
        }
    }

    private int dacColor(int index) {
        int i = (index & dacMask) * 3;
        int r = palette[i];
        int g = palette[i + 1];
        int b = palette[i + 2];
        if ((vbe[VBE_ENABLE] & VBE_8BIT_DAC) == 0) {
            r = (r << 2 | r >> 4) & 0xff;
            g = (g << 2 | g >> 4) & 0xff;
            b = (b << 2 | b >> 4) & 0xff;
        }
        return r << 16 | g << 8 | b;
    }

    /** A 4-bit attribute colour through the attribute palette and colour select to the DAC. */
    private int attrColor(int c) {
        int v = ar[c & 0xf] & 0x3f;
        if ((ar[0x10] & 0x80) != 0) {
            v = (v & 0xf) | ((ar[0x14] & 3) << 4);
        }
        v |= (ar[0x14] & 0xc) << 4;
        return dacColor(v);
    }

    private int verticalDisplayEnd() {
        return (cr[0x12] | ((cr[7] & 0x02) << 7) | ((cr[7] & 0x40) << 3)) + 1;
    }

    private int startAddress() {
        return cr[0x0d] | (cr[0x0c] << 8);
    }

    private void ensureRow(int w) {
        if (row.length < w) {
            row = new int[w];
        }
    }

    private void render() {
        boolean text = !vbeEnabled() && (arIndex & 0x20) != 0 && (sr[1] & 0x20) == 0 && (gr[6] & 1) == 0;
        if (!text) {
            textShadow = new byte[0]; // the next text frame is drawn in full
        }
        if (vbeEnabled()) {
            renderVbe();
        } else if ((arIndex & 0x20) == 0 || (sr[1] & 0x20) != 0) {
            renderBlank();
        } else if ((gr[6] & 1) == 0) {
            renderText();
        } else if ((gr[5] & 0x40) != 0) {
            renderGraphics8();
        } else if ((gr[5] & 0x20) == 0) {
            renderPlanar();
        } else {
            renderBlank(); // CGA 2-bit modes
        }
    }

    private void renderBlank() {
        int w = surface.width();
        int h = surface.height();
        ensureRow(w);
        java.util.Arrays.fill(row, 0, w, 0);
        for (int y = 0; y < h; y++) {
            surface.updateRow(y, row, 0, w);
        }
    }

    private void renderVbe() {
        int w = vbe[VBE_XRES];
        int h = vbe[VBE_YRES];
        int bpp = vbe[VBE_BPP];
        if (w == 0 || h == 0 || bpp == 4) {
            renderBlank();
            return;
        }
        surface.resize(w, h);
        ensureRow(w);
        for (int i = 0; i < 256; i++) {
            rgb[i] = dacColor(i);
        }
        for (int y = 0; y < h; y++) {
            long base = vbeStart + (long) y * vbeLineOffset;
            if (base + (long) w * vbeBytesPerPixel() > VRAM_SIZE) {
                java.util.Arrays.fill(row, 0, w, 0);
            } else {
                switch (bpp) {
                    case 32 -> {
                        MemorySegment.copy(vram, ValueLayout.JAVA_INT_UNALIGNED, base, row, 0, w);
                        for (int x = 0; x < w; x++) {
                            row[x] &= 0xffffff;
                        }
                    }
                    case 24 -> {
                        for (int x = 0; x < w; x++) {
                            long p = base + 3L * x;
                            row[x] = vb(p) | vb(p + 1) << 8 | vb(p + 2) << 16;
                        }
                    }
                    case 16, 15 -> {
                        for (int x = 0; x < w; x++) {
                            int p = vram.get(ValueLayout.JAVA_SHORT_UNALIGNED, base + 2L * x) & 0xffff;
                            row[x] = bpp == 16 ? rgb565(p) : rgb555(p);
                        }
                    }
                    default -> {
                        for (int x = 0; x < w; x++) {
                            row[x] = rgb[vb(base + x)];
                        }
                    }
                }
            }
            surface.updateRow(y, row, 0, w);
        }
    }

    private static int rgb565(int p) {
        int r = (p >> 11) & 0x1f;
        int g = (p >> 5) & 0x3f;
        int b = p & 0x1f;
        return ((r << 3 | r >> 2) << 16) | ((g << 2 | g >> 4) << 8) | (b << 3 | b >> 2);
    }

    private static int rgb555(int p) {
        int r = (p >> 10) & 0x1f;
        int g = (p >> 5) & 0x1f;
        int b = p & 0x1f;
        return ((r << 3 | r >> 2) << 16) | ((g << 3 | g >> 2) << 8) | (b << 3 | b >> 2);
    }

    private void renderText() {
        int cols = cr[1] + 1;
        int cheight = (cr[9] & 0x1f) + 1;
        int cwidth = (sr[1] & 1) != 0 ? 8 : 9;
        boolean wide = (sr[1] & 0x08) != 0; // dot clock / 2: 40-column modes
        int rows = verticalDisplayEnd() / cheight;
        if ((cr[9] & 0x80) != 0) {
            rows /= 2;
        }
        rows = Math.max(1, Math.min(rows, 100));
        int pixw = cwidth * (wide ? 2 : 1);
        int w = cols * pixw;
        int h = rows * cheight;
        surface.resize(w, h);
        ensureRow(w);
        int[] colors = new int[16];
        for (int i = 0; i < 16; i++) {
            colors[i] = attrColor(i);
        }
        int sr3 = sr[3];
        int fontA = charMapOffset(((sr3 >> 2) & 3) | ((sr3 >> 3) & 4));
        int fontB = charMapOffset((sr3 & 3) | ((sr3 >> 2) & 4));
        int pitch = cr[0x13] * 2;
        int start = startAddress();
        int cursor = (cr[0x0e] << 8 | cr[0x0f]) - start;
        boolean cursorOn = (cr[0x0a] & 0x20) == 0 && (System.nanoTime() / 250_000_000L & 1) == 0;
        int cursorStart = cr[0x0a] & 0x1f;
        int cursorEnd = Math.min(cr[0x0b] & 0x1f, cheight - 1);
        boolean blink = (ar[0x10] & 0x08) != 0;
        boolean lineGraphics = (ar[0x10] & 0x04) != 0;
        if (textUnchanged(w, h, cursorOn, start, rows * pitch, fontA, fontB)) {
            return; // viewers poll often; an idle text screen costs a compare, not a redraw
        }
        for (int ty = 0; ty < rows; ty++) {
            int cellBase = start + ty * pitch;
            for (int line = 0; line < cheight; line++) {
                int x = 0;
                for (int tx = 0; tx < cols; tx++) {
                    int cell = (cellBase + tx) & 0xffff;
                    int ch = vb(4L * cell);
                    int attr = vb(4L * cell + 1);
                    int fg = colors[attr & 0xf];
                    int bg = colors[blink ? (attr >> 4) & 7 : attr >> 4];
                    int fontBase = (attr & 0x08) != 0 ? fontA : fontB;
                    int bits = vb(4L * (fontBase + ch * 32 + line) + 2);
                    if (cwidth == 9) {
                        bits <<= 1;
                        if (lineGraphics && ch >= 0xc0 && ch <= 0xdf && (bits & 2) != 0) {
                            bits |= 1;
                        }
                    }
                    if (cursorOn && ty * cols + tx == cursor && line >= cursorStart && line <= cursorEnd) {
                        bits = 0x1ff;
                    }
                    for (int bx = cwidth - 1; bx >= 0; bx--) {
                        int c = ((bits >> bx) & 1) != 0 ? fg : bg;
                        row[x++] = c;
                        if (wide) {
                            row[x++] = c;
                        }
                    }
                }
                surface.updateRow(ty * cheight + line, row, 0, w);
            }
        }
    }

    /**
     * True when nothing a text frame depends on changed since the last one: the registers and
     * palette, the cursor's blink phase, the visible cells (planes 0-1) and both fonts (plane 2).
     */
    private boolean textUnchanged(int w, int h, boolean cursorOn, int start, int cells, int fontA, int fontB) {
        long hash = java.util.Arrays.hashCode(sr);
        hash = hash * 31 + java.util.Arrays.hashCode(gr);
        hash = hash * 31 + java.util.Arrays.hashCode(cr);
        hash = hash * 31 + java.util.Arrays.hashCode(ar);
        hash = hash * 31 + java.util.Arrays.hashCode(palette);
        hash = hash * 31 + ((long) dacMask << 32 | (long) w << 16 | h) + (cursorOn ? 1 : 0) + (vbe[VBE_ENABLE] << 8);
        int cellBytes = 4 * Math.min(cells, 0x10000);
        int fontBytes = 4 * 256 * 32;
        int n = cellBytes + 2 * fontBytes;
        if (textScratch.length != n) {
            textScratch = new byte[n];
        }
        copyWrapped(4L * start, textScratch, 0, cellBytes);
        MemorySegment.copy(vram, ValueLayout.JAVA_BYTE, 4L * fontA, textScratch, cellBytes, fontBytes);
        MemorySegment.copy(vram, ValueLayout.JAVA_BYTE, 4L * fontB, textScratch, cellBytes + fontBytes, fontBytes);
        boolean same = hash == textStateHash && java.util.Arrays.equals(textScratch, textShadow);
        if (!same) {
            textStateHash = hash;
            byte[] t = textShadow;
            textShadow = textScratch;
            textScratch = t.length == n ? t : new byte[n];
        }
        return same;
    }

    /** Copies the cell area, which wraps at the 64 Ki-cell end of the planes. */
    private void copyWrapped(long from, byte[] dst, int off, int len) {
        long wrap = 4L * 0x10000;
        int first = (int) Math.min(len, wrap - (from % wrap));
        MemorySegment.copy(vram, ValueLayout.JAVA_BYTE, from % wrap, dst, off, first);
        if (first < len) {
            MemorySegment.copy(vram, ValueLayout.JAVA_BYTE, 0, dst, off + first, len - first);
        }
    }

    /** Character map select value (0-7) to its offset in plane 2: maps 0-3 at 16 KiB steps, 4-7 8 KiB above. */
    private static int charMapOffset(int map) {
        return (map & 3) * 0x4000 + (map >> 2) * 0x2000;
    }

    private int[] graphicsGeometry(int pixelsPerChar) {
        int w = (cr[1] + 1) * pixelsPerChar;
        int scan = (cr[9] & 0x1f) + 1;
        if ((cr[9] & 0x80) != 0) {
            scan *= 2;
        }
        int h = Math.max(1, verticalDisplayEnd() / scan);
        return new int[] {Math.max(8, w), h};
    }

    /** 256 colours (mode 13h and the unchained "mode X"): one byte per pixel through the DAC. */
    private void renderGraphics8() {
        int[] g = graphicsGeometry(4);
        int w = g[0];
        int h = g[1];
        surface.resize(w, h);
        ensureRow(w);
        for (int i = 0; i < 256; i++) {
            rgb[i] = dacColor(i);
        }
        int pitch = cr[0x13] << 3;
        long start = 4L * startAddress();
        for (int y = 0; y < h; y++) {
            long base = start + (long) y * pitch;
            for (int x = 0; x < w; x++) {
                row[x] = rgb[vb((base + x) & (VRAM_SIZE - 1))];
            }
            surface.updateRow(y, row, 0, w);
        }
    }

    /** 16-colour planar graphics (modes 0Dh-12h): one bit per plane per pixel. */
    private void renderPlanar() {
        int[] g = graphicsGeometry(8);
        int w = g[0];
        int h = g[1];
        surface.resize(w, h);
        ensureRow(w);
        int[] colors = new int[16];
        int planeEnable = ar[0x12] & 0xf;
        for (int i = 0; i < 16; i++) {
            colors[i] = attrColor(i & planeEnable);
        }
        int pitch = cr[0x13] * 2;
        int start = startAddress();
        for (int y = 0; y < h; y++) {
            int base = start + y * pitch;
            for (int xb = 0; xb < (w + 7) / 8; xb++) {
                int planes = vram.get(ValueLayout.JAVA_INT_UNALIGNED, 4L * ((base + xb) & 0xffff));
                for (int bit = 7; bit >= 0; bit--) {
                    int c = ((planes >> bit) & 1) | ((planes >> (8 + bit)) & 1) << 1
                            | ((planes >> (16 + bit)) & 1) << 2 | ((planes >> (24 + bit)) & 1) << 3;
                    int x = xb * 8 + 7 - bit;
                    if (x < w) {
                        row[x] = colors[c];
                    }
                }
            }
            surface.updateRow(y, row, 0, w);
        }
    }

    // ---- for tests and the text-console helpers ----------------------------------------------

    /** Row {@code line} of glyph {@code ch} in character map 0 of plane 2 (where a VGA BIOS loads its font). */
    int fontRow(int ch, int line) {
        return vb(4L * (ch * 32 + line) + 2);
    }

    /** The character at text cell {@code index} (plane 0), as the guest wrote it. */
    public int textChar(int index) {
        return vb(4L * index);
    }

    /** The visible text screen as lines of characters (only meaningful in a text mode). */
    public String textScreen() {
        machine.lock();
        try {
            int cols = cr[1] + 1;
            int rows = verticalDisplayEnd() / ((cr[9] & 0x1f) + 1);
            StringBuilder sb = new StringBuilder();
            int start = startAddress();
            for (int y = 0; y < rows; y++) {
                for (int x = 0; x < cols; x++) {
                    int ch = vb(4L * ((start + y * cr[0x13] * 2 + x) & 0xffff));
                    sb.append(ch >= 0x20 && ch < 0x7f ? (char) ch : ' ');
                }
                sb.append('\n');
            }
            return sb.toString();
        } finally {
            machine.unlock();
        }
    }
}
