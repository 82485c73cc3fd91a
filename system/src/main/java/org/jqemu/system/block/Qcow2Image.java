package org.jqemu.system.block;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.jqemu.system.options.ConfigException;

/**
 * A qcow2 image, versions 2 and 3 (QEMU's docs/interop/qcow2.txt). Guest clusters map to host
 * clusters through a two-level table (L1 in memory, L2 tables cached); host clusters carry
 * reference counts in a two-level refcount structure. Unallocated clusters read from the
 * backing file (raw or qcow2, read-only) or as zeros; v3 zero clusters read as zeros;
 * compressed (deflate) clusters are read, never written: a write to one copies it out first.
 *
 * <p><b>Write ordering.</b> Metadata is written through (no dirty cache), in an order that keeps
 * the image consistent if jqemu dies at any point. Clusters are reserved in batches: their
 * refcounts are set to 1 and synced before any of them is used. For one guest request, guest
 * data goes first (with the copy-on-write part of partially written clusters, into reserved
 * clusters), then L2 entries (a new L2 table is written whole), then L1 entries, and only then
 * are the references the request dropped released. The worst a crash leaves behind is clusters
 * with a refcount but no user (leaks, which {@code qemu-img check} reports and
 * {@code qemu-img check -r leaks} reclaims), never a reference to a free cluster. Against a host
 * crash (power loss) the steps that depend on each other are separated by fdatasync: reserved
 * refcounts before their use, a new L2 table before the L1 entry naming it, L2 updates before
 * releases (all skipped with {@code cache=unsafe}). Guest data is durable once the guest flushes,
 * as with a raw image; an unflushed new cluster may read back as zeros after a power loss. An
 * orderly close gives unused reserved clusters back, so a cleanly stopped VM leaves no leaks.
 *
 * <p><b>Dirty images.</b> With the dirty bit set (lazy refcounts, then a crash) a read-write
 * open rebuilds the refcounts from the metadata and clears the bit; lazy refcounts are never
 * used for writing here.
 *
 * <p><b>Corruption.</b> Bad headers, unsupported features and overlapping or out-of-file
 * metadata are refused at open with a message naming them. Metadata found broken during guest
 * I/O fails that request (the guest sees an I/O error) and stops further writes to the image.
 */
public final class Qcow2Image implements BlockImage {
    static final int MAGIC = 0x514649fb; // "QFI\xfb"
    private static final long OFFSET_MASK = 0x00fffffffffffe00L; // bits 9-55
    private static final long COPIED = 1L << 63;
    private static final long COMPRESSED = 1L << 62;
    private static final long ZERO = 1L;
    private static final long L1_RESERVED = 0x7f000000000001ffL;
    private static final long L2_RESERVED = 0x3f000000000001feL;
    private static final int EXT_BACKING_FORMAT = 0xe2792aca;
    private static final int EXT_FEATURE_NAMES = 0x6803f857;
    private static final int EXT_DATA_FILE = 0x44415441;
    private static final int EXT_BITMAPS = 0x23852875;
    private static final long INCOMPAT_DIRTY = 1;
    private static final long INCOMPAT_CORRUPT = 2;
    private static final long INCOMPAT_DATA_FILE = 4;
    private static final long INCOMPAT_COMPRESSION = 8;
    private static final long INCOMPAT_EXTENDED_L2 = 16;
    private static final String[] INCOMPAT_NAMES = {"dirty bit", "corrupt bit", "external data file",
        "compression type", "extended L2 entries"};
    /** QEMU's limits: 32 MiB of L1 table, 8 MiB of refcount table. */
    private static final long MAX_L1_BYTES = 32L << 20;
    private static final long MAX_REFTABLE_BYTES = 8L << 20;
    /** Table caches hold about this many bytes each. */
    private static final long CACHE_BYTES = 16L << 20;

    private final String nodeName;
    private final Path path;
    private final FileChannel ch;
    private final boolean readOnly;
    private final boolean barriers;
    private final int version;
    private final int clusterBits;
    private final int clusterSize;
    private final int l2Bits; // log2 of entries per L2 table
    private final long size;
    private final int refcountOrder;
    private final int refblockShift; // log2 of entries per refcount block
    private final long refcountMax;
    private final long l1Offset;
    private final long[] l1;
    private final int compressedOffsetBits;
    private final BlockImage backing;
    private long refTableOffset;
    private long[] refTable;
    private long fileEnd; // bytes; grows as clusters are allocated
    private long nextFree; // cluster index where the next allocation search starts
    private long reserveNext; // clusters [reserveNext, reserveEnd) have refcount 1 and no user yet
    private long reserveEnd;
    private volatile boolean corrupt;
    /** Host cluster index → what metadata lives there, to keep data writes off it. */
    private final Map<Long, String> metadata = new HashMap<>();
    private final Map<Long, long[]> l2Cache;
    private final Map<Long, byte[]> refblockCache;
    private long inflatedAt = -1;
    private byte[] inflated;

    private Qcow2Image(String nodeName, Path path, FileChannel ch, boolean readOnly, boolean barriers, Header h,
            long[] l1, long[] refTable, BlockImage backing, long fileSize) {
        this.nodeName = nodeName;
        this.path = path;
        this.ch = ch;
        this.readOnly = readOnly;
        this.barriers = barriers;
        this.version = h.version;
        this.clusterBits = h.clusterBits;
        this.clusterSize = 1 << h.clusterBits;
        this.l2Bits = h.clusterBits - 3;
        this.size = h.size;
        this.refcountOrder = h.refcountOrder;
        this.refblockShift = h.clusterBits + 3 - h.refcountOrder;
        this.refcountMax = h.refcountOrder == 6 ? Long.MAX_VALUE : (1L << (1 << h.refcountOrder)) - 1;
        this.l1Offset = h.l1Offset;
        this.l1 = l1;
        this.refTableOffset = h.refTableOffset;
        this.refTable = refTable;
        this.compressedOffsetBits = 62 - (h.clusterBits - 8);
        this.backing = backing;
        this.fileEnd = fileSize;
        this.nextFree = (fileSize + clusterSize - 1) >>> clusterBits;
        int entries = (int) Math.max(8, CACHE_BYTES >>> clusterBits);
        this.l2Cache = lru(entries);
        this.refblockCache = lru(entries);
    }

