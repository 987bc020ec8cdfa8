package minibert.book;

import minibert.text.Vocabulary;
import minibert.text.WordPieceTrainer.Merge;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The counts the tokenization chapter prints, on corpora small enough to count by hand. */
class MergeArithmeticTest {

    private static final Map<String, Long> WORDS = Map.of("aaaa", 2L, "ab", 3L, "ax", 7L);
    private static final Set<Integer> ALPHABET = Set.of((int) 'a', (int) 'b');

    @Test
    void symbolsArePlainFirstAndContinuedAfter() {
        assertEquals(List.of("a", "##a", "##a", "##a"), MergeArithmetic.symbols("aaaa"));
        MergeArithmetic.Initial initial = MergeArithmetic.initial(WORDS, ALPHABET);   // "ax" is outside the alphabet
        assertEquals(2 + 3, initial.count("a"));
        assertEquals(6, initial.count("##a"));
        assertEquals(3, initial.count("##b"));
        assertEquals(8 + 6, initial.total());
    }

    @Test
    void overlappingIdenticalPairsAreCountedTwiceButMergedOnce() {
        assertArrayEquals(new long[] {4, 2}, MergeArithmetic.pairCount(WORDS, ALPHABET, "##a", "##a"),
                "##a ##a ##a: two adjacent pairs, one merge; twice");
        assertArrayEquals(new long[] {3, 3}, MergeArithmetic.pairCount(WORDS, ALPHABET, "a", "##b"));
        assertArrayEquals(new long[] {4, 2}, MergeArithmetic.identicalPairs(WORDS, ALPHABET).get("##a"));
        assertEquals(1, MergeArithmetic.identicalPairs(WORDS, ALPHABET).size());
    }

    @Test
    void theFirstOrderGainApproachesTheExactOneForSmallK() {
        double ca = 1e6, cb = 2e6, n = 1e8;
        double k = 10;
        double exact = MergeArithmetic.exactGain(ca, cb, k, n), approx = MergeArithmetic.firstOrderGain(ca, cb, k, n);
        assertEquals(exact, approx, 1e-3 * Math.abs(exact));
        double big = 9e5;
        assertTrue(Math.abs(MergeArithmetic.exactGain(ca, cb, big, n) - MergeArithmetic.firstOrderGain(ca, cb, big, n))
                > 0.01 * Math.abs(MergeArithmetic.exactGain(ca, cb, big, n)), "k near c_a: the approximation is poor");
        // the exact formulas against the log-likelihood Σ c ln(c / N) of the counts before and after, written out
        double before = 10 * Math.log(10 / 20.0) + 10 * Math.log(10 / 20.0);
        double afterAb = 7 * Math.log(7 / 17.0) + 7 * Math.log(7 / 17.0) + 3 * Math.log(3 / 17.0);   // 3 × "a b" → "ab"
        double afterAa = 6 * Math.log(6 / 18.0) + 2 * Math.log(2 / 18.0) + 10 * Math.log(10 / 18.0); // 2 × "a a" → "aa"
        assertEquals(afterAb - before, MergeArithmetic.exactGain(10, 10, 3, 20), 1e-12);
        assertEquals(afterAa - before, MergeArithmetic.exactGainIdentical(10, 2, 20), 1e-12);
    }

    @Test
    void everyRiseIsExplainedByTheMergeBeforeOrTheBuildStops() {
        List<Merge> merges = new ArrayList<>(List.of(
                new Merge("t", "##h", "th", 100, 50),
                new Merge("th", "##e", "the", 120, 40),       // rises: contains th, which merge 1 made
                new Merge("s", "##h", "sh", 90, 30),
                new Merge("c", "##h", "ch", 95, 20)));        // rises: ##h, which merge 3 used
        List<MergeArithmetic.Rise> rises = MergeArithmetic.rises(merges, 30);
        assertEquals(2, rises.size());
        assertEquals(2, rises.get(0).index());
        assertTrue(rises.get(0).made());
        assertEquals("th", rises.get(0).piece());
        assertEquals("##h", rises.get(1).piece());
        assertTrue(!rises.get(1).made());
        String sentence = TokenizationResults.risesSentence(rises);
        assertTrue(sentence.contains("rises 2 times") && sentence.contains("merge 1 made th") && sentence.contains("merge 3 used ##h"), sentence);
        merges.add(new Merge("x", "##y", "xy", 99, 10));         // rises, but merge 4 neither made nor used x or ##y
        assertThrows(IllegalStateException.class, () -> MergeArithmetic.rises(merges, 30));
    }

    @Test
    void theFewestPiecesAreFoundWhereGreedyFails() {
        List<String> tokens = new ArrayList<>(Vocabulary.SPECIALS);
        tokens.addAll(List.of("a", "ab", "##bc"));
        Vocabulary v = new Vocabulary(tokens);
        assertEquals(List.of("a", "##bc"), MergeArithmetic.fewestPieces("abc", v));
        assertNull(MergeArithmetic.fewestPieces("abd", v));
    }
}
