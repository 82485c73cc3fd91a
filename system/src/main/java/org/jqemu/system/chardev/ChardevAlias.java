package org.jqemu.system.chardev;

/**
 * A second name for a chardev: {@code -serial chardev:ID} makes "serialN" (the name boards look
 * for) refer to the user's chardev ID. Closing the alias leaves the chardev to its own owner.
 */
public final class ChardevAlias implements Chardev {
    private final String id;
    private final Chardev target;

    public ChardevAlias(String id, Chardev target) {
        this.id = id;
        this.target = target;
    }

    public Chardev target() {
        return target;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public void write(byte[] buf, int off, int len) {
        target.write(buf, off, len);
    }

    @Override
    public void attach(CharFrontend frontend) {
        target.attach(frontend);
    }

    @Override
    public void acceptInput() {
        target.acceptInput();
    }

    @Override
    public void close() {
        // the target is closed under its own id
    }
}
