package minibert.train;

import minibert.text.Vocabulary;
import minibert.text.WordPiece;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * A compact binary cache of packed pre-training sequences, memory-mapped; built once from the corpus.
 *
 * <p>The corpus is tokenized once, cut into sentences and packed ({@link Packing}); the sequences are
 * stored as piece ids, two bytes each while V ≤ 65,536 (else four), one after another, followed by an
 * index of 12 bytes per sequence (where it starts, its length, where its first {@code [SEP]} is). A
 * batch is then a few copies out of the mapped file: nothing per step touches text, and the corpus is
 * never held as Java objects.
 *
 * <p>File layout, little-endian:
 * <pre>
 *   header   256 bytes: magic "MBPRETRN", format version, id width, T, V, split, seed, short_seq_prob,
 *                       held-out share, document limit, counts, SHA-256 of the vocabulary and of the
 *                       corpus, payload and index sizes, CRC32C of the body; CRC32C of the header at 252
 *   payload  tokens × id width                      [CLS] A [SEP] B [SEP] of every sequence, no padding
 *   index    sequences × 12: start (8, in tokens), length (2), position of the first [SEP] (2)
 * </pre>
 * A file whose header does not match what is asked for (another vocabulary, corpus, T, seed, …) is stale;
 * one with another magic is foreign; one whose size or checksums disagree with its header is corrupt. Each
 * is rebuilt, with a message naming the file and the reason, and never read.
 */
public final class PretrainingCache implements AutoCloseable {

    /** Which documents a cache holds: a document is wholly in one split. */
    public enum Split { TRAIN, HELD_OUT }

    /**
     * What a cache is built from, besides the vocabulary and the corpus.
     *
     * @param length        T, positions per sequence
     * @param shortSeqProb  share of documents packed to a shorter random target length (BERT: 0.1)
     * @param heldOutShare  share of documents held out for evaluation (chosen by {@link #heldOut})
     * @param seed          seed of the held-out rule and of the packing
     * @param documentLimit read only the first so many documents of the corpus (both splits); 0 reads all
     * @param split         the documents kept
     */
    public record Spec(int length, double shortSeqProb, double heldOutShare, long seed, long documentLimit, Split split) {

        /** BERT's {@code short_seq_prob}. */
        public static final double SHORT_SEQ_PROB = 0.1;
        /** About 1% of the documents are held out. */
        public static final double HELD_OUT_SHARE = 0.01;

        public Spec {
            if (length < 5 || length > 0xFFFF) {
                throw new IllegalArgumentException("sequence length must be in [5, 65535], found " + length);
            }
            if (!(shortSeqProb >= 0 && shortSeqProb <= 1)) {
                throw new IllegalArgumentException("short_seq_prob must be in [0, 1], found " + shortSeqProb);
            }
            if (!(heldOutShare > 0 && heldOutShare < 1)) {
                throw new IllegalArgumentException("the held-out share must be in (0, 1), found " + heldOutShare);
            }
            if (documentLimit < 0) {
                throw new IllegalArgumentException("document limit must be ≥ 0 (0: all), found " + documentLimit);
            }
            Objects.requireNonNull(split, "split");
        }

        /** BERT's packing settings and a 1% held-out split. */
        public static Spec of(int length, long seed, long documentLimit, Split split) {
            return new Spec(length, SHORT_SEQ_PROB, HELD_OUT_SHARE, seed, documentLimit, split);
        }

        public Spec withSplit(Split other) {
            return new Spec(length, shortSeqProb, heldOutShare, seed, documentLimit, other);
        }

        /**
         * The held-out rule: a document is held out when a hash of its text, mixed with the seed, falls
         * below the share. It depends on the text alone, so a document is wholly in one split whatever
         * else the corpus holds, and two copies of the same review (IMDB has some) land in the same split.
         */
        // tag::held-out[]
        public boolean heldOut(String text) {
            return Seeds.unit(Seeds.of(seed, Seeds.HELD_OUT, text.hashCode())) < heldOutShare;
        }
        // end::held-out[]
    }

