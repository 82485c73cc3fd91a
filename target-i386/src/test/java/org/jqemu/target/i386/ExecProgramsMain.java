package org.jqemu.target.i386;

import java.nio.file.Files;
import java.nio.file.Path;

/** Manual runner: java ... ExecProgramsMain DIR NAME... runs guest test programs and diffs. */
public final class ExecProgramsMain {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        for (int k = 1; k < args.length; k++) {
            String name = args[k];
            Path out = Files.createTempFile("prog", ".bin");
            byte[] img = ExecRig.nasmFile(dir.resolve(name + ".asm"), dir, out);
            try (ExecRig rig = new ExecRig()) {
                String cmdline = name + ".bin";
                Path argsFile = dir.resolve(name + ".args");
                if (Files.exists(argsFile)) {
                    cmdline = name + ".bin hello-multiboot";
                }
                rig.loadMultiboot(img, cmdline);
                long t0 = System.nanoTime();
                int st = rig.run(20000);
                long t1 = System.nanoTime();
                String exp = Files.exists(dir.resolve(name + ".expected")) ? Files.readString(dir.resolve(name + ".expected")) : "";
                boolean same = exp.equals(rig.serial.toString());
                System.out.printf("%-12s status=%d match=%b insns=%d time=%.1fms%n", name, st, same,
                        rig.cpu.instructionCount(), (t1 - t0) / 1e6);
                if (!same) {
                    Files.writeString(Path.of("/tmp/cpua-" + name + ".out"), rig.serial.toString());
                }
            }
        }
    }
}
