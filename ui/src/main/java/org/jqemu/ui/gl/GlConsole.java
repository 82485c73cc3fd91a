package org.jqemu.ui.gl;

import static org.lwjgl.glfw.GLFW.*;
import static org.lwjgl.opengl.GL11.*;
import static org.lwjgl.opengl.GL12.GL_BGRA;
import static org.lwjgl.opengl.GL12.GL_UNSIGNED_INT_8_8_8_8_REV;
import static org.lwjgl.opengl.GL30.GL_COLOR_ATTACHMENT0;
import static org.lwjgl.opengl.GL30.GL_DRAW_FRAMEBUFFER;
import static org.lwjgl.opengl.GL30.GL_READ_FRAMEBUFFER;
import static org.lwjgl.opengl.GL30.glBindFramebuffer;
import static org.lwjgl.opengl.GL30.glBlitFramebuffer;
import static org.lwjgl.opengl.GL30.glFramebufferTexture2D;
import static org.lwjgl.opengl.GL30.glGenFramebuffers;

import java.nio.IntBuffer;
import org.jqemu.system.machine.Machine;
import org.jqemu.system.machine.ShutdownCause;
import org.jqemu.system.options.ConfigException;
import org.jqemu.system.options.Opts;
import org.jqemu.system.ui.Consoles;
import org.jqemu.system.ui.DisplaySurface;
import org.jqemu.system.ui.GraphicConsole;
import org.lwjgl.opengl.GL;
import org.lwjgl.system.MemoryUtil;

/**
 * The local window of {@code -display gl}: a GLFW window (X11) whose OpenGL texture holds the
 * guest screen. Only the tiles that changed since the last frame are uploaded
 * ({@code glTexSubImage2D} per dirty tile row span); the texture is drawn by blitting it through
 * a framebuffer object, scaled to the window (nearest at 1:1 and integer scales, linear
 * otherwise). Keys go to the guest by physical position (X keycode = evdev code + 8), the mouse
 * as relative motion; Ctrl-Alt-G grabs and releases the pointer. Closing the window ends the VM,
 * as QEMU's windows do.
 */
public final class GlConsole implements AutoCloseable {
    private static final long FRAME_NANOS = 16_666_667L;

    private final Machine machine;
    private final Consoles consoles;
    private final Thread thread;
    private volatile boolean closing;

    private long window;
    private int texture;
    private int fbo;
    private int texW;
    private int texH;
    private long seenGeneration = -1;
    private long seenSize = -1;
    private IntBuffer upload;
    private boolean grabbed;
    private double lastX = Double.NaN;
    private double lastY;
    private int buttons;
    private boolean ctrl;
    private boolean alt;

    private GlConsole(Machine machine) {
        this.machine = machine;
        this.consoles = Consoles.of(machine);
        this.thread = Thread.ofPlatform().daemon(true).name("gl-console").unstarted(this::run);
    }

    public static GlConsole start(Machine machine, Opts opts) throws ConfigException {
        opts.getString("type", "gl");
        opts.checkAllUsed();
        GlConsole c = new GlConsole(machine);
        java.util.concurrent.CompletableFuture<String> ready = new java.util.concurrent.CompletableFuture<>();
        c.readyFuture = ready;
        c.thread.start();
        String error;
        try {
            error = ready.get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            error = "the window did not open: " + e;
        }
        if (error != null) {
            c.close();
            throw new ConfigException(opts.option() + ": " + error);
        }
        machine.addResourceToClose(c);
        return c;
    }

    private java.util.concurrent.CompletableFuture<String> readyFuture;

