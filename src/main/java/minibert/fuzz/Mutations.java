package minibert.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.zip.GZIPOutputStream;

/**
 * Seeded mutations of a valid file. Each {@link Kind} is one way files go wrong in the wild; the same seed
 * always gives the same cases, so a failure is reproduced from the seed and the case's label.
 */
public final class Mutations {

    /** The families of mutation, in the order the book lists them. */
    public enum Kind {
        TRUNCATION("truncation"),
        FLIPPED("flipped bytes"),
        INSERTED("inserted garbage"),
        HUGE("huge length fields"),
        ENCODING("wrong encoding"),
        LIMITS("limits");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** What is put where the reader looks, besides bytes. */
    public enum Special {
        /** The case's bytes, written as the file. */
        BYTES,
        /** A folder in the file's place. */
        FOLDER,
        /** No file at all. */
        MISSING,
        /** A sparse file of {@link #SPARSE_BYTES} zero bytes, far larger than any reader's limit. */
        SPARSE,
        /** A symbolic link to {@code /dev/zero}: endless bytes and no size (where the system has it). */
        DEV_ZERO
    }

    /** Size of the sparse file: 3 GiB, as in the issue that asked for input limits. */
    public static final long SPARSE_BYTES = 3L << 30;

    /** One mutated input: its family, a label that reproduces it, and its bytes (for {@link Special#BYTES}). */
    public record Case(Kind kind, String label, Special special, byte[] bytes) {
    }

    private static final int FLIPS = 40;
    private static final int INSERTS = 40;
    private static final int MAX_BOUNDARIES = 120;
    private static final int MAX_NUMBERS = 25;
    private static final String[] HUGE_NUMBERS = {"99999999999999999999999", "18446744073709551615", "9223372036854775808",
            "2147483648", "4294967296", "-1", "-9223372036854775809", "1e308", "1e999", "0"};
    private static final String STRUCTURE = "{}[],:\"\t=#\n";

    private Mutations() {
    }

