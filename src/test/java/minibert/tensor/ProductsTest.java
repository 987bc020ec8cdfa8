package minibert.tensor;

import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The facade's batched entry and its one-block entry: the backends agree, and a block that does not fit is refused with
 * its numbers.
 */
class ProductsTest {

    @Test
    void batchedHeadsInPlaceAgreeAcrossBackends() {
        // B = 3 sequences of T = 7, A = 3 heads of d = 4 in H = 12: S = Q_h·K_hᵀ for every (s, h), as the attention does
        Random rnd = new Random(21);
        int b = 3, t = 7, heads = 3, d = 4, hidden = heads * d;
        DMatrixRMaj q = new DMatrixRMaj(b * t, hidden), k = new DMatrixRMaj(b * t, hidden);
        for (int i = 0; i < q.getNumElements(); i++) {
            q.data[i] = rnd.nextGaussian();
            k.data[i] = rnd.nextGaussian();
        }
        int[] headAt = new int[b * heads], scoreAt = new int[b * heads];
        for (int s = 0; s < b; s++) {
            for (int h = 0; h < heads; h++) {
                headAt[s * heads + h] = s * t * hidden + h * d;
                scoreAt[s * heads + h] = (s * heads + h) * t * t;
            }
        }
        DMatrixRMaj viaEjml = new DMatrixRMaj(b * heads * t, t), viaVector = new DMatrixRMaj(b * heads * t, t);
        Products.REFERENCE.batched(false, true, t, t, d, 0.5, q, headAt, hidden, k, headAt, hidden, 0, viaEjml, scoreAt, t);
        VectorBackend.INSTANCE.batched(false, true, t, t, d, 0.5, q, headAt, hidden, k, headAt, hidden, 0, viaVector, scoreAt, t);
        // one entry by hand: sequence 2, head 1, query 3, key 5
        double expected = 0;
        for (int p = 0; p < d; p++) {
            expected += q.data[(2 * t + 3) * hidden + d + p] * k.data[(2 * t + 5) * hidden + d + p];
        }
        assertTrue(Math.abs(0.5 * expected - viaEjml.data[(2 * heads + 1) * t * t + 3 * t + 5]) < 1e-14);
        for (int i = 0; i < viaEjml.getNumElements(); i++) {
            assertTrue(Math.abs(viaEjml.data[i] - viaVector.data[i]) < 1e-13, "entry " + i);
        }
    }

