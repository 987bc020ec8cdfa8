package minibert.data;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The data store makes the IMDB TSVs from a small archive in the layout of {@code aclImdb_v1.tar.gz},
 * written by the test and served on the loopback address (no network).
 */
class ImdbArchiveTest {

    @TempDir
    Path dir;

    private HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    // Reviews as Maas et al. store them: one line, no line end, raw HTML breaks, tabs and UTF-8 kept.
    private static final String POS_2 = "Two stars?<br /><br />No: a tab\there, and naïve café prose.";
    private static final String POS_10 = "Ten out of ten.";
    private static final String NEG_0 = "Dull.<br />Very dull.";
    private static final String NEG_11 = "Eleven \"quotes\" and \\backslashes\\ stay as they are.";
    private static final String UNSUP_0 = "Unlabelled zero.";
    private static final String UNSUP_7 = "Unlabelled seven.";

    /** What SOURCES.md says the files hold: header, then folder by folder, ascending numeric id. */
    private static final String TRAIN = "label\tid\trating\ttext\n"
            + "pos\t2\t7\t" + POS_2 + "\n"
            + "pos\t10\t9\t" + POS_10 + "\n"
            + "neg\t0\t1\t" + NEG_0 + "\n"
            + "neg\t11\t3\t" + NEG_11 + "\n";
    private static final String UNSUP = "label\tid\trating\ttext\n"
            + "unsup\t0\t0\t" + UNSUP_0 + "\n"
            + "unsup\t7\t0\t" + UNSUP_7 + "\n";

