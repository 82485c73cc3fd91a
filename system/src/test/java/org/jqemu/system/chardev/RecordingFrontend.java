package org.jqemu.system.chardev;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** A front end that takes at most {@code room} bytes until told otherwise, and keeps them. */
class RecordingFrontend implements CharFrontend {
    private final ByteArrayOutputStream got = new ByteArrayOutputStream();
    volatile int room;

    RecordingFrontend(int room) {
        this.room = room;
    }

    @Override
    public synchronized int canReceive() {
        return room;
    }

    @Override
    public synchronized void receive(byte[] buf, int off, int len) {
        if (len > room) {
            throw new AssertionError("offered " + len + " bytes with room for " + room);
        }
        got.write(buf, off, len);
        if (room != Integer.MAX_VALUE) {
            room -= len;
        }
        notifyAll();
    }

    synchronized String text() {
        return got.toString(StandardCharsets.ISO_8859_1);
    }

    /** Waits until the received text is {@code expected} (or fails after 5 s). */
    synchronized String await(String expected) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 5000;
        while (!text().equals(expected) && System.currentTimeMillis() < deadline) {
            wait(50);
        }
        return text();
    }
}