    @Test
    void batchedRefusesBlocksThatDoNotFitAndAliasing() {
        DMatrixRMaj a = new DMatrixRMaj(4, 4), c = new DMatrixRMaj(4, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                Products.VECTOR.batched(false, false, 2, 2, 2, 1, a, new int[] {0, 12}, 4, a, new int[] {0, 0}, 4, 0, c, new int[] {0, 2}, 4));
        assertTrue(e.getMessage().contains("block 1 of A") && e.getMessage().contains("offset 12"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () ->
                Products.VECTOR.batched(false, false, 2, 2, 2, 1, a, new int[] {0}, 4, a, new int[] {0}, 4, 0, a, new int[] {0}, 4));
        assertThrows(IllegalArgumentException.class, () ->
                Products.VECTOR.batched(false, false, 2, 2, 2, 1, a, new int[] {0}, 4, a, new int[] {0, 1}, 4, 0, c, new int[] {0}, 4));
    }

    /**
     * One block in place, all four transposes, β 0 and 1: EJML's block and the Vector API kernel's agree, and the kernel's
     * block is, bit for bit, the same block of its batched product (the attention computes a head either way). Blocks
     * of 5 × 3 over k = 7 inside wider matrices, so that every leading dimension exceeds the block.
     */
    @Test
    void oneBlockInPlaceAgreesAcrossBackendsAndWithTheBatchedProduct() {
        Random rnd = new Random(23);
        int m = 5, n = 3, k = 7;
        for (boolean transA : new boolean[] {false, true}) {
            for (boolean transB : new boolean[] {false, true}) {
                for (double beta : new double[] {0, 1}) {
                    DMatrixRMaj a = random(13, 11, rnd), b = random(12, 10, rnd), c0 = random(9, 8, rnd);
                    int aOff = 11 + 2, bOff = 10 + 1, cOff = 2 * 8 + 3;      // row 1 col 2 of A, row 1 col 1 of B, row 2 col 3 of C
                    DMatrixRMaj viaEjml = c0.copy(), viaVector = c0.copy(), viaBatched = c0.copy();
                    Products.REFERENCE.block(transA, transB, m, n, k, 0.5, a, aOff, 11, b, bOff, 10, beta, viaEjml, cOff, 8);
                    Products.VECTOR.block(transA, transB, m, n, k, 0.5, a, aOff, 11, b, bOff, 10, beta, viaVector, cOff, 8);
                    Products.VECTOR.batched(transA, transB, m, n, k, 0.5, a, new int[] {aOff}, 11, b, new int[] {bOff}, 10, beta,
                            viaBatched, new int[] {cOff}, 8);
                    String where = "transA " + transA + ", transB " + transB + ", beta " + beta;
                    assertArrayEquals(viaBatched.data, viaVector.data, where);
                    for (int i = 0; i < c0.getNumElements(); i++) {
                        int row = i / 8, col = i % 8;
                        boolean inside = row >= 2 && row < 2 + m && col >= 3 && col < 3 + n;
                        if (!inside) {
                            assertTrue(viaEjml.data[i] == c0.data[i] && viaVector.data[i] == c0.data[i], where + ": entry " + i + " outside C's block");
                        }
                        assertTrue(Math.abs(viaEjml.data[i] - viaVector.data[i]) < 1e-13, where + ": entry " + i);
                    }
                    // one entry by hand: row 4, column 2 of the block
                    double sum = 0;
                    for (int p = 0; p < k; p++) {
                        double ap = transA ? a.data[aOff + p * 11 + 4] : a.data[aOff + 4 * 11 + p];
                        double bp = transB ? b.data[bOff + 2 * 10 + p] : b.data[bOff + p * 10 + 2];
                        sum += ap * bp;
                    }
                    assertTrue(Math.abs(0.5 * sum + beta * c0.data[cOff + 4 * 8 + 2] - viaEjml.data[cOff + 4 * 8 + 2]) < 1e-13, where);
                }
            }
        }
    }

    @Test
    void oneBlockRefusesBlocksThatDoNotFitAndAliasing() {
        DMatrixRMaj a = new DMatrixRMaj(4, 4), c = new DMatrixRMaj(4, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                Products.VECTOR.block(false, false, 2, 2, 2, 1, a, 12, 4, a, 0, 4, 0, c, 0, 4));
        assertTrue(e.getMessage().contains("offset 12"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Products.VECTOR.block(false, false, 2, 2, 2, 1, a, 0, 4, a, 0, 4, 0, a, 0, 4));
        assertThrows(IllegalArgumentException.class, () -> Products.VECTOR.block(false, true, 2, 3, 2, 1, a, 0, 4, a, 12, 4, 0, c, 0, 4));
    }

    /** The attention runs its heads on the pool's threads only on backends that compute a block on the calling thread. */
    @Test
    void onlyTheBackendsWithoutThreadsOfTheirOwnComputeABlockOnTheCallingThread() {
        assertTrue(Products.VECTOR.blockOnCallingThread());
        assertTrue(Products.REFERENCE.blockOnCallingThread());
        assertFalse(OpenBlasBackend.INSTANCE.blockOnCallingThread());
    }

    private static DMatrixRMaj random(int rows, int cols, Random rnd) {
        DMatrixRMaj m = new DMatrixRMaj(rows, cols);
        for (int i = 0; i < m.getNumElements(); i++) {
            m.data[i] = rnd.nextGaussian();
        }
        return m;
    }
}
