package minibert.tensor;

import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The facade's batched entry: both backends agree, and a block that does not fit is refused with its numbers. */
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
}
