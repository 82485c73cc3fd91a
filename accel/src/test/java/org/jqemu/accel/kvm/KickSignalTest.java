package org.jqemu.accel.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The signal half of the vCPU kick ({@link KvmVcpu}'s class comment), which works without
 * /dev/kvm: a thread that blocks the kick signal keeps a kick pending until it takes it, and a
 * stray kick to a thread that does not block it is dropped, not fatal.
 */
class KickSignalTest {
    @Test
    void aKickToABlockingThreadStaysPendingUntilTaken() throws Exception {
        int signal = KvmVcpu.KICK_SIGNAL;
        AtomicInteger tid = new AtomicInteger();
        AtomicInteger before = new AtomicInteger();
        AtomicInteger taken = new AtomicInteger();
        AtomicInteger after = new AtomicInteger();
        CountDownLatch blocked = new CountDownLatch(1);
        CountDownLatch sent = new CountDownLatch(1);
        Thread t = Thread.ofPlatform().start(() -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment set = LinuxNative.sigset(a, signal);
                MemorySegment errno = LinuxNative.newErrnoCapture(a);
                MemorySegment zero = a.allocate(16, 8);
                assertEquals(0, LinuxNative.pthreadSigmask(LinuxNative.SIG_BLOCK, set, MemorySegment.NULL));
                tid.set(LinuxNative.gettid());
                before.set(LinuxNative.sigtimedwait(errno, set, zero)); // nothing pending yet
                blocked.countDown();
                sent.await();
                taken.set(LinuxNative.sigtimedwait(errno, set, zero));
                after.set(LinuxNative.sigtimedwait(errno, set, zero));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(blocked.await(10, TimeUnit.SECONDS));
        try (Arena a = Arena.ofConfined()) {
            assertEquals(0, LinuxNative.tgkill(LinuxNative.newErrnoCapture(a), LinuxNative.getpid(), tid.get(), signal));
        }
        sent.countDown();
        t.join(10_000);
        assertEquals(-1, before.get());
        assertEquals(signal, taken.get(), "the kick was queued for the blocking thread");
        assertEquals(-1, after.get(), "one kick, taken once");
    }

    @Test
    void aStrayKickIsIgnoredNotFatal() throws Exception {
        int signal = KvmVcpu.KICK_SIGNAL;
        try (Arena a = Arena.ofConfined()) {
            // This thread does not block the signal: with SIG_IGN it is dropped (the default
            // action of a real-time signal would end the JVM and this test).
            assertEquals(0, LinuxNative.tgkill(LinuxNative.newErrnoCapture(a), LinuxNative.getpid(),
                    LinuxNative.gettid(), signal));
        }
        Thread.sleep(50);
        assertTrue(signal >= 34 && signal <= 64, "a real-time signal: " + signal);
    }
}
