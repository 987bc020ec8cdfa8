package minibert.tensor;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import org.ejml.data.DMatrixRMaj;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Measures GFLOP/s of EJML and of {@link Gemm} (one thread and all threads) on the model's product shapes,
 * and the machine's double-precision FMA peak on one core by a loop of independent FMAs, in the same run.
 * Each figure is the median of several timed repetitions after warm-up.
 */
public final class GemmBenchmark {

    /** One product shape: C [m, n] = op(A) op(B), with op(A) [m, k]. */
    public record Shape(String label, int m, int n, int k, boolean transA, boolean transB, int batch) {
        double flops() {
            return 2.0 * m * n * k * batch;
        }
    }

    /** The figures for one shape, in GFLOP/s. */
    public record Row(Shape shape, double ejml, double single, double multi, double floatSingle, double floatMulti) {
    }

    /**
     * Independent FMA chains in the peak loop: enough to cover the FMA latency on both units, few enough
     * to stay in AVX2's sixteen registers (twelve spill and under-report the peak by about a tenth).
     */
    static final int CHAINS = 10;

    private static volatile double blackhole;

    private GemmBenchmark() {
    }

    /** The transformer's product shapes at B·T = 2048, H = 192, I = 768, V = 8192 (M = 307 masked rows). */
    public static List<Shape> modelShapes() {
        return List.of(
                new Shape("QKV / output projection  x·Wᵀ", 2048, 192, 192, false, true, 1),
                new Shape("FFN up  x·W1ᵀ", 2048, 768, 192, false, true, 1),
                new Shape("FFN down  a·W2ᵀ", 2048, 192, 768, false, true, 1),
                new Shape("MLM decoder  t·Eᵀ", 307, 8192, 192, false, true, 1),
                new Shape("weight gradient  dyᵀ·x (H×H)", 192, 192, 2048, true, false, 1),
                new Shape("weight gradient  dyᵀ·x (I×H)", 768, 192, 2048, true, false, 1),
                new Shape("input gradient  dy·W (H→H)", 2048, 192, 192, false, false, 1),
                new Shape("input gradient  dy·W (I→H)", 2048, 192, 768, false, false, 1),
                new Shape("attention  Q·Kᵀ, 128 × (64×64×48)", 64, 64, 48, false, true, 128));
    }

    /** Runs every shape; {@code reps} timed repetitions each (median reported). */
    public static List<Row> run(List<Shape> shapes, int reps) {
        List<Row> rows = new ArrayList<>();
        Random rnd = new Random(1);
        for (Shape s : shapes) {
            DMatrixRMaj[] as = new DMatrixRMaj[s.batch], bs = new DMatrixRMaj[s.batch], cs = new DMatrixRMaj[s.batch];
            for (int i = 0; i < s.batch; i++) {
                as[i] = random(s.transA ? s.k : s.m, s.transA ? s.m : s.k, rnd);
                bs[i] = random(s.transB ? s.n : s.k, s.transB ? s.k : s.n, rnd);
                cs[i] = new DMatrixRMaj(s.m, s.n);
            }
            double ejml = time(s, reps, () -> {
                for (int i = 0; i < s.batch; i++) {
                    Products.EJML.gemm(s.transA, s.transB, 1, as[i], bs[i], 0, cs[i]);
                }
            });
            double single = time(s, reps, () -> {
                for (int i = 0; i < s.batch; i++) {
                    Gemm.gemm(s.transA, s.transB, s.m, s.n, s.k, 1, as[i].data, as[i].numCols, bs[i].data, bs[i].numCols, 0, cs[i].data, s.n);
                }
            });
            // the batched entry reads every product from one array, at offsets, as the attention does
            int sa = as[0].getNumElements(), sb = bs[0].getNumElements(), sc = s.m * s.n;
            double[] aAll = new double[s.batch * sa], bAll = new double[s.batch * sb], cAll = new double[s.batch * sc];
            int[] aOff = new int[s.batch], bOff = new int[s.batch], cOff = new int[s.batch];
            for (int i = 0; i < s.batch; i++) {
                aOff[i] = i * sa;
                bOff[i] = i * sb;
                cOff[i] = i * sc;
                System.arraycopy(as[i].data, 0, aAll, aOff[i], sa);
                System.arraycopy(bs[i].data, 0, bAll, bOff[i], sb);
            }
            double multi = time(s, reps, () -> {
                if (s.batch > 1) {
                    Gemm.batched(s.transA, s.transB, s.m, s.n, s.k, 1, aAll, aOff, as[0].numCols, bAll, bOff, bs[0].numCols,
                            0, cAll, cOff, s.n);
                } else {
                    Gemm.parallel(s.transA, s.transB, s.m, s.n, s.k, 1, as[0].data, as[0].numCols, bs[0].data, bs[0].numCols, 0, cs[0].data, s.n);
                }
            });
            float[][] af = new float[s.batch][], bf = new float[s.batch][], cf = new float[s.batch][];
            for (int i = 0; i < s.batch; i++) {
                af[i] = toFloat(as[i].data);
                bf[i] = toFloat(bs[i].data);
                cf[i] = new float[s.m * s.n];
            }
            double floatSingle = time(s, reps, () -> {
                for (int i = 0; i < s.batch; i++) {
                    GemmF.gemm(s.transA, s.transB, s.m, s.n, s.k, 1f, af[i], as[i].numCols, bf[i], bs[i].numCols, 0f, cf[i], s.n);
                }
            });
            float[] aAllF = toFloat(aAll), bAllF = toFloat(bAll), cAllF = new float[cAll.length];
            double floatMulti = time(s, reps, () -> {
                if (s.batch > 1) {
                    GemmF.batched(s.transA, s.transB, s.m, s.n, s.k, 1f, aAllF, aOff, as[0].numCols, bAllF, bOff, bs[0].numCols,
                            0f, cAllF, cOff, s.n);
                } else {
                    GemmF.parallel(s.transA, s.transB, s.m, s.n, s.k, 1f, af[0], as[0].numCols, bf[0], bs[0].numCols, 0f, cf[0], s.n);
                }
            });
            rows.add(new Row(s, ejml, single, multi, floatSingle, floatMulti));
        }
        return rows;
    }

