package minibert.tensor;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every micro-kernel tile of {@link Gemm.Tile}, not only the one the products use, against EJML's
 * {@code CommonOps_DDRM}, and its float twin against a double reference: a tile the measurement may recommend
 * must already be right. Row counts that no tile divides (7, 13, 97, 307) leave partial panels at every edge.
 */
class GemmTileTest {

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        int[][] mnk = {{1, 1, 1}, {7, 13, 3}, {13, 9, 300}, {6, 24, 5}, {12, 17, 256}, {97, 31, 257}, {64, 64, 48}, {307, 40, 19}};
        long seed = 100;
        for (Gemm.Tile tile : Gemm.Tile.values()) {
            for (int[] s : mnk) {
                for (int t = 0; t < 4; t++) {
                    out.add(Arguments.of(tile, s[0], s[1], s[2], (t & 1) == 1, (t & 2) == 2, seed++));
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

    /** C = α·op(A)·op(B) + β·C by EJML. */
    private static void ejml(boolean ta, boolean tb, double alpha, DMatrixRMaj a, DMatrixRMaj b, double beta, DMatrixRMaj c) {
        DMatrixRMaj ab = new DMatrixRMaj(c.numRows, c.numCols);
        if (ta && tb) {
            CommonOps_DDRM.multTransAB(alpha, a, b, ab);
        } else if (ta) {
            CommonOps_DDRM.multTransA(alpha, a, b, ab);
        } else if (tb) {
            CommonOps_DDRM.multTransB(alpha, a, b, ab);
        } else {
            CommonOps_DDRM.mult(alpha, a, b, ab);
        }
        for (int i = 0; i < c.data.length; i++) {
            c.data[i] = ab.data[i] + beta * c.data[i];
        }
    }

    @ParameterizedTest(name = "{0} {1}×{2}×{3} transA={4} transB={5} seed {6}")
    @MethodSource("cases")
    void everyTileMatchesEjml(Gemm.Tile tile, int m, int n, int k, boolean ta, boolean tb, long seed) {
        Random rnd = new Random(seed);
        DMatrixRMaj a = ta ? random(k, m, rnd) : random(m, k, rnd), b = tb ? random(n, k, rnd) : random(k, n, rnd);
        DMatrixRMaj c0 = random(m, n, rnd);
        for (double[] ab : new double[][] {{1, 0}, {-1.5, 0.5}}) {
            DMatrixRMaj expected = c0.copy(), got = c0.copy();
            ejml(ta, tb, ab[0], a, b, ab[1], expected);
            Gemm.gemm(tile, ta, tb, m, n, k, ab[0], a.data, a.numCols, b.data, b.numCols, ab[1], got.data, n);
            double scale = 1e-300, err = 0;
            for (int i = 0; i < m * n; i++) {
                scale = Math.max(scale, Math.abs(expected.data[i]));
                err = Math.max(err, Math.abs(got.data[i] - expected.data[i]));
            }
            assertTrue(err / scale <= 1e-12, tile + " seed " + seed + " α=" + ab[0] + " β=" + ab[1] + ": relative error " + err / scale);
        }
    }

    @ParameterizedTest(name = "{0} {1}×{2}×{3} transA={4} transB={5} seed {6}")
    @MethodSource("cases")
    void everyFloatTileIsWithinFloatRoundingOfDouble(Gemm.Tile tile, int m, int n, int k, boolean ta, boolean tb, long seed) {
        Random rnd = new Random(seed);
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < c.length; i++) c[i] = (float) rnd.nextGaussian();
        int lda = ta ? m : k, ldb = tb ? k : n;
        float[] got = c.clone();
        GemmF.gemm(GemmF.Tile.valueOf(tile.name()), ta, tb, m, n, k, 0.75f, a, lda, b, ldb, 0.5f, got, n);
        double eps = Math.ulp(1.0f);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double exact = 0, abs = 0;
                for (int p = 0; p < k; p++) {
                    double x = ta ? a[p * lda + i] : a[i * lda + p], y = tb ? b[j * ldb + p] : b[p * ldb + j];
                    exact += x * y;
                    abs += Math.abs(x * y);
                }
                exact = 0.75 * exact + 0.5 * c[i * n + j];
                double bound = 4 * Math.max(k, 1) * eps * 0.75 * abs + 4 * eps * Math.abs(0.5 * c[i * n + j]) + 1e-30;
                assertTrue(Math.abs(got[i * n + j] - exact) <= bound, tile + " seed " + seed + " entry (" + i + ", " + j + ")");
            }
        }
    }

