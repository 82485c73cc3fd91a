package org.jqemu.accel.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.SequenceLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks every ioctl number, struct size, member offset, member size and constant that jqemu's
 * {@code kvm} accelerator declares against {@code <linux/kvm.h>}: a C program generated from the
 * Java declarations themselves (so nothing can be forgotten) is compiled with gcc and run, and
 * its answers are compared one by one with the Java side.
 */
class KvmLayoutTest {
    /** One fact to check: a key, the C expression that computes it, and the Java value. */
    record Check(String key, String cExpression, long javaValue) {}

    static List<Check> checks() {
        List<Check> out = new ArrayList<>();
        for (GroupLayout struct : KvmStructs.ALL) {
            String name = struct.name().orElseThrow();
            out.add(new Check("sizeof(struct " + name + ")", "sizeof(struct " + name + ")", struct.byteSize()));
            members(out, name, struct, "", "", 0);
        }
        for (KvmIoctl ioctl : KvmIoctl.values()) {
            out.add(new Check(ioctl.name(), ioctl.name(), ioctl.number()));
        }
        for (KvmCap cap : KvmCap.values()) {
            out.add(new Check(cap.name(), cap.name(), cap.number()));
        }
        for (Field f : KvmConstants.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class) {
                try {
                    out.add(new Check(f.getName(), f.getName(), f.getInt(null)));
                } catch (IllegalAccessException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return out;
    }

    /** Every named member of {@code group}, recursively, with offset and (if not flexible) size. */
    private static void members(List<Check> out, String struct, GroupLayout group, String javaPrefix, String cPrefix,
            long base) {
        long offset = 0;
        for (MemoryLayout m : group.memberLayouts()) {
            long at = base + (group instanceof java.lang.foreign.UnionLayout ? 0 : offset);
            if (m.name().isPresent()) {
                String n = m.name().get();
                String javaPath = javaPrefix + n;
                boolean anonymous = n.startsWith(KvmStructs.ANONYMOUS);
                String cPath = anonymous ? cPrefix : cPrefix + n;
                if (!anonymous) {
                    out.add(new Check("offsetof(" + struct + ", " + javaPath + ")",
                            "offsetof(struct " + struct + ", " + cPath + ")", at));
                    boolean flexible = m instanceof SequenceLayout s && s.elementCount() == 0;
                    if (!flexible) {
                        out.add(new Check("sizeof(" + struct + "." + javaPath + ")",
                                "sizeof(((struct " + struct + " *)0)->" + cPath + ")", m.byteSize()));
                    }
                }
                if (m instanceof GroupLayout g) {
                    members(out, struct, g, javaPath + ".", anonymous ? cPrefix : cPath + ".", at);
                }
            }
            offset += m.byteSize();
        }
    }

    static String program(List<Check> checks) {
        StringBuilder c = new StringBuilder("""
                #include <stddef.h>
                #include <stdio.h>
                #include <linux/kvm.h>
                int main(void) {
                """);
        for (int i = 0; i < checks.size(); i++) {
            c.append("    printf(\"%d %llu\\n\", ").append(i).append(", (unsigned long long)(")
                    .append(checks.get(i).cExpression()).append("));\n");
        }
        return c.append("    return 0;\n}\n").toString();
    }

    /** Compiles and runs the generated program; returns its answer to each check, by index. */
    static Map<Integer, Long> runC(Path dir, List<Check> checks) throws IOException, InterruptedException {
        Path src = dir.resolve("kvm_layout.c");
        Path exe = dir.resolve("kvm_layout");
        Files.writeString(src, program(checks));
        String compile = run(dir, "gcc", "-std=gnu11", "-Wall", "-o", exe.toString(), src.toString());
        String output = run(dir, exe.toString());
        assertTrue(compile.isBlank(), "gcc warned:\n" + compile);
        Map<Integer, Long> answers = new LinkedHashMap<>();
        for (String line : output.split("\n")) {
            String[] parts = line.trim().split(" ");
            answers.put(Integer.parseInt(parts[0]), Long.parseUnsignedLong(parts[1]));
        }
        return answers;
    }

    private static String run(Path dir, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
        assertEquals(0, p.exitValue(), String.join(" ", command) + " failed:\n" + out);
        return out;
    }

    @Test
    void everyDeclaredLayoutIoctlAndConstantMatchesLinuxKvmH(@TempDir Path dir) throws Exception {
        List<Check> checks = checks();
        Map<Integer, Long> c = runC(dir, checks);
        List<String> mismatches = new ArrayList<>();
        for (int i = 0; i < checks.size(); i++) {
            Check k = checks.get(i);
            Long expected = c.get(i);
            if (expected == null || expected != k.javaValue()) {
                mismatches.add(String.format("%s: <linux/kvm.h> says %s, jqemu says %d (0x%x)", k.key(),
                        expected, k.javaValue(), k.javaValue()));
            }
        }
        assertEquals(List.of(), mismatches, mismatches.size() + " of " + checks.size() + " checks differ");
        // The check list is generated, so make sure it is not trivially small.
        assertTrue(checks.size() > 200, "only " + checks.size() + " checks");
        System.out.println("KvmLayoutTest: " + checks.size() + " checks against <linux/kvm.h> passed");
    }

    @Test
    void theGeneratedProgramCoversNestedAndAnonymousMembers() {
        List<String> keys = checks().stream().map(Check::key).toList();
        assertTrue(keys.contains("offsetof(kvm_run, anon_exit.io.port)"), "kvm_run io exit");
        assertTrue(keys.contains("offsetof(kvm_run, anon_exit.mmio.is_write)"), "kvm_run mmio exit");
        assertTrue(keys.contains("offsetof(kvm_sregs, ldt.unusable)"), "nested kvm_segment");
        assertTrue(keys.contains("offsetof(kvm_irq_level, anon_irq.irq)"), "anonymous union");
        String program = program(checks());
        assertTrue(program.contains("offsetof(struct kvm_run, io.port)"), "anonymous union left out of the C path");
        assertTrue(program.contains("offsetof(struct kvm_run, system_event.flags)"));
    }
}