    /** Every case for {@code target}, generated from {@code seed}. */
    public static List<Case> cases(FuzzTarget target, long seed) {
        Random rnd = new Random(seed ^ target.name().hashCode());
        List<Case> out = new ArrayList<>();
        byte[] plain = target.sample();
        List<Integer> bounds = target.format() == FuzzTarget.Format.BINARY ? binaryBoundaries(target.layout(), plain)
                : boundaries(target.format(), plain);
        // Truncation at every section boundary.
        for (int b : bounds) {
            out.add(layered(target, Kind.TRUNCATION, "cut at byte " + b, Arrays.copyOf(plain, b)));
        }
        // Flipped bytes: one to three bits, anywhere (for safetensors, half of them in the header).
        for (int i = 0; i < FLIPS; i++) {
            byte[] b = plain.clone();
            int flips = 1 + rnd.nextInt(3);
            StringBuilder label = new StringBuilder("flip");
            for (int k = 0; k < flips; k++) {
                int at = target.format() == FuzzTarget.Format.SAFETENSORS && rnd.nextBoolean()
                        ? rnd.nextInt((int) Math.min(b.length, 8 + headerLength(plain)))
                        : target.format() == FuzzTarget.Format.BINARY && rnd.nextBoolean()
                        ? rnd.nextInt(Math.min(b.length, target.layout().header())) : rnd.nextInt(b.length);
                int bit = rnd.nextInt(8);
                b[at] ^= (byte) (1 << bit);
                label.append(' ').append(at).append('.').append(bit);
            }
            out.add(layered(target, Kind.FLIPPED, label.toString(), b));
        }
        // Inserted garbage: random bytes, structure characters, NULs, a long run.
        for (int i = 0; i < INSERTS; i++) {
            int at = rnd.nextBoolean() && !bounds.isEmpty() ? bounds.get(rnd.nextInt(bounds.size())) : rnd.nextInt(plain.length + 1);
            byte[] garbage = garbage(rnd);
            out.add(layered(target, Kind.INSERTED, "insert " + garbage.length + " bytes at " + at, insert(plain, at, garbage)));
        }
        // Huge length fields: every number written in the file, replaced by a huge one or widened in place.
        if (target.format() == FuzzTarget.Format.BINARY) {
            for (FuzzTarget.Field f : target.layout().numbers()) {
                long[] values = {0, -1, maxOf(f.width()), minOf(f.width()), 1L << 31, (1L << 32) + 1, read(plain, f) + 1, read(plain, f) - 1};
                for (long v : new long[] {-1, values[rnd.nextInt(values.length)]}) {
                    out.add(new Case(Kind.HUGE, f.name() + " at " + f.offset() + " → " + v, Special.BYTES, write(plain, f, v)));
                }
            }
        }
        int headerEnd = target.format() == FuzzTarget.Format.SAFETENSORS ? 8 + (int) headerLength(plain) : plain.length;
        List<int[]> numbers = target.format() == FuzzTarget.Format.BINARY ? List.of()
                : digitRuns(plain, target.format() == FuzzTarget.Format.SAFETENSORS ? 8 : 0, headerEnd);
        for (int n = 0; n < numbers.size(); n++) {
            int[] run = numbers.get(n);
            String huge = HUGE_NUMBERS[rnd.nextInt(HUGE_NUMBERS.length)];
            out.add(layered(target, Kind.HUGE, "number at " + run[0] + " → " + huge,
                    replace(plain, run[0], run[1], huge.getBytes(StandardCharsets.US_ASCII))));
            byte[] nines = new byte[run[1] - run[0]];
            Arrays.fill(nines, (byte) (target.format() == FuzzTarget.Format.TAR_GZIP ? '7' : '9'));
            out.add(layered(target, Kind.HUGE, "number at " + run[0] + " → all " + (char) nines[0] + "s", replace(plain, run[0], run[1], nines)));
        }
        if (target.format() == FuzzTarget.Format.SAFETENSORS) {
            long n = headerLength(plain);
            for (long declared : new long[] {0, 1, 7, n - 1, n + 1, plain.length - 8, plain.length, 1L << 31, (1L << 32) + n,
                    Long.MAX_VALUE, -1L, Long.MIN_VALUE}) {
                byte[] b = plain.clone();
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, declared);
                out.add(new Case(Kind.HUGE, "header length " + Long.toUnsignedString(declared), Special.BYTES, b));
            }
        }
        // Wrong encodings.
        for (Case c : encodings(target, plain, rnd)) {
            out.add(c);
        }
        // Limits: nothing, a folder, no file, 3 GiB, /dev/zero, one endless line.
        out.add(layered(target, Kind.LIMITS, "empty file", new byte[0]));
        out.add(new Case(Kind.LIMITS, "a folder in its place", Special.FOLDER, null));
        out.add(new Case(Kind.LIMITS, "no file", Special.MISSING, null));
        out.add(new Case(Kind.LIMITS, "a sparse file of 3 GiB", Special.SPARSE, null));
        out.add(new Case(Kind.LIMITS, "a link to /dev/zero", Special.DEV_ZERO, null));
        byte[] line = new byte[2 << 20];
        Arrays.fill(line, (byte) 'a');
        out.add(layered(target, Kind.LIMITS, "one line of 2 MiB", line));
        // The compressed layer itself: cut, flipped and extended gzip streams.
        if (target.gzipped()) {
            byte[] gz = gzip(plain);
            for (int b : new int[] {1, 2, 4, 10, 12, gz.length / 4, gz.length / 2, 3 * gz.length / 4, gz.length - 8, gz.length - 4, gz.length - 1}) {
                out.add(new Case(Kind.TRUNCATION, "gzip cut at byte " + b, Special.BYTES, Arrays.copyOf(gz, Math.max(0, b))));
            }
            for (int i = 0; i < FLIPS / 2; i++) {
                byte[] b = gz.clone();
                int at = rnd.nextInt(b.length), bit = rnd.nextInt(8);
                b[at] ^= (byte) (1 << bit);
                out.add(new Case(Kind.FLIPPED, "gzip flip " + at + "." + bit, Special.BYTES, b));
            }
            for (int i = 0; i < INSERTS / 4; i++) {
                int at = rnd.nextInt(gz.length + 1);
                byte[] garbage = garbage(rnd);
                out.add(new Case(Kind.INSERTED, "gzip insert " + garbage.length + " bytes at " + at, Special.BYTES, insert(gz, at, garbage)));
            }
        }
        // Each mutation once more with the format's checksums made right: it then reaches the checks behind them.
        if (target.layout() != null && target.layout().reseal() != null) {
            List<Case> resealed = new ArrayList<>();
            for (Case c : out) {
                if (c.special() == Special.BYTES) {
                    byte[] b = target.layout().reseal().apply(c.bytes());
                    if (!Arrays.equals(b, c.bytes())) {
                        resealed.add(new Case(c.kind(), c.label() + ", checksums recomputed", Special.BYTES, b));
                    }
                }
            }
            out.addAll(resealed);
        }
        return out;
    }

