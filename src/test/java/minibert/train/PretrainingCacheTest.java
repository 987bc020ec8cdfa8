package minibert.train;

import minibert.text.Vocabulary;
import minibert.text.WordPiece;
import minibert.train.PretrainingCache.Spec;
import minibert.train.PretrainingCache.Split;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PretrainingCacheTest {

    @TempDir
    Path dir;

    private final List<String> messages = new ArrayList<>();

    private PretrainingCache open(Path file, Spec spec, Vocabulary v, PretrainingCorpus corpus) {
        messages.clear();
        return PretrainingCache.openOrBuild(file, spec, v, corpus, messages::add);
    }

    private List<String> leftIn(Path folder) throws IOException {
        try (var files = Files.list(folder)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /**
     * Every row read back is a well-formed sequence: [CLS] A [SEP] (B [SEP]) then padding, with the right
     * token types and mask, whose pieces all come from one document, A and B each a contiguous run of it,
     * B after A.
     */
    @ParameterizedTest(name = "T = {0}, seed {1}")
    @CsvSource({"7, 11", "13, 12", "64, 13"})
    void everySequenceIsWellFormedAndFromOneDocument(int length, long seed) {
        ToyCorpus toy = new ToyCorpus(seed, 60, 9, 8);
        Vocabulary v = toy.vocabulary;
        try (PretrainingCache cache = open(dir.resolve("c.bin"), Spec.of(length, seed, 0, Split.TRAIN), v, toy.corpus())) {
            assertEquals(length, cache.length());
            assertTrue(cache.size() > 20, "a cache of " + cache.size() + " sequences");
            int rows = 3;
            int[] ids = new int[rows * length], types = new int[rows * length], mask = new int[rows * length];
            Arrays.fill(ids, 99);
            Arrays.fill(types, 99);
            Arrays.fill(mask, 99);
            long tokens = 0, pairs = 0;
            Set<Integer> documents = new HashSet<>();
            for (int i = 0; i < cache.size(); i++) {
                int row = i % rows;
                cache.read(i, ids, types, mask, row);
                String where = "sequence " + i + " (T=" + length + ", seed " + seed + "): "
                        + Arrays.toString(Arrays.copyOfRange(ids, row * length, (row + 1) * length));
                int base = row * length;
                assertEquals(v.clsId(), ids[base], "starts with [CLS]: " + where);
                int real = 0;
                while (real < length && mask[base + real] == 1) {
                    real++;
                }
                assertEquals(cache.realLength(i), real, where);
                for (int t = real; t < length; t++) {
                    assertEquals(0, mask[base + t], "padding after the sequence: " + where);
                    assertEquals(v.padId(), ids[base + t], "[PAD] is id 0: " + where);
                    assertEquals(0, types[base + t], where);
                }
                List<Integer> seps = new ArrayList<>();
                for (int t = 0; t < real; t++) {
                    if (ids[base + t] == v.sepId()) {
                        seps.add(t);
                    }
                    assertFalse(ids[base + t] == v.clsId() && t > 0, "one [CLS]: " + where);
                    assertFalse(ids[base + t] == v.padId() || ids[base + t] == v.maskId(), where);
                }
                assertTrue(seps.size() == 1 || seps.size() == 2, "one or two [SEP]s: " + where);
                assertEquals(real - 1, seps.get(seps.size() - 1), "the last real position is [SEP]: " + where);
                int firstSep = seps.get(0);
                assertEquals(cache.firstSeparator(i), firstSep, where);
                assertTrue(firstSep >= 2, "A is not empty: " + where);
                assertTrue(seps.size() == 1 || seps.get(1) > firstSep + 1, "B is not empty: " + where);
                for (int t = 0; t < real; t++) {
                    assertEquals(t <= firstSep ? 0 : 1, types[base + t], "type of position " + t + ": " + where);
                }
                // one document; A and B contiguous in it, B after A
                int doc = -1, last = -1;
                boolean seenB = false;
                for (int t = 1; t < real; t++) {
                    int id = ids[base + t];
                    if (id == v.sepId() || toy.document(id) < 0) {
                        continue;                       // [SEP], or punctuation shared by all documents
                    }
                    if (doc < 0) {
                        doc = toy.document(id);
                    }
                    assertEquals(doc, toy.document(id), "no other document's piece: " + where);
                    int word = toy.word(id);
                    boolean firstOfB = t > firstSep && !seenB;
                    seenB |= t > firstSep;
                    assertTrue(last < 0 || word == last + 1 || firstOfB && word > last,
                            "A and B are each contiguous, B after A: " + where);
                    last = word;
                }
                documents.add(doc);
                tokens += real;
                pairs += seps.size() == 2 ? 1 : 0;
            }
            PretrainingCache.Stats s = cache.stats();
            assertEquals(cache.size(), s.sequences());
            assertEquals(tokens, s.tokens());
            assertEquals(pairs, s.pairs());
            assertEquals(documents.size(), s.documents(), "every document of the split gave sequences");
            assertEquals(60, s.documentsRead());
        }
    }

    @Test
    void theSameInputsGiveTheSameFileAndTheCacheIsOpenedWithoutRebuilding() throws IOException {
        ToyCorpus toy = new ToyCorpus(5, 40, 8, 6);
        Spec spec = Spec.of(13, 5, 0, Split.TRAIN);
        open(dir.resolve("a.bin"), spec, toy.vocabulary, toy.corpus()).close();
        assertTrue(messages.get(0).startsWith("no pretraining cache at " + dir.resolve("a.bin")), messages.toString());
        assertTrue(messages.get(messages.size() - 1).startsWith("built " + dir.resolve("a.bin")), messages.toString());
        open(dir.resolve("b.bin"), spec, toy.vocabulary, toy.corpus()).close();
        assertArrayEquals(Files.readAllBytes(dir.resolve("a.bin")), Files.readAllBytes(dir.resolve("b.bin")));
        open(dir.resolve("a.bin"), spec, toy.vocabulary, toy.corpus()).close();
        assertEquals(List.of(), messages, "a matching cache opens silently");
        assertEquals(List.of("a.bin", "b.bin"), leftIn(dir), "no temporary file is left");
    }

    /** Each document's packing draws from its own seed, so a limited cache is a prefix of a larger one. */
    @Test
    void aDocumentLimitGivesAPrefixOfTheFullCache() {
        ToyCorpus toy = new ToyCorpus(8, 50, 8, 6);
        try (PretrainingCache all = open(dir.resolve("all.bin"), Spec.of(13, 8, 0, Split.TRAIN), toy.vocabulary, toy.corpus());
             PretrainingCache some = open(dir.resolve("some.bin"), Spec.of(13, 8, 20, Split.TRAIN), toy.vocabulary, toy.corpus())) {
            assertEquals(20, some.stats().documentsRead());
            assertTrue(some.size() < all.size());
            int[] a = new int[3 * 13], b = new int[3 * 13];
            for (int i = 0; i < some.size(); i++) {
                all.read(i, a, a.clone(), a.clone(), 0);
                some.read(i, b, b.clone(), b.clone(), 0);
                assertArrayEquals(a, b, "sequence " + i);
            }
        }
    }

    @Test
    void theHeldOutSplitTakesWholeDocumentsAndTheTwoSplitsPartitionTheCorpus() {
        ToyCorpus toy = new ToyCorpus(21, 400, 6, 5);
        Spec spec = new Spec(13, 0.1, 0.2, 21, 0, Split.TRAIN);
        Set<Integer> train = documents(toy, open(dir.resolve("train.bin"), spec, toy.vocabulary, toy.corpus()));
        Set<Integer> held = documents(toy, open(dir.resolve("held.bin"), spec.withSplit(Split.HELD_OUT), toy.vocabulary, toy.corpus()));
        Set<Integer> both = new HashSet<>(train);
        both.retainAll(held);
        assertEquals(Set.of(), both, "no document in both splits");
        assertEquals(400, train.size() + held.size(), "every document in one split");
        for (int d = 0; d < 400; d++) {
            assertEquals(spec.heldOut(toy.texts.get(d)), held.contains(d), "document " + d + " follows the rule");
        }
        // 400 documents at 20%: 80 expected, standard deviation 8; within four of them
        assertTrue(Math.abs(held.size() - 80) <= 32, held.size() + " held out of 400");
    }

    @Test
    void theHeldOutRuleDependsOnTheTextAndTheSeedOnly() {
        Spec a = Spec.of(13, 1, 0, Split.TRAIN);
        int heldOut = 0, differ = 0;
        for (int i = 0; i < 20_000; i++) {
            String text = "review number " + i;
            heldOut += a.heldOut(text) ? 1 : 0;
            assertEquals(a.heldOut(text), a.withSplit(Split.HELD_OUT).heldOut(text));
            differ += a.heldOut(text) != Spec.of(13, 2, 0, Split.TRAIN).heldOut(text) ? 1 : 0;
        }
        // 1% of 20,000: 200 expected, standard deviation √(20000·0.01·0.99) ≈ 14.1
        assertTrue(Math.abs(heldOut - 200) <= 4 * 14.1, heldOut + " of 20,000 held out");
        assertTrue(differ > 200, "another seed holds out other documents (" + differ + " differ)");
    }

    private static Set<Integer> documents(ToyCorpus toy, PretrainingCache cache) {
        Set<Integer> docs = new HashSet<>();
        try (cache) {
            int t = cache.length();
            int[] ids = new int[t], types = new int[t], mask = new int[t];
            for (int i = 0; i < cache.size(); i++) {
                cache.read(i, ids, types, mask, 0);
                for (int id : ids) {
                    if (toy.document(id) >= 0 && id >= Vocabulary.SPECIALS.size()) {
                        docs.add(toy.document(id));
                    }
                }
            }
        }
        return docs;
    }

    @Test
    void aStaleCacheIsRebuiltAndSaysWhatChanged() throws IOException {
        ToyCorpus toy = new ToyCorpus(9, 30, 8, 5);
        Path f = dir.resolve("c.bin");
        Spec spec = Spec.of(13, 9, 0, Split.TRAIN);
        open(f, spec, toy.vocabulary, toy.corpus()).close();

        List<String> more = new ArrayList<>(toy.vocabulary.tokens());
        more.add("extra");
        assertStale(f, spec, new Vocabulary(more), toy.corpus(), "is stale (vocabulary ");
        assertStale(f, spec, toy.vocabulary, toy.corpus(), "is stale (vocabulary ");     // and back
        List<String> otherTexts = new ArrayList<>(toy.texts);
        otherTexts.set(3, otherTexts.get(3) + " d3w0.");
        assertStale(f, spec, toy.vocabulary, PretrainingCorpus.of("toy", otherTexts), "is stale (corpus ");
        assertStale(f, Spec.of(7, 9, 0, Split.TRAIN), toy.vocabulary, toy.corpus(), "corpus ");   // and T
        assertTrue(messages.get(0).contains("T 13, now 7"), messages.toString());
        assertStale(f, Spec.of(7, 10, 0, Split.TRAIN), toy.vocabulary, toy.corpus(), "is stale (seed 9, now 10)");
        assertStale(f, Spec.of(7, 10, 12, Split.TRAIN), toy.vocabulary, toy.corpus(), "is stale (document limit none, now 12)");
        assertStale(f, Spec.of(7, 10, 12, Split.HELD_OUT), toy.vocabulary, toy.corpus(), "is stale (split TRAIN, now HELD_OUT)");
        assertStale(f, new Spec(7, 0.5, 0.01, 10, 12, Split.HELD_OUT), toy.vocabulary, toy.corpus(), "is stale (short_seq_prob 0.1, now 0.5)");
        assertStale(f, new Spec(7, 0.5, 0.02, 10, 12, Split.HELD_OUT), toy.vocabulary, toy.corpus(), "is stale (held-out share 0.01, now 0.02)");
    }

    private void assertStale(Path f, Spec spec, Vocabulary v, PretrainingCorpus corpus, String why) {
        try (PretrainingCache c = open(f, spec, v, corpus)) {
            assertTrue(messages.get(0).startsWith("the pretraining cache " + f + " ") && messages.get(0).contains(why)
                    && messages.get(0).endsWith(": building it"), messages.toString());
            assertEquals(spec, c.spec());
        }
    }

    @Test
    void aForeignFileIsReplacedNotRead() throws IOException {
        ToyCorpus toy = new ToyCorpus(10, 20, 8, 5);
        Path f = dir.resolve("c.bin");
        Files.writeString(f, "x".repeat(1000));
        open(f, Spec.of(13, 1, 0, Split.TRAIN), toy.vocabulary, toy.corpus()).close();
        assertTrue(messages.get(0).startsWith(f + " is not a minibert pretraining cache (it starts with 7878"), messages.toString());
        Files.writeString(f, "tiny");
        open(f, Spec.of(13, 1, 0, Split.TRAIN), toy.vocabulary, toy.corpus()).close();
        assertTrue(messages.get(0).startsWith(f + " is not a minibert pretraining cache (4 bytes)"), messages.toString());
    }

    @Test
    void aCorruptCacheIsDetectedAndRebuilt() throws IOException {
        ToyCorpus toy = new ToyCorpus(11, 30, 8, 5);
        Path f = dir.resolve("c.bin");
        Spec spec = Spec.of(13, 1, 0, Split.TRAIN);
        open(f, spec, toy.vocabulary, toy.corpus()).close();
        byte[] good = Files.readAllBytes(f);

        Files.write(f, Arrays.copyOf(good, good.length - 100));
        assertCorrupt(f, spec, toy, "is corrupt (" + (good.length - 100) + " bytes, its header says " + good.length + ": truncated)");
        Files.write(f, Arrays.copyOf(good, 100));
        assertCorrupt(f, spec, toy, "is corrupt (100 bytes, shorter than its header: truncated)");
        byte[] payload = good.clone();
        payload[PretrainingCache.HEADER_BYTES + 7] ^= 4;
        Files.write(f, payload);
        assertCorrupt(f, spec, toy, "is corrupt (the checksum of its sequences does not match its header)");
        byte[] header = good.clone();
        header[90] ^= 1;                               // a count in the header
        Files.write(f, header);
        assertCorrupt(f, spec, toy, "is corrupt (its header's checksum does not match)");
        byte[] longer = Arrays.copyOf(good, good.length + 12);
        Files.write(f, longer);
        assertCorrupt(f, spec, toy, "is corrupt (" + longer.length + " bytes, its header says " + good.length + ")");
        assertArrayEquals(good, Files.readAllBytes(f), "the rebuilt cache is the original");
    }

    private void assertCorrupt(Path f, Spec spec, ToyCorpus toy, String why) {
        open(f, spec, toy.vocabulary, toy.corpus()).close();
        assertEquals("the pretraining cache " + f + " " + why + ": building it", messages.get(0));
    }

    @Test
    void aBuildThatFailsLeavesNoFileBehind() throws IOException {
        ToyCorpus toy = new ToyCorpus(12, 10, 8, 5);
        PretrainingCorpus failing = new PretrainingCorpus("failing", "ab".repeat(32), () -> Stream.concat(toy.texts.stream(),
                Stream.<String>generate(() -> {
                    throw new IllegalStateException("the disk is on fire");
                }).limit(1)));
        assertThrows(IllegalStateException.class, () -> open(dir.resolve("c.bin"), Spec.of(13, 1, 0, Split.TRAIN), toy.vocabulary, failing));
        assertEquals(List.of(), leftIn(dir));
    }

    /** Ids are stored in two bytes up to V = 65,536 and in four beyond; both read back exactly. */
    @Test
    void idsAboveSixteenBitsAreStoredInFourBytes() {
        List<String> tokens = new ArrayList<>(Vocabulary.SPECIALS);
        for (int i = tokens.size(); i < 70_000; i++) {
            tokens.add("t" + i);
        }
        tokens.add(".");
        Vocabulary big = new Vocabulary(tokens);
        WordPiece wp = new WordPiece(big);
        String text = "t5 t65535 t65536 t69999. t6 t70 t69000.";
        assertEquals(2, PretrainingCache.idWidth(65_536));
        assertEquals(4, PretrainingCache.idWidth(65_537));
        try (PretrainingCache c = open(dir.resolve("big.bin"), new Spec(13, 0, 0.01, 3, 0, Split.TRAIN), big,
                PretrainingCorpus.of("big", List.of(text)))) {
            assertEquals(1, c.size());
            int[] ids = new int[13], types = new int[13], mask = new int[13];
            c.read(0, ids, types, mask, 0);
            int[] pieces = Packing.encode(wp, text).pieces();
            assertArrayEquals(new int[] {big.clsId(), pieces[0], pieces[1], pieces[2], pieces[3], pieces[4], big.sepId(),
                    pieces[5], pieces[6], pieces[7], pieces[8], big.sepId(), 0}, ids);
            assertTrue(Arrays.stream(ids).anyMatch(id -> id > 0xFFFF));
        }
    }

    @Test
    void readingOutsideTheCacheIsAnError() {
        ToyCorpus toy = new ToyCorpus(13, 5, 4, 3);
        try (PretrainingCache c = open(dir.resolve("c.bin"), Spec.of(7, 1, 0, Split.TRAIN), toy.vocabulary, toy.corpus())) {
            int[] a = new int[7];
            assertThrows(IndexOutOfBoundsException.class, () -> c.read(c.size(), a, a, a, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> c.read(-1, a, a, a, 0));
        }
    }
}
