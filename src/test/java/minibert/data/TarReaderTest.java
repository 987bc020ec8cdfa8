package minibert.data;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TarReaderTest {

    private static byte[] tar(TarBody body) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarWriter w = new TarWriter(bytes)) {
            body.write(w);
        }
        return bytes.toByteArray();
    }

    private interface TarBody {
        void write(TarWriter w) throws IOException;
    }

    /** Every entry as "name type size content". */
    private static List<String> entries(byte[] archive) throws IOException {
        List<String> out = new ArrayList<>();
        try (TarReader r = new TarReader(new ByteArrayInputStream(archive), "test.tar")) {
            for (TarReader.Entry e = r.next(); e != null; e = r.next()) {
                out.add(e.name() + " " + e.type() + " " + e.size()
                        + (e.isFile() ? " " + new String(r.content(), StandardCharsets.UTF_8) : ""));
            }
            assertNull(r.next(), "after the end marker there is nothing more");
        }
        return out;
    }

    @Test
    void readsFilesAndFoldersInArchiveOrder() throws IOException {
        byte[] a = tar(w -> w.folder("top").file("top/a.txt", "alpha").file("top/empty", "").file("top/b", "b".repeat(700)));
        assertEquals(List.of("top 5 0", "top/a.txt 0 5 alpha", "top/empty 0 0 ", "top/b 0 700 " + "b".repeat(700)), entries(a));
    }

    @Test
    void contentThatIsNotReadIsSkipped() throws IOException {
        byte[] a = tar(w -> w.file("x", "x".repeat(1500)).file("y", "why"));
        try (TarReader r = new TarReader(new ByteArrayInputStream(a), "t")) {
            assertEquals("x", r.next().name());
            TarReader.Entry y = r.next();
            assertEquals("y", y.name());
            assertEquals("why", new String(r.content(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void longNamesFromGnuAndPaxHeaders() throws IOException {
        String longName = "aclImdb/train/unsup/" + "d".repeat(120) + "/12_0.txt";
        byte[] a = tar(w -> w.file(longName, "gnu").paxFile("aclImdb/train/pos/" + "p".repeat(110) + ".txt", "placeholder", "pax".getBytes(StandardCharsets.UTF_8)));
        assertEquals(List.of(longName + " 0 3 gnu", "aclImdb/train/pos/" + "p".repeat(110) + ".txt 0 3 pax"), entries(a));
    }

    @Test
    void anOldGnuHeaderHasNoNamePrefix() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        byte[] h = TarWriter.header("plain.txt", '0', 2, false);
        h[345] = 'X';                                   // old GNU keeps times here, not a prefix
        rechecksum(h);
        bytes.write(h);
        bytes.write(Arrays.copyOf("ok".getBytes(StandardCharsets.US_ASCII), 512));
        bytes.write(new byte[1024]);
        assertEquals(List.of("plain.txt 0 2 ok"), entries(bytes.toByteArray()));
    }

    @Test
    void aBase256SizeIsRead() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        byte[] h = TarWriter.header("big", '0', 0, true);
        Arrays.fill(h, 124, 136, (byte) 0);
        h[124] = (byte) 0x80;
        h[135] = 3;
        rechecksum(h);
        bytes.write(h);
        bytes.write(Arrays.copyOf("abc".getBytes(StandardCharsets.US_ASCII), 512));
        bytes.write(new byte[1024]);
        assertEquals(List.of("big 0 3 abc"), entries(bytes.toByteArray()));
    }

    @Test
    void aCorruptHeaderIsNamed() throws IOException {
        byte[] a = tar(w -> w.file("first", "1").file("second.txt", "2"));
        a[1024 + 3] ^= 1;                               // a bit of the second header's name
        DataException e = assertThrows(DataException.class, () -> entries(a));
        assertTrue(e.getMessage().contains("test.tar: tar header 2") && e.getMessage().contains("corrupt"), e.getMessage());
    }

    @Test
    void aTruncatedArchiveSaysSo() throws IOException {
        byte[] a = tar(w -> w.file("f", "z".repeat(2000)));
        DataException inContent = assertThrows(DataException.class, () -> entries(Arrays.copyOf(a, 1200)));
        assertTrue(inContent.getMessage().contains("ends inside the content of f"), inContent.getMessage());
        DataException noMarker = assertThrows(DataException.class, () -> entries(Arrays.copyOf(a, a.length - 1024)));
        assertTrue(noMarker.getMessage().contains("without its end-of-archive marker"), noMarker.getMessage());
        DataException inHeader = assertThrows(DataException.class, () -> entries(Arrays.copyOf(a, a.length - 1024 + 100)));
        assertTrue(inHeader.getMessage().contains("ends inside a header block"), inHeader.getMessage());
    }

    private static void rechecksum(byte[] h) {
        Arrays.fill(h, 148, 156, (byte) ' ');
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        byte[] s = String.format("%06o", sum).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(s, 0, h, 148, 6);
        h[154] = 0;
    }
}
