package org.jqemu.target.i386.decode;

/**
 * Turns guest bytes into {@link Insn}s: prefixes, opcode, ModRM/SIB, displacement, immediates
 * (Intel SDM vol. 2, chapter 2 and appendix A opcode maps), for 16-, 32- and 64-bit code (REX
 * prefixes, RIP-relative addressing, 64-bit immediates and default sizes, SDM 2.2.1).
 *
 * <p>The decoder knows lengths and operand shapes only; semantics live in the executor. Opcodes
 * it does not know, and LOCK on instructions that cannot be locked, decode to {@link Insn#OP_UD}
 * so the fault is raised when (and only if) the instruction executes.
 */
public final class Decoder {
    /** Where the decoder reads instruction bytes from. */
    @FunctionalInterface
    public interface ByteSource {
        /** The byte at {@code offset} from the first byte of the instruction stream. */
        int byteAt(int offset);
    }

    // operand-shape table entries
    private static final int M = 0x10;          // has ModRM
    private static final int I_NONE = 0, IB = 1, IW = 2, IZ = 3, AP = 4, IWB = 5, MOFFS = 6, JB = 7, JZ = 8;
    private static final int BAD = 0x80;

    private static final int[] ONE = new int[256];
    private static final int[] TWO = new int[256];

    static {
        for (int op = 0; op < 0x40; op++) {
            int lo = op & 7;
            ONE[op] = lo < 4 ? M : lo == 4 ? IB : lo == 5 ? IZ : I_NONE;
        }
        for (int op = 0x40; op < 0x62; op++) {
            ONE[op] = I_NONE;
        }
        ONE[0x62] = M;
        ONE[0x63] = M;
        ONE[0x68] = IZ;
        ONE[0x69] = M | IZ;
        ONE[0x6a] = IB;
        ONE[0x6b] = M | IB;
        for (int op = 0x70; op < 0x80; op++) {
            ONE[op] = JB;
        }
        ONE[0x80] = M | IB;
        ONE[0x81] = M | IZ;
        ONE[0x82] = M | IB;
        ONE[0x83] = M | IB;
        for (int op = 0x84; op < 0x90; op++) {
            ONE[op] = M;
        }
        ONE[0x9a] = AP;
        for (int op = 0xa0; op < 0xa4; op++) {
            ONE[op] = MOFFS;
        }
        ONE[0xa8] = IB;
        ONE[0xa9] = IZ;
        for (int op = 0xb0; op < 0xb8; op++) {
            ONE[op] = IB;
            ONE[op + 8] = IZ;
        }
        ONE[0xc0] = M | IB;
        ONE[0xc1] = M | IB;
        ONE[0xc2] = IW;
        ONE[0xc4] = M;
        ONE[0xc5] = M;
        ONE[0xc6] = M | IB;
        ONE[0xc7] = M | IZ;
        ONE[0xc8] = IWB;
        ONE[0xca] = IW;
        ONE[0xcd] = IB;
        for (int op = 0xd0; op < 0xd4; op++) {
            ONE[op] = M;
        }
        ONE[0xd4] = IB;
        ONE[0xd5] = IB;
        for (int op = 0xd8; op < 0xe0; op++) {
            ONE[op] = M;
        }
        for (int op = 0xe0; op < 0xe4; op++) {
            ONE[op] = JB;
        }
        for (int op = 0xe4; op < 0xe8; op++) {
            ONE[op] = IB;
        }
        ONE[0xe8] = JZ;
        ONE[0xe9] = JZ;
        ONE[0xea] = AP;
        ONE[0xeb] = JB;
        ONE[0xf6] = M;
        ONE[0xf7] = M;
        ONE[0xfe] = M;
        ONE[0xff] = M;

        java.util.Arrays.fill(TWO, BAD);
        for (int op : new int[] {0x00, 0x01, 0x02, 0x03, 0x20, 0x21, 0x22, 0x23, 0xa3, 0xa5, 0xab, 0xad, 0xaf,
                0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf, 0xc0, 0xc1, 0xc7, 0xae, 0xc3}) {
            TWO[op] = M;
        }
        for (int op = 0x18; op < 0x20; op++) {
            TWO[op] = M; // hint NOPs (0F 1F /0 is the multi-byte NOP)
        }
        for (int op : new int[] {0x05, 0x07, 0x34, 0x35, 0x06, 0x08, 0x09, 0x0b, 0x30, 0x31, 0x32, 0xa0, 0xa1, 0xa2, 0xa8, 0xa9, 0xaa}) {
            TWO[op] = I_NONE;
        }
        for (int op = 0x40; op < 0x50; op++) {
            TWO[op] = M;
        }
        for (int op = 0x80; op < 0x90; op++) {
            TWO[op] = JZ;
            TWO[op + 0x10] = M;
        }
        // SSE/SSE2 (executed by exec.SseOps; #UD there for forms it does not implement)
        for (int op = 0x10; op < 0x18; op++) {
            TWO[op] = M;
        }
        for (int op = 0x28; op < 0x30; op++) {
            TWO[op] = M;
        }
        for (int op = 0x50; op < 0x80; op++) {
            TWO[op] = op >= 0x70 && op <= 0x73 ? M | IB : op == 0x77 ? I_NONE : M;
        }
        for (int op = 0xd0; op < 0xff; op++) {
            TWO[op] = M;
        }
        TWO[0xc2] = M | IB;
        TWO[0xc3] = M;
        TWO[0xc4] = M | IB;
        TWO[0xc5] = M | IB;
        TWO[0xc6] = M | IB;
        TWO[0xa4] = M | IB;
        TWO[0xac] = M | IB;
        TWO[0xba] = M | IB;
        for (int op = 0xc8; op < 0xd0; op++) {
            TWO[op] = I_NONE;
        }
    }

