package minibert.eval;

import minibert.data.Sst2Reader.Sst2Example;
import minibert.model.BertForMaskedLM;
import minibert.text.WordPiece;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Sst2FineTuningTest {

    private static final WordPiece WP = new WordPiece(Fixtures.vocabulary());

    /** Sentences whose label is whether "good" or "great" occurs in them. */
    static List<Sst2Example> sentences(int n, long seed) {
        Random random = new Random(seed);
        String[] filler = {"the", "movie", "was", "a", "plot", "is", "it", "and", "."};
        List<Sst2Example> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            boolean positive = random.nextBoolean();
            List<String> words = new ArrayList<>();
            for (int k = 0, len = 2 + random.nextInt(6); k < len; k++) {
                words.add(filler[random.nextInt(filler.length)]);
            }
            words.add(random.nextInt(words.size() + 1), positive ? (random.nextBoolean() ? "good" : "great")
                    : (random.nextBoolean() ? "bad" : "dull"));
            out.add(new Sst2Example(String.join(" ", words), positive ? 1 : 0));
        }
        return out;
    }

    @Test
    void encodingCutsLongSentencesAndCountsThem() {
        var v = Fixtures.vocabulary();
        var e = Sst2FineTuning.encode(List.of(new Sst2Example("the movie was good", 1),
                new Sst2Example("the unaffable movie was not good", 0)), WP, 6);
        assertEquals(1, e.truncated());
        assertArrayEquals(new int[] {v.clsId(), v.id("the"), v.id("movie"), v.id("was"), v.id("good"), v.sepId()},
                e.examples().get(0).ids());
        assertEquals(6, e.examples().get(1).ids().length);
        assertThrows(IllegalArgumentException.class, () -> Sst2FineTuning.encode(List.of(new Sst2Example("x", -1)), WP, 6));
    }

    @Test
    void theHeldOutSplitIsSeededAndNearItsShare() {
        List<Integer> items = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            items.add(i);
        }
        var parts = Sst2FineTuning.holdOut(items, 0.05, 7);
        assertEquals(10_000, parts.get(0).size() + parts.get(1).size());
        assertEquals(500, parts.get(1).size(), 70);
        assertEquals(parts, Sst2FineTuning.holdOut(items, 0.05, 7));
        assertTrue(!parts.equals(Sst2FineTuning.holdOut(items, 0.05, 8)));
    }

    @Test
    void anEpochsBatchesHoldEverySentenceOnceWithFewShapes() {
        var examples = Sst2FineTuning.encode(sentences(203, 3), WP, 11).examples();
        var batches = Sst2FineTuning.batches(examples, 7, new Random(1));
        var seen = new HashSet<Sst2FineTuning.Example>();
        for (var b : batches) {
            assertTrue(b.size() <= 7);
            seen.addAll(b);
            assertEquals(16, Sst2FineTuning.length(b, 16));
        }
        assertEquals(203, seen.size());
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {5})
    void overfittingOneBatchReachesEverySentence(long seed) {
        var model = new BertForMaskedLM(Fixtures.config(11), seed);
        var examples = Sst2FineTuning.encode(sentences(9, seed), WP, 11).examples();
        int steps = Sst2FineTuning.overfitOneBatch(model, examples, new Sst2FineTuning.Settings(1, 3e-3, 9, 0, 0, seed), 300);
        assertTrue(steps >= 0, "seed " + seed + ": did not reach 100% in 300 steps");
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {6})
    void fineTuningLearnsTheKeywordTaskAndKeepsTheBestEpoch(long seed) {
        var model = new BertForMaskedLM(Fixtures.config(11), seed);
        var all = Sst2FineTuning.encode(sentences(400, seed), WP, 11).examples();
        var parts = Sst2FineTuning.holdOut(all, 0.1, seed);
        var dev = Sst2FineTuning.encode(sentences(61, seed + 100), WP, 11).examples();
        var s = new Sst2FineTuning.Settings(4, 1e-2, 16, 0.1, 0.01, seed);
        var o = Sst2FineTuning.fineTune(model, parts.get(0), parts.get(1), dev, s, m -> { });
        assertEquals(4, o.epochs().size());
        double best = o.epochs().stream().mapToDouble(Sst2FineTuning.Epoch::heldOutAccuracy).max().orElseThrow();
        assertEquals(best, o.epochs().get(o.bestEpoch() - 1).heldOutAccuracy());
        // the kept weights are the best epoch's: measuring the held-out split again gives its accuracy
        assertEquals(best, Sst2FineTuning.evaluate(o.classifier(), parts.get(1), 16, LayerByLayer.Rounding.NONE, null));
        assertTrue(o.devAccuracy() > 0.85, "seed " + seed + ": dev accuracy " + o.devAccuracy());
        int total = 0;
        for (int[] row : o.confusion()) {
            for (int v : row) {
                total += v;
            }
        }
        assertEquals(61, total);
        assertEquals(o.devAccuracy(), (o.confusion()[0][0] + o.confusion()[1][1]) / 61.0, 1e-12);
    }

    @Test
    void theBagOfWordsBaselineLearnsTheKeywords() {
        var train = sentences(300, 1);
        var parts = Sst2FineTuning.holdOut(train, 0.1, 1);
        var o = BagOfWords.fit(parts.get(0), parts.get(1), sentences(80, 2), new BagOfWords.Settings(5, 0.1, 1e-5, 1));
        assertTrue(o.testAccuracy() > 0.95, "accuracy " + o.testAccuracy());
        assertTrue(o.bestEpoch() >= 1 && o.bestEpoch() <= 5);
        assertEquals(1, Sst2FineTuning.majority(Sst2FineTuning.encode(List.of(new Sst2Example("good", 1),
                new Sst2Example("great", 1), new Sst2Example("bad", 0)), WP, 11).examples()));
    }
}
