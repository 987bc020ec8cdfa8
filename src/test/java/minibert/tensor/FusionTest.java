package minibert.tensor;

import minibert.nn.Param;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every fused kernel gives exactly the bits of the separate passes it replaced ({@link Fusion}), in both precisions,
 * on odd sizes (tails narrower than a vector) and on sizes large enough to be split across the pool: bias and
 * GELU, the masked softmax, the MLM decoder's bias and softmax, the residual join and LayerNorm (with and without
 * dropout's mask), and the optimiser's
 * single pass. The separate passes are themselves checked against the scalar references in KernelsTest.
 */
class FusionTest {

    @AfterEach
    void fused() {
        Fusion.separatePasses(false);
    }

    private static double[] random(int n, double scale, Random r) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = scale * r.nextGaussian();
        }
        return a;
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    /** Runs {@code body} with the passes separate, then fused, and returns both results. */
    private static <T> List<T> bothWays(java.util.function.Supplier<T> body) {
        Fusion.separatePasses(true);
        T separate = body.get();
        Fusion.separatePasses(false);
        return List.of(separate, body.get());
    }

    @ParameterizedTest(name = "{0} × {1}, seed {2}")
    @CsvSource({"1, 1, 1", "3, 7, 2", "7, 12, 3", "5, 17, 4", "13, 29, 6", "301, 193, 7", "97, 768, 8"})
    void biasGeluIsAddBiasThenGelu(int rows, int width, long seed) {
        Random r = new Random(seed);
        int n = rows * width;
        double[] x = random(n, 2, r), b = random(width, 1, r);
        for (boolean tanh : new boolean[] {false, true}) {
            List<double[][]> d = bothWays(() -> {
                double[] u = x.clone(), gate = new double[n], y = new double[n];
                Kernels.biasGelu(u, b, gate, y, rows, width, tanh);
                return new double[][] {u, gate, y};
            });
            for (int k = 0; k < 3; k++) {
                assertArrayEquals(d.get(0)[k], d.get(1)[k], "double, seed " + seed + ", array " + k);
            }
            float[] xf = toFloat(x), bf = toFloat(b);
            List<float[][]> f = bothWays(() -> {
                float[] u = xf.clone(), gate = new float[n], y = new float[n];
                KernelsF.biasGelu(u, bf, gate, y, rows, width, tanh);
                return new float[][] {u, gate, y};
            });
            for (int k = 0; k < 3; k++) {
                assertArrayEquals(f.get(0)[k], f.get(1)[k], "float, seed " + seed + ", array " + k);
            }
        }
    }

    @ParameterizedTest(name = "{0} sequences × {1} heads × {2} tokens, seed {3}")
    @CsvSource({"1, 1, 1, 1", "3, 3, 7, 2", "2, 4, 13, 3", "32, 4, 64, 4"})
    void maskedSoftmaxIsTheMaskThenTheSoftmax(int batch, int heads, int t, long seed) {
        Random r = new Random(seed);
        int rows = batch * heads * t;
        double[] s = random(rows * t, 3, r);
        int[] mask = new int[batch * t];
        for (int q = 0; q < batch; q++) {
            int real = 1 + r.nextInt(t);                           // at least one real token per sequence
            for (int j = 0; j < t; j++) {
                mask[q * t + j] = j < real ? 1 : 0;
            }
        }
        List<double[]> d = bothWays(() -> {
            double[] p = s.clone();
            Kernels.maskedSoftmaxRows(p, rows, t, mask, heads * t, -10000.0);
            return p;
        });
        assertArrayEquals(d.get(0), d.get(1), "double, seed " + seed);
        float[] sf = toFloat(s);
        List<float[]> f = bothWays(() -> {
            float[] p = sf.clone();
            KernelsF.maskedSoftmaxRows(p, rows, t, mask, heads * t, -10000.0f);
            return p;
        });
        assertArrayEquals(f.get(0), f.get(1), "float, seed " + seed);
        // and what the separate passes compute is the mask, then the reference softmax
        double[] expected = s.clone();
        for (int row = 0; row < rows; row++) {
            for (int j = 0; j < t; j++) {
                expected[row * t + j] += mask[row / (heads * t) * t + j] == 1 ? 0 : -10000.0;
            }
        }
        Kernels.softmaxRowsScalar(expected, rows, t);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], d.get(1)[i], 1e-15, "entry " + i);
        }
    }

    @ParameterizedTest(name = "{0} × {1}, seed {2}")
    @CsvSource({"1, 1, 1", "3, 7, 2", "7, 12, 3", "5, 17, 4", "13, 29, 6", "301, 193, 7", "97, 8192, 8"})
    void biasSoftmaxIsAddBiasThenTheSoftmax(int rows, int width, long seed) {
        Random r = new Random(seed);
        double[] z = random(rows * width, 4, r), b = random(width, 2, r);
        List<double[]> d = bothWays(() -> {
            double[] p = z.clone();
            Kernels.biasSoftmaxRows(p, b, rows, width);
            return p;
        });
        assertArrayEquals(d.get(0), d.get(1), "double, seed " + seed);
        float[] zf = toFloat(z), bf = toFloat(b);
        List<float[]> f = bothWays(() -> {
            float[] p = zf.clone();
            KernelsF.biasSoftmaxRows(p, bf, rows, width);
            return p;
        });
        assertArrayEquals(f.get(0), f.get(1), "float, seed " + seed);
        // and what the separate passes compute is the bias, then the reference softmax
        double[] expected = z.clone();
        Kernels.addBiasScalar(expected, b, rows, width);
        Kernels.softmaxRowsScalar(expected, rows, width);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], d.get(1)[i], 1e-13, "entry " + i);   // as KernelsTest holds the vector softmax
        }
    }

    @ParameterizedTest(name = "{0} × {1}, seed {2}")
    @CsvSource({"1, 1, 1", "3, 7, 2", "7, 12, 3", "5, 17, 4", "301, 193, 7", "2048, 192, 8"})
    void residualLayerNormIsTheJoinThenLayerNorm(int rows, int width, long seed) {
        Random r = new Random(seed);
        int n = rows * width;
        double[] branch = random(n, 1, r), res = random(n, 2, r), gamma = random(width, 1, r), beta = random(width, 1, r);
        double[] mask = new double[n];
        for (int i = 0; i < n; i++) {
            mask[i] = r.nextDouble() < 0.1 ? 0 : 1 / 0.9;
        }
        for (double[] m : new double[][] {null, mask}) {
            List<double[][]> d = bothWays(() -> {
                double[] x = branch.clone(), y = new double[n], xhat = new double[n], rstd = new double[rows];
                Kernels.residualLayerNorm(x, m, res, gamma, beta, 1e-12, y, xhat, rstd, rows, width);
                return new double[][] {x, y, xhat, rstd};
            });
            for (int k = 0; k < 4; k++) {
                assertArrayEquals(d.get(0)[k], d.get(1)[k], "double, seed " + seed + ", array " + k);
            }
            // the join is the scalar r + x·m (a product and a sum, each rounded)
            for (int i = 0; i < n; i++) {
                assertEquals(m == null ? res[i] + branch[i] : res[i] + branch[i] * m[i], d.get(1)[0][i], 0.0);
            }
            float[] bf = toFloat(branch), rf = toFloat(res), gf = toFloat(gamma), ef = toFloat(beta);
            float[] mf = m == null ? null : toFloat(m);
            List<float[][]> f = bothWays(() -> {
                float[] x = bf.clone(), y = new float[n], xhat = new float[n], rstd = new float[rows];
                KernelsF.residualLayerNorm(x, mf, rf, gf, ef, 1e-12f, y, xhat, rstd, rows, width);
                return new float[][] {x, y, xhat, rstd};
            });
            for (int k = 0; k < 4; k++) {
                assertArrayEquals(f.get(0)[k], f.get(1)[k], "float, seed " + seed + ", array " + k);
            }
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @CsvSource({"1", "2", "3"})
    void theOptimisersSinglePassIsTheStepTheNormsAndTheZeroing(long seed) {
        Random r = new Random(seed);
        int[][] shapes = {{1, 1}, {3, 7}, {17, 29}, {301, 193}, {1, 12}, {60, 64}};
        List<double[][]> runs = new ArrayList<>();
        for (boolean separate : new boolean[] {true, false}) {
            Random same = new Random(seed);
            List<Param> params = new ArrayList<>();
            for (int i = 0; i < shapes.length; i++) {
                boolean bias = i % 2 == 1;
                Param p = new Param("p" + i, bias ? Param.Kind.BIAS : Param.Kind.WEIGHT, bias ? 1 : shapes[i][0],
                        bias ? shapes[i][0] * shapes[i][1] : shapes[i][1]);
                for (int k = 0; k < p.size(); k++) {
                    p.value().data[k] = same.nextGaussian();
                }
                params.add(p);
            }
            minibert.train.AdamW adam = new minibert.train.AdamW(params, 0.9, 0.999, 1e-6, 0.01);
            double[] g2 = new double[params.size()], u2 = new double[params.size()], w2 = new double[params.size()];
            List<double[]> out = new ArrayList<>();
            Fusion.separatePasses(separate);
            for (int step = 0; step < 3; step++) {
                for (Param p : params) {
                    for (int k = 0; k < p.size(); k++) {
                        p.grad().data[k] = same.nextGaussian();
                    }
                }
                adam.gradientSquares(g2);
                adam.stepAndClear(1e-3, 0.75, u2, w2);
                out.add(g2.clone());
                out.add(u2.clone());
                out.add(w2.clone());
                for (Param p : params) {
                    out.add(p.value().data.clone());
                    assertEquals(0, Arrays.stream(p.grad().data).map(Math::abs).sum(), "the gradient is zeroed");
                }
            }
            runs.add(out.toArray(new double[0][]));
        }
        for (int k = 0; k < runs.get(0).length; k++) {
            assertArrayEquals(runs.get(0)[k], runs.get(1)[k], "seed " + seed + ", array " + k);
        }
        // the fused sums are those of the kernels they replace, on the same numbers
        double[] theta = random(301 * 193, 1, r), g = random(theta.length, 1, r), m = new double[theta.length], v = new double[theta.length];
        double[] theta2 = theta.clone(), g2 = g.clone(), m2 = m.clone(), v2 = v.clone(), sums = new double[4];
        double expected = Kernels.adamW(theta, g, 0.5, m, v, theta.length, 1e-3, 0.9, 0.999, 1e-6, 0.01, 1);
        Kernels.adamWAndClear(theta2, g2, 0.5, m2, v2, theta.length, 1e-3, 0.9, 0.999, 1e-6, 0.01, 1, sums, 1);
        assertEquals(expected, sums[2], 0.0);
        assertEquals(Kernels.sumOfSquares(theta, theta.length), sums[3], 0.0);
        assertArrayEquals(theta, theta2);
        assertArrayEquals(m, m2);
        assertArrayEquals(v, v2);
        assertArrayEquals(new double[g.length], g2);
        // and in float
        float[] tf = toFloat(theta), gf = toFloat(g), mf = new float[tf.length], vf = new float[tf.length];
        float[] tf2 = tf.clone(), gf2 = gf.clone(), mf2 = mf.clone(), vf2 = vf.clone(), sf = new float[2];
        float expectedF = KernelsF.adamW(tf, gf, 0.5f, mf, vf, tf.length, 1e-3f, 0.9f, 0.999f, 1e-6f, 0.01f, 2);
        KernelsF.adamWAndClear(tf2, gf2, 0.5f, mf2, vf2, tf.length, 1e-3f, 0.9f, 0.999f, 1e-6f, 0.01f, 2, sf, 0);
        assertEquals(expectedF, sf[0], 0.0f);
        assertEquals(KernelsF.sumOfSquares(tf, tf.length), sf[1], 0.0f);
        assertArrayEquals(tf, tf2);
        assertArrayEquals(new float[gf.length], gf2);
    }
}
