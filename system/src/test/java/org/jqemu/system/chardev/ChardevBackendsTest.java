package org.jqemu.system.chardev;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jqemu.system.options.ConfigException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(20)
class ChardevBackendsTest {
    /** Stands in for the machine's main loop: one thread, tasks in order. */
    private final ExecutorService mainLoop = Executors.newSingleThreadExecutor();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        mainLoop.shutdownNow();
    }

    private <T extends AutoCloseable> T closeLater(T c) {
        toClose.add(c);
        return c;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    // ---- null and file -----------------------------------------------------------------------

    @Test
    void nullSwallowsOutput() {
        NullChardev c = new NullChardev("n");
        c.attach(new RecordingFrontend(10));
        c.write(ascii("ignored"), 0, 7);
        c.acceptInput();
        assertEquals("n", c.id());
        c.close();
    }

    @Test
    void fileGetsGuestOutput(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("out.txt");
        FileChardev c = new FileChardev("f", f, false);
        c.write(ascii("hello "), 0, 6);
        c.write('w');
        c.write(ascii("xxorldxx"), 2, 4);
        c.flush();
        assertEquals("hello world", Files.readString(f));
        c.close();
    }

    @Test
    void fileTruncatesOrAppends(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("out.txt");
        Files.writeString(f, "old;");
        try (FileChardev c = new FileChardev("f", f, true)) {
            c.write(ascii("new"), 0, 3);
        }
        assertEquals("old;new", Files.readString(f));
        try (FileChardev c = new FileChardev("f", f, false)) {
            c.write(ascii("fresh"), 0, 5);
        }
        assertEquals("fresh", Files.readString(f));
    }

    @Test
    void fileInMissingDirectoryIsAUserError(@TempDir Path dir) {
        ConfigException e = assertThrows(ConfigException.class,
                () -> new FileChardev("f", dir.resolve("no/such/file"), false));
        assertEquals("Could not open '" + dir.resolve("no/such/file") + "': No such file or directory", e.getMessage());
    }

    @Test
    void largeOutputArrivesInOrder(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("big.bin");
        byte[] data = new byte[3 << 20]; // bigger than the pump's ring
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31 + (i >> 12));
        }
        try (FileChardev c = new FileChardev("f", f, false)) {
            for (int i = 0; i < data.length; i += 1000) {
                c.write(data, i, Math.min(1000, data.length - i));
            }
        }
        assertArrayEquals(data, Files.readAllBytes(f));
    }

    // ---- stdio and input delivery --------------------------------------------------------------

    @Test
    void stdioDeliversInputWithinTheFrontendsRoom() throws Exception {
        PipedOutputStream keys = new PipedOutputStream();
        PipedInputStream in = new PipedInputStream(keys);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StdioChardev c = closeLater(new StdioChardev("s", mainLoop, in, out, false, true));
        RecordingFrontend fe = new RecordingFrontend(3);
        c.attach(fe);
        keys.write(ascii("abcdefg"));
        keys.flush();
        assertEquals("abc", fe.await("abc"));
        Thread.sleep(100);
        assertEquals("abc", fe.text(), "nothing beyond canReceive()");
        fe.room = Integer.MAX_VALUE;
        c.acceptInput(); // as a UART does when its FIFO empties
        assertEquals("abcdefg", fe.await("abcdefg"));

        c.write(ascii("guest says hi"), 0, 13);
        c.close();
        assertEquals("guest says hi", out.toString(StandardCharsets.ISO_8859_1));
    }

    @Test
    void inputBeforeAttachWaits() throws Exception {
        StdioChardev c = closeLater(new StdioChardev("s", mainLoop,
                new java.io.ByteArrayInputStream(ascii("early")), new ByteArrayOutputStream(), false, true));
        Thread.sleep(100);
        RecordingFrontend fe = new RecordingFrontend(Integer.MAX_VALUE);
        c.attach(fe);
        assertEquals("early", fe.await("early"));
    }

    @Test
    void inputRunsOnTheMainLoop() throws Exception {
        Thread[] seen = new Thread[1];
        Thread loopThread = mainLoop.submit(Thread::currentThread).get();
        StdioChardev c = closeLater(new StdioChardev("s", mainLoop,
                new java.io.ByteArrayInputStream(ascii("x")), new ByteArrayOutputStream(), false, true));
        RecordingFrontend fe = new RecordingFrontend(Integer.MAX_VALUE) {
            @Override
            public synchronized void receive(byte[] buf, int off, int len) {
                seen[0] = Thread.currentThread();
                super.receive(buf, off, len);
            }
        };
        c.attach(fe);
        fe.await("x");
        assertEquals(loopThread, seen[0]);
    }

    // ---- socket ---------------------------------------------------------------------------------

    private SocketChardev tcpServer(boolean wait, boolean telnet) throws ConfigException {
        return closeLater(SocketChardev.open("sock", mainLoop, new InetSocketAddress("127.0.0.1", 0), true, wait,
                true, telnet, msg -> {}));
    }

    private static void awaitConnected(SocketChardev c) throws InterruptedException {
        for (int i = 0; i < 500 && !c.isConnected(); i++) {
            Thread.sleep(10);
        }
        assertTrue(c.isConnected());
    }

    @Test
    void tcpServerTalksToARealClient() throws Exception {
        SocketChardev c = tcpServer(false, false);
        RecordingFrontend fe = new RecordingFrontend(Integer.MAX_VALUE);
        c.attach(fe);
        c.write(ascii("lost"), 0, 4); // no client yet: dropped
        int port = ((InetSocketAddress) c.address()).getPort();
        try (Socket client = new Socket("127.0.0.1", port)) {
            awaitConnected(c);
            client.getOutputStream().write(ascii("from client"));
            assertEquals("from client", fe.await("from client"));
            c.write(ascii("to client"), 0, 9);
            byte[] got = client.getInputStream().readNBytes(9);
            assertEquals("to client", new String(got, StandardCharsets.ISO_8859_1));
        }
        // The next client is accepted after the first leaves.
        for (int i = 0; i < 500 && c.isConnected(); i++) {
            Thread.sleep(10);
        }
        try (Socket client = new Socket("127.0.0.1", port)) {
            awaitConnected(c);
            client.getOutputStream().write(ascii("!"));
            assertEquals("from client!", fe.await("from client!"));
        }
    }

    @Test
    void waitOnBlocksUntilAClientConnects() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        List<String> info = new ArrayList<>();
        ExecutorService opener = Executors.newSingleThreadExecutor();
        try {
            Future<SocketChardev> opened = opener.submit(() -> SocketChardev.open("w", mainLoop,
                    new InetSocketAddress("127.0.0.1", port), true, true, false, false, info::add));
            Thread.sleep(300);
            assertFalse(opened.isDone(), "open must wait for a client");
            try (Socket client = connectWithRetry(port)) {
                SocketChardev c = closeLater(opened.get(5, TimeUnit.SECONDS));
                assertTrue(c.isConnected());
                c.write(ascii("first"), 0, 5); // nothing lost: the client was there before start
                assertEquals("first", new String(client.getInputStream().readNBytes(5), StandardCharsets.ISO_8859_1));
            }
            assertEquals(List.of("info: jqemu waiting for connection on: disconnected:tcp:127.0.0.1:" + port
                    + ",server=on"), info);
        } finally {
            opener.shutdownNow();
        }
    }

    private static Socket connectWithRetry(int port) throws Exception {
        for (int i = 0; ; i++) {
            try {
                return new Socket("127.0.0.1", port);
            } catch (IOException e) {
                if (i > 100) {
                    throw e;
                }
                Thread.sleep(20);
            }
        }
    }

    @Test
    void tcpClientConnectsToAServer() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            SocketChardev c = closeLater(SocketChardev.open("cl", mainLoop,
                    new InetSocketAddress("127.0.0.1", server.getLocalPort()), false, false, false, false, m -> {}));
            RecordingFrontend fe = new RecordingFrontend(Integer.MAX_VALUE);
            c.attach(fe);
            try (Socket peer = server.accept()) {
                peer.getOutputStream().write(ascii("ping"));
                assertEquals("ping", fe.await("ping"));
                c.write(ascii("pong"), 0, 4);
                assertEquals("pong", new String(peer.getInputStream().readNBytes(4), StandardCharsets.ISO_8859_1));
            }
        }
    }

    @Test
    void refusedConnectionIsAUserError() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        ConfigException e = assertThrows(ConfigException.class, () -> SocketChardev.open("x", mainLoop,
                new InetSocketAddress("127.0.0.1", port), false, false, false, false, m -> {}));
        assertEquals("Failed to connect to '127.0.0.1:" + port + "': Connection refused", e.getMessage());
    }

    @Test
    void unixServer(@TempDir Path dir) throws Exception {
        Path path = dir.resolve("serial.sock");
        Files.writeString(path, "stale"); // left over from an earlier run
        SocketChardev c = closeLater(SocketChardev.open("u", mainLoop, UnixDomainSocketAddress.of(path), true, false,
                false, false, m -> {}));
        assertEquals("unix:" + path, c.filename());
        RecordingFrontend fe = new RecordingFrontend(Integer.MAX_VALUE);
        c.attach(fe);
        try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            awaitConnected(c);
            client.write(ByteBuffer.wrap(ascii("over unix")));
            assertEquals("over unix", fe.await("over unix"));
            c.write(ascii("back"), 0, 4);
            ByteBuffer b = ByteBuffer.allocate(4);
            while (b.hasRemaining()) {
                client.read(b);
            }
            assertEquals("back", new String(b.array(), StandardCharsets.ISO_8859_1));
        }
        c.close();
        assertFalse(Files.exists(path), "the socket file is removed on close");
    }

    @Test
    void telnetNegotiatesAndStripsCommands() throws Exception {
        SocketChardev c = tcpServer(false, true);
        RecordingFrontend fe = new RecordingFrontend(Integer.MAX_VALUE);
        c.attach(fe);
        try (Socket client = new Socket("127.0.0.1", ((InetSocketAddress) c.address()).getPort())) {
            InputStream in = client.getInputStream();
            byte[] init = in.readNBytes(12);
            assertArrayEquals(new byte[] {-1, -5, 1, -1, -5, 3, -1, -5, 0, -1, -3, 0}, init);
            // DO ECHO, a subnegotiation, an escaped 0xff and plain text
            client.getOutputStream().write(new byte[] {-1, -3, 1, 'a', -1, -6, 24, 0, 'x', -1, -16, 'b', -1, -1, 'c'});
            assertEquals("ab\u00ffc", fe.await("ab\u00ffc"));
            c.write(new byte[] {'z', -1}, 0, 2);
            assertArrayEquals(new byte[] {'z', -1, -1}, in.readNBytes(3));
        }
    }

    // ---- factory shorthands ------------------------------------------------------------------

    @Test
    void serialShorthands(@TempDir Path dir) throws Exception {
        List<Chardev> made = new ArrayList<>();
        ChardevFactory f = new ChardevFactory(new ChardevFactory.Context(mainLoop, InputStream.nullInputStream(),
                new ByteArrayOutputStream(), false, m -> {}, () -> {}), id -> made.stream()
                .filter(c -> c.id().equals(id)).findFirst().orElse(null));
        assertEquals(null, f.createSerial("serial0", "none"));
        assertTrue(f.createSerial("serial0", "null") instanceof NullChardev);
        Chardev file = closeLater(f.createSerial("serial1", "file:" + dir.resolve("f")));
        made.add(file);
        Chardev alias = f.createSerial("serial2", "chardev:serial1");
        assertTrue(alias instanceof ChardevAlias a && a.target() == file && alias.id().equals("serial2"));
        Chardev tcp = closeLater(f.createSerial("serial3", "tcp:127.0.0.1:0,server=on,wait=off"));
        assertTrue(((SocketChardev) tcp).filename().startsWith("tcp:127.0.0.1:"));
        Chardev mux = closeLater(f.createSerial("serial4", "mon:stdio"));
        assertTrue(mux instanceof MuxChardev);
        assertEquals("-serial tcp:127.0.0.1:0,server=on,wait=off,bogus=1: Invalid parameter 'bogus'",
                assertThrows(ConfigException.class,
                        () -> f.createSerial("serial5", "tcp:127.0.0.1:0,server=on,wait=off,bogus=1")).getMessage());
        assertEquals("-serial tcp:nowhere: address 'nowhere' lacks a port",
                assertThrows(ConfigException.class, () -> f.createSerial("serial5", "tcp:nowhere")).getMessage());
    }
}