    /**
     * What a build counted.
     *
     * @param documentsRead documents of the corpus read (both splits; at most the limit)
     * @param documents     documents in this split that gave at least one sequence
     * @param sequences     sequences
     * @param tokens        positions holding a piece or a special token (the rest of the S·T is padding)
     * @param dropped       pieces that truncation removed
     * @param pairs         sequences with a B segment
     */
    public record Stats(long documentsRead, long documents, long sequences, long tokens, long dropped, long pairs) {
    }

    static final int FORMAT_VERSION = 1;
    static final int HEADER_BYTES = 256;
    static final int INDEX_ENTRY = 12;
    /** Where the header keeps the CRC32C of the body (payload and index). */
    static final int BODY_CRC_AT = 192;
    private static final byte[] MAGIC = "MBPRETRN".getBytes(StandardCharsets.US_ASCII);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final Arena arena;
    private final MemorySegment data;
    private final Header header;
    private final int length;
    private final int sequences;
    private final long indexOffset;

    private PretrainingCache(Path file, Arena arena, MemorySegment data, Header header) {
        this.file = file;
        this.arena = arena;
        this.data = data;
        this.header = header;
        this.length = header.length;
        this.sequences = Math.toIntExact(header.stats.sequences());
        this.indexOffset = HEADER_BYTES + header.payloadBytes;
    }

    /**
     * Opens the cache at {@code file} if its header matches (format version, vocabulary and corpus
     * checksums, T, packing settings, seed, document limit, split) and its size and checksums agree;
     * otherwise (missing, stale, foreign, corrupt) builds it anew, saying why through {@code progress},
     * writing to a temporary file beside it and then renaming that into place.
     *
     * @param vocabulary the pieces to tokenize with; its checksum is recorded
     * @param corpus     the documents; read only when the cache is built
     */
    public static PretrainingCache openOrBuild(Path file, Spec spec, Vocabulary vocabulary, PretrainingCorpus corpus,
                                               Progress progress) {
        Header wanted = Header.wanted(spec, vocabulary, corpus);
        String problem = check(file, wanted, vocabulary.clsId(), vocabulary.sepId());
        if (problem == null) {
            return open(file);
        }
        progress.report(problem + ": building it");
        build(file, spec, vocabulary, corpus, progress);
        String after = check(file, wanted, vocabulary.clsId(), vocabulary.sepId());
        if (after != null) {
            throw new IllegalStateException("the pretraining cache just built at " + file + " does not open: " + after);
        }
        return open(file);
    }

    /**
     * Opens the cache at {@code file} only if it is exactly the wanted one, as {@link #openOrBuild} checks it
     * (header, sizes, checksums, every index entry and id); never builds. For tools that read a cache another
     * program built, and for the fuzzing of this reader.
     *
     * @throws CacheException naming the file and what is wrong: missing, foreign, stale or corrupt
     */
    public static PretrainingCache openExisting(Path file, Spec spec, Vocabulary vocabulary, PretrainingCorpus corpus) {
        String problem = check(file, Header.wanted(spec, vocabulary, corpus), vocabulary.clsId(), vocabulary.sepId());
        if (problem != null) {
            throw new CacheException(problem);
        }
        try {
            return open(file);
        } catch (RuntimeException e) {                     // changed between the check and the mapping
            throw new CacheException("the pretraining cache " + file + " cannot be opened: " + e.getMessage());
        }
    }

    /**
     * {@code file}'s bytes with both checksums (the body's, in the header, and the header's own) computed
     * afresh: a mutation of a cache made to reach the checks behind the checksums, as the fuzzer does. Bytes
     * shorter than a header are returned as they are.
     */
    public static byte[] withChecksums(byte[] file) {
        byte[] out = file.clone();
        if (out.length < HEADER_BYTES) {
            return out;
        }
        CRC32C body = new CRC32C();
        body.update(out, HEADER_BYTES, out.length - HEADER_BYTES);
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(BODY_CRC_AT, (int) body.getValue());
        CRC32C header = new CRC32C();
        header.update(out, 0, HEADER_BYTES - 4);
        b.putInt(HEADER_BYTES - 4, (int) header.getValue());
        return out;
    }

    /** A pretraining cache that cannot be used as asked: missing, foreign, stale or corrupt; the message names the file. */
    public static final class CacheException extends RuntimeException {
        public CacheException(String message) {
            super(message);
        }
    }

