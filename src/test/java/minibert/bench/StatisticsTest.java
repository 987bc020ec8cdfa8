package minibert.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Samples and round-by-round comparisons, on made-up figures: every branch of the verdict on both sides of its rule. */
class StatisticsTest {

    @Test
    void aSampleKnowsItsMedianAndSpread() {
        Sample s = Sample.of(3, Double.NaN, 1, 2, 10);
        assertEquals(4, s.runs(), "NaN measured nothing");
        assertEquals(2.5, s.median());
        assertEquals(1, s.min());
        assertEquals(10, s.max());
        assertEquals(9 / 2.5, s.spread(), 1e-12);
        assertArrayEquals(new double[] {1, 2, 3, 10}, s.values());
        assertEquals(2, Sample.of(3, 1, 2).median());
        assertTrue(Double.isNaN(Sample.of(Double.NaN).median()));
        assertArrayEquals(new double[] {5, 10}, Sample.of(2, 4).inverse(20).values(), "20/4 and 20/2");
    }

    @Test
    void aClearWinIsFasterAndItsMirrorSlower() {
        double[] b = {10, 10, 10, 10, 10, 10, 10, 10, 10, 10};
        double[] a = {11, 11, 11, 11, 11, 11, 11, 11, 9, 11};     // 9 of 10 rounds, median 1.1
        Comparison c = Comparison.ofRates(a, b);
        assertEquals(9, c.wins());
        assertEquals(1.1, c.median(), 1e-12);
        assertEquals(Comparison.Verdict.FASTER, c.verdict());
        assertTrue(c.halvesAgree());
        assertEquals(Comparison.Verdict.FASTER, c.trusted());
        assertEquals(Comparison.Verdict.SLOWER, Comparison.ofRates(b, a).verdict());
        assertEquals(Comparison.Verdict.FASTER, Comparison.ofTimes(b, a).verdict(), "less time is faster");
        assertTrue(c.describe().startsWith("1.10× (0.90–1.10), faster in 9 of 10 rounds"), c.describe());
    }

    @Test
    void tooFewWinsOrTooSmallAMarginIsNoClearDifference() {
        double[] b = {10, 10, 10, 10, 10, 10, 10, 10, 10, 10};
        double[] fewWins = {11, 11, 11, 11, 11, 11, 11, 9, 9, 9};      // 7 of 10 < 80%
        assertEquals(Comparison.Verdict.NO_CLEAR_DIFFERENCE, Comparison.ofRates(fewWins, b).verdict());
        double[] smallMargin = {10.2, 10.2, 10.2, 10.2, 10.2, 10.2, 10.2, 10.2, 10.2, 10.2};   // every round, by 2% < 3%
        assertEquals(Comparison.Verdict.NO_CLEAR_DIFFERENCE, Comparison.ofRates(smallMargin, b).verdict());
        double[] justEnough = {10.31, 10.31, 10.31, 10.31, 10.31, 10.31, 10.31, 10.31, 9, 9};  // 8 of 10, 3.1%
        assertEquals(Comparison.Verdict.FASTER, Comparison.ofRates(justEnough, b).verdict());
    }

    @Test
    void halvesThatDisagreeAreNotTrusted() {
        double[] b = {10, 10, 10, 10, 10, 10, 10, 10, 10, 10};
        double[] a = {12, 12, 12, 12, 12, 10, 10, 10, 10, 12};      // first half faster, second half not
        Comparison c = Comparison.ofRates(a, b);
        assertFalse(c.halvesAgree());
        assertEquals(Comparison.Verdict.NO_CLEAR_DIFFERENCE, c.trusted());
        assertThrows(IllegalArgumentException.class, () -> Comparison.ofRates(new double[2], new double[3]));
    }
}