    private static double time(Shape s, int reps, Runnable r) {
        long warmUntil = System.nanoTime() + 300_000_000L;                // JIT warm-up: 0.3 s and at least 3 runs
        for (int w = 0; w < 3 || System.nanoTime() < warmUntil; w++) {
            r.run();
        }
        double[] g = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            r.run();
            g[i] = s.flops() / (System.nanoTime() - t0);
        }
        Arrays.sort(g);
        return g[reps / 2];
    }

    /** Double-precision FMA peak of one core in GFLOP/s: {@value #CHAINS} independent vector FMA chains, median of 5. */
    public static double fmaPeak() {
        double[] g = new double[5];
        for (int rep = -2; rep < 5; rep++) {
            long iters = 20_000_000;
            long t0 = System.nanoTime();
            double sum = fmaLoop(iters);
            long ns = System.nanoTime() - t0;
            blackhole = sum;
            if (rep >= 0) {
                g[rep] = 2.0 * CHAINS * Gemm.L * iters / ns;
            }
        }
        Arrays.sort(g);
        return g[2];
    }

    private static double fmaLoop(long iters) {
        var S = Gemm.S;
        DoubleVector x = DoubleVector.broadcast(S, 0.999999), y = DoubleVector.broadcast(S, 1e-9);
        DoubleVector a0 = DoubleVector.broadcast(S, 0), a1 = DoubleVector.broadcast(S, 1), a2 = DoubleVector.broadcast(S, 2);
        DoubleVector a3 = DoubleVector.broadcast(S, 3), a4 = DoubleVector.broadcast(S, 4), a5 = DoubleVector.broadcast(S, 5);
        DoubleVector a6 = DoubleVector.broadcast(S, 6), a7 = DoubleVector.broadcast(S, 7), a8 = DoubleVector.broadcast(S, 8);
        DoubleVector a9 = DoubleVector.broadcast(S, 9);
        for (long it = 0; it < iters; it++) {
            a0 = a0.fma(x, y); a1 = a1.fma(x, y); a2 = a2.fma(x, y); a3 = a3.fma(x, y);
            a4 = a4.fma(x, y); a5 = a5.fma(x, y); a6 = a6.fma(x, y); a7 = a7.fma(x, y);
            a8 = a8.fma(x, y); a9 = a9.fma(x, y);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9)
                .reduceLanes(VectorOperators.ADD);
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    /** Single-precision FMA peak of one core in GFLOP/s, measured like {@link #fmaPeak()}. */
    public static double fmaPeakFloat() {
        double[] g = new double[5];
        for (int rep = -2; rep < 5; rep++) {
            long iters = 20_000_000;
            long t0 = System.nanoTime();
            double sum = fmaLoopFloat(iters);
            long ns = System.nanoTime() - t0;
            blackhole = sum;
            if (rep >= 0) {
                g[rep] = 2.0 * CHAINS * GemmF.L * iters / ns;
            }
        }
        Arrays.sort(g);
        return g[2];
    }

    private static double fmaLoopFloat(long iters) {
        var S = GemmF.S;
        FloatVector x = FloatVector.broadcast(S, 0.999999f), y = FloatVector.broadcast(S, 1e-9f);
        FloatVector a0 = FloatVector.broadcast(S, 0), a1 = FloatVector.broadcast(S, 1), a2 = FloatVector.broadcast(S, 2);
        FloatVector a3 = FloatVector.broadcast(S, 3), a4 = FloatVector.broadcast(S, 4), a5 = FloatVector.broadcast(S, 5);
        FloatVector a6 = FloatVector.broadcast(S, 6), a7 = FloatVector.broadcast(S, 7), a8 = FloatVector.broadcast(S, 8);
        FloatVector a9 = FloatVector.broadcast(S, 9);
        for (long it = 0; it < iters; it++) {
            a0 = a0.fma(x, y); a1 = a1.fma(x, y); a2 = a2.fma(x, y); a3 = a3.fma(x, y);
            a4 = a4.fma(x, y); a5 = a5.fma(x, y); a6 = a6.fma(x, y); a7 = a7.fma(x, y);
            a8 = a8.fma(x, y); a9 = a9.fma(x, y);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9)
                .reduceLanes(VectorOperators.ADD);
    }

    private static DMatrixRMaj random(int r, int c, Random rnd) {
        DMatrixRMaj m = new DMatrixRMaj(r, c);
        for (int i = 0; i < m.getNumElements(); i++) {
            m.data[i] = rnd.nextGaussian();
        }
        return m;
    }
}