    /** Sequences in the cache. */
    public int size() {
        return sequences;
    }

    /** T, positions per sequence. */
    public int length() {
        return length;
    }

    /** The file this cache maps. */
    public Path file() {
        return file;
    }

    /** What the build counted. */
    public Stats stats() {
        return header.stats;
    }

    /** The settings the cache was built with. */
    public Spec spec() {
        return header.spec;
    }

    /** The real positions of sequence {@code index}: [CLS], A, [SEP], and B and [SEP] when it has a B. */
    public int realLength(int index) {
        Objects.checkIndex(index, sequences);
        return Short.toUnsignedInt(data.get(U16, indexOffset + (long) INDEX_ENTRY * index + 8));
    }

    /** The position of the first [SEP] of sequence {@code index}: 1 + the length of A. */
    public int firstSeparator(int index) {
        Objects.checkIndex(index, sequences);
        return Short.toUnsignedInt(data.get(U16, indexOffset + (long) INDEX_ENTRY * index + 10));
    }

    /**
     * Fills row {@code row} of the batch arrays with sequence {@code index}. No allocation.
     *
     * @param ids   piece ids; [PAD] (0) after the sequence                                   [B·T] Modified
     * @param types token types: 0 for [CLS], A and the first [SEP]; 1 for B and its [SEP]; 0 on padding
     *              [B·T] Modified
     * @param mask  attention mask: 1 on the sequence, 0 on padding                            [B·T] Modified
     * @param row   which row of the B rows of T positions
     */
    // tag::read[]
    public void read(int index, int[] ids, int[] types, int[] mask, int row) {
        Objects.checkIndex(index, sequences);
        long entry = indexOffset + (long) INDEX_ENTRY * index;
        long start = data.get(I64, entry);
        int real = Short.toUnsignedInt(data.get(U16, entry + 8));
        int sep = Short.toUnsignedInt(data.get(U16, entry + 10));
        int base = row * length;
        long at = HEADER_BYTES + start * header.idWidth;
        for (int t = 0; t < real; t++) {
            ids[base + t] = header.idWidth == 2 ? Short.toUnsignedInt(data.get(U16, at + 2L * t))
                    : data.get(I32, at + 4L * t);
            types[base + t] = t <= sep ? 0 : 1;               // 1 after the first [SEP]: segment B
            mask[base + t] = 1;
        }
        Arrays.fill(ids, base + real, base + length, 0);      // [PAD]
        Arrays.fill(types, base + real, base + length, 0);
        Arrays.fill(mask, base + real, base + length, 0);
    }
    // end::read[]

    /** Unmaps the file; reading afterwards fails. */
    @Override
    public void close() {
        arena.close();
    }

    // ---------------------------------------------------------------- the header

