package minibert.explore;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.RandomMatrices_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.QRDecomposition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CKA, anisotropy and neighbours on odd sizes (13 tokens, widths 5 and 7), against independent computations. */
class RepresentationsTest {

    /** CKA in its kernel form, tr(K̃·L̃) / √(tr(K̃·K̃)·tr(L̃·L̃)) with K = X·Xᵀ, L = Y·Yᵀ and K̃ = H·K·H: no shared code. */
    static double kernelCka(DMatrixRMaj x, DMatrixRMaj y) {
        int n = x.numRows;
        DMatrixRMaj k = new DMatrixRMaj(n, n), l = new DMatrixRMaj(n, n), h = CommonOps_DDRM.identity(n);
        CommonOps_DDRM.multTransB(x, x, k);
        CommonOps_DDRM.multTransB(y, y, l);
        for (int i = 0; i < n * n; i++) {
            h.data[i] -= 1.0 / n;
        }
        DMatrixRMaj kc = centre(k, h), lc = centre(l, h);
        return trace(kc, lc) / Math.sqrt(trace(kc, kc) * trace(lc, lc));
    }

    private static DMatrixRMaj centre(DMatrixRMaj k, DMatrixRMaj h) {
        DMatrixRMaj t = new DMatrixRMaj(k.numRows, k.numRows), out = new DMatrixRMaj(k.numRows, k.numRows);
        CommonOps_DDRM.mult(h, k, t);
        CommonOps_DDRM.mult(t, h, out);
        return out;
    }

    private static double trace(DMatrixRMaj a, DMatrixRMaj b) {
        DMatrixRMaj ab = new DMatrixRMaj(a.numRows, a.numRows);
        CommonOps_DDRM.mult(a, b, ab);
        return CommonOps_DDRM.trace(ab);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 7, 19})
    void ckaAgreesWithItsKernelForm(long seed) {
        Random random = new Random(seed);
        DMatrixRMaj x = RandomMatrices_DDRM.rectangleGaussian(13, 5, 0, 1, random);
        DMatrixRMaj y = RandomMatrices_DDRM.rectangleGaussian(13, 7, 0.3, 2, random);
        double cka = Representations.linearCka(x, y);
        assertEquals(kernelCka(x, y), cka, 1e-12, "seed " + seed);
        assertEquals(cka, Representations.linearCka(y, x), 1e-12, "symmetric, seed " + seed);
        assertTrue(cka >= 0 && cka <= 1, "seed " + seed + ": " + cka);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {2, 11})
    void ckaIgnoresRotationScaleAndShift(long seed) {
        Random random = new Random(seed);
        DMatrixRMaj x = RandomMatrices_DDRM.rectangleGaussian(13, 7, 0, 1, random);
        QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(7, 7);
        qr.decompose(RandomMatrices_DDRM.rectangleGaussian(7, 7, 0, 1, random));
        DMatrixRMaj q = qr.getQ(null, false);                // an orthogonal 7 × 7
        DMatrixRMaj y = new DMatrixRMaj(13, 7);
        CommonOps_DDRM.mult(3.5, x, q, y);
        for (int r = 0; r < 13; r++) {
            for (int c = 0; c < 7; c++) {
                y.add(r, c, 0.25 * c - 1);                   // the same shift on every row
            }
        }
        assertEquals(1, Representations.linearCka(x, y), 1e-12, "seed " + seed);
        assertEquals(1, Representations.linearCka(x, x), 1e-12);
    }

    @Test
    void ckaNeedsTheSameTokens() {
        assertThrows(IllegalArgumentException.class, () -> Representations.linearCka(new DMatrixRMaj(13, 5), new DMatrixRMaj(11, 5)));
    }

    @Test
    void anisotropyOfOneDirectionIsOneAndOfOrthogonalRowsZero() {
        DMatrixRMaj same = new DMatrixRMaj(9, 5);
        DMatrixRMaj orthogonal = new DMatrixRMaj(5, 5);
        for (int r = 0; r < 9; r++) {
            for (int c = 0; c < 5; c++) {
                same.set(r, c, (r + 1) * (c - 1.5));           // positive multiples of one vector
            }
        }
        for (int r = 0; r < 5; r++) {
            orthogonal.set(r, r, r + 2);
        }
        assertEquals(1, Representations.anisotropy(same, 101, 3), 1e-12);
        assertEquals(0, Representations.anisotropy(orthogonal, 101, 3), 0);
    }

    @Test
    void anisotropyIsTheMeanOverDistinctPairs() {
        // rows ±v: a pair of distinct rows has cosine +1 or −1; over many pairs from 3 (+v) and 4 (−v) rows the mean
        // tends to (pairs alike − pairs unlike) / pairs = (3·2 + 4·3 − 2·3·4) / (7·6) = −1/7
        DMatrixRMaj x = new DMatrixRMaj(7, 3);
        for (int r = 0; r < 7; r++) {
            double s = r < 3 ? 1 : -1;
            x.set(r, 0, s);
            x.set(r, 1, 2 * s);
            x.set(r, 2, -s);
        }
        assertEquals(-1 / 7.0, Representations.anisotropy(x, 200_001, 17), 0.01);
        assertThrows(IllegalArgumentException.class, () -> Representations.anisotropy(new DMatrixRMaj(1, 3), 5, 1));
    }

    @Test
    void nearestNeighboursByCosine() {
        DMatrixRMaj x = new DMatrixRMaj(new double[][] {{1, 0, 0}, {2, 0.1, 0}, {0, 1, 0}, {-1, 0, 0}, {1, 1, 0}});
        List<Representations.Neighbour> n = Representations.nearest(x, 0, 3, r -> true);
        assertEquals(List.of(1, 4, 2), n.stream().map(Representations.Neighbour::row).toList());
        assertEquals(Math.sqrt(0.5), n.get(1).similarity(), 1e-12);
        assertEquals(List.of(4, 2), Representations.nearest(x, 0, 2, r -> r != 1).stream().map(Representations.Neighbour::row).toList());
    }
}
