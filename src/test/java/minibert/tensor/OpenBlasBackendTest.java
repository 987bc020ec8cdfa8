package minibert.tensor;

import org.ejml.data.DMatrixRMaj;
import org.ejml.data.FMatrixRMaj;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenBLAS backend against EJML, in both precisions, on the GEMM tests' shapes (odd sizes, empty matrices, every
 * transpose case, β = 0 over NaN) and on the attention's batched blocks read in place; and the library's thread
 * count set and read back.
 */
class OpenBlasBackendTest {

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> shapes() {
        return GemmTest.shapes();
    }

    @ParameterizedTest(name = "{0}×{1}×{2} transA={3} transB={4} seed {5}")
    @MethodSource("shapes")
    void doubleMatchesEjml(int m, int n, int k, boolean transA, boolean transB, long seed) {
        Random rnd = new Random(seed);
        DMatrixRMaj a = random(transA ? k : m, transA ? m : k, rnd), b = random(transB ? n : k, transB ? k : n, rnd);
        DMatrixRMaj c0 = random(m, n, rnd);
        for (double[] ab : new double[][] {{1, 0}, {0.75, 1}, {-1.5, 0.5}}) {
            DMatrixRMaj expected = c0.copy(), got = c0.copy();
            if (ab[1] == 0) {
                java.util.Arrays.fill(got.data, Double.NaN);        // β = 0: C is written, never read
            }
            Products.EJML.gemm(transA, transB, ab[0], a, b, ab[1], expected);
            OpenBlasBackend.INSTANCE.gemm(transA, transB, ab[0], a, b, ab[1], got);
            double scale = 1e-300;
            for (double v : expected.data) {
                scale = Math.max(scale, Math.abs(v));
            }
            for (int i = 0; i < m * n; i++) {
                assertTrue(Math.abs(got.data[i] - expected.data[i]) <= 1e-12 * scale, "seed " + seed + " α=" + ab[0]
                        + " β=" + ab[1] + " entry " + i + ": " + got.data[i] + " vs " + expected.data[i]);
            }
        }
    }

    /** The float twin against EJML's float products, within the bound of GemmFTest (a dot product's rounding). */
    @ParameterizedTest(name = "{0}×{1}×{2} transA={3} transB={4} seed {5}")
    @MethodSource("shapes")
    void floatMatchesEjml(int m, int n, int k, boolean transA, boolean transB, long seed) {
        Random rnd = new Random(seed);
        FMatrixRMaj a = randomF(transA ? k : m, transA ? m : k, rnd), b = randomF(transB ? n : k, transB ? k : n, rnd);
        FMatrixRMaj c0 = randomF(m, n, rnd);
        float alpha = 0.75f, beta = 0.5f;
        FMatrixRMaj expected = c0.copy(), got = c0.copy();
        ProductsF.EJML.gemm(transA, transB, alpha, a, b, beta, expected);
        OpenBlasBackendF.INSTANCE.gemm(transA, transB, alpha, a, b, beta, got);
        double eps = Math.ulp(1.0f);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double abs = 0;
                for (int p = 0; p < k; p++) {
                    float x = transA ? a.data[p * m + i] : a.data[i * k + p], y = transB ? b.data[j * k + p] : b.data[p * n + j];
                    abs += Math.abs((double) x * y);
                }
                // both sides round: twice the one-sided bound
                double bound = 8 * Math.max(k, 1) * eps * alpha * abs + 8 * eps * Math.abs(beta * c0.data[i * n + j]) + 1e-30;
                int e = i * n + j;
                assertTrue(Math.abs(got.data[e] - expected.data[e]) <= bound, "seed " + seed + " entry (" + i + ", " + j
                        + "): " + got.data[e] + " vs " + expected.data[e] + ", bound " + bound);
            }
        }
    }

    @Test
    void batchedHeadsInPlaceMatchEjml() {
        // B = 3 sequences of T = 7, A = 3 heads of d = 4 in H = 12, every transpose case the attention uses
        Random rnd = new Random(23);
        int b = 3, t = 7, heads = 3, d = 4, hidden = heads * d;
        DMatrixRMaj x = random(b * t, hidden, rnd), y = random(b * t, hidden, rnd), p = random(b * heads * t, t, rnd);
        int[] headAt = new int[b * heads], scoreAt = new int[b * heads];
        for (int s = 0; s < b; s++) {
            for (int h = 0; h < heads; h++) {
                headAt[s * heads + h] = s * t * hidden + h * d;
                scoreAt[s * heads + h] = (s * heads + h) * t * t;
            }
        }
        DMatrixRMaj s1 = new DMatrixRMaj(b * heads * t, t), s2 = new DMatrixRMaj(b * heads * t, t);
        Products.REFERENCE.batched(false, true, t, t, d, 0.5, x, headAt, hidden, y, headAt, hidden, 0, s1, scoreAt, t);
        Products.openBlas().batched(false, true, t, t, d, 0.5, x, headAt, hidden, y, headAt, hidden, 0, s2, scoreAt, t);
        assertClose(s1.data, s2.data);
        for (boolean transA : new boolean[] {false, true}) {
            DMatrixRMaj c1 = random(b * t, hidden, rnd), c2 = c1.copy();
            Products.REFERENCE.batched(transA, false, t, d, t, 1.5, p, scoreAt, t, x, headAt, hidden, 0.25, c1, headAt, hidden);
            Products.openBlas().batched(transA, false, t, d, t, 1.5, p, scoreAt, t, x, headAt, hidden, 0.25, c2, headAt, hidden);
            assertClose(c1.data, c2.data);
        }
    }

    @Test
    void threadsAreSetForTheProcessAndNamed() {
        int before = OpenBlas.threads();
        try {
            OpenBlas.threads(1);
            assertEquals(1, OpenBlas.threads());
            assertTrue(OpenBlasBackend.INSTANCE.name().matches("OpenBLAS \\d+\\.\\d+\\.\\d+ \\(.+ kernels, 1 threads\\)"),
                    OpenBlasBackend.INSTANCE.name());
        } finally {
            OpenBlas.threads(before);
        }
        assertEquals(Pool.threads(), before, "the library starts with the pool's thread count");
        assertTrue(Products.named("openblas").backend() instanceof OpenBlasBackend);
    }

    private static void assertClose(double[] expected, double[] got) {
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - got[i]) <= 1e-13 * Math.max(1, Math.abs(expected[i])), "entry " + i + ": "
                    + got[i] + " vs " + expected[i]);
        }
    }

    private static DMatrixRMaj random(int r, int c, Random rnd) {
        DMatrixRMaj m = new DMatrixRMaj(r, c);
        for (int i = 0; i < m.getNumElements(); i++) {
            m.data[i] = rnd.nextGaussian();
        }
        return m;
    }

    private static FMatrixRMaj randomF(int r, int c, Random rnd) {
        FMatrixRMaj m = new FMatrixRMaj(r, c);
        for (int i = 0; i < m.getNumElements(); i++) {
            m.data[i] = (float) rnd.nextGaussian();
        }
        return m;
    }
}