    private void run() {
        try {
            if (!open()) {
                return;
            }
            readyFuture.complete(null);
            long next = System.nanoTime();
            while (!closing && !glfwWindowShouldClose(window)) {
                glfwPollEvents();
                frame();
                glfwSwapBuffers(window);
                next += FRAME_NANOS;
                long sleep = next - System.nanoTime();
                if (sleep > 0) {
                    Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                } else {
                    next = System.nanoTime();
                }
            }
            if (!closing) {
                machine.requestShutdown(ShutdownCause.HOST_UI);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | LinkageError e) {
            readyFuture.complete("OpenGL console failed: " + e);
        } finally {
            if (window != 0) {
                glfwDestroyWindow(window);
                glfwTerminate();
            }
            if (upload != null) {
                MemoryUtil.memFree(upload);
            }
        }
    }

    private boolean open() {
        if (glfwPlatformSupported(GLFW_PLATFORM_X11)) {
            glfwInitHint(GLFW_PLATFORM, GLFW_PLATFORM_X11);
        }
        if (!glfwInit()) {
            readyFuture.complete("cannot open a window (no X display? set DISPLAY)");
            return false;
        }
        DisplaySurface s = surface();
        int w = s == null ? 640 : s.width();
        int h = s == null ? 480 : s.height();
        glfwDefaultWindowHints();
        glfwWindowHint(GLFW_RESIZABLE, GLFW_TRUE);
        window = glfwCreateWindow(w, h, title(), MemoryUtil.NULL, MemoryUtil.NULL);
        if (window == 0) {
            glfwTerminate();
            readyFuture.complete("cannot create an OpenGL window");
            return false;
        }
        glfwSetWindowPos(window, 0, 0);
        glfwMakeContextCurrent(window);
        glfwSwapInterval(0);
        GL.createCapabilities();
        texture = glGenTextures();
        fbo = glGenFramebuffers();
        glfwSetKeyCallback(window, (win, key, scancode, action, mods) -> key(key, scancode, action));
        glfwSetCursorPosCallback(window, (win, x, y) -> motion(x, y));
        glfwSetMouseButtonCallback(window, (win, button, action, mods) -> button(button, action));
        glfwSetScrollCallback(window, (win, dx, dy) -> consoles.sendPointer(0, 0, dy > 0 ? -1 : 1, buttons));
        return true;
    }

    private String title() {
        String name = machine.config().name;
        return (name != null ? "jqemu (" + name + ")" : "jqemu") + (grabbed ? " - Press Ctrl-Alt-G to release grab" : "");
    }

    private DisplaySurface surface() {
        GraphicConsole g = consoles.graphic();
        if (g == null) {
            return null;
        }
        g.refresh();
        return g.surface();
    }

    // ---- drawing --------------------------------------------------------------------------------

    private void frame() {
        DisplaySurface s = surface();
        if (s != null) {
            synchronized (s) {
                upload(s);
            }
        }
        int[] fw = new int[1];
        int[] fh = new int[1];
        glfwGetFramebufferSize(window, fw, fh);
        glViewport(0, 0, fw[0], fh[0]);
        glBindFramebuffer(GL_DRAW_FRAMEBUFFER, 0);
        glClearColor(0, 0, 0, 1);
        glClear(GL_COLOR_BUFFER_BIT);
        if (texW > 0) {
            glBindFramebuffer(GL_READ_FRAMEBUFFER, fbo);
            boolean exact = fw[0] % texW == 0 && fh[0] % texH == 0;
            // texture row 0 is the top of the screen; GL's window origin is bottom-left
            glBlitFramebuffer(0, 0, texW, texH, 0, fh[0], fw[0], 0, GL_COLOR_BUFFER_BIT, exact ? GL_NEAREST : GL_LINEAR);
            glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
        }
    }

    /** Sends the surface's changed tiles to the texture (all of it after a size change). Holds the surface monitor. */
    private void upload(DisplaySurface s) {
        int w = s.width();
        int h = s.height();
        boolean resized = s.sizeGeneration() != seenSize || w != texW || h != texH;
        if (!resized && s.generation() == seenGeneration) {
            return;
        }
        int[] px = s.pixels();
        glBindTexture(GL_TEXTURE_2D, texture);
        glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
        if (resized) {
            if (upload != null) {
                MemoryUtil.memFree(upload);
            }
            upload = MemoryUtil.memAllocInt(w * h);
            upload.put(0, px, 0, w * h);
            glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
            glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, w, h, 0, GL_BGRA, GL_UNSIGNED_INT_8_8_8_8_REV, upload);
            glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
            glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
            glBindFramebuffer(GL_READ_FRAMEBUFFER, fbo);
            glFramebufferTexture2D(GL_READ_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, texture, 0);
            glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
            if (texW != 0 && (w != texW || h != texH)) {
                glfwSetWindowSize(window, w, h);
            }
            texW = w;
            texH = h;
            seenSize = s.sizeGeneration();
        } else {
            upload.put(0, px, 0, w * h);
            glPixelStorei(GL_UNPACK_ROW_LENGTH, w);
            int tile = DisplaySurface.TILE;
            for (int ty = 0; ty < s.tilesY(); ty++) {
                int tx = 0;
                while (tx < s.tilesX()) {
                    if (!s.tileChangedSince(tx, ty, seenGeneration)) {
                        tx++;
                        continue;
                    }
                    int start = tx;
                    while (tx < s.tilesX() && s.tileChangedSince(tx, ty, seenGeneration)) {
                        tx++;
                    }
                    int x0 = start * tile;
                    int y0 = ty * tile;
                    int rw = Math.min(tx * tile, w) - x0;
                    int rh = Math.min(y0 + tile, h) - y0;
                    upload.position(y0 * w + x0);
                    glTexSubImage2D(GL_TEXTURE_2D, 0, x0, y0, rw, rh, GL_BGRA, GL_UNSIGNED_INT_8_8_8_8_REV, upload);
                    upload.position(0);
                }
            }
            glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
        }
        seenGeneration = s.generation();
    }

