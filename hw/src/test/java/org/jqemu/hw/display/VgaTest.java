package org.jqemu.hw.display;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import org.jqemu.hw.TestMachines;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.ui.DisplaySurface;
import org.junit.jupiter.api.Test;

/** Register-level checks of the VGA core: reset text mode, VBE linear modes, planar memory modes. */
class VgaTest {
    private final Machine m = TestMachines.newMachine();
    private final Vga vga = new Vga(m, "vga");

    private void vbe(int index, int value) {
        vga.vbeWrite(index, value);
    }

    @Test
    void resetShowsAnEightyByTwentyFiveTextScreenInTheHostFont() {
        assumeFont();
        // "Hi" at the top left through the legacy window (odd/even: char, attribute), white on blue
        int b8000 = 0x18000;
        vga.portWrite(0x3d4, 0x0a);
        vga.portWrite(0x3d5, 0x20); // cursor off: it blinks over cell 0
        vga.memWrite(b8000, 'H');
        vga.memWrite(b8000 + 1, 0x1f);
        vga.memWrite(b8000 + 2, 'i');
        vga.memWrite(b8000 + 3, 0x1f);
        vga.refresh();
        DisplaySurface s = vga.surface();
        assertEquals(720, s.width());
        assertEquals(400, s.height());
        String first = TextOcr.row(vga, s.snapshot(), 720, 0, 9, 16);
        assertTrue(first.startsWith("Hi "), first);
        assertEquals(0x0000aa, s.pixel(8, 0), "background of attribute 0x1f is EGA blue"); // 9th column
        assertEquals('H', vga.textChar(0));
    }

    @Test
    void vbeThirtyTwoBitModeIsALinearFramebuffer() {
        vbe(Vga.VBE_XRES, 640);
        vbe(Vga.VBE_YRES, 480);
        vbe(Vga.VBE_BPP, 32);
        vbe(Vga.VBE_ENABLE, Vga.VBE_ENABLED | 0x40);
        assertEquals(640, vga.vbeRead(Vga.VBE_VIRT_WIDTH));
        vga.vram().segment().set(ValueLayout.JAVA_INT_UNALIGNED, 4L * (10 * 640 + 20), 0x00123456);
        vga.refresh();
        DisplaySurface s = vga.surface();
        assertEquals(640, s.width());
        assertEquals(480, s.height());
        assertEquals(0x123456, s.pixel(20, 10));
        long gen = s.generation();
        vga.refresh();
        assertEquals(gen, s.generation(), "an unchanged frame marks nothing dirty");
        vga.vram().segment().set(ValueLayout.JAVA_INT_UNALIGNED, 4L * (100 * 640 + 300), 0xffffff);
        vga.refresh();
        assertTrue(s.tileChangedSince(300 / 16, 100 / 16, gen));
        assertTrue(!s.tileChangedSince(0, 0, gen), "only the changed tile is dirty");
    }

    @Test
    void vbeEightBitModeGoesThroughTheDacAndBankedWindow() {
        vbe(Vga.VBE_XRES, 320);
        vbe(Vga.VBE_YRES, 200);
        vbe(Vga.VBE_BPP, 8);
        vbe(Vga.VBE_ENABLE, Vga.VBE_ENABLED);
        vga.portWrite(0x3c8, 5); // DAC entry 5 = (63, 0, 21) in 6-bit
        vga.portWrite(0x3c9, 63);
        vga.portWrite(0x3c9, 0);
        vga.portWrite(0x3c9, 21);
        vga.memWrite(7, 5); // pixel (7, 0) through bank 0 at 0xA0000
        vga.refresh();
        assertEquals(0xff0055, vga.surface().pixel(7, 0));
        assertEquals(256, vga.vbeRead(Vga.VBE_VIDEO_MEMORY_64K), "16 MiB of video memory");
    }

    @Test
    void planarWriteModeTwoAndReadModeOne() {
        vga.portWrite(0x3c4, 4);
        vga.portWrite(0x3c5, 0x06); // sequential addressing, no chain-4
        vga.portWrite(0x3c4, 2);
        vga.portWrite(0x3c5, 0x0f); // all planes
        vga.portWrite(0x3ce, 6);
        vga.portWrite(0x3cf, 0x05); // graphics, A0000 64K
        vga.portWrite(0x3ce, 5);
        vga.portWrite(0x3cf, 0x02); // write mode 2
        vga.portWrite(0x3ce, 8);
        vga.portWrite(0x3cf, 0xf0); // bit mask: left four pixels
        vga.vram().segment().set(ValueLayout.JAVA_INT_UNALIGNED, 0, 0x00000720); // reset text: ' ' grey
        vga.memRead(0); // load the latches
        vga.memWrite(0, 0x0a); // colour 1010b
        int planes = vga.vram().segment().get(ValueLayout.JAVA_INT_UNALIGNED, 0);
        assertEquals(0xf000f700, planes, "planes 1 and 3 get the masked pixels, the rest keeps the latches");
        vga.portWrite(0x3ce, 5);
        vga.portWrite(0x3cf, 0x08); // read mode 1
        vga.portWrite(0x3ce, 2);
        vga.portWrite(0x3cf, 0x0a); // colour compare 1010b
        vga.portWrite(0x3ce, 7);
        vga.portWrite(0x3cf, 0x0f);
        // pixels 0-3 are colour 1010b; of 4-7, three have only plane 1 set (colour 0010b)
        assertEquals(0xf0, vga.memRead(0), "pixels equal to colour 10 read as ones");
    }

    private static void assumeFont() {
        org.junit.jupiter.api.Assumptions.assumeTrue(VgaFont.system() != null, "no console font installed");
    }
}