    @Test
    void theProductsUseTheKernelsTileExactly() {
        Random rnd = new Random(7);
        int m = 37, n = 29, k = 300;
        double[] a = random(m, k, rnd).data, b = random(n, k, rnd).data;
        double[] viaTile = new double[m * n], plain = new double[m * n];
        Gemm.gemm(Gemm.TILE, false, true, m, n, k, 1, a, k, b, k, 0, viaTile, n);
        Gemm.gemm(false, true, m, n, k, 1, a, k, b, k, 0, plain, n);
        assertArrayEquals(viaTile, plain, "the same tile, the same sums in the same order");
        assertTrue(Gemm.MR == Gemm.TILE.rows && Gemm.MC % Gemm.Tile.ROWS_4.rows == 0 && Gemm.MC % Gemm.Tile.ROWS_6.rows == 0);
    }

    /** Every tile through the threads' three splits (rows, columns, depth), every transpose: as EJML, and as one thread. */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.EnumSource(Gemm.Tile.class)
    void everyTileSplitsAcrossThreadsAsOneThreadComputes(Gemm.Tile tile) {
        Random rnd = new Random(31 + tile.ordinal());
        int[][] shapes = {{Gemm.MC * 2 + 5, 41, Gemm.KC + 3}, {Gemm.MC + 7, Gemm.MC * 5 + 3, Gemm.KC + 9}, {13, 11, 4000}};
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) == 1, tb = (t & 2) == 2;
                DMatrixRMaj a = ta ? random(k, m, rnd) : random(m, k, rnd), b = tb ? random(n, k, rnd) : random(k, n, rnd);
                DMatrixRMaj expected = random(m, n, rnd), got = expected.copy(), single = expected.copy();
                ejml(ta, tb, 0.75, a, b, -0.5, expected);
                Gemm.parallel(tile, ta, tb, m, n, k, 0.75, a.data, a.numCols, b.data, b.numCols, -0.5, got.data, n);
                Gemm.gemm(tile, ta, tb, m, n, k, 0.75, a.data, a.numCols, b.data, b.numCols, -0.5, single.data, n);
                double scale = 1e-300, err = 0;
                for (int i = 0; i < m * n; i++) {
                    scale = Math.max(scale, Math.abs(expected.data[i]));
                    err = Math.max(err, Math.abs(got.data[i] - expected.data[i]));
                }
                String where = tile + " " + m + "×" + n + "×" + k + " transA=" + ta + " transB=" + tb;
                assertTrue(err / scale <= 1e-12, where + ": relative error " + err / scale);
                if (k < 4 * Math.max(m, n)) {                          // rows or columns split: the same sums in the same order
                    assertArrayEquals(single.data, got.data, where);
                }
            }
        }
    }

    @Test
    void theTileFollowsTheVectorWidth() {
        assertEquals(Gemm.Tile.ROWS_4, Gemm.tileFor(256), "AVX2: sixteen registers");
        assertEquals(Gemm.Tile.ROWS_6, Gemm.tileFor(512), "AVX-512: thirty-two registers");
        assertEquals(Gemm.tileFor(Gemm.S.vectorBitSize()), Gemm.TILE);
        assertTrue(Gemm.Tile.ROWS_6.registers() <= 16, "both tiles fit AVX2's sixteen registers");
    }
}
