package minibert.tensor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The generated float kernels ({@code KernelsF}, the twin of {@link Kernels}), vector and scalar, against the
 * double kernels run on the same (float-representable) inputs. Errors are relative to max(|expected|, 1), as in
 * {@link KernelsTest}; the tolerance is 64 units of float's roundoff u = 2⁻²⁴ (about 4·10⁻⁶): the kernels are a few
 * dozen operations deep, with sums over a row of at most 192 entries.
 */
class KernelsFTest {

    static final double TOLERANCE = 64 * 0x1p-24;

    private static float[] random(int n, double scale, Random r) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (scale * r.nextGaussian());
        }
        return a;
    }

    private static double[] wide(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    private static void close(double[] expected, float[] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            double e = Math.abs(expected[i] - actual[i]) / Math.max(Math.abs(expected[i]), 1.0);
            assertTrue(e <= TOLERANCE, what + " entry " + i + ": " + actual[i] + " vs " + expected[i] + " (error " + e + ")");
        }
    }

    @ParameterizedTest(name = "{0} × {1}, seed {2}")
    @CsvSource({"1, 1, 1", "3, 7, 2", "7, 12, 3", "5, 17, 4", "2, 192, 5", "13, 29, 6"})
    void everyFloatKernelMatchesTheDoubleKernel(int rows, int width, long seed) {
        Random r = new Random(seed);
        int n = rows * width;
        for (boolean tanh : new boolean[] {false, true}) {
            float[] x = random(n, 3, r), dy = random(n, 1, r);
            if (n > 2) {
                x[1] = 5.5f;      // the continued-fraction branch of erf
                x[2] = -4.0f;
            }
            double[] ey = new double[n], edx = new double[n];
            double[] gate = new double[n];
            Kernels.gelu(wide(x), ey, gate, n, tanh);
            Kernels.geluBackward(wide(x), gate, wide(dy), edx, n, tanh);
            float[] y = new float[n], dx = new float[n], ys = new float[n], dxs = new float[n];
            float[] gateF = new float[n];
            KernelsF.gelu(x, y, gateF, n, tanh);
            KernelsF.geluBackward(x, gateF, dy, dx, n, tanh);
            for (int i = 0; i < n; i++) {
                ys[i] = KernelsF.geluScalar(x[i], tanh);
                dxs[i] = dy[i] * KernelsF.geluDerivativeScalar(x[i], tanh);
            }
            String at = " tanh=" + tanh + " seed " + seed;
            close(ey, y, "gelu" + at);
            close(ey, ys, "gelu scalar" + at);
            close(edx, dx, "gelu'" + at);
            close(edx, dxs, "gelu' scalar" + at);
        }

        float[] s = random(n, 50, r), s2 = s.clone();
        double[] es = wide(s);
        Kernels.softmaxRowsScalar(es, rows, width);
        KernelsF.softmaxRows(s, rows, width);
        KernelsF.softmaxRowsScalar(s2, rows, width);
        close(es, s, "softmax seed " + seed);
        close(es, s2, "softmax scalar seed " + seed);
        float[] dp = random(n, 1, r), ds = new float[n];
        double[] eds = new double[n];
        Kernels.softmaxRowsBackwardScalar(wide(s), wide(dp), eds, rows, width);
        KernelsF.softmaxRowsBackward(s, dp, ds, rows, width);
        close(eds, ds, "softmax backward seed " + seed);

        float[] x = random(n, 2, r), gamma = random(width, 1, r), beta = random(width, 1, r), g = random(n, 1, r);
        float[] y = new float[n], xh = new float[n], rs = new float[rows];
        double[] ey = new double[n], exh = new double[n], ers = new double[rows];
        Kernels.layerNormScalar(wide(x), wide(gamma), wide(beta), 1e-12, ey, exh, ers, rows, width);
        KernelsF.layerNorm(x, gamma, beta, 1e-12f, y, xh, rs, rows, width);
        close(ey, y, "layer norm seed " + seed);
        double[] edx = new double[n], edg = new double[width], edb = new double[width];
        Kernels.layerNormBackwardScalar(wide(g), exh, ers, wide(gamma), edx, edg, edb, rows, width);
        float[] dx = new float[n], dg = new float[width], db = new float[width];
        KernelsF.layerNormBackward(g, xh, rs, gamma, dx, dg, db, rows, width);
        close(edx, dx, "layer norm backward seed " + seed);
        close(edg, dg, "dγ seed " + seed);
        close(edb, db, "dβ seed " + seed);

        float[] th = random(n, 1, r), gr = random(n, 1, r), m = new float[n], v = new float[n];
        double[] eth = wide(th), em = new double[n], ev = new double[n];
        for (int t = 1; t <= 3; t++) {
            Kernels.adamWScalar(eth, wide(gr), 1, em, ev, n, 1e-3, 0.9, 0.999, 1e-6, 0.01, t);
            KernelsF.adamW(th, gr, 1, m, v, n, 1e-3f, 0.9f, 0.999f, 1e-6f, 0.01f, t);
        }
        close(eth, th, "AdamW seed " + seed);
    }
    @ParameterizedTest(name = "width {0}")
    @CsvSource({"1", "9", "33", "8193"})
    void theFloatArgMaxFindsTheFirstLargestEntryAsTheScalarLoopDoes(int width) {
        Random r = new Random(width);
        float[] x = new float[5 + 30 * width];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextInt(4) == 0 ? -0f : r.nextInt(7) - 3;     // ties everywhere, zeros of both signs
        }
        for (int row = 0; row < 30; row++) {
            int from = 5 + row * width;
            assertEquals(KernelsF.argMaxScalar(x, from, width), KernelsF.argMax(x, from, width), "row " + row);
        }
    }
    @ParameterizedTest(name = "seed {0}")
    @CsvSource({"1", "2", "3"})
    void theFloatExpIsWithinTwoUlpsOfMathExpWithItsShorterSeries(long seed) {
        // float's exponential sums e^r's series to r⁷/7! (ExpConstants.TAYLOR_ORDER_F), not to r¹³/13!: still within
        // two units in the last place, and expm1 too, small arguments included
        jdk.incubator.vector.VectorSpecies<Float> s = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED;
        Random r = new Random(seed);
        int n = 1 << 14, l = s.length();
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextInt(4) == 0 ? (r.nextDouble() - 0.5) * 1e-3 : (r.nextDouble() - 0.5) * 180);
        }
        x[0] = 0;
        x[1] = -10000;                                   // the attention mask's score: exactly 0
        x[2] = Float.NaN;
        for (int i = 0; i + l <= n; i += l) {
            float[] e = new float[l], m1 = new float[l];
            KernelsF.exp(jdk.incubator.vector.FloatVector.fromArray(s, x, i)).intoArray(e, 0);
            KernelsF.expm1(jdk.incubator.vector.FloatVector.fromArray(s, x, i)).intoArray(m1, 0);
            for (int j = 0; j < l; j++) {
                float xi = x[i + j];
                double want = Math.exp(xi), wantM1 = Math.expm1(xi);
                if (Float.isNaN(xi)) {
                    assertTrue(Float.isNaN(e[j]) && Float.isNaN(m1[j]), "NaN gives NaN");
                } else if (want < Float.MIN_NORMAL) {
                    assertEquals(0f, e[j], "exp(" + xi + ") underflows to 0");
                } else if (xi < 127 * 0.6931472f) {             // above 127·ln 2, 2^k leaves float's range: +∞, by design
                    assertEquals(want, e[j], 2 * Math.ulp((float) want), "exp(" + xi + ")");
                    assertEquals(wantM1, m1[j], 2 * Math.ulp((float) wantM1) + 2 * Math.ulp(1f) * (Math.abs(xi) > 0.35 ? want : 0),
                            "expm1(" + xi + ")");
                }
            }
        }
    }
}
