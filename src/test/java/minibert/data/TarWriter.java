package minibert.data;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Writes tar archives for tests: ustar headers with their checksums, GNU long names and pax paths on request. */
final class TarWriter implements AutoCloseable {

    private final OutputStream out;

    TarWriter(OutputStream out) {
        this.out = out;
    }

    /** A regular file; a name over 100 bytes goes into a GNU {@code L} entry before it. */
    TarWriter file(String name, byte[] content) throws IOException {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        if (n.length > 100) {
            entry("././@LongLink", 'L', (name + "\0").getBytes(StandardCharsets.UTF_8), false);
            name = name.substring(0, 100);
        }
        return entry(name, '0', content, true);
    }

    TarWriter file(String name, String content) throws IOException {
        return file(name, content.getBytes(StandardCharsets.UTF_8));
    }

    /** A regular file whose name is given in a pax extended header (the ustar name field holds another). */
    TarWriter paxFile(String name, String placeholder, byte[] content) throws IOException {
        String record = " path=" + name + "\n";
        int length = record.length() + 1;
        while (Integer.toString(length).length() + record.length() != length) {
            length++;
        }
        entry("PaxHeaders/x", 'x', (length + record).getBytes(StandardCharsets.UTF_8), true);
        return entry(placeholder, '0', content, true);
    }

    TarWriter folder(String name) throws IOException {
        return entry(name.endsWith("/") ? name : name + "/", '5', new byte[0], true);
    }

    /** One header and its padded content; {@code ustar} false writes an old GNU header ("ustar  "). */
    TarWriter entry(String name, char type, byte[] content, boolean ustar) throws IOException {
        out.write(header(name, type, content.length, ustar));
        out.write(content);
        out.write(new byte[(512 - content.length % 512) % 512]);
        return this;
    }

    static byte[] header(String name, char type, long size, boolean ustar) {
        byte[] h = new byte[512];
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(n, 0, h, 0, Math.min(100, n.length));
        put(h, 100, "%07o", 0644);
        put(h, 108, "%07o", 0);
        put(h, 116, "%07o", 0);
        put(h, 124, "%011o", size);
        put(h, 136, "%011o", 0);
        h[156] = (byte) type;
        byte[] magic = (ustar ? "ustar\u000000" : "ustar  \u0000").getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(magic, 0, h, 257, magic.length);
        long sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += i >= 148 && i < 156 ? ' ' : h[i] & 0xff;
        }
        put(h, 148, "%06o", sum);
        h[154] = 0;
        h[155] = ' ';
        return h;
    }

    private static void put(byte[] h, int offset, String format, long value) {
        byte[] b = String.format(format, value).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, offset, b.length);
    }

    /** The end-of-archive marker: two zero blocks. */
    @Override
    public void close() throws IOException {
        out.write(new byte[1024]);
        out.close();
    }
}
