package minibert.tensor;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import org.ejml.data.DMatrixRMaj;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
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
     * Independent FMA chains in the peak loop, each accumulating as the micro-kernel does ({@code acc = x·y + acc}):
     * enough to cover the FMA latency on both units and few enough to stay in AVX2's sixteen registers.
     */
    static final int CHAINS = 12;

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

    /** One of the fast-kernel issue's measured goals: what it asks, what was measured, and whether that meets it. */
    public record Goal(String goal, String measured, boolean met) {
    }

    /**
     * The measured goals, judged on one run's figures: the plain and ABᵀ shapes on one thread against the FMA
     * peak in both precisions, the AᵀB shapes' time per flop against the plain shapes', two threads against one
     * on the 2048-row shapes (beside what the FMA loop itself gains from all threads, {@code peakAll ÷ peak},
     * which no product can exceed), the batched attention products against the peak of the cores they run on.
     */
    public static List<Goal> goals(List<Row> rows, double peak, double peakF, double peakAll) {
        double plainSingle = Double.MAX_VALUE, plainFloat = Double.MAX_VALUE, speedup = Double.MAX_VALUE;
        double plainRate = 0, transA = Double.MAX_VALUE, batched = 0;
        int plainCount = 0;
        for (Row r : rows) {
            Shape s = r.shape();
            if (s.batch() == 1 && !s.transA()) {                            // x·Wᵀ and dy·W: the plain and ABᵀ shapes
                plainSingle = Math.min(plainSingle, r.single() / peak);
                plainFloat = Math.min(plainFloat, r.floatSingle() / peakF);
                plainRate += r.single();
                plainCount++;
            }
            if (s.batch() == 1 && s.transA()) {
                transA = Math.min(transA, r.single());
            }
            if (s.batch() == 1 && s.m() == 2048) {
                speedup = Math.min(speedup, r.multi() / r.single());
            }
            if (s.batch() > 1) {
                batched = r.multi() / (peak * Gemm.threads());
            }
        }
        double timePerFlop = plainRate / plainCount / transA;               // slowest AᵀB against the plain shapes' mean
        return List.of(
                new Goal("one thread, plain and ABᵀ shapes, double: at least 60% of the FMA peak",
                        String.format(Locale.ROOT, "lowest %.0f%%", 100 * plainSingle), plainSingle >= 0.6),
                new Goal("one thread, plain and ABᵀ shapes, float: at least 60% of the float FMA peak",
                        String.format(Locale.ROOT, "lowest %.0f%%", 100 * plainFloat), plainFloat >= 0.6),
                new Goal("AᵀB weight-gradient shapes: time per flop within 1.5× of the plain shapes'",
                        String.format(Locale.ROOT, "worst %.2f×", timePerFlop), timePerFlop <= 1.5),
                new Goal(Gemm.threads() + " threads at least 1.6× one thread on the 2048-row shapes",
                        String.format(Locale.ROOT, "lowest %.2f× (the FMA loop: %.2f×)", speedup, peakAll / peak), speedup >= 1.6),
                new Goal("batched attention products: at least 40% of the peak of the cores they run on",
                        String.format(Locale.ROOT, "%.0f%%", 100 * batched), batched >= 0.4));
    }

    /**
     * Runs every shape; {@code reps} timed repetitions each (median reported). The whole measurement runs twice
     * and the first pass, one repetition each, is discarded: measured in a single pass, the first shape came
     * out a third slower than the same shape measured last, still running code that the JIT replaced later.
     */
    public static List<Row> run(List<Shape> shapes, int reps) {
        warmUp();
        Random rnd = new Random(1);
        for (Shape s : shapes) {
            measure(s, 1, rnd);
        }
        List<Row> rows = new ArrayList<>();
        for (Shape s : shapes) {
            rows.add(measure(s, reps, rnd));
        }
        return rows;
    }

    /** One shape: the five variants, {@code reps} timed repetitions each. */
    private static Row measure(Shape s, int reps, Random rnd) {
        DMatrixRMaj[] as = new DMatrixRMaj[s.batch], bs = new DMatrixRMaj[s.batch], cs = new DMatrixRMaj[s.batch];
        for (int i = 0; i < s.batch; i++) {
            as[i] = random(s.transA ? s.k : s.m, s.transA ? s.m : s.k, rnd);
            bs[i] = random(s.transB ? s.n : s.k, s.transB ? s.k : s.n, rnd);
            cs[i] = new DMatrixRMaj(s.m, s.n);
        }
        Runnable ejml = () -> {
            for (int i = 0; i < s.batch; i++) {
                Products.EJML.gemm(s.transA, s.transB, 1, as[i], bs[i], 0, cs[i]);
            }
        };
        Runnable single = () -> {
            for (int i = 0; i < s.batch; i++) {
                Gemm.gemm(s.transA, s.transB, s.m, s.n, s.k, 1, as[i].data, as[i].numCols, bs[i].data, bs[i].numCols, 0, cs[i].data, s.n);
            }
        };
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
        Runnable multi = () -> {
            if (s.batch > 1) {
                Gemm.batched(s.transA, s.transB, s.m, s.n, s.k, 1, aAll, aOff, as[0].numCols, bAll, bOff, bs[0].numCols,
                        0, cAll, cOff, s.n);
            } else {
                Gemm.parallel(s.transA, s.transB, s.m, s.n, s.k, 1, as[0].data, as[0].numCols, bs[0].data, bs[0].numCols, 0, cs[0].data, s.n);
            }
        };
        float[][] af = new float[s.batch][], bf = new float[s.batch][], cf = new float[s.batch][];
        for (int i = 0; i < s.batch; i++) {
            af[i] = toFloat(as[i].data);
            bf[i] = toFloat(bs[i].data);
            cf[i] = new float[s.m * s.n];
        }
        Runnable floatSingle = () -> {
            for (int i = 0; i < s.batch; i++) {
                GemmF.gemm(s.transA, s.transB, s.m, s.n, s.k, 1f, af[i], as[i].numCols, bf[i], bs[i].numCols, 0f, cf[i], s.n);
            }
        };
        float[] aAllF = toFloat(aAll), bAllF = toFloat(bAll), cAllF = new float[cAll.length];
        Runnable floatMulti = () -> {
            if (s.batch > 1) {
                GemmF.batched(s.transA, s.transB, s.m, s.n, s.k, 1f, aAllF, aOff, as[0].numCols, bAllF, bOff, bs[0].numCols,
                        0f, cAllF, cOff, s.n);
            } else {
                GemmF.parallel(s.transA, s.transB, s.m, s.n, s.k, 1f, af[0], as[0].numCols, bf[0], bs[0].numCols, 0f, cf[0], s.n);
            }
        };
        // the five variants take turns, one timed run each per round, so that a burst of other work on the
        // machine slows all of them alike and the ratios between them stay fair
        double[] g = time(s, reps, ejml, single, multi, floatSingle, floatMulti);
        return new Row(s, g[0], g[1], g[2], g[3], g[4]);
    }

    /**
     * Runs both kernels through every path (the four transpose cases, edge tiles, the row, column and depth
     * splits, the batched entry) before anything is timed, so that the JIT compiles them with complete
     * profiles: otherwise the first shapes are timed while the code is still being replaced.
     */
    private static void warmUp() {
        Random rnd = new Random(2);
        int[][] shapes = {{130, 200, 300}, {40, 1000, 64}, {16, 16, 2048}, {64, 64, 48}};
        for (int round = 0; round < 4; round++) {
            for (int[] mnk : shapes) {
                int m = mnk[0], n = mnk[1], k = mnk[2];
                double[] a = new double[m * k], b = new double[k * n], c = new double[m * n];
                for (int i = 0; i < a.length; i++) {
                    a[i] = rnd.nextGaussian();
                }
                for (int i = 0; i < b.length; i++) {
                    b[i] = rnd.nextGaussian();
                }
                float[] af = toFloat(a), bf = toFloat(b), cf = new float[m * n];
                int[] offsets = {0};
                for (int t = 0; t < 4; t++) {
                    boolean ta = (t & 1) == 1, tb = (t & 2) == 2;
                    int lda = ta ? m : k, ldb = tb ? k : n;
                    for (int rep = 0; rep < 3; rep++) {
                        Gemm.gemm(ta, tb, m, n, k, 1, a, lda, b, ldb, rep, c, n);
                        Gemm.parallel(ta, tb, m, n, k, 1, a, lda, b, ldb, 0, c, n);
                        Gemm.batched(ta, tb, m, n, k, 1, a, offsets, lda, b, offsets, ldb, 0, c, offsets, n);
                        GemmF.gemm(ta, tb, m, n, k, 1f, af, lda, bf, ldb, rep, cf, n);
                        GemmF.parallel(ta, tb, m, n, k, 1f, af, lda, bf, ldb, 0f, cf, n);
                        GemmF.batched(ta, tb, m, n, k, 1f, af, offsets, lda, bf, offsets, ldb, 0f, cf, offsets, n);
                    }
                }
            }
        }
    }

    /**
     * Median GFLOP/s of each variant: warmed up in turn, then timed in rounds, one run of each per round. Each
     * timed run but the first variant's (EJML, the reference) follows an untimed one of the same variant, so
     * that a kernel is timed on operands in its caches, as when it runs alone, and not on what the variant
     * before it left there.
     */
    private static double[] time(Shape s, int reps, Runnable... variants) {
        for (Runnable r : variants) {
            long warmUntil = System.nanoTime() + 200_000_000L;            // JIT warm-up: 0.2 s and at least 3 runs
            for (int w = 0; w < 3 || System.nanoTime() < warmUntil; w++) {
                r.run();
            }
        }
        double[][] g = new double[variants.length][reps];
        for (int i = 0; i < reps; i++) {
            for (int v = 0; v < variants.length; v++) {
                if (v > 0) {
                    variants[v].run();          // untimed, so that its operands are back in the caches of its threads
                }
                long t0 = System.nanoTime();
                variants[v].run();
                g[v][i] = s.flops() / (System.nanoTime() - t0);
            }
        }
        double[] medians = new double[variants.length];
        for (int v = 0; v < variants.length; v++) {
            Arrays.sort(g[v]);
            medians[v] = g[v][reps / 2];
        }
        return medians;
    }

    /** Double-precision FMA peak of one core in GFLOP/s: {@value #CHAINS} independent vector FMA chains, median of 5. */
    public static double fmaPeak() {
        return peak(GemmBenchmark::fmaLoop, Gemm.L, 1);
    }

    /** Single-precision FMA peak of one core in GFLOP/s, measured like {@link #fmaPeak()}. */
    public static double fmaPeakFloat() {
        return peak(GemmBenchmark::fmaLoopFloat, GemmF.L, 1);
    }

    /**
     * The double-precision FMA rate of all the pool's threads at once, in GFLOP/s: the loop of {@link #fmaPeak()}
     * on every thread, timed together. On two dedicated cores it is twice one core's; what it is on a shared
     * machine bounds what any two-thread product can reach there.
     */
    public static double fmaPeakAllThreads() {
        return peak(GemmBenchmark::fmaLoop, Gemm.L, Pool.threads());
    }

    /** Median GFLOP/s of an FMA loop of {@value #CHAINS} chains of {@code lanes}-wide vectors, run on {@code threads} threads at once. */
    private static double peak(java.util.function.LongToDoubleFunction loop, int lanes, int threads) {
        // many calls of a short loop, so that the JIT compiles the method itself and not only the loop inside
        // one long call (on-stack replacement), which left later calls in slower code
        double[] g = new double[5];
        long iters = 200_000;
        int calls = 100;
        double[] sums = new double[threads];
        List<Runnable> shares = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int share = t;
            shares.add(() -> {
                double sum = 0;
                for (int c = 0; c < calls; c++) {
                    sum += loop.applyAsDouble(iters);
                }
                sums[share] = sum;
            });
        }
        for (int rep = -3; rep < 5; rep++) {
            long t0 = System.nanoTime();
            if (threads == 1) {
                shares.get(0).run();
            } else {
                Pool.runAll(shares);
            }
            long ns = System.nanoTime() - t0;
            blackhole = sums[0];
            if (rep >= 0) {
                g[rep] = 2.0 * CHAINS * lanes * iters * calls * threads / ns;
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
        DoubleVector a9 = DoubleVector.broadcast(S, 9), a10 = DoubleVector.broadcast(S, 10), a11 = DoubleVector.broadcast(S, 11);
        for (long it = 0; it < iters; it++) {
            a0 = x.fma(y, a0); a1 = x.fma(y, a1); a2 = x.fma(y, a2); a3 = x.fma(y, a3);
            a4 = x.fma(y, a4); a5 = x.fma(y, a5); a6 = x.fma(y, a6); a7 = x.fma(y, a7);
            a8 = x.fma(y, a8); a9 = x.fma(y, a9); a10 = x.fma(y, a10); a11 = x.fma(y, a11);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(VectorOperators.ADD);
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    private static double fmaLoopFloat(long iters) {
        var S = GemmF.S;
        FloatVector x = FloatVector.broadcast(S, 0.999999f), y = FloatVector.broadcast(S, 1e-9f);
        FloatVector a0 = FloatVector.broadcast(S, 0), a1 = FloatVector.broadcast(S, 1), a2 = FloatVector.broadcast(S, 2);
        FloatVector a3 = FloatVector.broadcast(S, 3), a4 = FloatVector.broadcast(S, 4), a5 = FloatVector.broadcast(S, 5);
        FloatVector a6 = FloatVector.broadcast(S, 6), a7 = FloatVector.broadcast(S, 7), a8 = FloatVector.broadcast(S, 8);
        FloatVector a9 = FloatVector.broadcast(S, 9), a10 = FloatVector.broadcast(S, 10), a11 = FloatVector.broadcast(S, 11);
        for (long it = 0; it < iters; it++) {
            a0 = x.fma(y, a0); a1 = x.fma(y, a1); a2 = x.fma(y, a2); a3 = x.fma(y, a3);
            a4 = x.fma(y, a4); a5 = x.fma(y, a5); a6 = x.fma(y, a6); a7 = x.fma(y, a7);
            a8 = x.fma(y, a8); a9 = x.fma(y, a9); a10 = x.fma(y, a10); a11 = x.fma(y, a11);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
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
