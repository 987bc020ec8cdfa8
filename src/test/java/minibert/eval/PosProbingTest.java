package minibert.eval;

import minibert.data.ConlluReader.ConlluSentence;
import minibert.model.BertForMaskedLM;
import minibert.nn.Pass;
import minibert.text.WordPiece;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PosProbingTest {

    private static final WordPiece WP = new WordPiece(Fixtures.vocabulary());

    private static ConlluSentence sentence(String id, String words, String tags) {
        return new ConlluSentence(id, words, List.of(words.split(" ")), List.of(tags.split(" ")));
    }

    @Test
    void eachWordIsItsFirstPieceAndLongSentencesAreCutIntoWindows() {
        // T = 7 leaves 5 pieces per window; "unaffable" is 3 pieces (un ##aff ##able)
        var s = sentence("s1", "the unaffable movie was good .", "DET ADJ NOUN AUX ADJ PUNCT");
        PosProbing.Words w = PosProbing.prepare("test", List.of(s), WP, 7);
        assertEquals(6, w.size());
        assertEquals(2, w.windows().size());
        assertEquals(1, w.split());
        assertEquals(0, w.dropped());
        var v = Fixtures.vocabulary();
        assertArrayEquals(new int[] {v.clsId(), v.id("the"), v.id("un"), v.id("##aff"), v.id("##able"), v.id("movie"), v.sepId()},
                w.windows().get(0));
        assertArrayEquals(new int[] {1, 2, 5}, w.firstPieces().get(0));     // the, un(affable), movie
        assertArrayEquals(new int[] {1, 2, 3}, w.firstPieces().get(1));     // was, good, .
        assertEquals(List.of("the", "unaffable", "movie", "was", "good", "."), Arrays.asList(w.forms()));
        assertEquals(PosProbing.UPOS.indexOf("ADJ"), w.tags()[1]);
    }

    @Test
    void aWordLongerThanAWindowIsDroppedAndCounted() {
        var s = sentence("s2", "the unaffable movie", "DET ADJ NOUN");
        PosProbing.Words w = PosProbing.prepare("test", List.of(s), WP, 4);    // room for 2 pieces
        assertEquals(1, w.dropped());
        assertEquals(List.of("the", "movie"), Arrays.asList(w.forms()));
    }

    @Test
    void anUnknownTagIsAnErrorNamingTheSentence() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> PosProbing.prepare("EWT dev", List.of(sentence("x-7", "the movie", "DET NOUNS")), WP, 11));
        assertTrue(e.getMessage().contains("EWT dev, sentence x-7") && e.getMessage().contains("NOUNS"), e.getMessage());
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {3, 12})
    void featuresAreTheHiddenStatesAtTheFirstPieces(long seed) {
        var config = Fixtures.config(11);
        BertForMaskedLM model = new BertForMaskedLM(config, seed);
        Fixtures.perturb(model.parameters(), seed, 0.1);
        var sentences = List.of(sentence("a", "the movie was good .", "DET NOUN AUX ADJ PUNCT"),
                sentence("b", "it is unaffable", "PRON AUX ADJ"),
                sentence("c", "a dull plot , a bad movie and not a great plot .", "DET ADJ NOUN PUNCT DET ADJ NOUN CCONJ PART DET ADJ NOUN PUNCT"));
        PosProbing.Words w = PosProbing.prepare("test", sentences, WP, 11);
        float[][] f = PosProbing.features(model, w, 2);                   // batches of 2: a filler row in the last
        assertEquals(config.numLayers() + 1, f.length);
        int h = config.hiddenSize(), word = 0;
        for (int window = 0; window < w.windows().size(); window++) {
            int[] ids = w.windows().get(window);
            var batch = Sst2FineTuning.batch(List.of(new Sst2FineTuning.Example(ids, 0)), 1, ids.length);
            var acts = model.activations(1, ids.length);
            model.encode(batch, acts, Pass.INFERENCE, null);
            for (int first : w.firstPieces().get(window)) {
                for (int l = 0; l <= config.numLayers(); l++) {
                    for (int j = 0; j < h; j++) {
                        // a window alone, unpadded, gives the same state up to rounding (padding is masked out)
                        assertEquals(acts.hidden(l).data[first * h + j], f[l][word * h + j], 1e-5,
                                "seed " + seed + ", word " + word + ", layer " + l);
                    }
                }
                word++;
            }
        }
        assertEquals(w.size(), word);
    }

    @Test
    void theControlTaskGivesEachTypeOneTagDrawnFromTheDistribution() {
        double[] distribution = new double[PosProbing.UPOS.size()];
        distribution[0] = 0.5;
        distribution[7] = 0.3;
        distribution[12] = 0.2;
        List<String> forms = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            forms.add("w" + i);
        }
        forms.add("w3");
        int[] tags = PosProbing.controlTags(forms.toArray(String[]::new), distribution, 7);
        assertEquals(tags[3], tags[20_000], "the same type, the same tag");
        double[] seen = PosProbing.distribution(Arrays.copyOf(tags, 20_000));
        for (int t = 0; t < distribution.length; t++) {
            assertEquals(distribution[t], seen[t], 0.015, "tag " + PosProbing.UPOS.get(t));
        }
        assertArrayEquals(tags, PosProbing.controlTags(forms.toArray(String[]::new), distribution, 7));
        assertTrue(!Arrays.equals(tags, PosProbing.controlTags(forms.toArray(String[]::new), distribution, 8)));
    }

    @Test
    void mostFrequentTagFallsBackToTheMostFrequentTagOverall() {
        var train = PosProbing.prepare("train", List.of(sentence("1", "the plot is dull", "DET NOUN AUX ADJ"),
                sentence("2", "the movie is a dull movie", "DET NOUN VERB DET ADJ NOUN"),
                sentence("3", "plot plot", "VERB NOUN")), WP, 11);
        var test = PosProbing.prepare("test", List.of(sentence("t", "the plot is great", "DET NOUN AUX ADJ")), WP, 11);
        PosProbing.MostFrequent m = PosProbing.mostFrequent(train, test);
        // the → DET ✓; plot → NOUN (2 of 3) ✓; is → AUX (tie AUX/VERB, AUX first in UD's order) ✓; great unseen → NOUN ✗
        assertEquals("NOUN", m.fallbackTag());
        assertEquals(0.75, m.accuracy());
        assertEquals(0.25, m.unseenShare());
        assertEquals(1.0, m.seenAccuracy());
    }

    @Test
    void bucketsRoundLengthsUpToSixteenAndKeepEveryWindow() {
        Random random = new Random(5);
        List<int[]> windows = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            windows.add(new int[2 + random.nextInt(39)]);
        }
        int total = 0;
        for (int[] b : PosProbing.buckets(windows, 40)) {
            assertTrue(b[0] % 16 == 0 || b[0] == 40, "length " + b[0]);
            for (int i = 1; i < b.length; i++) {
                assertTrue(windows.get(b[i]).length <= b[0]);
            }
            total += b.length - 1;
        }
        final int kept = total;
        windows.add(new int[41]);
        assertThrows(IllegalArgumentException.class, () -> PosProbing.buckets(windows, 40), "a window longer than T");
        assertEquals(40, kept);
    }
}
