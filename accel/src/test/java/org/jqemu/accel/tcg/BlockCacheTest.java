package org.jqemu.accel.tcg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BlockCacheTest {
    @Test
    void behavesLikeAMapUnderRandomPutsAndRemoves() {
        BlockCache<String> cache = new BlockCache<>(16);
        Map<Long, String> ref = new HashMap<>();
        Random rnd = new Random(42);
        for (int n = 0; n < 200_000; n++) {
            // few distinct keys with page-like structure so probe runs collide and wrap
            long key = (rnd.nextInt(3000) * 4096L) | (rnd.nextBoolean() ? 1L << 62 : 0);
            switch (rnd.nextInt(3)) {
                case 0, 1 -> {
                    String v = "v" + n;
                    cache.put(key, v);
                    ref.put(key, v);
                }
                default -> assertEquals(ref.remove(key) != null, cache.remove(key));
            }
            if (n % 1000 == 0) {
                for (Map.Entry<Long, String> e : ref.entrySet()) {
                    assertEquals(e.getValue(), cache.get(e.getKey()));
                }
                assertEquals(ref.size(), cache.size());
            }
        }
        cache.clear();
        assertEquals(0, cache.size());
        assertNull(cache.get(4096));
    }

    @Test
    void codePageMapMarksAndInvalidates() {
        CodePageMap map = new CodePageMap();
        long[] seen = {-1};
        map.addListener(p -> seen[0] = p);
        assertTrue(map.mark(0x12345));
        assertFalse(map.mark(0x12fff));
        assertTrue(map.contains(0x12000));
        assertFalse(map.contains(0x13000));
        map.invalidate(0x13000);
        assertEquals(-1, seen[0]);
        map.invalidate(0x12abc);
        assertEquals(0x12000, seen[0]);
        assertFalse(map.contains(0x12000));
    }
}