    /** Everything the 256-byte header holds. */
    private record Header(int version, int idWidth, int length, int vocabSize, Spec spec, String vocabSha, String corpusSha,
                          Stats stats, long payloadBytes, long indexBytes, int bodyCrc) {

        static Header wanted(Spec spec, Vocabulary vocabulary, PretrainingCorpus corpus) {
            return new Header(FORMAT_VERSION, PretrainingCache.idWidth(vocabulary.size()), spec.length(), vocabulary.size(), spec,
                    vocabularyChecksum(vocabulary), corpus.checksum(), null, 0, 0, 0);
        }

        byte[] bytes() {
            ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            b.put(MAGIC).putInt(version).putInt(HEADER_BYTES).putInt(idWidth).putInt(length).putInt(vocabSize)
                    .putInt(spec.split().ordinal()).putLong(spec.seed()).putDouble(spec.shortSeqProb())
                    .putDouble(spec.heldOutShare()).putLong(spec.documentLimit())
                    .putLong(stats.documentsRead()).putLong(stats.documents()).putLong(stats.sequences())
                    .putLong(stats.tokens()).putLong(stats.dropped()).putLong(stats.pairs())
                    .put(HexFormat.of().parseHex(vocabSha)).put(HexFormat.of().parseHex(corpusSha))
                    .putLong(payloadBytes).putLong(indexBytes).putInt(bodyCrc);
            CRC32C crc = new CRC32C();
            crc.update(b.array(), 0, HEADER_BYTES - 4);
            b.putInt(HEADER_BYTES - 4, (int) crc.getValue());
            return b.array();
        }

        /** The header in {@code b}, or why it is not one: {@code problem[0]} is set and null returned. */
        static Header parse(byte[] raw, Path file, String[] problem) {
            ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
            if (!Arrays.equals(raw, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
                problem[0] = file + " is not a minibert pretraining cache (it starts with "
                        + HexFormat.of().formatHex(raw, 0, MAGIC.length) + ", not \"MBPRETRN\")";
                return null;
            }
            CRC32C crc = new CRC32C();
            crc.update(raw, 0, HEADER_BYTES - 4);
            if ((int) crc.getValue() != b.getInt(HEADER_BYTES - 4)) {
                problem[0] = "the pretraining cache " + file + " is corrupt (its header's checksum does not match)";
                return null;
            }
            b.position(MAGIC.length);
            int version = b.getInt();
            if (version != FORMAT_VERSION) {
                problem[0] = "the pretraining cache " + file + " is stale (format version " + version
                        + "; this code writes version " + FORMAT_VERSION + ")";
                return null;
            }
            int headerBytes = b.getInt();
            int idWidth = b.getInt(), length = b.getInt(), vocabSize = b.getInt(), split = b.getInt();
            long seed = b.getLong();
            double shortSeq = b.getDouble(), heldOut = b.getDouble();
            long limit = b.getLong();
            if (headerBytes != HEADER_BYTES || (idWidth != 2 && idWidth != 4) || split < 0 || split >= Split.values().length
                    || length < 5 || length > 0xFFFF || !(shortSeq >= 0 && shortSeq <= 1) || !(heldOut > 0 && heldOut < 1) || limit < 0) {
                problem[0] = "the pretraining cache " + file + " is corrupt (its header holds impossible settings)";
                return null;
            }
            Stats stats = new Stats(b.getLong(), b.getLong(), b.getLong(), b.getLong(), b.getLong(), b.getLong());
            byte[] vocabSha = new byte[32], corpusSha = new byte[32];
            b.get(vocabSha).get(corpusSha);
            long payloadBytes = b.getLong(), indexBytes = b.getLong();
            int bodyCrc = b.getInt();
            if (stats.documentsRead() < 0 || stats.documents() < 0 || stats.documents() > stats.documentsRead()
                    || stats.sequences() < 0 || stats.sequences() > Integer.MAX_VALUE || stats.tokens() < 0 || stats.dropped() < 0
                    || stats.pairs() < 0 || stats.pairs() > stats.sequences() || payloadBytes < 0 || indexBytes < 0) {
                problem[0] = "the pretraining cache " + file + " is corrupt (its header holds impossible counts)";
                return null;
            }
            return new Header(version, idWidth, length, vocabSize,
                    new Spec(length, shortSeq, heldOut, seed, limit, Split.values()[split]),
                    HexFormat.of().formatHex(vocabSha), HexFormat.of().formatHex(corpusSha), stats, payloadBytes, indexBytes, bodyCrc);
        }

        /** How this (read) header differs from the wanted one, or {@code null} when it matches. */
        String differences(Header wanted) {
            List<String> d = new ArrayList<>();
            if (!vocabSha.equals(wanted.vocabSha)) {
                d.add("vocabulary " + vocabSha.substring(0, 12) + "…, now " + wanted.vocabSha.substring(0, 12) + "…");
            }
            if (vocabSize != wanted.vocabSize || idWidth != wanted.idWidth) {
                d.add("V " + vocabSize + ", now " + wanted.vocabSize);
            }
            if (!corpusSha.equals(wanted.corpusSha)) {
                d.add("corpus " + corpusSha.substring(0, 12) + "…, now " + wanted.corpusSha.substring(0, 12) + "…");
            }
            Spec a = spec, b = wanted.spec;
            if (a.length() != b.length()) {
                d.add("T " + a.length() + ", now " + b.length());
            }
            if (a.shortSeqProb() != b.shortSeqProb()) {
                d.add("short_seq_prob " + a.shortSeqProb() + ", now " + b.shortSeqProb());
            }
            if (a.heldOutShare() != b.heldOutShare()) {
                d.add("held-out share " + a.heldOutShare() + ", now " + b.heldOutShare());
            }
            if (a.seed() != b.seed()) {
                d.add("seed " + a.seed() + ", now " + b.seed());
            }
            if (a.documentLimit() != b.documentLimit()) {
                d.add("document limit " + limit(a.documentLimit()) + ", now " + limit(b.documentLimit()));
            }
            if (a.split() != b.split()) {
                d.add("split " + a.split() + ", now " + b.split());
            }
            return d.isEmpty() ? null : String.join("; ", d);
        }

        private static String limit(long l) {
            return l == 0 ? "none" : Long.toString(l);
        }
    }

    static int idWidth(int vocabSize) {
        return vocabSize <= 1 << 16 ? 2 : 4;
    }

    /** SHA-256 of the vocabulary's tokens, one per line: the SHA-256 of its {@code vocab.txt}. */
    static String vocabularyChecksum(Vocabulary vocabulary) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String t : vocabulary.tokens()) {
                md.update((t + "\n").getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------- opening and checking

    /** Why the file cannot be used as the wanted cache, or {@code null} when it can. */
    private static String check(Path file, Header wanted, int cls, int sep) {
        if (!Files.exists(file)) {
            return "no pretraining cache at " + file;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < HEADER_BYTES) {
                byte[] start = new byte[(int) size];
                ch.read(ByteBuffer.wrap(start), 0);
                boolean ours = size >= MAGIC.length && Arrays.equals(start, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
                return ours ? "the pretraining cache " + file + " is corrupt (" + size + " bytes, shorter than its header: truncated)"
                        : file + " is not a minibert pretraining cache (" + size + " bytes)";
            }
            byte[] raw = new byte[HEADER_BYTES];
            ch.read(ByteBuffer.wrap(raw), 0);
            String[] problem = new String[1];
            Header h = Header.parse(raw, file, problem);
            if (h == null) {
                return problem[0];
            }
            String differences = h.differences(wanted);
            if (differences != null) {
                return "the pretraining cache " + file + " is stale (" + differences + ")";
            }
            long expected;
            try {                                             // counts from a damaged header may overflow
                expected = Math.addExact(HEADER_BYTES, Math.addExact(h.payloadBytes, h.indexBytes));
                if (h.indexBytes != Math.multiplyExact(INDEX_ENTRY, h.stats.sequences())
                        || h.payloadBytes != Math.multiplyExact(h.stats.tokens(), h.idWidth)) {
                    return "the pretraining cache " + file + " is corrupt (its header's sizes disagree with its counts)";
                }
            } catch (ArithmeticException e) {
                return "the pretraining cache " + file + " is corrupt (its header's sizes overflow)";
            }
            if (size != expected) {
                return "the pretraining cache " + file + " is corrupt (" + size + " bytes, its header says " + expected
                        + (size < expected ? ": truncated)" : ")");
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
                int crc = crc(all.asSlice(HEADER_BYTES));
                if (crc != h.bodyCrc) {
                    return "the pretraining cache " + file + " is corrupt (the checksum of its sequences does not match its header)";
                }
                String index = checkIndex(all, h, cls, sep);
                if (index != null) {
                    return "the pretraining cache " + file + " is corrupt (" + index + ")";
                }
            }
            return null;
        } catch (IOException e) {
            return "the pretraining cache " + file + " cannot be read (" + e.getMessage() + ")";
        }
    }

    /**
     * Every index entry lies inside the payload and describes a possible sequence: [CLS] first, [SEP] where the
     * entry says and last, every id a piece of the vocabulary. Checked when a cache is opened, so that reading a
     * batch never meets an impossible id, whatever the file holds.
     */
    private static String checkIndex(MemorySegment all, Header h, int cls, int sep) {
        long offset = HEADER_BYTES + h.payloadBytes;
        long expectedStart = 0;
        for (long i = 0; i < h.stats.sequences(); i++) {
            long e = offset + INDEX_ENTRY * i;
            long start = all.get(I64, e);
            int real = Short.toUnsignedInt(all.get(U16, e + 8)), firstSep = Short.toUnsignedInt(all.get(U16, e + 10));
            if (start != expectedStart || real < 3 || real > h.length || firstSep < 2 || firstSep >= real
                    || start + real > h.stats.tokens()) {
                return "sequence " + i + "'s index entry (start " + start + ", length " + real + ", [SEP] at " + firstSep + ") is impossible";
            }
            long at = HEADER_BYTES + start * h.idWidth;
            for (int t = 0; t < real; t++) {
                long id = h.idWidth == 2 ? Short.toUnsignedInt(all.get(U16, at + 2L * t)) : all.get(I32, at + 4L * t);
                if (id < 0 || id >= h.vocabSize) {
                    return "sequence " + i + " holds the id " + id + " at position " + t + ", outside the vocabulary of "
                            + h.vocabSize;
                }
                if (t == 0 && id != cls || (t == firstSep || t == real - 1) && id != sep) {
                    return "sequence " + i + " has " + id + " at position " + t + " (a sequence is [CLS] A [SEP], or [CLS] A [SEP] B [SEP], "
                            + "with its first [SEP] where its index entry says)";
                }
            }
            expectedStart += real;
        }
        return expectedStart == h.stats.tokens() ? null : "its sequences hold " + expectedStart + " tokens, its header says " + h.stats.tokens();
    }

    private static int crc(MemorySegment body) {
        CRC32C crc = new CRC32C();
        long chunk = 1 << 26;
        for (long at = 0; at < body.byteSize(); at += chunk) {
            crc.update(body.asSlice(at, Math.min(chunk, body.byteSize() - at)).asByteBuffer());
        }
        return (int) crc.getValue();
    }

    private static PretrainingCache open(Path file) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment data = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            byte[] raw = data.asSlice(0, HEADER_BYTES).toArray(ValueLayout.JAVA_BYTE);
            String[] problem = new String[1];
            Header h = Header.parse(raw, file, problem);
            if (h == null) {
                throw new IllegalStateException(problem[0]);
            }
            return new PretrainingCache(file, arena, data, h);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e instanceof IOException io ? new UncheckedIOException("cannot open " + file, io) : (RuntimeException) e;
        }
    }