    private static <V> Map<Long, V> lru(int max) {
        return new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, V> eldest) {
                return size() > max;
            }
        };
    }

    // ---- open ---------------------------------------------------------------------------------

    /** The header fields this driver uses (qcow2.txt, "Header"). */
    private static final class Header {
        int version;
        int clusterBits;
        long size;
        long l1Offset;
        int l1Size;
        long refTableOffset;
        int refTableClusters;
        int snapshots;
        long snapshotsOffset;
        long incompatible;
        long autoclear;
        int refcountOrder = 4;
        int headerLength = 72;
        int compressionType;
        long backingOffset;
        int backingSize;
        String backingFormat;
        boolean bitmaps;
        final Map<Long, String> featureNames = new HashMap<>();
    }

    /** Opens a qcow2 file; every problem with it is a ConfigException naming the file. */
    public static Qcow2Image open(String nodeName, String file, boolean readOnly) throws ConfigException {
        return open(nodeName, file, readOnly, true, 0);
    }

    static Qcow2Image open(String nodeName, String file, boolean readOnly, boolean barriers, int depth)
            throws ConfigException {
        Path p = Path.of(file);
        FileChannel ch;
        try {
            ch = readOnly ? FileChannel.open(p, StandardOpenOption.READ)
                    : FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ConfigException("Could not open '" + file + "': No such file or directory");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new ConfigException("Could not open '" + file + "': Permission denied");
        } catch (IOException | RuntimeException e) {
            throw new ConfigException("Could not open '" + file + "': " + e.getMessage());
        }
        BlockImage backing = null;
        try {
            long fileSize = ch.size();
            Header h = readHeader(ch, fileSize, readOnly);
            long[] l1 = readTable(ch, h.l1Offset, h.l1Size);
            long[] refTable = readTable(ch, h.refTableOffset, (int) (((long) h.refTableClusters << h.clusterBits) / 8));
            if (h.backingOffset != 0) {
                backing = openBacking(p, ch, h, depth, barriers);
            }
            Qcow2Image img = new Qcow2Image(nodeName, p, ch, readOnly, barriers, h, l1, refTable, backing, fileSize);
            img.checkMetadata(h);
            if (!readOnly && (h.incompatible & INCOMPAT_DIRTY) != 0) {
                img.rebuildRefcounts(h);
                img.writeLong(72, h.incompatible & ~INCOMPAT_DIRTY);
                img.ch.force(false);
            }
            if (!readOnly && h.version >= 3 && h.autoclear != 0) {
                // qcow2.txt: a writer must clear auto-clear bits it does not maintain (we keep no bitmaps)
                img.writeLong(88, 0);
            }
            return img;
        } catch (ConfigException e) {
            closeQuietly(ch, backing);
            throw new ConfigException(e.getMessage().startsWith("Could not open") ? e.getMessage()
                    : "Could not open '" + file + "': " + e.getMessage());
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch, backing);
            throw new ConfigException("Could not open '" + file + "': " + e);
        }
    }

    private static void closeQuietly(FileChannel ch, BlockImage backing) {
        try {
            ch.close();
            if (backing != null) {
                backing.close();
            }
        } catch (IOException e) {
            // already failing
        }
    }

    private static Header readHeader(FileChannel ch, long fileSize, boolean readOnly) throws IOException, ConfigException {
        ByteBuffer b = readAt(ch, 0, (int) Math.min(Math.max(fileSize, 0), 1 << 21));
        if (b.limit() < 72 || b.getInt(0) != MAGIC) {
            throw new ConfigException("Image is not in qcow2 format");
        }
        Header h = new Header();
        h.version = b.getInt(4);
        if (h.version != 2 && h.version != 3) {
            throw new ConfigException("Unsupported qcow2 version " + h.version);
        }
        h.backingOffset = b.getLong(8);
        h.backingSize = b.getInt(16);
        h.clusterBits = b.getInt(20);
        if (h.clusterBits < 9 || h.clusterBits > 21) {
            throw new ConfigException("Cluster size must be a power of two between 512 and 2048k (cluster_bits "
                    + h.clusterBits + ")");
        }
        int cs = 1 << h.clusterBits;
        h.size = b.getLong(24);
        int crypt = b.getInt(32);
        h.l1Size = b.getInt(36);
        h.l1Offset = b.getLong(40);
        h.refTableOffset = b.getLong(48);
        h.refTableClusters = b.getInt(56);
        h.snapshots = b.getInt(60);
        h.snapshotsOffset = b.getLong(64);
        if (h.version >= 3) {
            if (b.limit() < 104) {
                throw new ConfigException("qcow2 header too short");
            }
            h.incompatible = b.getLong(72);
            h.autoclear = b.getLong(88);
            h.refcountOrder = b.getInt(96);
            h.headerLength = b.getInt(100);
            if (h.headerLength < 104 || h.headerLength % 8 != 0 || h.headerLength > cs || h.headerLength > b.limit()) {
                throw new ConfigException("Invalid qcow2 header length " + h.headerLength);
            }
            if (h.headerLength > 104) {
                h.compressionType = b.get(104) & 0xff;
            }
        }
        readExtensions(b, h, cs);
        long unknown = h.incompatible & ~(INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_COMPRESSION);
        if ((h.incompatible & INCOMPAT_COMPRESSION) != 0 || h.compressionType != 0) {
            unknown |= INCOMPAT_COMPRESSION; // only zlib (type 0, bit clear) is supported
        }
        if (unknown != 0) {
            throw new ConfigException("Unsupported qcow2 feature(s): " + featureList(h, unknown));
        }
        if ((h.incompatible & INCOMPAT_CORRUPT) != 0 && !readOnly) {
            throw new ConfigException("qcow2: Image is corrupt; cannot be opened read/write");
        }
        if ((h.incompatible & INCOMPAT_DIRTY) != 0 && !readOnly && h.bitmaps) {
            throw new ConfigException("qcow2 image is dirty and has persistent bitmaps; repair it with "
                    + "'qemu-img check -r all' or open it read-only");
        }
        if (crypt != 0) {
            throw new ConfigException("encrypted qcow2 images (crypt_method " + crypt + ") are not supported");
        }
        if (h.refcountOrder < 0 || h.refcountOrder > 6) {
            throw new ConfigException("Invalid refcount order " + h.refcountOrder);
        }
        if (h.size < 0) {
            throw new ConfigException("Invalid virtual size " + Long.toUnsignedString(h.size));
        }
        long l2Entries = cs / 8;
        long needL1 = ceilDiv(ceilDiv(h.size, cs), l2Entries);
        if (h.l1Size < 0 || (long) h.l1Size * 8 > MAX_L1_BYTES) {
            throw new ConfigException("Active L1 table too large");
        }
        if (h.l1Size < needL1) {
            throw new ConfigException("L1 table is too small (" + h.l1Size + " entries for " + needL1 + ")");
        }
        checkArea("L1 table", h.l1Offset, (long) h.l1Size * 8, cs, fileSize, h.l1Size == 0);
        if (h.refTableClusters <= 0 || ((long) h.refTableClusters << h.clusterBits) > MAX_REFTABLE_BYTES) {
            throw new ConfigException("Invalid refcount table size (" + h.refTableClusters + " clusters)");
        }
        checkArea("refcount table", h.refTableOffset, (long) h.refTableClusters << h.clusterBits, cs, fileSize, false);
        if (h.snapshots != 0) {
            checkArea("snapshot table", h.snapshotsOffset, 40, cs, fileSize, false);
        }
        if (h.backingOffset != 0) {
            if (h.backingSize < 1 || h.backingSize > 1023) {
                throw new ConfigException("Backing file name too long");
            }
            if (h.backingOffset < 0 || h.backingOffset + h.backingSize > Math.min(cs, b.limit())) {
                throw new ConfigException("Invalid backing file offset");
            }
        }
        return h;
    }

    private static void readExtensions(ByteBuffer b, Header h, int cs) throws ConfigException {
        int at = h.headerLength;
        int end = Math.min(cs, b.limit());
        while (at + 8 <= end) {
            int type = b.getInt(at);
            int len = b.getInt(at + 4);
            if (type == 0) {
                return;
            }
            if (len < 0 || at + 8 + (long) len > end) {
                throw new ConfigException("Invalid qcow2 header extension 0x" + Integer.toHexString(type));
            }
            byte[] data = new byte[len];
            b.get(at + 8, data);
            switch (type) {
                case EXT_BACKING_FORMAT -> h.backingFormat = new String(data, StandardCharsets.UTF_8);
                case EXT_FEATURE_NAMES -> {
                    for (int i = 0; i + 48 <= len; i += 48) {
                        int kind = data[i] & 0xff;
                        int bit = data[i + 1] & 0xff;
                        int n = 0;
                        while (n < 46 && data[i + 2 + n] != 0) {
                            n++;
                        }
                        h.featureNames.put(((long) kind << 8) | bit,
                                new String(data, i + 2, n, StandardCharsets.UTF_8));
                    }
                }
                case EXT_DATA_FILE -> {} // refused through its incompatible feature bit
                case EXT_BITMAPS -> h.bitmaps = true;
                default -> {} // unknown extensions may be ignored
            }
            at += 8 + ((len + 7) & ~7);
        }
    }

    private static String featureList(Header h, long bits) {
        List<String> names = new ArrayList<>();
        for (int bit = 0; bit < 64; bit++) {
            if ((bits & (1L << bit)) == 0) {
                continue;
            }
            String name = h.featureNames.get((long) bit);
            if (name == null && bit < INCOMPAT_NAMES.length) {
                name = INCOMPAT_NAMES[bit];
            }
            if (bit == 3 && h.compressionType != 0) {
                name = "compression type " + (h.compressionType == 1 ? "zstd" : String.valueOf(h.compressionType))
                        + " (only zlib is supported)";
            }
            names.add(name != null ? name : "Unknown incompatible feature: " + Long.toHexString(1L << bit));
        }
        return String.join(", ", names);
    }

    private static void checkArea(String what, long offset, long len, int cs, long fileSize, boolean empty)
            throws ConfigException {
        if (empty) {
            return;
        }
        if (offset <= 0 || offset % cs != 0) {
            throw new ConfigException("Invalid " + what + " offset 0x" + Long.toHexString(offset));
        }
        if (offset + len > fileSize || offset + len < offset) {
            throw new ConfigException(what + " at 0x" + Long.toHexString(offset) + " extends past the end of the file");
        }
    }

    private static BlockImage openBacking(Path image, FileChannel ch, Header h, int depth, boolean barriers)
            throws IOException, ConfigException {
        ByteBuffer nb = readAt(ch, h.backingOffset, h.backingSize);
        String name = StandardCharsets.UTF_8.decode(nb).toString();
        if (depth + 1 > ImageFormats.MAX_BACKING_DEPTH) {
            throw new ConfigException("backing chain longer than " + ImageFormats.MAX_BACKING_DEPTH + " images (a loop?)");
        }
        Path bp = Path.of(name);
        if (!bp.isAbsolute()) {
            Path dir = image.toAbsolutePath().getParent();
            bp = dir == null ? bp : dir.resolve(bp);
        }
        String format = h.backingFormat;
        if (format != null && !format.equals("raw") && !format.equals("qcow2")) {
            throw new ConfigException("backing file '" + name + "': format '" + format + "' is not supported");
        }
        try {
            return ImageFormats.open("backing", bp.toString(), format, true, barriers, null, depth + 1);
        } catch (ConfigException e) {
            throw new ConfigException("Could not open backing file: " + e.getMessage());
        }
    }

    /**
     * Records where the active metadata lives and refuses overlaps or tables outside the file:
     * header, L1 table, refcount table and blocks, the L2 tables, the snapshot table.
     */
    private void checkMetadata(Header h) throws ConfigException, IOException {
        claim(0, 1, "header");
        if (l1.length > 0) {
            claim(l1Offset, ceilDiv((long) l1.length * 8, clusterSize), "L1 table");
        }
        claim(refTableOffset, ceilDiv((long) refTable.length * 8, clusterSize), "refcount table");
        for (int i = 0; i < refTable.length; i++) {
            long off = refTable[i] & ~0x1ffL;
            if (refTable[i] != off) {
                throw new ConfigException("Refcount table entry " + i + " has reserved bits set");
            }
            if (off != 0) {
                checkCluster("Refcount block", off, i);
                claim(off, 1, "refcount block");
            }
        }
        for (int i = 0; i < l1.length; i++) {
            long off = l1[i] & OFFSET_MASK;
            if ((l1[i] & L1_RESERVED) != 0) {
                throw new ConfigException("L1 entry " + i + " has reserved bits set");
            }
            if (off != 0) {
                checkCluster("L2 table", off, i);
                claim(off, 1, "L2 table");
            }
        }
        if (h.snapshots != 0) {
            long len = snapshotTableLength(h);
            claim(h.snapshotsOffset, ceilDiv(len, clusterSize), "snapshot table");
        }
    }

    /**
     * The dirty bit says refcount updates were left out (lazy refcounts) before a crash: count
     * every reference from the metadata — header, tables, refcount blocks, active and snapshot
     * L1/L2 tables and their data — and write the counts that differ, as QEMU repairs such an
     * image when it opens it. Clusters with a count but no refcount block get new blocks.
     */
    private void rebuildRefcounts(Header h) throws IOException, ConfigException {
        long clusters = ceilDiv(fileEnd, clusterSize);
        if (clusters > (16L << 20)) {
            throw new ConfigException("dirty image too large to repair here; use 'qemu-img check -r all'");
        }
        int[] counts = new int[(int) clusters];
        count(counts, 0, 1);
        count(counts, l1Offset, ceilDiv((long) l1.length * 8, clusterSize));
        count(counts, refTableOffset, ceilDiv((long) refTable.length * 8, clusterSize));
        for (long block : refTable) {
            if (block != 0) {
                count(counts, block, 1);
            }
        }
        countL1(counts, l1);
        if (h.snapshots != 0) {
            long len = snapshotTableLength(h);
            count(counts, h.snapshotsOffset, ceilDiv(len, clusterSize));
            long at = h.snapshotsOffset;
            for (int i = 0; i < h.snapshots; i++) {
                ByteBuffer e = readAt(ch, at, 40);
                long snapL1 = e.getLong(0);
                int snapL1Size = e.getInt(8);
                if (snapL1 % clusterSize != 0 || snapL1Size < 0 || snapL1 + (long) snapL1Size * 8 > fileEnd
                        || (long) snapL1Size * 8 > MAX_L1_BYTES) {
                    throw new ConfigException("snapshot " + i + " has an invalid L1 table");
                }
                count(counts, snapL1, ceilDiv((long) snapL1Size * 8, clusterSize));
                countL1(counts, readTable(ch, snapL1, snapL1Size));
                at += (40 + (e.getInt(36) & 0xffffffffL) + (e.getShort(12) & 0xffff) + (e.getShort(14) & 0xffff) + 7) & ~7;
            }
        }
        List<Long> missing = new ArrayList<>();
        for (long c = 0; c < clusters; c++) {
            int rt = (int) (c >>> refblockShift);
            if (counts[(int) c] != 0 && (rt >= refTable.length || refTable[rt] == 0)) {
                missing.add(c);
            }
        }
        for (int rt = 0; rt < refTable.length; rt++) {
            if (refTable[rt] == 0) {
                continue;
            }
            byte[] b = refblock(refTable[rt]);
            boolean changed = false;
            for (int i = 0; i < (1 << refblockShift); i++) {
                long c = ((long) rt << refblockShift) | i;
                long want = c < clusters ? counts[(int) c] : 0;
                if (getEntry(b, i) != want) {
                    setEntry(b, i, want);
                    changed = true;
                }
            }
            if (changed) {
                writeHost(refTable[rt], new ByteBuffer[] {ByteBuffer.wrap(b)});
            }
        }
        nextFree = clusters;
        for (long c : missing) {
            setRefcount(c, counts[(int) c]);
        }
    }

    private void countL1(int[] counts, long[] table) throws IOException, ConfigException {
        for (long entry : table) {
            long l2 = entry & OFFSET_MASK;
            if (l2 == 0) {
                continue;
            }
            if (l2 % clusterSize != 0 || l2 + clusterSize > fileEnd) {
                throw new ConfigException("L2 table offset 0x" + Long.toHexString(l2) + " is invalid");
            }
            count(counts, l2, 1);
            for (long e : readTable(ch, l2, clusterSize / 8)) {
                if ((e & COMPRESSED) != 0) {
                    long off = e & ((1L << compressedOffsetBits) - 1);
                    long sectors = ((e & ~COMPRESSED & ~COPIED) >>> compressedOffsetBits) + 1;
                    long start = off & ~511L;
                    long first = start >>> clusterBits;
                    count(counts, first << clusterBits, ((start + sectors * 512 - 1) >>> clusterBits) - first + 1);
                } else if ((e & OFFSET_MASK) != 0) {
                    count(counts, e & OFFSET_MASK, 1);
                }
            }
        }
    }

    private void count(int[] counts, long offset, long n) throws ConfigException {
        for (long c = offset >>> clusterBits, end = c + n; c < end; c++) {
            if (c >= counts.length) {
                throw new ConfigException("cluster 0x" + Long.toHexString(c << clusterBits)
                        + " is referenced but lies past the end of the file");
            }
            counts[(int) c]++;
        }
    }

    private long snapshotTableLength(Header h) throws IOException, ConfigException {
        long at = h.snapshotsOffset;
        for (int i = 0; i < h.snapshots; i++) {
            if (at + 40 > fileEnd) {
                throw new ConfigException("snapshot table extends past the end of the file");
            }
            ByteBuffer e = readAt(ch, at, 40);
            long len = 40 + (e.getInt(36) & 0xffffffffL) + (e.getShort(12) & 0xffff) + (e.getShort(14) & 0xffff);
            at += (len + 7) & ~7;
        }
        return at - h.snapshotsOffset;
    }

    private void checkCluster(String what, long off, int index) throws ConfigException {
        if (off % clusterSize != 0) {
            throw new ConfigException(what + " offset 0x" + Long.toHexString(off) + " unaligned (index " + index + ")");
        }
        if (off + clusterSize > fileEnd) {
            throw new ConfigException(what + " at 0x" + Long.toHexString(off) + " is past the end of the file (index "
                    + index + ")");
        }
    }

    private void claim(long offset, long clusters, String what) throws ConfigException {
        for (long c = 0; c < clusters; c++) {
            String old = metadata.putIfAbsent((offset >>> clusterBits) + c, what);
            if (old != null) {
                throw new ConfigException("metadata overlap: " + what + " at 0x" + Long.toHexString(offset)
                        + " overlaps the " + old);
            }
        }
    }

    // ---- accessors ----------------------------------------------------------------------------

    @Override
    public String nodeName() {
        return nodeName;
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public String format() {
        return "qcow2";
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public long size() {
        return size;
    }

    public int version() {
        return version;
    }

    public int clusterSize() {
        return clusterSize;
    }

    /** The backing image, or null. */
    public BlockImage backing() {
        return backing;
    }

    // ---- read ---------------------------------------------------------------------------------

    @Override
    public synchronized void read(long offset, ByteBuffer[] bufs) throws IOException {
        long len = BufferCursor.remaining(bufs);
        checkRange(offset, len);
        BufferCursor cur = new BufferCursor(bufs);
        long pos = offset;
        long end = offset + len;
        while (pos < end) {
            long e = l2Entry(pos >>> clusterBits);
            int inCluster = (int) (pos & (clusterSize - 1));
            long run = Math.min(clusterSize - inCluster, end - pos);
            if (isData(e)) {
                // extend over following clusters that continue the same host run
                long host = dataOffset(e, pos);
                while (pos + run < end && run < (8L << 20)) {
                    long next = l2Entry((pos + run) >>> clusterBits);
                    if (!isData(next) || dataOffset(next, pos + run) != host + inCluster + run) {
                        break;
                    }
                    run += Math.min(clusterSize, end - pos - run);
                }
                readHost(host + inCluster, cur.take(run));
            } else if (isCompressed(e)) {
                byte[] c = inflate(e);
                for (ByteBuffer v : cur.take(run)) {
                    int k = v.remaining();
                    v.put(c, inCluster, k);
                    inCluster += k;
                }
            } else {
                boolean fromBacking = !isZero(e) && backing != null;
                while (pos + run < end) {
                    long next = l2Entry((pos + run) >>> clusterBits);
                    if (isData(next) || isCompressed(next) || (!isZero(next) && backing != null) != fromBacking) {
                        break;
                    }
                    run += Math.min(clusterSize, end - pos - run);
                }
                if (fromBacking) {
                    readBacking(pos, cur.take(run));
                } else {
                    BufferCursor.zero(cur.take(run));
                }
            }
            pos += run;
        }
    }

    private boolean isData(long e) {
        return (e & COMPRESSED) == 0 && (e & OFFSET_MASK) != 0 && !isZero(e);
    }

    private static boolean isCompressed(long e) {
        return (e & COMPRESSED) != 0;
    }

    /** A v3 zero cluster (bit 0), whether or not it keeps a preallocated host cluster. */
    private boolean isZero(long e) {
        return version >= 3 && (e & COMPRESSED) == 0 && (e & ZERO) != 0;
    }

    /** The host cluster of a data entry, checked: it must be aligned. */
    private long dataOffset(long e, long guest) throws IOException {
        long off = e & OFFSET_MASK;
        if (off % clusterSize != 0 || (e & L2_RESERVED) != 0) {
            throw corruption("L2 entry 0x" + Long.toHexString(e) + " for guest offset 0x" + Long.toHexString(guest)
                    + " is invalid");
        }
        return off;
    }

    private void readHost(long host, ByteBuffer[] dst) throws IOException {
        ch.position(host);
        while (BufferCursor.remaining(dst) > 0) {
            if (ch.read(dst) < 0) {
                BufferCursor.zero(dst); // a sparse tail of the file
            }
        }
    }

    private void readBacking(long pos, ByteBuffer[] dst) throws IOException {
        long n = BufferCursor.remaining(dst);
        long inBacking = Math.max(0, Math.min(n, backing.size() - pos));
        BufferCursor c = new BufferCursor(dst);
        if (inBacking > 0) {
            backing.read(pos, c.take(inBacking));
        }
        BufferCursor.zero(c.take(n - inBacking));
    }

    /** The guest data of a compressed cluster (the last one is kept: reads often come in pieces). */
    private byte[] inflate(long e) throws IOException {
        long off = e & ((1L << compressedOffsetBits) - 1);
        if (off == inflatedAt) {
            return inflated;
        }
        long sectors = ((e & ~COMPRESSED & ~COPIED) >>> compressedOffsetBits) + 1;
        int len = (int) (sectors * 512 - (off & 511));
        if (off + len > fileEnd) {
            len = (int) Math.max(0, fileEnd - off);
        }
        ByteBuffer in = readAt(ch, off, len);
        Inflater inf = new Inflater(true);
        byte[] out = new byte[clusterSize];
        try {
            inf.setInput(in);
            int n = 0;
            while (n < out.length && !inf.finished() && !inf.needsInput()) {
                n += inf.inflate(out, n, out.length - n);
            }
            if (n < out.length) {
                throw corruption("compressed cluster at 0x" + Long.toHexString(off) + " inflates to " + n + " bytes");
            }
        } catch (DataFormatException ex) {
            throw corruption("compressed cluster at 0x" + Long.toHexString(off) + ": " + ex.getMessage());
        } finally {
            inf.end();
        }
        inflatedAt = off;
        inflated = out;
        return out;
    }

    /** Reads one whole guest cluster as it is now (the old data of a copy-on-write). */
    private byte[] readCluster(long entry, long clusterStart) throws IOException {
        byte[] data = new byte[clusterSize];
        ByteBuffer[] dst = {ByteBuffer.wrap(data)};
        if (isData(entry)) {
            readHost(dataOffset(entry, clusterStart), dst);
        } else if (isCompressed(entry)) {
            System.arraycopy(inflate(entry), 0, data, 0, clusterSize);
        } else if (!isZero(entry) && backing != null) {
            readBacking(clusterStart, dst);
        }
        return data;
    }

    // ---- mapping tables -----------------------------------------------------------------------

    private long l2Entry(long guestCluster) throws IOException {
        int l1Index = (int) (guestCluster >>> l2Bits);
        long l2 = l1[l1Index] & OFFSET_MASK;
        if (l2 == 0) {
            return 0;
        }
        return l2Table(l2)[(int) (guestCluster & ((1 << l2Bits) - 1))];
    }

    private long[] l2Table(long offset) throws IOException {
        long[] t = l2Cache.get(offset);
        if (t == null) {
            if (offset % clusterSize != 0 || offset + clusterSize > fileEnd) {
                throw corruption("L2 table offset 0x" + Long.toHexString(offset) + " is invalid");
            }
            t = readTable(ch, offset, clusterSize / 8);
            l2Cache.put(offset, t);
        }
        return t;
    }

    private static long[] readTable(FileChannel ch, long offset, int entries) throws IOException {
        long[] t = new long[entries];
        if (entries == 0) {
            return t;
        }
        ByteBuffer b = readAt(ch, offset, entries * 8);
        b.asLongBuffer().get(t, 0, b.limit() / 8);
        return t;
    }

    /** Reads up to {@code len} bytes at {@code offset}; the buffer's limit says how many there were. */
    private static ByteBuffer readAt(FileChannel ch, long offset, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len);
        while (b.hasRemaining()) {
            if (ch.read(b, offset + b.position()) < 0) {
                break;
            }
        }
        return b.flip();
    }

    // ---- write --------------------------------------------------------------------------------

    /**
     * What one guest request changes, collected so that it can be written in the safe order:
     * data, (barrier) L2 tables, (barrier) L1 entries, (barrier) releases.
     */
    private final class Update {
        final List<Long> dataAt = new ArrayList<>();
        final List<ByteBuffer[]> data = new ArrayList<>();
        final Map<Long, long[]> newTables = new LinkedHashMap<>();
        final Map<Long, int[]> changedEntries = new LinkedHashMap<>(); // table → {first, last}
        int l1First = Integer.MAX_VALUE;
        int l1Last = -1;
        final List<Long> releases = new ArrayList<>(); // L2 entries whose host clusters are dropped
        final List<Long> releasedTables = new ArrayList<>();

        /** The L2 table for {@code guestCluster}, made private to this image (allocated or copied). */
        long writableTable(long guestCluster) throws IOException {
            int l1Index = (int) (guestCluster >>> l2Bits);
            long entry = l1[l1Index];
            long old = entry & OFFSET_MASK;
            if (old != 0 && (entry & COPIED) != 0) {
                return old;
            }
            long[] table = old == 0 ? new long[1 << l2Bits] : l2Table(old).clone();
            if (old != 0) {
                // shared with a snapshot: the copy's entries are ours only where the refcount is 1
                for (int i = 0; i < table.length; i++) {
                    long e = table[i];
                    long host = e & OFFSET_MASK;
                    if ((e & COMPRESSED) == 0 && host != 0) {
                        table[i] = refcount(host >>> clusterBits) == 1 ? e | COPIED : e & ~COPIED;
                    }
                }
                releasedTables.add(old);
            }
            long fresh = allocate();
            metadata.put(fresh >>> clusterBits, "L2 table");
            l2Cache.put(fresh, table);
            newTables.put(fresh, table);
            l1[l1Index] = fresh | COPIED;
            l1First = Math.min(l1First, l1Index);
            l1Last = Math.max(l1Last, l1Index);
            return fresh;
        }

        /** The current L2 entry of a guest cluster, including tables this update made. */
        long entry(long guestCluster) throws IOException {
            long l2 = l1[(int) (guestCluster >>> l2Bits)] & OFFSET_MASK;
            return l2 == 0 ? 0 : table(l2)[(int) (guestCluster & ((1 << l2Bits) - 1))];
        }

        long[] table(long offset) throws IOException {
            long[] t = newTables.get(offset);
            return t != null ? t : l2Table(offset);
        }

        void setEntry(long tableOffset, int index, long value) throws IOException {
            table(tableOffset)[index] = value;
            if (!newTables.containsKey(tableOffset)) {
                int[] r = changedEntries.computeIfAbsent(tableOffset, k -> new int[] {index, index});
                r[0] = Math.min(r[0], index);
                r[1] = Math.max(r[1], index);
            }
        }

        long allocate() throws IOException {
            return allocateCluster();
        }

        void commit() throws IOException {
            for (int i = 0; i < data.size(); i++) {
                writeHost(dataAt.get(i), data.get(i));
            }
            for (var t : newTables.entrySet()) {
                writeTable(t.getKey(), t.getValue(), 0, t.getValue().length);
            }
            for (var c : changedEntries.entrySet()) {
                writeTable(c.getKey(), table(c.getKey()), c.getValue()[0], c.getValue()[1] + 1);
            }
            if (l1Last >= 0) {
                barrier();
                writeTable(l1Offset, l1, l1First, l1Last + 1);
            }
            if (!releases.isEmpty() || !releasedTables.isEmpty()) {
                barrier();
                for (long e : releases) {
                    release(e);
                }
                for (long t : releasedTables) {
                    l2Cache.remove(t);
                    metadata.remove(t >>> clusterBits);
                    changeRefcount(t >>> clusterBits, -1);
                }
            }
        }
    }

    @Override
    public synchronized void write(long offset, ByteBuffer[] bufs) throws IOException {
        long len = BufferCursor.remaining(bufs);
        checkWritable();
        checkRange(offset, len);
        BufferCursor cur = new BufferCursor(bufs);
        Update u = new Update();
        try {
            for (long pos = offset, end = offset + len; pos < end; ) {
                long gc = pos >>> clusterBits;
                int inCluster = (int) (pos & (clusterSize - 1));
                int n = (int) Math.min(clusterSize - inCluster, end - pos);
                ByteBuffer[] piece = cur.take(n);
                long table = u.writableTable(gc);
                int index = (int) (gc & ((1 << l2Bits) - 1));
                long e = u.table(table)[index];
                if (isData(e) && (e & COPIED) != 0) {
                    long host = dataOffset(e, pos);
                    if (metadata.containsKey(host >>> clusterBits)) {
                        throw corruption("data cluster at 0x" + Long.toHexString(host) + " overlaps the "
                                + metadata.get(host >>> clusterBits));
                    }
                    addData(u, host + inCluster, piece);
                } else {
                    long fresh = u.allocate();
                    if (n < clusterSize) {
                        byte[] whole = readCluster(e, gc << clusterBits);
                        BufferCursor.copyInto(piece, whole, inCluster);
                        addData(u, fresh, new ByteBuffer[] {ByteBuffer.wrap(whole)});
                    } else {
                        addData(u, fresh, piece);
                    }
                    u.setEntry(table, index, fresh | COPIED);
                    if (e != 0) {
                        u.releases.add(e);
                    }
                }
                pos += n;
            }
            u.commit();
        } catch (IOException | RuntimeException ex) {
            recover(ex);
            throw ex;
        }
    }

    /** Appends a data write, merged into the previous one when it continues it on the host. */
    private static void addData(Update u, long host, ByteBuffer[] piece) {
        int last = u.dataAt.size() - 1;
        if (last >= 0) {
            long prevEnd = u.dataAt.get(last) + BufferCursor.remaining(u.data.get(last));
            if (prevEnd == host) {
                ByteBuffer[] prev = u.data.get(last);
                ByteBuffer[] joined = java.util.Arrays.copyOf(prev, prev.length + piece.length);
                System.arraycopy(piece, 0, joined, prev.length, piece.length);
                u.data.set(last, joined);
                return;
            }
        }
        u.dataAt.add(host);
        u.data.add(piece);
    }

    /**
     * v3 records whole zero clusters in the L2 table (their host clusters are released); the
     * partial clusters at either end, and every cluster of a v2 image, get zeros written.
     */
    @Override
    public void writeZeroes(long offset, long length) throws IOException {
        if (version < 3) {
            BlockImage.super.writeZeroes(offset, length);
            return;
        }
        synchronized (this) {
            checkWritable();
            checkRange(offset, length);
        }
        long end = offset + length;
        long first = (offset + clusterSize - 1) & -(long) clusterSize;
        long last = end & -(long) clusterSize;
        if (first >= last) {
            BlockImage.super.writeZeroes(offset, length);
            return;
        }
        if (first > offset) {
            BlockImage.super.writeZeroes(offset, first - offset);
        }
        synchronized (this) {
            Update u = new Update();
            try {
                for (long pos = first; pos < last; pos += clusterSize) {
                    long gc = pos >>> clusterBits;
                    int index = (int) (gc & ((1 << l2Bits) - 1));
                    long current = u.entry(gc);
                    if (current == ZERO || (current == 0 && backing == null)) {
                        continue; // reads as zeros already
                    }
                    long table = u.writableTable(gc);
                    long e = u.table(table)[index];
                    u.setEntry(table, index, ZERO);
                    if ((e & COMPRESSED) != 0 || (e & OFFSET_MASK) != 0) {
                        u.releases.add(e);
                    }
                }
                u.commit();
            } catch (IOException | RuntimeException ex) {
                recover(ex);
                throw ex;
            }
        }
        if (end > last) {
            BlockImage.super.writeZeroes(last, end - last);
        }
    }

    private void checkWritable() throws IOException {
        if (readOnly) {
            throw new IOException(nodeName + " is read-only");
        }
        if (corrupt) {
            throw new IOException(nodeName + ": qcow2 metadata is corrupt; the image no longer accepts writes");
        }
    }

    private void checkRange(long offset, long len) throws IOException {
        if (offset < 0 || len < 0 || offset > size || len > size - offset) {
            throw new IOException(nodeName + ": request of " + len + " bytes at " + offset
                    + " is outside the disk of " + size + " bytes");
        }
    }

    /**
     * After a failed request the in-memory tables may be ahead of the file: reload them from
     * the file, which holds a consistent (if leaky) state by the write order.
     */
    private void recover(Exception cause) {
        l2Cache.clear();
        refblockCache.clear();
        inflatedAt = -1;
        try {
            long[] fresh = readTable(ch, l1Offset, l1.length);
            System.arraycopy(fresh, 0, l1, 0, l1.length);
            ByteBuffer hb = readAt(ch, 48, 12);
            long rtOffset = hb.getLong(0);
            int rtClusters = hb.getInt(8);
            refTable = readTable(ch, rtOffset, (int) (((long) rtClusters << clusterBits) / 8));
            refTableOffset = rtOffset;
            fileEnd = Math.max(fileEnd, ch.size());
        } catch (IOException | RuntimeException e) {
            corrupt = true;
            cause.addSuppressed(e);
        }
    }

    private void writeHost(long host, ByteBuffer[] src) throws IOException {
        long n = BufferCursor.remaining(src);
        ch.position(host);
        while (BufferCursor.remaining(src) > 0) {
            ch.write(src);
        }
        fileEnd = Math.max(fileEnd, host + n);
    }

    private void writeTable(long tableOffset, long[] table, int from, int to) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((to - from) * 8);
        b.asLongBuffer().put(table, from, to - from);
        writeHost(tableOffset + (long) from * 8, new ByteBuffer[] {b});
    }

    private void writeLong(long at, long value) throws IOException {
        writeHost(at, new ByteBuffer[] {ByteBuffer.allocate(8).putLong(0, value)});
    }

    private void barrier() throws IOException {
        if (barriers) {
            ch.force(false);
        }
    }

    /** Drops this image's reference to the host cluster(s) of an L2 entry. */
    private void release(long e) throws IOException {
        if ((e & COMPRESSED) != 0) {
            long off = e & ((1L << compressedOffsetBits) - 1);
            long sectors = ((e & ~COMPRESSED & ~COPIED) >>> compressedOffsetBits) + 1;
            long start = off & ~511L;
            long endByte = start + sectors * 512;
            for (long c = start >>> clusterBits; c <= (endByte - 1) >>> clusterBits; c++) {
                changeRefcount(c, -1);
            }
            if (inflatedAt == off) {
                inflatedAt = -1;
            }
        } else if ((e & OFFSET_MASK) != 0) {
            changeRefcount((e & OFFSET_MASK) >>> clusterBits, -1);
        }
    }

    // ---- refcounts ----------------------------------------------------------------------------

    /**
     * Hands out the next reserved cluster. Clusters are reserved in batches (refcount 1 written
     * and synced once per batch) so that an allocating write needs no fdatasync of its own
     * before its L2 entry may point at the new cluster; unused reserved clusters are given back
     * at close, and only a crash leaves them behind as leaks.
     */
    private long allocateCluster() throws IOException {
        if (reserveNext == reserveEnd) {
            reserve();
        }
        return reserveNext++ << clusterBits;
    }

    private void reserve() throws IOException {
        int batch = (int) Math.max(16, Math.min(4096, (8L << 20) >>> clusterBits));
        long start = freeRun(batch);
        nextFree = start + batch; // refcount blocks made for the batch go after it
        setRefcounts(start, batch, 1);
        barrier();
        reserveNext = start;
        reserveEnd = start + batch;
    }

    /** The first cluster of {@code n} consecutive free clusters at or after {@link #nextFree}. */
    private long freeRun(long n) throws IOException {
        long start = nextFree;
        while (true) {
            long c = start;
            while (c < start + n && refcount(c) == 0) {
                c++;
            }
            if (c == start + n) {
                return start;
            }
            start = c + 1;
        }
    }

    long refcount(long cluster) throws IOException {
        int rt = (int) Math.min(Integer.MAX_VALUE, cluster >>> refblockShift);
        if (rt >= refTable.length || refTable[rt] == 0) {
            return 0;
        }
        return getEntry(refblock(refTable[rt]), (int) (cluster & ((1L << refblockShift) - 1)));
    }

    private void changeRefcount(long cluster, int delta) throws IOException {
        long rc = refcount(cluster);
        if (delta < 0 && rc == 0) {
            throw corruption("refcount of cluster 0x" + Long.toHexString(cluster << clusterBits) + " would go below 0");
        }
        setRefcount(cluster, rc + delta);
    }

    private void setRefcount(long cluster, long value) throws IOException {
        setRefcounts(cluster, 1, value);
    }

    /** Sets the refcounts of {@code count} clusters from {@code first}: one write per refcount block. */
    private void setRefcounts(long first, long count, long value) throws IOException {
        if (value > refcountMax) {
            throw new IOException(nodeName + ": refcount overflow at cluster 0x" + Long.toHexString(first << clusterBits));
        }
        int bits = 1 << refcountOrder;
        for (long c = first, end = first + count; c < end; ) {
            long rt = c >>> refblockShift;
            if (rt >= refTable.length) {
                growRefcountTable(rt);
            }
            if (refTable[(int) rt] == 0) {
                newRefblock((int) rt);
            }
            long block = refTable[(int) rt];
            byte[] b = refblock(block);
            long stop = Math.min(end, (rt + 1) << refblockShift);
            int from = (int) (c & ((1L << refblockShift) - 1));
            int to = from + (int) (stop - c); // exclusive
            for (int i = from; i < to; i++) {
                setEntry(b, i, value);
            }
            int byteFrom = (int) (((long) from * bits) >>> 3);
            int byteTo = (int) (((long) to * bits + 7) >>> 3);
            writeHost(block + byteFrom, new ByteBuffer[] {ByteBuffer.wrap(b, byteFrom, byteTo - byteFrom)});
            c = stop;
        }
    }

    private byte[] refblock(long offset) throws IOException {
        byte[] b = refblockCache.get(offset);
        if (b == null) {
            if (offset % clusterSize != 0 || offset + clusterSize > fileEnd) {
                throw corruption("refcount block offset 0x" + Long.toHexString(offset) + " is invalid");
            }
            ByteBuffer bb = readAt(ch, offset, clusterSize);
            b = new byte[clusterSize];
            bb.get(b, 0, bb.limit());
            refblockCache.put(offset, b);
        }
        return b;
    }

    private long getEntry(byte[] b, int index) {
        int bits = 1 << refcountOrder;
        if (bits >= 8) {
            int at = index * (bits / 8);
            long v = 0;
            for (int i = 0; i < bits / 8; i++) {
                v = (v << 8) | (b[at + i] & 0xff);
            }
            return v;
        }
        int bit = index * bits;
        return (b[bit >>> 3] >>> (bit & 7)) & ((1 << bits) - 1);
    }

    private void setEntry(byte[] b, int index, long value) {
        int bits = 1 << refcountOrder;
        if (bits >= 8) {
            int at = index * (bits / 8);
            for (int i = bits / 8 - 1; i >= 0; i--) {
                b[at + i] = (byte) value;
                value >>>= 8;
            }
            return;
        }
        int bit = index * bits;
        int mask = ((1 << bits) - 1) << (bit & 7);
        b[bit >>> 3] = (byte) ((b[bit >>> 3] & ~mask) | ((value << (bit & 7)) & mask));
    }

    /**
     * A refcount block for table slot {@code rt}, placed in a free cluster at the end of the
     * file. It is written (covering itself when it lies in its own range) before the table entry
     * points at it; a block outside its own range gets its refcount like any other cluster.
     */
    private void newRefblock(int rt) throws IOException {
        long c = freeRun(1);
        nextFree = c + 1;
        long offset = c << clusterBits;
        byte[] b = new byte[clusterSize];
        boolean self = (c >>> refblockShift) == rt;
        if (self) {
            setEntry(b, (int) (c & ((1L << refblockShift) - 1)), 1);
        }
        writeHost(offset, new ByteBuffer[] {ByteBuffer.wrap(b)});
        refblockCache.put(offset, b);
        metadata.put(c, "refcount block");
        barrier();
        refTable[rt] = offset;
        writeLong(refTableOffset + (long) rt * 8, offset);
        if (!self) {
            setRefcount(c, 1);
        }
    }

    /**
     * Moves the refcount table to a bigger copy at the end of the file: written, given its
     * refcounts, then the header switched to it (one 12-byte write), then the old table freed.
     */
    private void growRefcountTable(long neededIndex) throws IOException {
        long entries = Math.max(neededIndex + 1, refTable.length) * 2;
        long clusters = ceilDiv(entries * 8, clusterSize);
        if ((clusters << clusterBits) > MAX_REFTABLE_BYTES) {
            throw new IOException(nodeName + ": refcount table would exceed " + (MAX_REFTABLE_BYTES >> 20) + " MiB");
        }
        long start = freeRun(clusters);
        nextFree = start + clusters;
        long[] table = java.util.Arrays.copyOf(refTable, (int) (clusters << clusterBits) / 8);
        long offset = start << clusterBits;
        long oldOffset = refTableOffset;
        int oldClusters = (int) ceilDiv((long) refTable.length * 8, clusterSize);
        writeTable(offset, table, 0, table.length);
        refTable = table;
        refTableOffset = offset; // new blocks made while counting the table itself go into it
        for (long c = 0; c < clusters; c++) {
            metadata.put(start + c, "refcount table");
        }
        setRefcounts(start, clusters, 1);
        barrier();
        writeHost(48, new ByteBuffer[] {ByteBuffer.allocate(12).putLong(0, offset).putInt(8, (int) clusters)});
        barrier();
        for (long c = 0; c < oldClusters; c++) {
            metadata.remove((oldOffset >>> clusterBits) + c);
            changeRefcount((oldOffset >>> clusterBits) + c, -1);
        }
    }

    // ---- misc ---------------------------------------------------------------------------------

    private IOException corruption(String what) {
        corrupt = true;
        return new IOException(nodeName + ": qcow2 image is corrupt: " + what);
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    @Override
    public synchronized void flush() throws IOException {
        if (!readOnly) {
            ch.force(false);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        try {
            if (!readOnly && !corrupt && reserveNext < reserveEnd && ch.isOpen()) {
                setRefcounts(reserveNext, reserveEnd - reserveNext, 0);
                reserveNext = reserveEnd;
                ch.force(false);
            }
        } finally {
            closeChannels();
        }
    }

    private void closeChannels() throws IOException {
        try {
            ch.close();
        } finally {
            if (backing != null) {
                backing.close();
            }
        }
    }
}
