package minibert.bench;

import minibert.tensor.Kernels;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * JMH benchmarks of the element-wise kernels at the model's sizes (B·T = 2048 positions, H = 192, I = 768,
 * A = 4 heads of T = 64): each Vector API kernel as the model calls it (split across the pool where it
 * splits) against the plain scalar reference kept beside it in {@link Kernels}. Run with
 * {@code mvn -Pbench -DskipTests test -Djmh.args=KernelsBench}; plain builds only compile them.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
public class KernelsBench {

    private static final int POSITIONS = 2048, HIDDEN = 192, INTERMEDIATE = 768, SCORE_ROWS = 32 * 4 * 64, T = 64;

    /** The kernel: GELU (exact and tanh form) and its backward pass, softmax, LayerNorm, bias, AdamW. */
    @Param({"gelu", "gelu-tanh", "gelu-backward", "softmax", "softmax-backward", "layer-norm", "layer-norm-backward",
            "bias", "bias-gradient", "adamw"})
    public String kernel;

    double[] x, y, gate, dy, dx, gamma, beta, xhat, rstd, dgamma, dbeta, m, v, scores;

    @Setup
    public void setup() {
        Random r = new Random(1);
        int n = POSITIONS * INTERMEDIATE;
        x = gaussian(n, r);
        dy = gaussian(n, r);
        y = new double[n];
        dx = new double[n];
        gate = new double[n];
        Kernels.gelu(x, y, gate, n, kernel.equals("gelu-tanh"));
        gamma = gaussian(HIDDEN, r);
        beta = gaussian(HIDDEN, r);
        xhat = new double[POSITIONS * HIDDEN];
        rstd = new double[POSITIONS];
        dgamma = new double[HIDDEN];
        dbeta = new double[HIDDEN];
        Kernels.layerNorm(x, gamma, beta, 1e-12, y, xhat, rstd, POSITIONS, HIDDEN);
        m = new double[n];
        v = new double[n];
        scores = gaussian(SCORE_ROWS * T, r);
    }

    private static double[] gaussian(int n, Random r) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = r.nextGaussian();
        }
        return a;
    }

    @Benchmark
    public double[] vector() {
        int n = POSITIONS * INTERMEDIATE;
        switch (kernel) {
            case "gelu" -> Kernels.gelu(x, y, gate, n, false);
            case "gelu-tanh" -> Kernels.gelu(x, y, gate, n, true);
            case "gelu-backward" -> Kernels.geluBackward(x, gate, dy, dx, n, false);
            case "softmax" -> Kernels.softmaxRows(scores, SCORE_ROWS, T);
            case "softmax-backward" -> Kernels.softmaxRowsBackward(scores, dy, dx, SCORE_ROWS, T);
            case "layer-norm" -> Kernels.layerNorm(x, gamma, beta, 1e-12, y, xhat, rstd, POSITIONS, HIDDEN);
            case "layer-norm-backward" -> Kernels.layerNormBackward(dy, xhat, rstd, gamma, dx, dgamma, dbeta, POSITIONS, HIDDEN);
            case "bias" -> Kernels.addBias(y, gamma, POSITIONS, HIDDEN);
            case "bias-gradient" -> Kernels.addColumnSums(dy, dgamma, POSITIONS, HIDDEN);
            case "adamw" -> Kernels.adamW(y, dy, 1, m, v, n, 1e-4, 0.9, 0.999, 1e-6, 0.01, 1);
            default -> throw new IllegalArgumentException("unknown kernel " + kernel);
        }
        return y;
    }

    @Benchmark
    public double[] scalar() {
        int n = POSITIONS * INTERMEDIATE;
        switch (kernel) {
            case "gelu", "gelu-tanh" -> {
                boolean tanh = kernel.equals("gelu-tanh");
                for (int i = 0; i < n; i++) {
                    y[i] = Kernels.geluScalar(x[i], tanh);
                }
            }
            case "gelu-backward" -> {
                for (int i = 0; i < n; i++) {
                    dx[i] = dy[i] * Kernels.geluDerivativeScalar(x[i], false);
                }
            }
            case "softmax" -> Kernels.softmaxRowsScalar(scores, SCORE_ROWS, T);
            case "softmax-backward" -> Kernels.softmaxRowsBackwardScalar(scores, dy, dx, SCORE_ROWS, T);
            case "layer-norm" -> Kernels.layerNormScalar(x, gamma, beta, 1e-12, y, xhat, rstd, POSITIONS, HIDDEN);
            case "layer-norm-backward" -> Kernels.layerNormBackwardScalar(dy, xhat, rstd, gamma, dx, dgamma, dbeta, POSITIONS, HIDDEN);
            case "bias" -> Kernels.addBiasScalar(y, gamma, POSITIONS, HIDDEN);
            case "bias-gradient" -> Kernels.addColumnSumsScalar(dy, dgamma, POSITIONS, HIDDEN);
            case "adamw" -> Kernels.adamWScalar(y, dy, 1, m, v, n, 1e-4, 0.9, 0.999, 1e-6, 0.01, 1);
            default -> throw new IllegalArgumentException("unknown kernel " + kernel);
        }
        return y;
    }
}