    private static final int DS = 3, SS = 2;

    /** One-byte opcodes that are invalid in 64-bit mode (SDM vol. 2, appendix A, "i64"). */
    private static final boolean[] INVALID64 = new boolean[256];

    static {
        for (int op : new int[] {0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x27, 0x2f, 0x37, 0x3f, 0x60, 0x61, 0x62,
                0x82, 0x9a, 0xc4, 0xc5, 0xce, 0xd4, 0xd5, 0xd6, 0xea}) {
            INVALID64[op] = true;
        }
    }

    /** Opcodes whose ModRM reg field extends the opcode: REX.R does not apply to it. */
    private static final boolean[] GROUP = new boolean[0x200];

    static {
        for (int op : new int[] {0x80, 0x81, 0x82, 0x83, 0x8f, 0xc0, 0xc1, 0xc6, 0xc7, 0xd0, 0xd1, 0xd2, 0xd3, 0xd8, 0xd9,
                0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xf6, 0xf7, 0xfe, 0xff, 0x100, 0x101, 0x118, 0x119, 0x11a, 0x11b,
                0x11c, 0x11d, 0x11e, 0x11f, 0x1ae, 0x1ba, 0x1c7}) {
            GROUP[op] = true;
        }
    }

    /** Decodes 16- or 32-bit code ({@code code32} is CS.D). */
    public static int decode(ByteSource src, boolean code32, Insn out) {
        return decode(src, code32, false, out);
    }

