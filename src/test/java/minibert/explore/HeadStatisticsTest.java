package minibert.explore;

import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static minibert.explore.HeadStatistics.Statistic.CLS;
import static minibert.explore.HeadStatistics.Statistic.ENTROPY;
import static minibert.explore.HeadStatistics.Statistic.NEXT;
import static minibert.explore.HeadStatistics.Statistic.PREVIOUS;
import static minibert.explore.HeadStatistics.Statistic.SAME_WORD;
import static minibert.explore.HeadStatistics.Statistic.SEP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Clark et al.'s statistics on hand-made attention matrices of odd sizes, against sums written out by hand. */
class HeadStatisticsTest {

    /** [CLS] the un ##aff ##able movie [SEP]: 7 positions, one word of three pieces. */
    static Sequence seven() {
        return new Sequence("test", new int[] {2, 10, 11, 12, 13, 14, 3}, new int[7],
                new String[] {"[CLS]", "the", "un", "##aff", "##able", "movie", "[SEP]"});
    }

    @Test
    void wordsJoinContinuationPieces() {
        assertEquals("[0, 1, 2, 2, 2, 3, 4]", java.util.Arrays.toString(seven().words()));
        Sequence odd = new Sequence("odd", new int[] {2, 20, 3, 21}, new int[] {0, 0, 0, 1},
                new String[] {"[CLS]", "##x", "[SEP]", "##y"});
        assertEquals("[0, 1, 2, 3]", java.util.Arrays.toString(odd.words()), "a ## piece after a special token starts a word");
    }

    @Test
    void uniformAttentionGivesTheBaselines() {
        Sequence s = seven();
        HeadStatistics grid = new HeadStatistics(1, 1);
        grid.add(0, 0, HeadStatistics.uniform(7), s);
        assertEquals(Math.log(7), grid.mean(0, 0, ENTROPY), 1e-12);
        assertEquals(1 / 7.0, grid.mean(0, 0, CLS), 1e-12);
        assertEquals(1 / 7.0, grid.mean(0, 0, SEP), 1e-12);
        assertEquals(1 / 7.0, grid.mean(0, 0, PREVIOUS), 1e-12);
        assertEquals(1 / 7.0, grid.mean(0, 0, NEXT), 1e-12);
        assertEquals(2 / 7.0, grid.mean(0, 0, SAME_WORD), 1e-12, "two other pieces of un ##aff ##able");
        assertEquals(6, grid.rows(0, 0, PREVIOUS));
        assertEquals(6, grid.rows(0, 0, NEXT));
        assertEquals(3, grid.rows(0, 0, SAME_WORD), "only the three rows of the word of three pieces");
    }

    @Test
    void aPreviousTokenHeadIsFoundExactly() {
        Sequence s = seven();
        DMatrixRMaj p = new DMatrixRMaj(7, 7);
        p.set(0, 0, 1);                                  // [CLS] has no previous token: it looks at itself
        for (int i = 1; i < 7; i++) {
            p.set(i, i - 1, 1);
        }
        HeadStatistics grid = new HeadStatistics(2, 3);
        grid.add(1, 2, p, s);
        assertEquals(1, grid.mean(1, 2, PREVIOUS), 0);
        assertEquals(0, grid.mean(1, 2, NEXT), 0);
        assertEquals(0, grid.mean(1, 2, ENTROPY), 0, "one key per row: 0 · ln 0 counts as 0");
        assertEquals(2 / 7.0, grid.mean(1, 2, CLS), 1e-15, "rows 0 and 1 look at [CLS]");
        assertEquals(0, grid.mean(1, 2, SEP), 0);
        assertEquals(2 / 3.0, grid.mean(1, 2, SAME_WORD), 1e-15, "##aff and ##able look at the piece before, un at 'the'");
        assertTrue(Double.isNaN(grid.mean(0, 0, PREVIOUS)), "a head that saw nothing has no statistic");
    }

