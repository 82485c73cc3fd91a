package org.jqemu.system.chardev;

/** {@code -chardev null}: output vanishes, input never comes. */
public final class NullChardev implements Chardev {
    private final String id;

    public NullChardev(String id) {
        this.id = id;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public void write(byte[] buf, int off, int len) {}

    @Override
    public void attach(CharFrontend frontend) {}

    @Override
    public void acceptInput() {}

    @Override
    public void close() {}
}
