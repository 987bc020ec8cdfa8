package minibert.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads a tar archive entry by entry, from a stream (a {@code .tar.gz} is read through a
 * {@link java.util.zip.GZIPInputStream}).
 *
 * <p>A tar archive is a sequence of 512-byte blocks: each entry is a header block (name at offset 0,
 * size at 124, checksum at 148, type flag at 156, the ustar magic at 257 and a name prefix at 345), then
 * its content padded to a whole number of blocks; two zero blocks end the archive. Every header's
 * checksum is verified. Names longer than 100 bytes arrive as GNU {@code L} entries or POSIX pax
 * {@code path} records; both are applied to the entry that follows. Sizes may be octal or GNU base-256.
 *
 * <pre>{@code
 * try (TarReader tar = new TarReader(new GZIPInputStream(in), path.toString())) {
 *     for (TarReader.Entry e = tar.next(); e != null; e = tar.next()) {
 *         if (e.isFile()) { byte[] content = tar.content(); … }
 *     }
 * }
 * }</pre>
 */
public final class TarReader implements AutoCloseable {

    /**
     * One entry of the archive.
     *
     * @param name the full path inside the archive, without a trailing {@code /}
     * @param type the type flag: {@code '0'} a regular file, {@code '5'} a folder, others as POSIX
     * @param size content bytes
     */
    public record Entry(String name, char type, long size) {

        /** A regular file (type {@code '0'}, or the NUL of pre-POSIX archives). */
        public boolean isFile() {
            return type == '0' || type == 0;
        }
    }

    private static final int BLOCK = 512;
    /** The largest GNU long-name or pax header read (real ones are a few hundred bytes). */
    private static final int MAX_META_BYTES = 1 << 20;

    private final InputStream in;
    private final String source;
    private final byte[] header = new byte[BLOCK];
    private long remaining;       // content bytes of the current entry not yet read
    private long padding;         // zero bytes after the current entry's content
    private int entries;
    private Entry current;

    /**
     * @param in     the uncompressed tar stream; closed by {@link #close()}
     * @param source what the stream is (a file path), for error messages
     */
    public TarReader(InputStream in, String source) {
        this.in = in;
        this.source = source;
    }

    /**
     * The next entry, skipping whatever of the current one was not read; {@code null} at the end-of-archive
     * marker.
     *
     * @throws DataException when a header is corrupt or the archive ends without its end marker
     */
    public Entry next() throws IOException {
        String longName = null;
        Long paxSize = null;
        while (true) {
            skip(remaining + padding);
            remaining = padding = 0;
            if (!readBlock()) {
                throw new DataException(source + ": the tar archive ends without its end-of-archive marker"
                        + " after " + entries + " entries (truncated?)");
            }
            if (isZero(header)) {
                current = null;
                return null;
            }
            verifyChecksum();
            char type = (char) (header[156] & 0xff);
            long size = paxSize != null ? paxSize : number(124, 12);
            String name = longName != null ? longName : name();
            if (size < 0) {
                throw new DataException(source + ": tar header " + (entries + 1) + " ('" + name + "') gives the size "
                        + size + ": the archive is corrupt");
            }
            remaining = size;
            padding = (BLOCK - size % BLOCK) % BLOCK;
            switch (type) {
                case 'L' -> longName = cString(content(MAX_META_BYTES), 0, (int) size, StandardCharsets.UTF_8);
                case 'x' -> {
                    for (var record : pax(content(MAX_META_BYTES)).entrySet()) {
                        switch (record.getKey()) {
                            case "path" -> longName = record.getValue();
                            case "size" -> paxSize = paxNumber(record.getValue());
                            default -> { }  // times, owners, charset: not needed to read content
                        }
                    }
                }
                case 'g', 'K' -> { }        // global pax defaults, GNU long link names: nothing we use
                default -> {
                    entries++;
                    while (name.endsWith("/")) {
                        name = name.substring(0, name.length() - 1);
                    }
                    current = new Entry(name, type, size);
                    return current;
                }
            }
        }
    }

    /** The content of the current entry (whole; call at most once per entry). */
    public byte[] content() throws IOException {
        return content(Integer.MAX_VALUE - 16);
    }

