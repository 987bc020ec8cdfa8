package minibert.train;

import minibert.model.Batch;
import minibert.nn.MlmHead;
import minibert.train.PretrainingCache.Spec;
import minibert.train.PretrainingCache.Split;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchStreamTest {

    @TempDir
    static Path dir;

    private static PretrainingCache cache;

    @BeforeAll
    static void build() {
        ToyCorpus toy = new ToyCorpus(31, 12, 6, 4);
        cache = PretrainingCache.openOrBuild(dir.resolve("c.bin"), Spec.of(7, 31, 0, Split.TRAIN), toy.vocabulary, toy.corpus(), Progress.NONE);
    }

    @AfterAll
    static void close() {
        cache.close();
    }

    private static Batch batch(int b) {
        int n = b * cache.length();
        return new Batch(new int[n], new int[n], new int[n], new int[n], b, cache.length());
    }

    /** Batch k filled directly equals batch k reached by filling 0, 1, …, k in order, on any stream of that seed. */
    @ParameterizedTest(name = "B = {0}, seed {1}")
    @CsvSource({"3, 1", "7, 2", "1, 3", "13, 4"})
    void batchKIsTheSameWhetherResumedOrReachedInOrder(int b, long seed) {
        BatchStream inOrder = new BatchStream(cache, seed);
        Batch walked = batch(b);
        int n = cache.size();
        int batches = 3 * n / b + 2;                      // past a few epoch ends
        Batch[] seen = new Batch[batches];
        for (int k = 0; k < batches; k++) {
            inOrder.fill((long) k * b, walked);
            seen[k] = new Batch(walked.inputIds().clone(), walked.tokenTypes().clone(), walked.attentionMask().clone(),
                    walked.labels().clone(), b, cache.length());
        }
        for (int k = batches - 1; k >= 0; k -= 3) {       // a fresh stream, jumping backwards: a resumed run
            BatchStream resumed = new BatchStream(cache, seed);
            Batch direct = batch(b);
            resumed.fill((long) k * b, direct);
            String where = "batch " + k + ", B=" + b + ", seed " + seed;
            assertArrayEquals(seen[k].inputIds(), direct.inputIds(), where);
            assertArrayEquals(seen[k].tokenTypes(), direct.tokenTypes(), where);
            assertArrayEquals(seen[k].attentionMask(), direct.attentionMask(), where);
            assertTrue(Arrays.stream(direct.labels()).allMatch(l -> l == MlmHead.IGNORE), where);
        }
    }

    @Test
    void everyEpochIsAPermutationAndABatchMayStraddleTheBoundary() {
        BatchStream s = new BatchStream(cache, 5);
        int n = s.epochLength();
        assertEquals(cache.size(), n);
        int[][] epochs = new int[4][n];
        for (int e = 0; e < 4; e++) {
            Set<Integer> seen = new HashSet<>();
            for (int i = 0; i < n; i++) {
                epochs[e][i] = s.sequenceAt((long) e * n + i);
                seen.add(epochs[e][i]);
            }
            assertEquals(n, seen.size(), "epoch " + e + " visits every sequence once");
        }
        assertTrue(!Arrays.equals(epochs[0], epochs[1]) && !Arrays.equals(epochs[1], epochs[2]), "each epoch has its own order");

        // B = 3 from position n − 2: rows 0–1 are epoch 0's last two, row 2 is epoch 1's first
        Batch straddling = batch(3);
        s.fill(n - 2, straddling);
        int t = cache.length();
        int[] ids = new int[t], types = new int[t], mask = new int[t];
        int[] expected = {epochs[0][n - 2], epochs[0][n - 1], epochs[1][0]};
        for (int row = 0; row < 3; row++) {
            cache.read(expected[row], ids, types, mask, 0);
            assertArrayEquals(ids, Arrays.copyOfRange(straddling.inputIds(), row * t, (row + 1) * t), "row " + row);
            assertArrayEquals(types, Arrays.copyOfRange(straddling.tokenTypes(), row * t, (row + 1) * t), "row " + row);
            assertArrayEquals(mask, Arrays.copyOfRange(straddling.attentionMask(), row * t, (row + 1) * t), "row " + row);
        }
    }

    @Test
    void anotherSeedGivesAnotherOrder() {
        BatchStream a = new BatchStream(cache, 1), b = new BatchStream(cache, 2);
        int differ = 0;
        for (int i = 0; i < cache.size(); i++) {
            differ += a.sequenceAt(i) != b.sequenceAt(i) ? 1 : 0;
        }
        assertNotEquals(0, differ);
    }

    @Test
    void aBatchOfAnotherLengthIsRefused() {
        BatchStream s = new BatchStream(cache, 1);
        assertThrows(IllegalArgumentException.class, () -> s.fill(0, new Batch(new int[8], new int[8], new int[8], new int[8], 1, 8)));
        assertThrows(IllegalArgumentException.class, () -> s.sequenceAt(-1));
    }
}