    /** The archive's members in an order unlike the files' rows, with the members the TSVs leave out. */
    private static byte[] archive(String... extra) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarWriter w = new TarWriter(new GZIPOutputStream(bytes))) {
            w.folder("aclImdb").file("aclImdb/README", "Large Movie Review Dataset v1.0").file("aclImdb/imdb.vocab", "the\nand\n")
                    .folder("aclImdb/train").file("aclImdb/train/labeledBow.feat", "0 0:1\n").file("aclImdb/train/urls_pos.txt", "http://x\n")
                    .folder("aclImdb/train/unsup").file("aclImdb/train/unsup/7_0.txt", UNSUP_7)
                    .folder("aclImdb/train/pos").file("aclImdb/train/pos/10_9.txt", POS_10)
                    .folder("aclImdb/train/neg").file("aclImdb/train/neg/11_3.txt", NEG_11)
                    .file("aclImdb/train/pos/2_7.txt", POS_2)
                    .file("aclImdb/train/unsup/0_0.txt", UNSUP_0)
                    .file("aclImdb/train/neg/0_1.txt", NEG_0)
                    .folder("aclImdb/test/pos").file("aclImdb/test/pos/0_10.txt", "A test review, not in the TSVs.");
            for (int i = 0; i < extra.length; i += 2) {
                w.file(extra[i], extra[i + 1]);
            }
        }
        return bytes.toByteArray();
    }

    private static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** The project's manifest entries for imdb, with the test archive's checksum and the expected contents' hashes. */
    private Manifest manifest(byte[] archive, String url, String trainContent) throws Exception {
        String yaml = """
                datasets:
                  imdb:
                    title: IMDB, as the test builds it
                    canonical: https://example.org/aclImdb_v1.tar.gz
                    archives:
                      aclImdb_v1.tar.gz:
                        sha256: %s
                        size: %d
                        url: %s
                    files:
                      train.tsv.gz:
                        sha256: %s
                        content_sha256: %s
                        size: 100
                        derive: {archive: aclImdb_v1.tar.gz, format: imdb-tsv, folders: [aclImdb/train/pos, aclImdb/train/neg]}
                      unsup.tsv.gz:
                        sha256: %s
                        content_sha256: %s
                        size: 100
                        derive: {archive: aclImdb_v1.tar.gz, format: imdb-tsv, folders: [aclImdb/train/unsup]}
                """.formatted(sha(archive), archive.length, url == null ? "null" : url,
                "ab".repeat(32), sha(trainContent.getBytes(StandardCharsets.UTF_8)),
                "ab".repeat(32), sha(UNSUP.getBytes(StandardCharsets.UTF_8)));
        Path f = dir.resolve("datasets.yaml");
        Files.writeString(f, yaml);
        return Manifest.load(f);
    }

    private String serve(byte[] body) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            requests.incrementAndGet();
            exchange.sendResponseHeaders(200, body.length);
            try (var out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/aclImdb_v1.tar.gz";
    }

    private static String gunzip(Path f) throws IOException {
        try (var in = new GZIPInputStream(Files.newInputStream(f))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private List<String> leftIn(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (var files = Files.list(folder)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void downloadsTheArchiveAndMakesBothFilesInOnePass() throws Exception {
        byte[] archive = archive();
        DataStore store = new DataStore(manifest(archive, serve(archive), TRAIN), dir.resolve("data"), null);
        assertTrue(store.status().get(0).detail().startsWith("derivable from aclImdb_v1.tar.gz (downloadable"),
                store.status().get(0).detail());

        Path train = store.file("imdb", "train.tsv.gz");

        assertEquals(dir.resolve("data/imdb/train.tsv.gz").toAbsolutePath(), train);
        assertEquals(TRAIN, gunzip(train));
        assertEquals(UNSUP, gunzip(dir.resolve("data/imdb/unsup.tsv.gz")), "the other file is made in the same pass");
        assertEquals(List.of("aclImdb_v1.tar.gz", "train.tsv.gz", "unsup.tsv.gz"), leftIn(dir.resolve("data/imdb")),
                "the archive is kept, no temporary file is left");
        store.file("imdb", "unsup.tsv.gz");
        assertEquals(1, requests.get(), "one download for both files");

        // The readers read what the store made.
        List<ImdbReader.ImdbReview> reviews = ImdbReader.read(train);
        assertEquals(new ImdbReader.ImdbReview("pos", 2, 7, "Two stars?  No: a tab\there, and naïve café prose."), reviews.get(0));
        assertEquals(List.of(2L, 10L, 0L, 11L), reviews.stream().map(ImdbReader.ImdbReview::id).toList());
        assertEquals(List.of("ok", "ok"), store.status().stream().map(DataStore.FileStatus::state).toList());
    }

    @Test
    void anArchiveInTheMirrorIsUsedAndNothingIsDownloaded() throws Exception {
        byte[] archive = archive();
        Path mirror = dir.resolve("mirror");
        Files.createDirectories(mirror.resolve("imdb"));
        Files.write(mirror.resolve("imdb/aclImdb_v1.tar.gz"), archive);
        DataStore store = new DataStore(manifest(archive, null, TRAIN), dir.resolve("data"), mirror);
        assertTrue(store.status().get(1).detail().startsWith("derivable from aclImdb_v1.tar.gz (found at " + mirror.toAbsolutePath()),
                store.status().get(1).detail());
        assertEquals(UNSUP, gunzip(store.file("imdb", "unsup.tsv.gz")));
        assertEquals(List.of("train.tsv.gz", "unsup.tsv.gz"), leftIn(dir.resolve("data/imdb")));
    }

    @Test
    void aDownloadThatIsNotTheArchiveIsRejectedAndNothingIsKept() throws Exception {
        byte[] archive = archive();
        DataStore store = new DataStore(manifest(archive, serve("<html>moved</html>".getBytes(StandardCharsets.UTF_8)), TRAIN),
                dir.resolve("data"), null);
        DataException e = assertThrows(DataException.class, () -> store.file("imdb", "train.tsv.gz"));
        assertTrue(e.getMessage().contains("is not the manifest's archive imdb/aclImdb_v1.tar.gz")
                && e.getMessage().contains("expected " + sha(archive)), e.getMessage());
        assertEquals(List.of(), leftIn(dir.resolve("data/imdb")));
    }

    @Test
    void aCorruptArchiveInDataIsNamedAndNotRead() throws Exception {
        byte[] archive = archive();
        Path local = dir.resolve("data/imdb/aclImdb_v1.tar.gz");
        Files.createDirectories(local.getParent());
        Files.write(local, java.util.Arrays.copyOf(archive, archive.length / 2));
        DataStore store = new DataStore(manifest(archive, null, TRAIN), dir.resolve("data"), null);
        DataException e = assertThrows(DataException.class, () -> store.file("imdb", "train.tsv.gz"));
        assertTrue(e.getMessage().contains(local.toAbsolutePath() + " is corrupt") && e.getMessage().contains("truncated?"), e.getMessage());
        assertEquals(List.of("aclImdb_v1.tar.gz"), leftIn(local.getParent()));
    }

    @Test
    void anArchiveThatIsMissingWithoutAnAddressSaysWhereItLooked() throws Exception {
        DataStore store = new DataStore(manifest(archive(), null, TRAIN), dir.resolve("data"), null);
        assertTrue(store.status().get(0).detail().contains("no download address"), store.status().get(0).detail());
        DataException e = assertThrows(DataException.class, () -> store.file("imdb", "train.tsv.gz"));
        assertTrue(e.getMessage().contains("archive imdb/aclImdb_v1.tar.gz is not available")
                && e.getMessage().contains(dir.resolve("data/imdb/aclImdb_v1.tar.gz").toAbsolutePath().toString()), e.getMessage());
    }

    @Test
    void aFileWhoseContentDiffersFromTheManifestIsNotKept() throws Exception {
        byte[] archive = archive();
        DataStore store = new DataStore(manifest(archive, serve(archive), TRAIN.replace("pos\t10", "pos\t11")),
                dir.resolve("data"), null);
        DataException e = assertThrows(DataException.class, () -> store.file("imdb", "train.tsv.gz"));
        assertTrue(e.getMessage().contains("imdb/train.tsv.gz made from ") && e.getMessage().contains("content SHA-256 "
                + sha(TRAIN.getBytes(StandardCharsets.UTF_8))) && e.getMessage().contains("nothing was kept"), e.getMessage());
        assertEquals(List.of("aclImdb_v1.tar.gz"), leftIn(dir.resolve("data/imdb")), "neither file is kept when one is wrong");
    }

    @Test
    void badMembersAreNamed() throws Exception {
        assertDerivationFails(archive("aclImdb/train/pos/notes.txt", "x"), "member aclImdb/train/pos/notes.txt is not a review file");
        assertDerivationFails(archive("aclImdb/train/neg/5_2.txt", "two\nlines"), "member aclImdb/train/neg/5_2.txt contains a line break");
        assertDerivationFails(archive("aclImdb/train/pos/0010_8.txt", "again"), "review id 0010 appears twice in aclImdb/train/pos");
    }

    @Test
    void aFolderWithoutReviewsIsAnError() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarWriter w = new TarWriter(new GZIPOutputStream(bytes))) {
            w.file("aclImdb/train/pos/1_8.txt", "x").file("aclImdb/train/neg/1_2.txt", "y");
        }
        assertDerivationFails(bytes.toByteArray(), "has no review files under aclImdb/train/unsup/");
    }

    private void assertDerivationFails(byte[] archive, String message) throws Exception {
        Path data = Files.createTempDirectory(dir, "data");
        Path local = data.resolve("imdb/aclImdb_v1.tar.gz");
        Files.createDirectories(local.getParent());
        Files.write(local, archive);
        DataStore store = new DataStore(manifest(archive, null, TRAIN), data, null);
        DataException e = assertThrows(DataException.class, () -> store.file("imdb", "train.tsv.gz"));
        assertTrue(e.getMessage().contains(local.toAbsolutePath() + ": " + message) || e.getMessage().contains(message), e.getMessage());
        assertEquals(List.of("aclImdb_v1.tar.gz"), leftIn(local.getParent()));
    }

    @Test
    void theManifestChecksWhatADerivationNames() throws Exception {
        Path f = manifest(archive(), null, TRAIN).file();
        String good = Files.readString(f);
        Files.writeString(f, good.replace("derive: {archive: aclImdb_v1.tar.gz, format: imdb-tsv, folders: [aclImdb/train/unsup]}",
                "derive: {archive: other.tar.gz, format: imdb-tsv, folders: [aclImdb/train/unsup]}"));
        assertTrue(assertThrows(DataException.class, () -> Manifest.load(f)).getMessage()
                .contains("imdb/unsup.tsv.gz derives from archive 'other.tar.gz', which the data set's archives [aclImdb_v1.tar.gz] do not list"));
        Files.writeString(f, good.replace("format: imdb-tsv, folders: [aclImdb/train/unsup]", "format: csv, folders: [aclImdb/train/unsup]"));
        assertTrue(assertThrows(DataException.class, () -> Manifest.load(f)).getMessage().contains("derive.format must be 'imdb-tsv'"));
        Files.writeString(f, good.replace("folders: [aclImdb/train/unsup]", "folders: []"));
        assertTrue(assertThrows(DataException.class, () -> Manifest.load(f)).getMessage().contains("derive.folders must list at least one folder"));
        Files.writeString(f, good.replace("        derive: {archive: aclImdb_v1.tar.gz, format: imdb-tsv, folders: [aclImdb/train/unsup]}",
                "        derive: {archive: aclImdb_v1.tar.gz, format: imdb-tsv, folders: [aclImdb/train/unsup]}\n        url: https://example.org/u"));
        assertTrue(assertThrows(DataException.class, () -> Manifest.load(f)).getMessage().contains("has both a url and a derivation"));
    }

    @Test
    void theProjectManifestDerivesBothImdbFilesFromTheCanonicalArchive() {
        Path project = Path.of(System.getProperty("minibert.project.dir", "."));
        Manifest m = Manifest.load(project.resolve("data/datasets.yaml"));
        Manifest.Archive a = m.archive("imdb", "aclImdb_v1.tar.gz");
        assertEquals("c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe", a.sha256());
        assertEquals(84_125_825L, a.size());
        assertEquals("https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz", a.url());
        assertEquals(List.of("aclImdb/train/pos", "aclImdb/train/neg"), m.file("imdb", "train.tsv.gz").derivation().folders());
        assertEquals(List.of("aclImdb/train/unsup"), m.file("imdb", "unsup.tsv.gz").derivation().folders());
        assertFalse(m.file("imdb", "train.tsv.gz").contentSha256() == null);
    }
}
