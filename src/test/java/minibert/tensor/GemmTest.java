package minibert.tensor;

import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

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
}
