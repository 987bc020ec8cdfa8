package minibert.explore;

import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** PCA on 11 rows of width 5: the planted directions are found, components are orthonormal eigenvectors. */
class PcaTest {

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {4, 9, 23})
    void findsThePlantedDirections(long seed) {
        Random random = new Random(seed);
        double[] u = {0.6, 0.0, 0.8, 0.0, 0.0}, w = {0.0, 0.6, 0.0, -0.8, 0.0};   // orthonormal
        DMatrixRMaj x = new DMatrixRMaj(11, 5);
        for (int r = 0; r < 11; r++) {
            // uncorrelated over the 11 rows (a full period of cos and sin), so the sample's axes are u and w exactly
            double a = 10 * Math.cos(2 * Math.PI * r / 11), b = 3 * Math.sin(2 * Math.PI * r / 11);
            for (int c = 0; c < 5; c++) {
                x.set(r, c, 7 + a * u[c] + b * w[c] + 0.01 * random.nextGaussian());
            }
        }
        Pca pca = Pca.fit(x, 2);
        assertEquals(1, Math.abs(dot(row(pca.components(), 0), u)), 1e-3, "seed " + seed);
        assertEquals(1, Math.abs(dot(row(pca.components(), 1), w)), 1e-3, "seed " + seed);
        assertEquals(0, dot(row(pca.components(), 0), row(pca.components(), 1)), 1e-12);
        assertTrue(pca.variances()[0] >= pca.variances()[1]);
        assertTrue(pca.explained(0) + pca.explained(1) > 0.999, "two directions hold nearly all the variance, seed " + seed);
        DMatrixRMaj projected = pca.project(x);
        double mean0 = 0, var0 = 0;
        for (int r = 0; r < 11; r++) {
            mean0 += projected.get(r, 0) / 11;
        }
        for (int r = 0; r < 11; r++) {
            var0 += Math.pow(projected.get(r, 0) - mean0, 2) / 10;
        }
        assertEquals(0, mean0, 1e-9, "projections are centred");
        assertEquals(pca.variances()[0], var0, 1e-9 * var0, "the variance along a component is its eigenvalue");
    }

    @Test
    void signsAreFixedAndTheCovarianceEquationHolds() {
        Random random = new Random(31);
        DMatrixRMaj x = org.ejml.dense.row.RandomMatrices_DDRM.rectangleGaussian(13, 7, 0, 1, random);
        Pca pca = Pca.fit(x, 3);
        DMatrixRMaj c = Representations.centred(x);
        DMatrixRMaj cov = new DMatrixRMaj(7, 7);
        org.ejml.dense.row.CommonOps_DDRM.multTransA(c, c, cov);
        org.ejml.dense.row.CommonOps_DDRM.scale(1 / 12.0, cov);
        for (int k = 0; k < 3; k++) {
            double[] v = row(pca.components(), k);
            int largest = 0;
            for (int j = 0; j < 7; j++) {
                largest = Math.abs(v[j]) > Math.abs(v[largest]) ? j : largest;
                double cv = 0;
                for (int i = 0; i < 7; i++) {
                    cv += cov.get(j, i) * v[i];
                }
                assertEquals(pca.variances()[k] * v[j], cv, 1e-10, "C·w = λ·w, component " + k);
            }
            assertTrue(v[largest] > 0, "the largest entry is positive");
        }
        assertEquals(org.ejml.dense.row.CommonOps_DDRM.trace(cov), pca.total(), 1e-10);
        assertThrows(IllegalArgumentException.class, () -> Pca.fit(x, 8));
        assertThrows(IllegalArgumentException.class, () -> Pca.fit(new DMatrixRMaj(1, 7), 1));
    }

    private static double[] row(DMatrixRMaj m, int r) {
        double[] out = new double[m.numCols];
        System.arraycopy(m.data, r * m.numCols, out, 0, m.numCols);
        return out;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