    // ---------------------------------------------------------------- building

    /** Documents tokenized together (in parallel), then packed in order. */
    private static final int BLOCK = 256;

    private static void build(Path file, Spec spec, Vocabulary vocabulary, PretrainingCorpus corpus, Progress progress) {
        long t0 = System.nanoTime();
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".part");
            Header header;
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                Writer writer = new Writer(ch, idWidth(vocabulary.size()), vocabulary);
                readDocuments(spec, new WordPiece(vocabulary), corpus, writer, file, progress);
                header = writer.finish(Header.wanted(spec, vocabulary, corpus));
                ch.write(ByteBuffer.wrap(header.bytes()), 0);
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Stats s = header.stats;
            progress.report(String.format(Locale.ROOT, "built %s in %.1f s: %,d of %,d documents read (%s), %,d sequences, %,d tokens",
                    file, (System.nanoTime() - t0) / 1e9, s.documents(), s.documentsRead(), spec.split(), s.sequences(), s.tokens()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build the pretraining cache " + file + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    // a leftover .part file is never opened as a cache
                }
            }
        }
    }

    /** Reads the corpus in order, keeps this split's documents, tokenizes them in blocks and packs them in order. */
    private static void readDocuments(Spec spec, WordPiece wordPiece, PretrainingCorpus corpus, Writer writer,
                                      Path file, Progress progress) {
        Packing packing = new Packing(spec.length(), spec.shortSeqProb());
        List<String> texts = new ArrayList<>(BLOCK);
        long[] ordinals = new long[BLOCK];
        long[] read = {0};
        // Pushed through forEach, not pulled through an iterator: a stream of several files (flatMap) is
        // then read lazily, and the limit stops the reading.
        try (Stream<String> all = corpus.documents().get()) {
            Stream<String> documents = spec.documentLimit() == 0 ? all : all.limit(spec.documentLimit());
            documents.forEachOrdered(text -> {
                long ordinal = read[0]++;
                if (spec.heldOut(text) == (spec.split() == Split.HELD_OUT)) {
                    ordinals[texts.size()] = ordinal;
                    texts.add(text);
                    if (texts.size() == BLOCK) {
                        packBlock(texts, ordinals, spec, wordPiece, packing, writer);
                        texts.clear();
                    }
                }
                if (read[0] % 10_000 == 0) {
                    progress.report(String.format(Locale.ROOT, "building %s: %,d documents read, %,d sequences",
                            file, read[0], writer.sequences));
                }
            });
        }
        packBlock(texts, ordinals, spec, wordPiece, packing, writer);
        writer.documentsRead = read[0];
    }

    private static void packBlock(List<String> texts, long[] ordinals, Spec spec, WordPiece wordPiece, Packing packing,
                                  Writer writer) {
        Packing.Document[] docs = new Packing.Document[texts.size()];
        IntStream.range(0, docs.length).parallel().forEach(i -> docs[i] = Packing.encode(wordPiece, texts.get(i)));
        for (int i = 0; i < docs.length; i++) {
            if (docs[i].sentences() == 0) {
                continue;                                   // a review of nothing but markup
            }
            long before = writer.sequences;
            packing.pack(docs[i], new Random(Seeds.of(spec.seed(), Seeds.PACKING, ordinals[i])), writer);
            writer.documents += writer.sequences > before ? 1 : 0;
        }
    }

    /** Appends sequences to the payload as they come and keeps the index in memory until the end. */
    private static final class Writer implements Packing.Sink {
        private final FileChannel ch;
        private final int idWidth;
        private final int cls, sep;
        private final ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        private final CRC32C crc = new CRC32C();
        private long position = HEADER_BYTES;
        private long[] starts = new long[1 << 12];
        private int[] shape = new int[1 << 12];        // length << 16 | first [SEP]
        long sequences, tokens, dropped, pairs, documents, documentsRead;

        Writer(FileChannel ch, int idWidth, Vocabulary vocabulary) {
            this.ch = ch;
            this.idWidth = idWidth;
            this.cls = vocabulary.clsId();
            this.sep = vocabulary.sepId();
        }

        @Override
        public void sequence(int[] pieces, int aStart, int aEnd, int bStart, int bEnd, int dropped) {
            int real = 2 + (aEnd - aStart) + (bEnd > bStart ? bEnd - bStart + 1 : 0);
            if (sequences == starts.length) {
                starts = Arrays.copyOf(starts, starts.length * 2);
                shape = Arrays.copyOf(shape, shape.length * 2);
            }
            if (sequences == Integer.MAX_VALUE) {
                throw new IllegalStateException("more than " + Integer.MAX_VALUE + " sequences");
            }
            starts[(int) sequences] = tokens;
            shape[(int) sequences] = real << 16 | (1 + aEnd - aStart);
            put(cls);
            for (int i = aStart; i < aEnd; i++) {
                put(pieces[i]);
            }
            put(sep);
            if (bEnd > bStart) {
                for (int i = bStart; i < bEnd; i++) {
                    put(pieces[i]);
                }
                put(sep);
                pairs++;
            }
            sequences++;
            tokens += real;
            this.dropped += dropped;
        }

        private void put(int id) {
            if (buffer.remaining() < 4) {
                flush();
            }
            if (idWidth == 2) {
                buffer.putShort((short) id);
            } else {
                buffer.putInt(id);
            }
        }

        private void flush() {
            buffer.flip();
            crc.update(buffer.duplicate());
            try {
                while (buffer.hasRemaining()) {
                    position += ch.write(buffer, position);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            buffer.clear();
        }

        /** Writes the index after the payload; returns the header to write at the start. */
        Header finish(Header wanted) {
            flush();
            long payloadBytes = position - HEADER_BYTES;
            for (int i = 0; i < sequences; i++) {
                if (buffer.remaining() < INDEX_ENTRY) {
                    flush();
                }
                buffer.putLong(starts[i]).putShort((short) (shape[i] >>> 16)).putShort((short) shape[i]);
            }
            flush();
            return new Header(FORMAT_VERSION, idWidth, wanted.length, wanted.vocabSize, wanted.spec, wanted.vocabSha,
                    wanted.corpusSha, new Stats(documentsRead, documents, sequences, tokens, dropped, pairs),
                    payloadBytes, position - HEADER_BYTES - payloadBytes, (int) crc.getValue());
        }
    }
}
