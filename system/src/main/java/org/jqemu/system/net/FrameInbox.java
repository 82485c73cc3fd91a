package org.jqemu.system.net;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Consumer;

/**
 * The receive side shared by the backends that read frames on their own thread (datagram, tap):
 * the reader hands each frame to {@link #put}, which blocks while the queue is full (back-pressure
 * stops the reader, never the VM), and the main loop hands queued frames to the NIC while it has
 * room, keeping the one it could not take for {@link #acceptInput()}.
 */
final class FrameInbox {
    private static final int QUEUE = 64;

    private final Consumer<Runnable> mainLoop;
    private final BlockingQueue<byte[]> in = new ArrayBlockingQueue<>(QUEUE);
    private final Runnable deliver = this::deliver;
    private volatile NetFrontend frontend;
    private byte[] held;

    FrameInbox(Consumer<Runnable> mainLoop) {
        this.mainLoop = mainLoop;
    }

    void attach(NetFrontend f) {
        frontend = f;
    }

    /** On the reader thread: queues one frame and asks the main loop to deliver it. */
    void put(byte[] frame) throws InterruptedException {
        in.put(frame);
        mainLoop.accept(deliver);
    }

    /** The NIC has room again. */
    void acceptInput() {
        mainLoop.accept(deliver);
    }

    /** On the main loop. */
    private void deliver() {
        NetFrontend f = frontend;
        while (f != null) {
            byte[] frame = held != null ? held : in.poll();
            if (frame == null) {
                return;
            }
            if (!f.canReceive()) {
                held = frame;
                return;
            }
            held = null;
            f.receive(frame, 0, frame.length);
        }
    }
}