    /**
     * Decodes one instruction into {@code out}. {@code code32} is CS.D. Returns the length, or -1
     * when the bytes ran past {@code limit} (the caller decides whether to fetch more).
     */
    /**
     * Decodes one instruction into {@code out}; {@code m64} selects 64-bit mode (then
     * {@code code32} must be true). Returns the length.
     */
    public static int decode(ByteSource src, boolean code32, boolean m64, Insn out) {
        int p = 0;
        boolean o32 = code32;
        boolean p66 = false;
        boolean a32 = code32;
        boolean a64 = m64;
        int seg = -1;
        int rep = 0;
        int rex = 0;
        boolean lock = false;
        int b;
        while (true) {
            b = src.byteAt(p++);
            if (m64 && (b & 0xf0) == 0x40) {
                rex = b; // only counts when it is the last prefix
                if (p > 14) {
                    return fault(out, Insn.OP_GP, p);
                }
                continue;
            }
            switch (b) {
                case 0x26: seg = 0; rex = 0; continue;
                case 0x2e: seg = 1; rex = 0; continue;
                case 0x36: seg = 2; rex = 0; continue;
                case 0x3e: seg = 3; rex = 0; continue;
                case 0x64: seg = 4; rex = 0; continue;
                case 0x65: seg = 5; rex = 0; continue;
                case 0x66: o32 = !code32; p66 = true; rex = 0; continue;
                case 0x67:
                    if (m64) {
                        a64 = false;
                    } else {
                        a32 = !code32;
                    }
                    rex = 0;
                    continue;
                case 0xf0: lock = true; rex = 0; continue;
                case 0xf2: rep = 2; rex = 0; continue;
                case 0xf3: rep = 1; rex = 0; continue;
                default:
            }
            if (p > 14) {
                return fault(out, Insn.OP_GP, p);
            }
            break;
        }
        if (m64 && seg >= 0 && seg < 4) {
            seg = -1; // ES CS SS DS overrides are ignored in 64-bit mode
        }
        boolean o64 = m64 && (rex & 8) != 0;
        int rexR = (rex & 4) << 1, rexX = (rex & 2) << 2, rexB = (rex & 1) << 3;
        int opc;
        int shape;
        if (b == 0x0f) {
            int b2 = src.byteAt(p++);
            opc = 0x100 | b2;
            shape = TWO[b2];
        } else {
            opc = b;
            shape = ONE[b];
        }
        if (m64 && opc < 0x100 && INVALID64[opc]) {
            shape = BAD;
        }
        out.opc = opc;
        out.o32 = o32 || o64;
        out.a32 = a32;
        out.m64 = m64;
        out.o64 = o64;
        out.p66 = p66;
        out.a64 = a64;
        out.rex = rex != 0;
        out.ripRel = false;
        out.opreg = (opc & 7) | rexB;
        out.imm64 = 0;
        out.rep = rep;
        out.lock = lock;
        out.segOverride = seg >= 0;
        out.base = -1;
        out.index = -1;
        out.scale = 0;
        out.disp = 0;
        out.imm = 0;
        out.imm2 = 0;
        out.mod = 3;
        out.reg = 0;
        out.rm = 0;
        out.hasModrm = false;
        if (shape == BAD) {
            out.seg = DS;
            return fault(out, Insn.OP_UD, p);
        }
        int defSeg = DS;
        if ((shape & M) != 0) {
            out.hasModrm = true;
            int modrm = src.byteAt(p++);
            int mod = modrm >> 6;
            int reg = (modrm >> 3) & 7;
            int rm = modrm & 7;
            if (opc >= 0x120 && opc <= 0x123) {
                mod = 3; // MOV to/from CRn/DRn always name a register
            }
            out.mod = mod;
            out.reg = GROUP[opc] ? reg : reg | rexR;
            out.rm = mod == 3 ? rm | rexB : rm;
            if (mod != 3) {
                if (a32 || m64) {
                    int base = rm;
                    boolean sib = rm == 4;
                    if (sib) {
                        int sb = src.byteAt(p++);
                        out.scale = sb >> 6;
                        int idx = ((sb >> 3) & 7) | rexX;
                        out.index = idx == 4 ? -1 : idx;
                        base = sb & 7;
                    }
                    if (base == 5 && mod == 0) {
                        out.base = -1;
                        out.disp = read32(src, p);
                        out.ripRel = m64 && !sib;
                        p += 4;
                    } else {
                        out.base = base | rexB;
                        if (base == 4 || base == 5) {
                            defSeg = SS;
                        }
                    }
                } else {
                    switch (rm) {
                        case 0 -> { out.base = 3; out.index = 6; }
                        case 1 -> { out.base = 3; out.index = 7; }
                        case 2 -> { out.base = 5; out.index = 6; defSeg = SS; }
                        case 3 -> { out.base = 5; out.index = 7; defSeg = SS; }
                        case 4 -> out.base = 6;
                        case 5 -> out.base = 7;
                        case 6 -> {
                            if (mod == 0) {
                                out.disp = read16(src, p);
                                p += 2;
                            } else {
                                out.base = 5;
                                defSeg = SS;
                            }
                        }
                        default -> out.base = 3;
                    }
                }
                if (mod == 1) {
                    out.disp = (byte) src.byteAt(p++);
                } else if (mod == 2) {
                    if (a32) {
                        out.disp = read32(src, p);
                        p += 4;
                    } else {
                        out.disp = (short) read16(src, p);
                        p += 2;
                    }
                }
            }
        }
        out.seg = seg >= 0 ? seg : defSeg;
        int imm = shape & 0xf;
        if ((opc == 0xf6 || opc == 0xf7) && out.reg < 2) {
            imm = opc == 0xf6 ? IB : IZ;
        }
        switch (imm) {
            case IB, JB -> out.imm = (byte) src.byteAt(p++);
            case IW -> {
                out.imm = read16(src, p);
                p += 2;
            }
            case IZ, JZ -> {
                if (o64 && opc >= 0xb8 && opc <= 0xbf) {
                    out.imm64 = read32(src, p) & 0xffffffffL | (long) read32(src, p + 4) << 32;
                    p += 8;
                } else if (o32 || o64 || (m64 && imm == JZ)) {
                    out.imm = read32(src, p);
                    p += 4;
                } else {
                    out.imm = (short) read16(src, p);
                    p += 2;
                }
            }
            case AP -> {
                if (o32) {
                    out.imm = read32(src, p);
                    p += 4;
                } else {
                    out.imm = read16(src, p);
                    p += 2;
                }
                out.imm2 = read16(src, p);
                p += 2;
            }
            case IWB -> {
                out.imm = read16(src, p);
                out.imm2 = src.byteAt(p + 2);
                p += 3;
            }
            case MOFFS -> {
                if (a64) {
                    out.imm64 = read32(src, p) & 0xffffffffL | (long) read32(src, p + 4) << 32;
                    p += 8;
                } else if (a32 || m64) {
                    out.imm = read32(src, p);
                    p += 4;
                } else {
                    out.imm = read16(src, p);
                    p += 2;
                }
            }
            default -> { }
        }
        if (p > 15) {
            return fault(out, Insn.OP_GP, p);
        }
        out.len = p;
        if (lock && !lockable(out)) {
            out.opc = Insn.OP_UD;
        }
        out.endsBlock = endsBlock(out);
        return p;
    }

