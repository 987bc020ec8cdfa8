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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DataStoreTest {

    @TempDir
    Path dir;

    private HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();

    private static final byte[] CONTENT = "sentence\tlabel\nit 's good . \t1\n".getBytes(StandardCharsets.UTF_8);

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    private static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** A manifest with one plain file and one gzip'd file served as plain content; urls point at {@code base}. */
    private Manifest manifest(String base, byte[] plain, byte[] gz) throws Exception {
        String yaml = """
                datasets:
                  toy:
                    title: a toy data set
                    canonical: https://example.org/toy
                    files:
                      dev.tsv:
                        sha256: %s
                        size: %d
                        url: %s
                      text.gz:
                        sha256: %s
                        content_sha256: %s
                        size: %d
                        url: %s
                        download: plain
                """.formatted(sha(plain), plain.length, base == null ? "null" : base + "/dev.tsv",
                sha(gz), sha(plain), gz.length, base == null ? "null" : base + "/text");
        Path f = dir.resolve("datasets.yaml");
        Files.writeString(f, yaml);
        return Manifest.load(f);
    }

    private static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(b);
        }
        return bytes.toByteArray();
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
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private Path put(Path root, String name, byte[] content) throws IOException {
        Path f = root.resolve("toy").resolve(name);
        Files.createDirectories(f.getParent());
        Files.write(f, content);
        return f;
    }

    @Test
    void findsAVerifiedFileInDataFirst() throws Exception {
        DataStore store = new DataStore(manifest(null, CONTENT, gzip(CONTENT)), dir.resolve("data"), dir.resolve("mirror"));
        Path local = put(dir.resolve("data"), "dev.tsv", CONTENT);
        put(dir.resolve("mirror"), "dev.tsv", CONTENT);
        assertEquals(local.toAbsolutePath(), store.file("toy", "dev.tsv"));
    }

    @Test
    void fallsBackToTheMirror() throws Exception {
        DataStore store = new DataStore(manifest(null, CONTENT, gzip(CONTENT)), dir.resolve("data"), dir.resolve("mirror"));
        Path mirrored = put(dir.resolve("mirror"), "dev.tsv", CONTENT);
        assertEquals(mirrored.toAbsolutePath(), store.file("toy", "dev.tsv"));
    }

    @Test
    void aCorruptFileIsAnErrorAndIsNotReplacedByTheMirror() throws Exception {
        DataStore store = new DataStore(manifest(null, CONTENT, gzip(CONTENT)), dir.resolve("data"), dir.resolve("mirror"));
        byte[] corrupt = CONTENT.clone();
        corrupt[3] ^= 1;
        Path local = put(dir.resolve("data"), "dev.tsv", corrupt);
        put(dir.resolve("mirror"), "dev.tsv", CONTENT);
        DataException e = assertThrows(DataException.class, () -> store.file("toy", "dev.tsv"));
        assertTrue(e.getMessage().contains(local.toAbsolutePath().toString()) && e.getMessage().contains("is corrupt"), e.getMessage());
        assertTrue(e.getMessage().contains("expected " + sha(CONTENT)), e.getMessage());
    }

    @Test
    void aTruncatedFileSaysSo() throws Exception {
        DataStore store = new DataStore(manifest(null, CONTENT, gzip(CONTENT)), dir.resolve("data"), null);
        put(dir.resolve("data"), "dev.tsv", java.util.Arrays.copyOf(CONTENT, 10));
        DataException e = assertThrows(DataException.class, () -> store.file("toy", "dev.tsv"));
        assertTrue(e.getMessage().contains("10 bytes, expected " + CONTENT.length + ": truncated?"), e.getMessage());
    }

    @Test
    void aMissingFileNamesEveryPlaceLookedAndHowToProvideIt() throws Exception {
        DataStore store = new DataStore(manifest(null, CONTENT, gzip(CONTENT)), dir.resolve("data"), dir.resolve("mirror"));
        DataException e = assertThrows(DataException.class, () -> store.file("toy", "dev.tsv"));
        String m = e.getMessage();
        assertTrue(m.contains("data file toy/dev.tsv is not available"), m);
        assertTrue(m.contains(dir.resolve("data/toy/dev.tsv").toAbsolutePath() + " (absent)"), m);
        assertTrue(m.contains(dir.resolve("mirror/toy/dev.tsv").toAbsolutePath() + " (absent)"), m);
        assertTrue(m.contains("no address serves"), m);
        assertTrue(m.contains("to provide it: copy the file (SHA-256 " + sha(CONTENT)), m);
        assertTrue(m.contains("https://example.org/toy"), m);
    }

    @Test
    void downloadsFromLoopbackVerifiesAndKeepsTheFile() throws Exception {
        String base = serve(CONTENT);
        DataStore store = new DataStore(manifest(base, CONTENT, gzip(CONTENT)), dir.resolve("data"), null);
        Path got = store.file("toy", "dev.tsv");
        assertEquals(dir.resolve("data/toy/dev.tsv").toAbsolutePath(), got);
        assertArrayEquals(CONTENT, Files.readAllBytes(got));
        assertEquals(1, requests.get());
        store.file("toy", "dev.tsv");
        assertEquals(1, requests.get(), "a verified file is not downloaded again");
    }

    @Test
    void aPlainDownloadIsGzippedAndVerifiedByItsContent() throws Exception {
        String base = serve(CONTENT);
        DataStore store = new DataStore(manifest(base, CONTENT, gzip(CONTENT)), dir.resolve("data"), null);
        Path got = store.file("toy", "text.gz");
        try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(got))) {
            assertArrayEquals(CONTENT, in.readAllBytes());
        }
    }

    @Test
    void aDownloadWithWrongBytesIsRejectedAndNothingIsKept() throws Exception {
        String base = serve("not the file".getBytes(StandardCharsets.UTF_8));
        DataStore store = new DataStore(manifest(base, CONTENT, gzip(CONTENT)), dir.resolve("data"), null);
        DataException e = assertThrows(DataException.class, () -> store.file("toy", "dev.tsv"));
        assertTrue(e.getMessage().contains("is not the manifest's toy/dev.tsv"), e.getMessage());
        try (var files = Files.list(dir.resolve("data/toy"))) {
            assertEquals(0, files.count(), "a rejected download left a file behind");
        }
    }

    @Test
    void anUnreachableAddressIsAClearError() throws Exception {
        int port;
        try (var socket = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }   // closed: nothing listens there now, so the connection is refused at once
        DataStore store = new DataStore(manifest("http://127.0.0.1:" + port, CONTENT, gzip(CONTENT)), dir.resolve("data"), null);
        DataException e = assertThrows(DataException.class, () -> store.file("toy", "dev.tsv"));
        assertTrue(e.getMessage().contains("downloading http://127.0.0.1:" + port + "/dev.tsv failed"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("data/toy/dev.tsv")));
    }

    @Test
    void statusReportsEachFile() throws Exception {
        DataStore store = new DataStore(manifest(null, CONTENT, gzip(CONTENT)), dir.resolve("data"), null);
        put(dir.resolve("data"), "dev.tsv", CONTENT);
        put(dir.resolve("data"), "text.gz", "garbage".getBytes(StandardCharsets.UTF_8));
        var status = store.status();
        assertEquals("ok", status.get(0).state());
        assertEquals("CORRUPT", status.get(1).state());
    }

    @Test
    void unknownDataSetsAndFilesAreNamed() throws Exception {
        DataStore store = new DataStore(manifest(null, CONTENT, gzip(CONTENT)), dir.resolve("data"), null);
        assertTrue(assertThrows(DataException.class, () -> store.file("nope", "x")).getMessage().contains("unknown data set 'nope'"));
        assertTrue(assertThrows(DataException.class, () -> store.file("toy", "x")).getMessage().contains("has no file 'x'"));
    }

    @Test
    void aMalformedManifestIsAClearError() throws IOException {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, "datasets:\n  toy:\n    files:\n      a.txt:\n        sha256: 1234\n        size: 3\n");
        DataException e = assertThrows(DataException.class, () -> Manifest.load(f));
        assertTrue(e.getMessage().contains("toy/a.txt sha256 must be 64 lower-case hex digits"), e.getMessage());
        Files.writeString(f, "datasets:\n  toy:\n    flies: {}\n");
        assertTrue(assertThrows(DataException.class, () -> Manifest.load(f)).getMessage().contains("unknown key 'flies'"));
    }

    @Test
    void theProjectManifestLoads() {
        Path project = Path.of(System.getProperty("minibert.project.dir", "."));
        Manifest m = Manifest.load(project.resolve("data/datasets.yaml"));
        assertEquals(java.util.List.of("sst2", "ud_english_ewt", "imdb", "wikitext2_raw", "brown", "nltk"),
                java.util.List.copyOf(m.datasets().keySet()));
        assertEquals(872, m.file("sst2", "dev.tsv").counts().get("rows"));
    }

    @Test
    void withoutAConfiguredMirrorTheSharedDataBesideTheProjectIsRead(@org.junit.jupiter.api.io.TempDir Path root)
            throws java.io.IOException {
        Path project = java.nio.file.Files.createDirectories(root.resolve("minibert"));
        assertNull(DataStore.mirror(project, null), "no shared/data beside the project: no mirror");
        Path shared = java.nio.file.Files.createDirectories(root.resolve("shared").resolve("data"));
        assertEquals(shared, DataStore.mirror(project, null));
        assertEquals(shared, DataStore.mirror(project.resolve("."), null), "the project's path normalised first");
        Path configured = root.resolve("elsewhere");
        assertEquals(configured, DataStore.mirror(project, configured), "a configured mirror comes first");
    }
}