    private static long maxOf(int width) {
        return width == 8 ? Long.MAX_VALUE : (1L << (8 * width - 1)) - 1;
    }

    private static long minOf(int width) {
        return width == 8 ? Long.MIN_VALUE : -(1L << (8 * width - 1));
    }

    /** The little-endian number of {@code width} bytes at the field (sign-extended). */
    static long read(byte[] b, FuzzTarget.Field f) {
        long v = 0;
        for (int i = f.width() - 1; i >= 0; i--) {
            v = v << 8 | (b[f.offset() + i] & 0xFF);
        }
        int shift = 64 - 8 * f.width();
        return v << shift >> shift;
    }

    /** {@code b} with {@code value} written little-endian into the field (its low bytes). */
    static byte[] write(byte[] b, FuzzTarget.Field f, long value) {
        byte[] c = b.clone();
        for (int i = 0; i < f.width(); i++) {
            c[f.offset() + i] = (byte) (value >>> (8 * i));
        }
        return c;
    }

    /** A case on the plain bytes; for gzip'd formats they are compressed, as the reader expects. */
    private static Case layered(FuzzTarget target, Kind kind, String label, byte[] plain) {
        return new Case(kind, label, Special.BYTES, target.gzipped() ? gzip(plain) : plain);
    }

    /**
     * Where sections of a file begin and end. Every section boundary is kept: each line start (text), each
     * field of the length, header and tensor data (safetensors), each 512-byte block and header field (tar).
     * Finer cuts, at JSON and YAML punctuation, are added up to {@value #MAX_BOUNDARIES} in all, evenly spread.
     */
    static List<Integer> boundaries(FuzzTarget.Format format, byte[] b) {
        TreeSet<Integer> sections = new TreeSet<>();
        TreeSet<Integer> finer = new TreeSet<>();
        switch (format) {
            case TEXT, JSON, GZIP_TEXT -> {
                for (int i = 0; i < b.length; i++) {
                    if (b[i] == '\n') {
                        sections.add(i);                        // before the line end, and at the next line's start
                        sections.add(i + 1);
                    }
                }
                structure(b, 0, b.length, finer);
            }
            case SAFETENSORS -> {
                int n = (int) headerLength(b);
                for (int p : new int[] {0, 1, 4, 7, 8, 9, 8 + n - 1, 8 + n}) {
                    sections.add(p);
                }
                try {
                    JsonNode header = new ObjectMapper().readTree(new String(b, 8, n, StandardCharsets.UTF_8));
                    header.forEach(t -> t.path("data_offsets").forEach(o -> sections.add(8 + n + o.asInt())));
                } catch (IOException e) {
                    throw new UncheckedIOException("the safetensors sample is not valid", e);
                }
                structure(b, 8, 8 + n, finer);
            }
            case BINARY -> throw new IllegalArgumentException("a binary format's boundaries come from its layout");
            case TAR_GZIP -> {
                for (int p = 0; p < b.length; p += 512) {
                    for (int field : new int[] {0, 100, 124, 136, 156, 257}) {
                        sections.add(p + field);
                    }
                }
                structure(b, 0, b.length, finer);
            }
        }
        sections.add(b.length - 1);
        sections.removeIf(p -> p < 0 || p >= b.length);
        finer.removeIf(p -> p < 0 || p >= b.length || sections.contains(p));
        List<Integer> extra = new ArrayList<>(finer);
        int room = Math.max(0, MAX_BOUNDARIES - sections.size());
        TreeSet<Integer> all = new TreeSet<>(sections);
        for (int i = 0; i < Math.min(room, extra.size()); i++) {     // evenly spread over the finer cuts
            all.add(extra.get((int) ((long) i * extra.size() / Math.min(room, extra.size()))));
        }
        return List.copyOf(all);
    }

