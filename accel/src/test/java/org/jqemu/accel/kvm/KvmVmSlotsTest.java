package org.jqemu.accel.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.util.List;
import org.jqemu.system.memory.AddressSpace;
import org.jqemu.system.memory.AliasRegion;
import org.jqemu.system.memory.IoRegion;
import org.jqemu.system.memory.MemoryOps;
import org.jqemu.system.memory.RamRegion;
import org.junit.jupiter.api.Test;

/** Which memory slots a memory map needs: RAM and ROM pieces only, at their host addresses. */
class KvmVmSlotsTest {
    private static final MemoryOps NOP = new MemoryOps() {
        @Override
        public long read(long offset, int size) {
            return 0;
        }

        @Override
        public void write(long offset, int size, long value) {}
    };

    @Test
    void ramRomAndAliasesBecomeSlotsDevicesDoNot() {
        try (Arena arena = Arena.ofConfined()) {
            AddressSpace mem = new AddressSpace("memory", 1L << 32);
            RamRegion ram = RamRegion.allocate(arena, "pc.ram", 1 << 20, false);
            RamRegion bios = RamRegion.allocate(arena, "pc.bios", 64 << 10, true);
            mem.root().add(0, ram);
            mem.root().add(0xa0000, new IoRegion("vga", 0x20000, NOP), 1); // a device hides RAM
            mem.root().add(0xffff0000L, bios);
            mem.root().add(0xf0000, new AliasRegion("isa-bios", bios, 0, 64 << 10), 1);
            long r = ram.segment().address();
            long b = bios.segment().address();
            assertEquals(List.of(
                    new KvmVm.Slot(0, 0xa0000, r, false),
                    new KvmVm.Slot(0xc0000, 0x30000, r + 0xc0000, false),
                    new KvmVm.Slot(0xf0000, 0x10000, b, true),
                    new KvmVm.Slot(0xffff0000L, 0x10000, b, true)),
                    KvmVm.slotsFor(mem.flatView(), true));
            // without KVM_CAP_READONLY_MEM, ROM is mapped writable
            assertEquals(false, KvmVm.slotsFor(mem.flatView(), false).get(2).readOnly());
        }
    }

    @Test
    void subPagePiecesStayMmio() {
        try (Arena arena = Arena.ofConfined()) {
            AddressSpace mem = new AddressSpace("memory", 1L << 32);
            RamRegion ram = RamRegion.allocate(arena, "ram", 0x10000, false);
            mem.root().add(0, ram);
            mem.root().add(0x1800, new IoRegion("dev", 0x100, NOP), 1);
            long r = ram.segment().address();
            // [0x1000, 0x1800) and [0x1900, 0x2000) are not whole pages: no slot, MMIO exits instead
            assertEquals(List.of(new KvmVm.Slot(0, 0x1000, r, false), new KvmVm.Slot(0x2000, 0xe000, r + 0x2000, false)),
                    KvmVm.slotsFor(mem.flatView(), true));
        }
    }
}
