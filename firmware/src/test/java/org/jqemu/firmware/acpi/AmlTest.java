package org.jqemu.firmware.acpi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class AmlTest {
    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    @Test
    void pkgLengthCountsItsOwnBytes() {
        assertArrayEquals(hex("01"), Aml.pkgLength(0));
        assertArrayEquals(hex("3f"), Aml.pkgLength(62));
        // 63 bytes of body: 65 with a two-byte PkgLength, 0x41 -> lead 0x41, then 0x04.
        assertArrayEquals(hex("41 04"), Aml.pkgLength(63));
        assertArrayEquals(hex("4f ff"), Aml.pkgLength(0xffd));
        assertArrayEquals(hex("81 00 01"), Aml.pkgLength(0xffe));
    }

    @Test
    void namesAndIntegers() {
        assertArrayEquals(hex("5f 53 35 5f"), Aml.name("_S5"));
        assertArrayEquals(hex("5c 5f 53 42 5f"), Aml.name("\\_SB"));
        assertArrayEquals(hex("5c 2e 5f 53 42 5f 50 43 49 30"), Aml.name("\\_SB.PCI0"));
        assertArrayEquals(hex("2f 03 5f 53 42 5f 50 43 49 30 49 53 41 5f"), Aml.name("_SB.PCI0.ISA"));
        assertThrows(IllegalArgumentException.class, () -> Aml.name("toolong"));
        assertArrayEquals(hex("00"), Aml.integer(0));
        assertArrayEquals(hex("01"), Aml.integer(1));
        assertArrayEquals(hex("0a 09"), Aml.integer(9));
        assertArrayEquals(hex("0b 00 01"), Aml.integer(0x100));
        assertArrayEquals(hex("0c 00 00 01 00"), Aml.integer(0x10000));
        assertArrayEquals(hex("0e 00 00 00 00 01 00 00 00"), Aml.integer(1L << 32));
        assertArrayEquals(hex("0d 41 42 00"), Aml.string("AB"));
    }

    @Test
    void eisaIdIsCompressed() {
        // PNP0A03 is 0x030AD041 in every DSDT that names a PCI root bridge.
        assertArrayEquals(hex("0c 41 d0 0a 03"), Aml.eisaId("PNP0A03"));
        assertArrayEquals(hex("0c 41 d0 03 03"), Aml.eisaId("PNP0303"));
        assertThrows(IllegalArgumentException.class, () -> Aml.eisaId("pnp0a03"));
    }

    @Test
    void termsNest() {
        // Name(_S5, Package(){0, 0}) and a Device with a _HID.
        assertArrayEquals(hex("08 5f 53 35 5f 12 04 02 00 00"),
                Aml.nameDecl("_S5", Aml.packageOf(Aml.integer(0), Aml.integer(0))));
        assertArrayEquals(hex("5b 82 0f 4b 42 44 5f 08 5f 48 49 44 0c 41 d0 03 03"),
                Aml.device("KBD", Aml.nameDecl("_HID", Aml.eisaId("PNP0303"))));
        // ResourceTemplate(){ IRQNoFlags(){1} }: Buffer(5){22 02 00 79 00}.
        assertArrayEquals(hex("11 08 0a 05 22 02 00 79 00"), Aml.resourceTemplate(Aml.irqNoFlags(1)));
        assertArrayEquals(hex("14 08 5f 50 49 43 01 a4 01"), Aml.method("_PIC", 1, Aml.returnOf(Aml.integer(1))));
    }
}
