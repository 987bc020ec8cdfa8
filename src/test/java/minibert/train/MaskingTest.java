package minibert.train;

import minibert.model.Batch;
import minibert.nn.MlmHead;
import minibert.text.Vocabulary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MaskingTest {

    /** A vocabulary of the specials and V − 5 made-up pieces. */
    private static Vocabulary vocabulary(int size) {
        List<String> tokens = new ArrayList<>(Vocabulary.SPECIALS);
        for (int i = tokens.size(); i < size; i++) {
            tokens.add("p" + i);
        }
        return new Vocabulary(tokens);
    }

    /**
     * Random batches shaped like packed sequences: [CLS] A [SEP] (B [SEP]) then padding, with [UNK] now and
     * then inside the text.
     */
    private static Batch randomBatch(Random r, int b, int t, int v) {
        int[] ids = new int[b * t], types = new int[b * t], mask = new int[b * t], labels = new int[b * t];
        Arrays.fill(labels, 12345);                       // masking must overwrite every label
        for (int row = 0; row < b; row++) {
            int real = 3 + r.nextInt(t - 2);
            int sep = 1 + r.nextInt(real - 2);
            for (int i = 0; i < real; i++) {
                int at = row * t + i;
                mask[at] = 1;
                ids[at] = i == 0 ? 2 : i == sep || i == real - 1 ? 3 : r.nextInt(20) == 0 ? 1 : 5 + r.nextInt(v - 5);
                types[at] = i <= sep ? 0 : 1;
            }
        }
        return new Batch(ids, types, mask, labels, b, t);
    }

    private static Batch copy(Batch b) {
        return new Batch(b.inputIds().clone(), b.tokenTypes().clone(), b.attentionMask().clone(), b.labels().clone(), b.batch(), b.length());
    }

    @Test
    void theCountPerSequenceIsCreatePretrainingDatasOwn() {
        assertEquals(0, Masking.count(0, 0.15));
        assertEquals(1, Masking.count(1, 0.15));          // max(1, ·): every sequence predicts something
        assertEquals(1, Masking.count(3, 0.15));          // 0.45 rounds to 0
        assertEquals(2, Masking.count(10, 0.15));         // 1.5 → 2
        assertEquals(4, Masking.count(30, 0.15));         // 4.5 → 4: half to even, as Python 3's round
        assertEquals(9, Masking.count(61, 0.15));         // a full sequence at T = 64: 9.15 → 9
        assertEquals(10, Masking.count(10, 1.0));
    }

    /**
     * Over many sequences: exactly max(1, round(n·p)) positions per sequence; among them [MASK], a random
     * token and the unchanged token in shares 0.8, 0.1·(1 − 1/(V−5)) and 0.1·(1 + 1/(V−5)) (a random draw
     * may hit the original), each within four binomial standard deviations.
     */
    @ParameterizedTest(name = "T = {0}, V = {1}, p = {2}, seed {3}")
    @CsvSource({"13, 37, 0.15, 1", "7, 99, 0.15, 2", "64, 8192, 0.15, 3", "13, 37, 0.4, 4", "33, 11, 0.15, 5"})
    void theRatesHoldWithinBinomialBounds(int t, int v, double p, long seed) {
        Random r = new Random(seed);
        Masking masking = new Masking(vocabulary(v), p);
        long selected = 0, masked = 0, random = 0, unchanged = 0;
        for (int step = 0; step < 400; step++) {
            Batch batch = randomBatch(r, 13, t, v);
            Batch before = copy(batch);
            int m = masking.apply(Seeds.mix(seed, step), batch);
            long expected = 0;
            for (int row = 0; row < 13; row++) {
                int candidates = 0;
                for (int i = row * t; i < (row + 1) * t; i++) {
                    candidates += before.attentionMask()[i] == 1 && before.inputIds()[i] >= 5 ? 1 : 0;
                }
                int selectedInRow = 0;
                for (int i = row * t; i < (row + 1) * t; i++) {
                    selectedInRow += batch.labels()[i] != MlmHead.IGNORE ? 1 : 0;
                }
                assertEquals(Masking.count(candidates, p), selectedInRow, "row " + row + " of step " + step + ", seed " + seed);
                expected += selectedInRow;
            }
            assertEquals(expected, m, "apply returns M");
            for (int i = 0; i < t * 13; i++) {
                if (batch.labels()[i] == MlmHead.IGNORE) {
                    assertEquals(before.inputIds()[i], batch.inputIds()[i], "only selected positions change");
                    continue;
                }
                assertEquals(before.inputIds()[i], batch.labels()[i], "the label is the original token");
                int now = batch.inputIds()[i];
                if (now == 4) {
                    masked++;
                } else if (now == before.inputIds()[i]) {
                    unchanged++;
                } else {
                    assertTrue(now >= 5 && now < v, "a random token is never a special token: " + now);
                    random++;
                }
            }
            assertArrayEquals(before.tokenTypes(), batch.tokenTypes());
            assertArrayEquals(before.attentionMask(), batch.attentionMask());
            selected += m;
        }
        double hit = 1.0 / (v - 5);
        check("[MASK]", masked, selected, 0.8, seed);
        check("random", random, selected, 0.1 * (1 - hit), seed);
        check("unchanged", unchanged, selected, 0.1 * (1 + hit), seed);
    }

    private static void check(String what, long count, long n, double p, long seed) {
        double sd = Math.sqrt(n * p * (1 - p));
        assertTrue(Math.abs(count - n * p) <= 4 * sd, String.format("%s: %d of %d, expected %.1f ± %.1f (4 sd), seed %d",
                what, count, n, n * p, 4 * sd, seed));
    }

    /** Each candidate is equally likely to be chosen: per position, selections over many seeds are binomial. */
    @Test
    void everyCandidatePositionIsEquallyLikely() {
        int t = 13, v = 50, trials = 20_000;
        Masking masking = new Masking(vocabulary(v), 0.15);
        Batch template = randomBatch(new Random(9), 1, t, v);
        int[] chosen = new int[t];
        int candidates = 0;
        for (int i = 0; i < t; i++) {
            candidates += template.attentionMask()[i] == 1 && template.inputIds()[i] >= 5 ? 1 : 0;
        }
        for (int s = 0; s < trials; s++) {
            Batch b = copy(template);
            masking.apply(s, b);
            for (int i = 0; i < t; i++) {
                chosen[i] += b.labels()[i] != MlmHead.IGNORE ? 1 : 0;
            }
        }
        double p = (double) Masking.count(candidates, 0.15) / candidates;
        for (int i = 0; i < t; i++) {
            boolean candidate = template.attentionMask()[i] == 1 && template.inputIds()[i] >= 5;
            if (!candidate) {
                assertEquals(0, chosen[i], "position " + i + " (" + template.inputIds()[i] + ") is special or padding");
            } else {
                double sd = Math.sqrt(trials * p * (1 - p));
                assertTrue(Math.abs(chosen[i] - trials * p) <= 4 * sd, "position " + i + ": " + chosen[i] + " of " + trials);
            }
        }
    }

    @Test
    void specialTokensAndPaddingAreNeverSelected() {
        Random r = new Random(17);
        Masking masking = new Masking(vocabulary(23), 0.9);
        for (int step = 0; step < 300; step++) {
            Batch b = randomBatch(r, 3, 7, 23);
            Batch before = copy(b);
            masking.apply(step, b);
            for (int i = 0; i < b.inputIds().length; i++) {
                boolean special = before.inputIds()[i] < 5 || before.attentionMask()[i] == 0;
                assertFalse(special && b.labels()[i] != MlmHead.IGNORE, "step " + step + ": selected " + before.inputIds()[i] + " at " + i);
            }
        }
    }

    @Test
    void theSameSeedGivesTheSameMasksAndAnotherSeedOthers() {
        Vocabulary v = vocabulary(8192);
        Batch template = randomBatch(new Random(4), 5, 64, 8192);
        Batch a = copy(template), b = copy(template), c = copy(template);
        new Masking(v, 0.15).apply(77, a);
        Masking reused = new Masking(v, 0.15);
        reused.apply(12, copy(template));                 // state from an earlier call does not leak
        reused.apply(77, b);
        new Masking(v, 0.15).apply(78, c);
        assertArrayEquals(a.inputIds(), b.inputIds());
        assertArrayEquals(a.labels(), b.labels());
        assertNotEquals(Arrays.toString(a.labels()), Arrays.toString(c.labels()));
    }

    @Test
    void aRowsMasksDoNotDependOnTheOtherRows() {
        Vocabulary v = vocabulary(300);
        Random r = new Random(6);
        Batch one = randomBatch(r, 4, 13, 300), other = randomBatch(r, 4, 13, 300);
        System.arraycopy(one.inputIds(), 13, other.inputIds(), 13, 13);       // row 1 the same in both
        System.arraycopy(one.attentionMask(), 13, other.attentionMask(), 13, 13);
        new Masking(v, 0.15).apply(3, one);
        new Masking(v, 0.15).apply(3, other);
        assertArrayEquals(Arrays.copyOfRange(one.labels(), 13, 26), Arrays.copyOfRange(other.labels(), 13, 26));
        assertArrayEquals(Arrays.copyOfRange(one.inputIds(), 13, 26), Arrays.copyOfRange(other.inputIds(), 13, 26));
    }
}