    /**
     * The content of the current entry, refused (naming the archive and the entry) when it has more than
     * {@code limit} bytes: a corrupt size field must not make the reader allocate gigabytes.
     */
    public byte[] content(long limit) throws IOException {
        if (remaining > Math.min(limit, Integer.MAX_VALUE - 16)) {
            throw new DataException(source + ": tar entry " + (current == null ? "" : current.name())
                    + " has " + remaining + " bytes, more than the " + Math.min(limit, Integer.MAX_VALUE - 16)
                    + " this reader holds in memory");
        }
        byte[] b = new byte[(int) remaining];
        int n = in.readNBytes(b, 0, b.length);
        remaining = 0;
        if (n < b.length) {
            throw new DataException(source + ": the tar archive ends inside the content of "
                    + (current == null ? "an entry" : current.name()) + " (" + n + " of " + b.length
                    + " bytes; truncated?)");
        }
        return b;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    private boolean readBlock() throws IOException {
        int n = in.readNBytes(header, 0, BLOCK);
        if (n == 0) {
            return false;
        }
        if (n < BLOCK) {
            throw new DataException(source + ": the tar archive ends inside a header block after " + entries
                    + " entries (truncated?)");
        }
        return true;
    }

    private void skip(long n) throws IOException {
        long skipped = 0;
        while (skipped < n) {
            long s = in.skip(n - skipped);
            if (s <= 0) {
                if (in.read() < 0) {
                    throw new DataException(source + ": the tar archive ends inside the content of "
                            + (current == null ? "an entry" : current.name()) + " (truncated?)");
                }
                s = 1;
            }
            skipped += s;
        }
    }

    /** The header checksum: the sum of its 512 bytes as unsigned, with the checksum field read as spaces. */
    private void verifyChecksum() {
        long stored = number(148, 8);
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += i >= 148 && i < 156 ? ' ' : header[i] & 0xff;
        }
        if (sum != stored) {
            throw new DataException(source + ": tar header " + (entries + 1) + " ('" + name() + "') has checksum "
                    + stored + ", but its bytes sum to " + sum + ": the archive is corrupt");
        }
    }

    private String name() {
        String name = cString(header, 0, 100, StandardCharsets.UTF_8);
        // Only POSIX ustar ("ustar\0" "00") has a name prefix at 345; old GNU archives keep times there.
        boolean ustar = header[257] == 'u' && header[258] == 's' && header[259] == 't' && header[260] == 'a'
                && header[261] == 'r' && header[262] == 0;
        String prefix = ustar ? cString(header, 345, 155, StandardCharsets.UTF_8) : "";
        return prefix.isEmpty() ? name : prefix + "/" + name;
    }

    /** An octal field (NUL- or space-terminated), or GNU base-256 when the first byte's high bit is set. */
    private long number(int offset, int length) {
        if ((header[offset] & 0x80) != 0) {
            long v = header[offset] & 0x7f;
            for (int i = 1; i < length; i++) {
                v = (v << 8) | (header[offset + i] & 0xff);
            }
            return v;
        }
        String text = cString(header, offset, length, StandardCharsets.US_ASCII).trim();
        try {
            return text.isEmpty() ? 0 : Long.parseLong(text, 8);
        } catch (NumberFormatException e) {
            throw new DataException(source + ": tar header " + (entries + 1) + " has a malformed number '" + text
                    + "' at offset " + offset + ": the archive is corrupt");
        }
    }

    private long paxNumber(String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new DataException(source + ": malformed pax size '" + (text.length() > 40 ? text.substring(0, 40) + "…" : text)
                    + "' before entry " + (entries + 1));
        }
    }

    /** POSIX pax records: {@code "<length> <key>=<value>\n"}, repeated. */
    private java.util.Map<String, String> pax(byte[] b) {
        java.util.Map<String, String> records = new java.util.LinkedHashMap<>();
        int pos = 0;
        while (pos < b.length) {
            int space = pos;
            while (space < b.length && b[space] != ' ') {
                space++;
            }
            int length;
            try {
                length = Integer.parseInt(new String(b, pos, space - pos, StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                length = -1;
            }
            if (length <= 0 || pos + length > b.length || b[pos + length - 1] != '\n' || space + 1 > pos + length - 1) {
                throw new DataException(source + ": malformed pax header before entry " + (entries + 1));
            }
            String record = new String(b, space + 1, pos + length - space - 2, StandardCharsets.UTF_8);
            int eq = record.indexOf('=');
            if (eq > 0) {
                records.put(record.substring(0, eq), record.substring(eq + 1));
            }
            pos += length;
        }
        return records;
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static String cString(byte[] b, int off, int len, java.nio.charset.Charset charset) {
        int end = off;
        while (end < off + len && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, charset);
    }
}
