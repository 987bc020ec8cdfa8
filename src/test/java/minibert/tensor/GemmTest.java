package minibert.tensor;

import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The Vector API GEMM against EJML's CommonOps on odd shapes, tails, empty matrices and the model's shapes. */
class GemmTest {

    static Stream<Arguments> shapes() {
        List<Arguments> out = new ArrayList<>();
        int[][] mnk = {{1, 1, 1}, {0, 5, 3}, {5, 0, 3}, {5, 3, 0}, {7, 13, 3}, {17, 5, 33}, {3, 25, 7}, {4, 24, 256},
                {5, 49, 257}, {97, 31, 300}, {13, 129, 17}, {64, 64, 48}, {130, 192, 192}, {307, 40, 192}};
        long seed = 1;
        for (int[] s : mnk) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    out.add(Arguments.of(s[0], s[1], s[2], ta, tb, seed++));
                }
            }
        }
        return out.stream();
    }

    private static DMatrixRMaj random(int r, int c, Random rnd) {
        DMatrixRMaj m = new DMatrixRMaj(r, c);
        for (int i = 0; i < m.getNumElements(); i++) {
            m.data[i] = rnd.nextGaussian();
        }
        return m;
    }

    @ParameterizedTest(name = "{0}×{1}×{2} transA={3} transB={4} seed {5}")
    @MethodSource("shapes")
    void matchesEjml(int m, int n, int k, boolean transA, boolean transB, long seed) {
        Random rnd = new Random(seed);
        DMatrixRMaj a = transA ? random(k, m, rnd) : random(m, k, rnd);
        DMatrixRMaj b = transB ? random(n, k, rnd) : random(k, n, rnd);
        DMatrixRMaj c0 = random(m, n, rnd);
        for (double[] ab : new double[][] {{1, 0}, {0.75, 1}, {-1.5, 0.5}}) {
            DMatrixRMaj expected = c0.copy(), single = c0.copy(), multi = c0.copy();
            Products.EJML.gemm(transA, transB, ab[0], a, b, ab[1], expected);
            Gemm.gemm(transA, transB, m, n, k, ab[0], a.data, a.numCols, b.data, b.numCols, ab[1], single.data, n);
            VectorBackend.INSTANCE.gemm(transA, transB, ab[0], a, b, ab[1], multi);
            double scale = 1e-300;
            for (double v : expected.data) {
                scale = Math.max(scale, Math.abs(v));
            }
            for (int i = 0; i < m * n; i++) {
                double e1 = Math.abs(single.data[i] - expected.data[i]) / scale;
                double e2 = Math.abs(multi.data[i] - expected.data[i]) / scale;
                assertTrue(e1 <= 1e-12 && e2 <= 1e-12, "seed " + seed + " α=" + ab[0] + " β=" + ab[1] + " entry " + i
                        + ": " + single.data[i] + " / " + multi.data[i] + " vs " + expected.data[i]);
            }
        }
    }

    /** Largest |x − y| over the entries, relative to the largest |y|. */
    private static double relativeError(double[] x, double[] y) {
        double scale = 1e-300, err = 0;
        for (double v : y) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < y.length; i++) {
            err = Math.max(err, Math.abs(x[i] - y[i]));
        }
        return err / scale;
    }

    @Test
    void subMatricesAreAddressedInPlaceByOffsetAndLeadingDimension() {
        // heads of width 5 inside rows of width 17, as the attention reads them: Q_h·K_hᵀ for head 2 of sequence 1
        Random rnd = new Random(11);
        int t = 7, width = 17, d = 5, head = 2, seq = 1;
        DMatrixRMaj q = random(3 * t, width, rnd), k = random(3 * t, width, rnd);
        int off = seq * t * width + head * d;
        DMatrixRMaj qh = new DMatrixRMaj(t, d), kh = new DMatrixRMaj(t, d), expected = new DMatrixRMaj(t, t);
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < d; j++) {
                qh.set(i, j, q.data[off + i * width + j]);
                kh.set(i, j, k.data[off + i * width + j]);
            }
        }
        Products.EJML.gemm(false, true, 1, qh, kh, 0, expected);
        double[] c = new double[3 + t * 9];                              // C at offset 3 with leading dimension 9
        java.util.Arrays.fill(c, 42);
        Gemm.gemm(false, true, t, t, d, 1, q.data, off, width, k.data, off, width, 0, c, 3, 9);
        double[] got = new double[t * t];
        for (int i = 0; i < t; i++) {
            System.arraycopy(c, 3 + i * 9, got, i * t, t);
            for (int j = t; j < 9 && 3 + i * 9 + j < c.length; j++) {
                assertEquals(42, c[3 + i * 9 + j], "entry outside C was written");
            }
        }
        assertEquals(42, c[0]);
        assertTrue(relativeError(got, expected.data) <= 1e-12, "error " + relativeError(got, expected.data));
    }

    @Test
    void batchedMatchesOneProductAtATime() {
        Random rnd = new Random(12);
        int count = 11, m = 7, n = 13, k = 5;
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                double[] a = new double[count * m * k], b = new double[count * k * n], c = new double[count * m * n];
                for (int i = 0; i < a.length; i++) a[i] = rnd.nextGaussian();
                for (int i = 0; i < b.length; i++) b[i] = rnd.nextGaussian();
                for (int i = 0; i < c.length; i++) c[i] = rnd.nextGaussian();
                int[] ao = new int[count], bo = new int[count], co = new int[count];
                for (int i = 0; i < count; i++) {
                    ao[i] = i * m * k;
                    bo[i] = i * k * n;
                    co[i] = (count - 1 - i) * m * n;                     // any order of outputs
                }
                double[] expected = c.clone(), got = c.clone();
                int lda = ta ? m : k, ldb = tb ? k : n;
                for (int i = 0; i < count; i++) {
                    double[] ci = java.util.Arrays.copyOfRange(expected, co[i], co[i] + m * n);
                    Gemm.reference(ta, tb, m, n, k, 0.5, java.util.Arrays.copyOfRange(a, ao[i], ao[i] + m * k), lda,
                            java.util.Arrays.copyOfRange(b, bo[i], bo[i] + k * n), ldb, -2, ci, n);
                    System.arraycopy(ci, 0, expected, co[i], m * n);
                }
                Gemm.batched(ta, tb, m, n, k, 0.5, a, ao, lda, b, bo, ldb, -2, got, co, n);
                assertTrue(relativeError(got, expected) <= 1e-12, "transA=" + ta + " transB=" + tb);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Gemm.batched(false, false, 1, 1, 1, 1, new double[1], new int[2],
                1, new double[1], new int[1], 1, 0, new double[1], new int[2], 1));
    }

    @Test
    void betaZeroDoesNotReadC() {
        Random rnd = new Random(13);
        int m = 9, n = 11, k = 6;
        DMatrixRMaj a = random(m, k, rnd), b = random(k, n, rnd);
        double[] c = new double[m * n];
        java.util.Arrays.fill(c, Double.NaN);
        Gemm.gemm(false, false, m, n, k, 1, a.data, k, b.data, n, 0, c, n);
        double[] empty = c.clone();
        java.util.Arrays.fill(empty, Double.NaN);
        Gemm.gemm(false, false, m, n, 0, 1, a.data, k, b.data, n, 0, empty, n);   // k = 0: C = 0, not NaN
        for (int i = 0; i < m * n; i++) {
            assertTrue(Double.isFinite(c[i]), "entry " + i + " is " + c[i]);
            assertEquals(0, empty[i]);
        }
    }

    @Test
    void wideProductsSplitByColumnsAndBlockAlongN() {
        // n > m: the pool splits columns; n > NC: the packed B is blocked along n
        Random rnd = new Random(14);
        int m = 13, n = Gemm.NC + 2 * Gemm.NR + 3, k = 37;
        DMatrixRMaj a = random(m, k, rnd), b = random(n, k, rnd), expected = random(m, n, rnd);
        DMatrixRMaj got = expected.copy(), single = expected.copy();
        Products.EJML.gemm(false, true, 1.25, a, b, 0.5, expected);
        Gemm.parallel(false, true, m, n, k, 1.25, a.data, k, b.data, k, 0.5, got.data, n);
        Gemm.gemm(false, true, m, n, k, 1.25, a.data, k, b.data, k, 0.5, single.data, n);
        assertTrue(relativeError(got.data, expected.data) <= 1e-12);
        assertArrayEquals(single.data, got.data, "threads change the order of no sum");
    }

    @Test
    void longSumsIntoSmallOutputsSplitTheDepth() {
        // k ≥ 4·max(m, n): the pool splits k and adds the partial products; every transpose case
        Random rnd = new Random(15);
        int m = 13, n = 11, k = 8000;
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                DMatrixRMaj a = ta ? random(k, m, rnd) : random(m, k, rnd), b = tb ? random(n, k, rnd) : random(k, n, rnd);
                DMatrixRMaj expected = random(m, n, rnd), got = expected.copy();
                Products.EJML.gemm(ta, tb, 0.75, a, b, -0.5, expected);
                Gemm.parallel(ta, tb, m, n, k, 0.75, a.data, a.numCols, b.data, b.numCols, -0.5, got.data, n);
                assertTrue(relativeError(got.data, expected.data) <= 1e-12, "transA=" + ta + " transB=" + tb);
            }
        }
    }

    @Test
    void splitProductsShareTheWholeOperandAcrossBlocksOfK() {
        // rows split (m ≥ n) and columns split (n > m), each with several blocks along k (k > KC), m > MC, edges
        // in every direction, every transpose: the pieces share the operand packed once, for all of k at once
        Random rnd = new Random(16);
        int[][] shapes = {{Gemm.MC * 3 + 5, 37, Gemm.KC * 2 + 7}, {Gemm.MC + 7, Gemm.MC * 6 + 3, Gemm.KC + 9}};
        for (int[] shape : shapes) {
            int m = shape[0], n = shape[1], k = shape[2];
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    DMatrixRMaj a = ta ? random(k, m, rnd) : random(m, k, rnd), b = tb ? random(n, k, rnd) : random(k, n, rnd);
                    DMatrixRMaj expected = random(m, n, rnd), got = expected.copy(), single = expected.copy();
                    Products.EJML.gemm(ta, tb, 0.75, a, b, -0.5, expected);
                    Gemm.parallel(ta, tb, m, n, k, 0.75, a.data, a.numCols, b.data, b.numCols, -0.5, got.data, n);
                    Gemm.gemm(ta, tb, m, n, k, 0.75, a.data, a.numCols, b.data, b.numCols, -0.5, single.data, n);
                    String where = m + "×" + n + "×" + k + " transA=" + ta + " transB=" + tb;
                    assertTrue(relativeError(got.data, expected.data) <= 1e-12, where);
                    assertArrayEquals(single.data, got.data, "threads change the order of no sum: " + where);
                }
            }
        }
    }

    @Test
    void rowSplitsWithAnOperandTooLargeToPackWholeMeetAfterEachBlockOfK() {
        // op(B) with more than WHOLE_B numbers over all of k: packed one block of k at a time, the pieces meeting after
        // each; the same sums as one thread, bit for bit, in every transpose
        Random rnd = new Random(17);
        int n = 1024 + 3, k = Gemm.WHOLE_B / 1024 + 7, m = n + 5;          // m ≥ n (rows split), k < 4·m (not byDepth)
        assertTrue((long) ((n + Gemm.NR - 1) / Gemm.NR) * Gemm.NR * k > Gemm.WHOLE_B && n <= Gemm.NC);
        assertEveryTransposeAsOneThread(m, n, k, rnd);
    }

    @Test
    void columnSplitsWithAnOperandTooLargeToPackWholeMeetAfterEachBlockOfK() {
        // n > m (columns split) with op(A) of more than WHOLE_B numbers over all of k: packed one block of k at a time,
        // the pieces meeting after each (below that, op(A) is packed for all of k at once: the test above); the same
        // sums as one thread, bit for bit, in every transpose
        Random rnd = new Random(18);
        int m = 1024 + 3, k = Gemm.WHOLE_B / 1024 + 7, n = m + 5;          // n > m (columns split), k < 4·n (not byDepth)
        assertTrue((long) ((m + Gemm.MR - 1) / Gemm.MR) * Gemm.MR * k > Gemm.WHOLE_B);
        assertEveryTransposeAsOneThread(m, n, k, rnd);
    }

    /**
     * {@link Gemm#parallel} against one thread ({@link Gemm#gemm}) on C = 0.75·op(A)·op(B) − 0.5·C in every transpose,
     * bit for bit (the split changes the order of no sum), and against EJML once, for the model's ABᵀ.
     */
    private static void assertEveryTransposeAsOneThread(int m, int n, int k, Random rnd) {
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                DMatrixRMaj a = ta ? random(k, m, rnd) : random(m, k, rnd), b = tb ? random(n, k, rnd) : random(k, n, rnd);
                DMatrixRMaj c0 = random(m, n, rnd), got = c0.copy(), single = c0.copy();
                Gemm.parallel(ta, tb, m, n, k, 0.75, a.data, a.numCols, b.data, b.numCols, -0.5, got.data, n);
                Gemm.gemm(ta, tb, m, n, k, 0.75, a.data, a.numCols, b.data, b.numCols, -0.5, single.data, n);
                String where = m + "×" + n + "×" + k + " transA=" + ta + " transB=" + tb;
                assertArrayEquals(single.data, got.data, "threads change the order of no sum: " + where);
                if (!ta && tb) {                                               // and against EJML once (the ABᵀ of the model)
                    DMatrixRMaj expected = c0.copy();
                    Products.EJML.gemm(ta, tb, 0.75, a, b, -0.5, expected);
                    assertTrue(relativeError(got.data, expected.data) <= 1e-12, where);
                }
            }
        }
    }

    @Test
    void alphaZeroOnlyScalesC() {
        // α = 0: C = β·C on every path (one thread, split by rows, by columns, along k), A and B not read (NaN there stays out)
        Random rnd = new Random(17);
        int[][] shapes = {{300, 200, 40}, {40, 900, 60}, {13, 11, 12000}, {7, 5, 3}};
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            double[] a = new double[m * k], b = new double[k * n];
            java.util.Arrays.fill(a, Double.NaN);
            java.util.Arrays.fill(b, Double.NaN);
            DMatrixRMaj c = random(m, n, rnd), single = c.copy(), split = c.copy();
            Gemm.gemm(false, false, m, n, k, 0, a, k, b, n, 0.5, single.data, n);
            Gemm.parallel(false, false, m, n, k, 0, a, k, b, n, 0.5, split.data, n);
            for (int i = 0; i < m * n; i++) {
                assertEquals(0.5 * c.data[i], single.data[i], 0, "one thread, entry " + i);
                assertEquals(0.5 * c.data[i], split.data[i], 0, m + "×" + n + "×" + k + " split, entry " + i);
            }
        }
    }
}