    /** A binary file's section boundaries, as its layout gives them, inside the file, and its last byte. */
    static List<Integer> binaryBoundaries(FuzzTarget.Layout layout, byte[] b) {
        TreeSet<Integer> all = new TreeSet<>(layout.boundaries());
        all.add(b.length - 1);
        all.removeIf(p -> p < 0 || p >= b.length);
        return List.copyOf(all);
    }

    private static void structure(byte[] b, int from, int to, TreeSet<Integer> at) {
        for (int i = from; i < to; i++) {
            if (STRUCTURE.indexOf(b[i]) >= 0) {
                at.add(i);
                at.add(i + 1);
            }
        }
    }

    /** The header length of a safetensors sample (valid by construction). */
    static long headerLength(byte[] b) {
        return ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /** Maximal runs of ASCII digits in {@code [from, to)}, at most {@value #MAX_NUMBERS}, evenly chosen: {@code [start, end)}. */
    static List<int[]> digitRuns(byte[] b, int from, int to) {
        List<int[]> runs = new ArrayList<>();
        for (int i = from; i < to; ) {
            if (b[i] >= '0' && b[i] <= '9') {
                int j = i;
                while (j < to && b[j] >= '0' && b[j] <= '9') {
                    j++;
                }
                runs.add(new int[] {i, j});
                i = j;
            } else {
                i++;
            }
        }
        if (runs.size() <= MAX_NUMBERS) {
            return runs;
        }
        List<int[]> even = new ArrayList<>();
        for (int i = 0; i < MAX_NUMBERS; i++) {
            even.add(runs.get(i * runs.size() / MAX_NUMBERS));
        }
        return even;
    }

    private static byte[] garbage(Random rnd) {
        return switch (rnd.nextInt(6)) {
            case 0 -> {
                byte[] g = new byte[1 + rnd.nextInt(16)];
                rnd.nextBytes(g);
                yield g;
            }
            case 1 -> new byte[] {0};
            case 2 -> new byte[] {(byte) STRUCTURE.charAt(rnd.nextInt(STRUCTURE.length()))};
            case 3 -> "\r\n\t ".getBytes(StandardCharsets.US_ASCII);
            case 4 -> {
                byte[] g = new byte[100_000];                   // deep nesting, or one endless token
                Arrays.fill(g, (byte) "[{xa".charAt(rnd.nextInt(4)));
                yield g;
            }
            default -> "\uFFFD\u0000\u200B".getBytes(StandardCharsets.UTF_8);
        };
    }

    /** Re-encodings of the text: a UTF-8 BOM (acceptable), UTF-16 with and without BOM, Latin-1, bad sequences. */
    private static List<Case> encodings(FuzzTarget target, byte[] plain, Random rnd) {
        List<Case> out = new ArrayList<>();
        if (target.format() == FuzzTarget.Format.SAFETENSORS) {
            int n = (int) headerLength(plain);
            String header = new String(plain, 8, n, StandardCharsets.UTF_8);
            byte[] data = Arrays.copyOfRange(plain, 8 + n, plain.length);
            out.add(new Case(Kind.ENCODING, "header in UTF-16LE", Special.BYTES, safetensors(header.getBytes(StandardCharsets.UTF_16LE), data)));
            out.add(new Case(Kind.ENCODING, "header in UTF-16 with BOM", Special.BYTES, safetensors(header.getBytes(StandardCharsets.UTF_16), data)));
            out.add(new Case(Kind.ENCODING, "header in Latin-1", Special.BYTES, safetensors(header.getBytes(StandardCharsets.ISO_8859_1), data)));
            out.add(new Case(Kind.ENCODING, "header with a UTF-8 BOM", Special.BYTES,
                    safetensors(concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, header.getBytes(StandardCharsets.UTF_8)), data)));
            int at = 8 + rnd.nextInt(n);
            out.add(new Case(Kind.ENCODING, "0xFF in the header at " + at, Special.BYTES, withByte(plain, at, (byte) 0xFF)));
            out.add(new Case(Kind.ENCODING, "data as big-endian", Special.BYTES, swapData(plain, n)));
            return out;
        }
        if (target.format() == FuzzTarget.Format.BINARY) {
            byte[] big = plain.clone();                     // written on a big-endian machine
            for (FuzzTarget.Field f : target.layout().numbers()) {
                for (int i = 0; i < f.width() / 2; i++) {
                    byte t = big[f.offset() + i];
                    big[f.offset() + i] = big[f.offset() + f.width() - 1 - i];
                    big[f.offset() + f.width() - 1 - i] = t;
                }
            }
            out.add(new Case(Kind.ENCODING, "every number big-endian", Special.BYTES, big));
            byte[] swapped = plain.clone();
            for (int i = target.layout().header(); i + 1 < swapped.length; i += 2) {
                byte t = swapped[i];
                swapped[i] = swapped[i + 1];
                swapped[i + 1] = t;
            }
            out.add(new Case(Kind.ENCODING, "the body in 16-bit big-endian", Special.BYTES, swapped));
            out.add(new Case(Kind.ENCODING, "a UTF-8 byte-order mark in front", Special.BYTES,
                    concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, plain)));
            out.add(new Case(Kind.ENCODING, "as base64 text", Special.BYTES,
                    java.util.Base64.getMimeEncoder().encode(plain)));
            return out;
        }
        String text = new String(plain, StandardCharsets.UTF_8);
        out.add(layered(target, Kind.ENCODING, "UTF-8 with a byte-order mark", concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, plain)));
        out.add(layered(target, Kind.ENCODING, "UTF-16 with a byte-order mark", text.getBytes(StandardCharsets.UTF_16)));
        out.add(layered(target, Kind.ENCODING, "UTF-16LE", text.getBytes(StandardCharsets.UTF_16LE)));
        out.add(layered(target, Kind.ENCODING, "UTF-16BE", text.getBytes(StandardCharsets.UTF_16BE)));
        out.add(layered(target, Kind.ENCODING, "Latin-1", text.getBytes(StandardCharsets.ISO_8859_1)));
        byte[][] sequences = {{(byte) 0x93, 'x', (byte) 0x94}, {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                {(byte) 0xFF}, {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}};
        String[] names = {"Windows-1252 quotes", "an overlong '/'", "a lone surrogate", "the byte 0xFF", "a 5-byte sequence"};
        for (int i = 0; i < sequences.length; i++) {
            int at = rnd.nextInt(plain.length + 1);
            out.add(layered(target, Kind.ENCODING, names[i] + " at " + at, insert(plain, at, sequences[i])));
        }
        out.add(layered(target, Kind.ENCODING, "a sequence cut at the end", concat(plain, new byte[] {(byte) 0xE2, (byte) 0x82})));
        return out;
    }

    private static byte[] safetensors(byte[] header, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header).put(data);
        return b.array();
    }

    private static byte[] swapData(byte[] plain, int n) {
        byte[] b = plain.clone();
        for (int i = 8 + n; i + 4 <= b.length; i += 4) {
            for (int k = 0; k < 2; k++) {
                byte t = b[i + k];
                b[i + k] = b[i + 3 - k];
                b[i + 3 - k] = t;
            }
        }
        return b;
    }

    private static byte[] withByte(byte[] b, int at, byte value) {
        byte[] c = b.clone();
        c[at] = value;
        return c;
    }

    static byte[] insert(byte[] b, int at, byte[] what) {
        return replace(b, at, at, what);
    }

    static byte[] replace(byte[] b, int from, int to, byte[] what) {
        byte[] out = new byte[b.length - (to - from) + what.length];
        System.arraycopy(b, 0, out, 0, from);
        System.arraycopy(what, 0, out, from, what.length);
        System.arraycopy(b, to, out, from + what.length, b.length - to);
        return out;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        return replace(a, a.length, a.length, b);
    }

    /** gzip of {@code plain}, as the data store keeps its files. */
    public static byte[] gzip(byte[] plain) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(plain);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
