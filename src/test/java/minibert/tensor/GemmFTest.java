package minibert.tensor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The float kernel against a double-precision reference. Bound: each entry within
 * 4·k·ε_float·Σ_p |a_ip||b_pj| + 4·ε_float·|β c_ij| (the classical error bound of a dot product, with room).
 */
class GemmFTest {

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> shapes() {
        return GemmTest.shapes();
    }

    @ParameterizedTest(name = "{0}×{1}×{2} transA={3} transB={4} seed {5}")
    @MethodSource("shapes")
    void matchesADoubleReferenceWithinFloatRounding(int m, int n, int k, boolean transA, boolean transB, long seed) {
        Random rnd = new Random(seed);
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < c.length; i++) c[i] = (float) rnd.nextGaussian();
        int lda = transA ? m : k, ldb = transB ? k : n;
        float alpha = 0.75f, beta = 0.5f;
        float[] got = c.clone();
        GemmF.parallel(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, got, n);
        double eps = Math.ulp(1.0f);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double exact = 0, abs = 0;
                for (int p = 0; p < k; p++) {
                    double x = transA ? a[p * lda + i] : a[i * lda + p], y = transB ? b[j * ldb + p] : b[p * ldb + j];
                    exact += x * y;
                    abs += Math.abs(x * y);
                }
                exact = alpha * exact + beta * c[i * n + j];
                double bound = 4 * Math.max(k, 1) * eps * alpha * abs + 4 * eps * Math.abs(beta * c[i * n + j]) + 1e-30;
                assertTrue(Math.abs(got[i * n + j] - exact) <= bound, "seed " + seed + " entry (" + i + ", " + j + "): "
                        + got[i * n + j] + " vs " + exact + ", bound " + bound);
            }
        }
    }
}