    // ---- input ----------------------------------------------------------------------------------

    private void key(int key, int scancode, int action) {
        if (key == GLFW_KEY_LEFT_CONTROL || key == GLFW_KEY_RIGHT_CONTROL) {
            ctrl = action != GLFW_RELEASE;
        }
        if (key == GLFW_KEY_LEFT_ALT || key == GLFW_KEY_RIGHT_ALT) {
            alt = action != GLFW_RELEASE;
        }
        if (key == GLFW_KEY_G && ctrl && alt) {
            if (action == GLFW_PRESS) {
                setGrab(!grabbed);
            }
            return;
        }
        int q = EvdevKeys.qnum(scancode - 8);
        if (q > 0) {
            consoles.sendKey(q, action != GLFW_RELEASE);
        }
    }

    private void setGrab(boolean on) {
        grabbed = on;
        glfwSetInputMode(window, GLFW_CURSOR, on ? GLFW_CURSOR_DISABLED : GLFW_CURSOR_NORMAL);
        lastX = Double.NaN;
        glfwSetWindowTitle(window, title());
    }

    private void motion(double x, double y) {
        if (!Double.isNaN(lastX)) {
            int dx = (int) Math.round(x - lastX);
            int dy = (int) Math.round(y - lastY);
            if (dx != 0 || dy != 0) {
                consoles.sendPointer(dx, dy, 0, buttons);
            }
        }
        lastX = x;
        lastY = y;
    }

    private void button(int button, int action) {
        int bit = switch (button) {
            case GLFW_MOUSE_BUTTON_LEFT -> org.jqemu.system.ui.PointerInput.BUTTON_LEFT;
            case GLFW_MOUSE_BUTTON_RIGHT -> org.jqemu.system.ui.PointerInput.BUTTON_RIGHT;
            case GLFW_MOUSE_BUTTON_MIDDLE -> org.jqemu.system.ui.PointerInput.BUTTON_MIDDLE;
            default -> 0;
        };
        buttons = action == GLFW_PRESS ? buttons | bit : buttons & ~bit;
        if (!grabbed && action == GLFW_PRESS && button == GLFW_MOUSE_BUTTON_LEFT && ctrl && alt) {
            setGrab(true);
            return;
        }
        consoles.sendPointer(0, 0, 0, buttons);
    }

    @Override
    public void close() {
        closing = true;
        if (Thread.currentThread() != thread) {
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