    @Test
    void aHandWrittenMatrixOfAPair() {
        // [CLS] a [SEP] b ##c [SEP]: 6 positions, two [SEP]
        Sequence s = new Sequence("pair", new int[] {2, 10, 3, 11, 12, 3}, new int[] {0, 0, 0, 1, 1, 1},
                new String[] {"[CLS]", "a", "[SEP]", "b", "##c", "[SEP]"});
        double[][] rows = {
                {0.5, 0.1, 0.1, 0.1, 0.1, 0.1},
                {0.2, 0.2, 0.2, 0.2, 0.1, 0.1},
                {0.0, 0.0, 1.0, 0.0, 0.0, 0.0},
                {0.1, 0.1, 0.3, 0.1, 0.3, 0.1},
                {0.1, 0.1, 0.1, 0.4, 0.2, 0.1},
                {0.0, 0.0, 0.5, 0.0, 0.0, 0.5}};
        HeadStatistics grid = new HeadStatistics(1, 1);
        grid.add(0, 0, new DMatrixRMaj(rows), s);
        double entropy = 0;
        for (double[] r : rows) {
            for (double w : r) {
                entropy -= w > 0 ? w * Math.log(w) : 0;
            }
        }
        assertEquals(entropy / 6, grid.mean(0, 0, ENTROPY), 1e-12);
        assertEquals((0.5 + 0.2 + 0 + 0.1 + 0.1 + 0) / 6, grid.mean(0, 0, CLS), 1e-12);
        assertEquals((0.2 + 0.3 + 1.0 + 0.4 + 0.2 + 1.0) / 6, grid.mean(0, 0, SEP), 1e-12);
        assertEquals((0.2 + 0.0 + 0.3 + 0.4 + 0.0) / 5, grid.mean(0, 0, PREVIOUS), 1e-12);
        assertEquals((0.1 + 0.2 + 0.0 + 0.3 + 0.1) / 5, grid.mean(0, 0, NEXT), 1e-12);
        assertEquals((0.3 + 0.4) / 2, grid.mean(0, 0, SAME_WORD), 1e-12);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {3, 5, 13})
    void randomMatricesAverageOverEveryRowOfEverySequence(long seed) {
        Random random = new Random(seed);
        HeadStatistics grid = new HeadStatistics(1, 1);
        double sumCls = 0;
        int rows = 0;
        for (int k = 0; k < 3; k++) {
            int n = 5 + 2 * k;                              // 5, 7, 9 positions
            int[] ids = new int[n];
            String[] tokens = new String[n];
            for (int i = 0; i < n; i++) {
                tokens[i] = i == 0 ? "[CLS]" : i == n - 1 ? "[SEP]" : "w" + i;
            }
            DMatrixRMaj p = new DMatrixRMaj(n + 2, n + 2);  // larger than n: only the n × n block is read
            for (int i = 0; i < n; i++) {
                double total = 0;
                for (int j = 0; j < n; j++) {
                    p.set(i, j, random.nextDouble());
                    total += p.get(i, j);
                }
                for (int j = 0; j < n; j++) {
                    p.set(i, j, p.get(i, j) / total);
                }
                sumCls += p.get(i, 0);
                rows++;
            }
            grid.add(0, 0, p, new Sequence("random " + k, ids, new int[n], tokens));
        }
        assertEquals(sumCls / rows, grid.mean(0, 0, CLS), 1e-12, "seed " + seed);
        assertEquals(rows, grid.rows(0, 0, CLS), "seed " + seed);
    }

    @Test
    void rowsThatDoNotSumToOneAreRefused() {
        DMatrixRMaj p = HeadStatistics.uniform(7);
        p.set(3, 3, 0.5);
        var e = assertThrows(IllegalArgumentException.class, () -> new HeadStatistics(1, 1).add(0, 0, p, seven()));
        assertTrue(e.getMessage().contains("row 3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new HeadStatistics(1, 1).add(0, 0, HeadStatistics.uniform(5), seven()));
    }
}