    private static int fault(Insn out, int opc, int len) {
        out.opc = opc;
        out.len = len;
        out.endsBlock = true;
        out.lock = false;
        return len;
    }

    private static int read16(ByteSource s, int p) {
        return s.byteAt(p) | (s.byteAt(p + 1) << 8);
    }

    private static int read32(ByteSource s, int p) {
        return s.byteAt(p) | (s.byteAt(p + 1) << 8) | (s.byteAt(p + 2) << 16) | (s.byteAt(p + 3) << 24);
    }

    /** LOCK is legal only on read-modify-write forms with a memory destination (SDM "LOCK"). */
    private static boolean lockable(Insn i) {
        if (i.mod == 3 || !i.hasModrm) {
            return false;
        }
        int op = i.opc;
        if (op < 0x40) {
            return (op & 7) < 2 && (op & 0x38) != 0x38;
        }
        return switch (op) {
            case 0x80, 0x81, 0x82, 0x83 -> i.reg != 7;
            case 0x86, 0x87 -> true;
            case 0xf6, 0xf7 -> i.reg == 2 || i.reg == 3;
            case 0xfe, 0xff -> i.reg < 2;
            case 0x1ab, 0x1b3, 0x1bb, 0x1b0, 0x1b1, 0x1c0, 0x1c1 -> true;
            case 0x1ba -> i.reg >= 5;
            case 0x1c7 -> i.reg == 1;
            default -> false;
        };
    }

    /** Control transfers and instructions after which the CPU mode or interrupt state may differ. */
    private static boolean endsBlock(Insn i) {
        int op = i.opc;
        if ((op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f) || (op >= 0xe0 && op <= 0xef)) {
            return true;
        }
        return switch (op) {
            case 0x17, 0x9a, 0x9d, 0xc2, 0xc3, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf, 0xf1, 0xf4, 0xfa, 0xfb,
                    0x6c, 0x6d, 0x6e, 0x6f, 0x62, 0xd4, // in/out/bound/aam may fault or touch devices
                    0x100, 0x101, 0x106, 0x108, 0x109, 0x120, 0x121, 0x122, 0x123, 0x130, 0x131, 0x132, 0x1a2, 0x1a9, 0x105, 0x107, 0x134, 0x135,
                    0x1b2, 0x1aa -> true;
            case 0x8e -> i.reg == 2;
            case 0xff -> i.reg >= 2 && i.reg <= 5;
            default -> false;
        };
    }
}
