package org.jqemu.system.chardev;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.jqemu.system.options.ConfigException;

/** {@code -chardev file,path=P[,append=on]} and {@code -serial file:P}: guest output to a file. */
public final class FileChardev implements Chardev {
    private final String id;
    private final OutputStream file;
    private final OutputPump pump;

    public FileChardev(String id, Path path, boolean append) throws ConfigException {
        this.id = id;
        try {
            file = Files.newOutputStream(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
        } catch (NoSuchFileException e) {
            throw new ConfigException("Could not open '" + path + "': No such file or directory");
        } catch (AccessDeniedException e) {
            throw new ConfigException("Could not open '" + path + "': Permission denied");
        } catch (IOException e) {
            throw new ConfigException("Could not open '" + path + "': " + e.getMessage());
        }
        pump = new OutputPump(id, file::write);
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public void write(byte[] buf, int off, int len) {
        pump.write(buf, off, len);
    }

    @Override
    public void attach(CharFrontend frontend) {
        // A file gives no input.
    }

    @Override
    public void acceptInput() {}

    /** Blocks until the bytes written so far are in the file (for tests and orderly shutdown). */
    public void flush() {
        pump.drain(2000);
    }

    @Override
    public void close() {
        pump.close();
        try {
            file.close();
        } catch (IOException e) {
            // Nothing more can be saved.
        }
    }
}
