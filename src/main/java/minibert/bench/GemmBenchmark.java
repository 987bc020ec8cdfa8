package minibert.bench;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import minibert.tensor.Gemm;
import minibert.tensor.GemmF;
import minibert.tensor.OpenBlas;
import minibert.tensor.OpenBlasBackend;
import minibert.tensor.OpenBlasBackendF;
import minibert.tensor.Pool;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Measures GFLOP/s of EJML, of {@link Gemm} and of OpenBLAS (one thread and all threads, double and float) on the
 * model's product shapes ({@link ModelProducts}), and the machine's FMA peak by a loop of independent FMAs, in the same
 * run. Each figure is a {@link Sample} of several timed repetitions after warm-up: its median and its spread.
 */
public final class GemmBenchmark {

    /**
     * The figures for one shape, in GFLOP/s, each with its runs: EJML, the kernel ({@link Gemm} and {@link GemmF}) and
     * OpenBLAS ({@code blas…}), on one thread and on all. The OpenBLAS samples are empty when the library did not load.
     */
    public record Row(ProductShape shape, Sample ejml, Sample single, Sample multi, Sample floatSingle, Sample floatMulti,
                      Sample blasSingle, Sample blasMulti, Sample blasFloatSingle, Sample blasFloatMulti, Sample[] paired) {

        /** A row without paired ratios: {@link #ratios} divides the medians. */
        public Row(ProductShape shape, Sample ejml, Sample single, Sample multi, Sample floatSingle, Sample floatMulti,
                   Sample blasSingle, Sample blasMulti, Sample blasFloatSingle, Sample blasFloatMulti) {
            this(shape, ejml, single, multi, floatSingle, floatMulti, blasSingle, blasMulti, blasFloatSingle, blasFloatMulti,
                    new Sample[0]);
        }

        /** The widest spread of the row's kernel and EJML figures. */
        public double spread() {
            return Math.max(Math.max(ejml.spread(), single.spread()), Math.max(multi.spread(),
                    Math.max(floatSingle.spread(), floatMulti.spread())));
        }

        /**
         * The kernel's rate over OpenBLAS's, four ways: double on one thread, double on all, float on one, float on
         * all; each the median over the rounds of the two rates measured in the same round ({@code paired}), or,
         * for a row without them, the ratio of the medians (NaN without OpenBLAS).
         */
        public double[] ratios() {
            if (paired.length == 4) {
                return new double[] {paired[0].median(), paired[1].median(), paired[2].median(), paired[3].median()};
            }
            return new double[] {single.median() / blasSingle.median(), multi.median() / blasMulti.median(),
                    floatSingle.median() / blasFloatSingle.median(), floatMulti.median() / blasFloatMulti.median()};
        }
    }

    /**
     * Independent FMA chains in the peak loop, each accumulating as the micro-kernel does ({@code acc = x·y + acc}):
     * enough to cover the FMA latency on both units and few enough to stay in AVX2's sixteen registers.
     */
    static final int CHAINS = 12;

    private static volatile double blackhole;

    private GemmBenchmark() {
    }

    /** One of the fast-kernel issue's measured goals: what it asks, what was measured, and whether that meets it. */
    public record Goal(String goal, String measured, boolean met) {
    }

    /**
     * The measured goals, judged on one run's medians: the plain and ABᵀ shapes on one thread against the FMA
     * peak in both precisions, the AᵀB shapes' time per flop against the plain shapes', all threads against one
     * on the shapes with B·T rows (beside what the FMA loop itself gains from all threads, {@code peakAll ÷ peak},
     * which no product can exceed), the batched attention products against the peak of the cores they run on.
     *
     * @param rows the shapes' figures; the plain and ABᵀ shapes with the most rows are the B·T-row ones
     */
    public static List<Goal> goals(List<Row> rows, double peak, double peakF, double peakAll) {
        double plainSingle = Double.MAX_VALUE, plainFloat = Double.MAX_VALUE, speedup = Double.MAX_VALUE;
        double plainRate = 0, transA = Double.MAX_VALUE, batched = 0;
        int plainCount = 0, tallest = 0;
        for (Row r : rows) {
            if (r.shape().batch() == 1 && !r.shape().transA()) {           // not the weight gradients, V rows among them
                tallest = Math.max(tallest, r.shape().m());
            }
        }
        for (Row r : rows) {
            ProductShape s = r.shape();
            if (s.batch() == 1 && !s.transA()) {                            // x·Wᵀ and dy·W: the plain and ABᵀ shapes
                plainSingle = Math.min(plainSingle, r.single().median() / peak);
                plainFloat = Math.min(plainFloat, r.floatSingle().median() / peakF);
                plainRate += r.single().median();
                plainCount++;
            }
            if (s.batch() == 1 && s.transA()) {
                transA = Math.min(transA, r.single().median());
            }
            if (s.batch() == 1 && s.m() == tallest) {
                speedup = Math.min(speedup, r.multi().median() / r.single().median());
            }
            if (s.batch() > 1) {
                batched = r.multi().median() / (peak * Gemm.threads());
            }
        }
        double timePerFlop = plainRate / plainCount / transA;               // slowest AᵀB against the plain shapes' mean
        List<Goal> out = new ArrayList<>(List.of(
                new Goal("one thread, plain and ABᵀ shapes, double: at least 60% of the FMA peak",
                        String.format(Locale.ROOT, "lowest %.0f%%", 100 * plainSingle), plainSingle >= 0.6),
                new Goal("one thread, plain and ABᵀ shapes, float: at least 60% of the float FMA peak",
                        String.format(Locale.ROOT, "lowest %.0f%%", 100 * plainFloat), plainFloat >= 0.6),
                new Goal("AᵀB weight-gradient shapes: time per flop within 1.5× of the plain shapes'",
                        String.format(Locale.ROOT, "worst %.2f×", timePerFlop), timePerFlop <= 1.5),
                new Goal(Gemm.threads() + " threads at least 1.6× one thread on the " + tallest + "-row shapes",
                        String.format(Locale.ROOT, "lowest %.2f× (the FMA loop: %.2f×)", speedup, peakAll / peak), speedup >= 1.6),
                new Goal("batched attention products: at least 40% of the peak of the cores they run on",
                        String.format(Locale.ROOT, "%.0f%%", 100 * batched), batched >= 0.4)));
        if (rows.stream().allMatch(r -> r.blasSingle().runs() > 0)) {
            double worst = Double.MAX_VALUE;
            String where = "";
            String[] ways = {"double, 1 thread", "double, " + Gemm.threads() + " threads", "float, 1 thread",
                    "float, " + Gemm.threads() + " threads"};
            for (Row r : rows) {
                double[] q = r.ratios();
                for (int w = 0; w < q.length; w++) {
                    if (q[w] < worst) {
                        worst = q[w];
                        where = r.shape().label().strip() + ", " + ways[w];
                    }
                }
            }
            out.add(new Goal("the kernel at least 0.9× OpenBLAS on every shape, both precisions, 1 and " + Gemm.threads()
                    + " threads", String.format(Locale.ROOT, "lowest %.2f× (%s)", worst, where), worst >= 0.9));
        }
        return out;
    }

    /** How long each variant runs, untimed, before its timed rounds in the pass that counts. */
    static final long SETTLE_NANOS = 50_000_000L;

    /**
     * Runs every shape; {@code reps} timed repetitions each. The whole measurement runs twice and the first pass,
     * one repetition each, is discarded: measured in a single pass, the first shape came out a third slower than
     * the same shape measured last, still running code that the JIT replaced later. The discarded pass warms each
     * variant up with three runs only; the pass that counts warms each up again, for {@link #SETTLE_NANOS} (the JIT
     * has compiled it by then: what is left to warm is the caches and the threads). EJML sits the discarded pass out:
     * its runs there (a second or two a shape) were a fifth of the whole benchmark, and the three runs that warm it
     * up in the pass that counts are enough for the JIT to compile its loops.
     */
    public static List<Row> run(List<ProductShape> shapes, int reps) {
        warmUp();
        Random rnd = new Random(1);
        for (ProductShape s : shapes) {
            measure(s, 1, 0, false, rnd);
        }
        List<Row> rows = new ArrayList<>();
        for (ProductShape s : shapes) {
            rows.add(measure(s, reps, SETTLE_NANOS, true, rnd));
        }
        return rows;
    }

    /**
     * One shape: the variants, {@code reps} timed repetitions each, each warmed up for {@code warmUpNanos} first;
     * EJML's products only {@code withReference} (otherwise its variant does nothing).
     */
    private static Row measure(ProductShape s, int reps, long warmUpNanos, boolean withReference, Random rnd) {
        int count = s.batch();
        DMatrixRMaj[] as = new DMatrixRMaj[count], bs = new DMatrixRMaj[count], cs = new DMatrixRMaj[count];
        for (int i = 0; i < count; i++) {
            as[i] = random(s.transA() ? s.k() : s.m(), s.transA() ? s.m() : s.k(), rnd);
            bs[i] = random(s.transB() ? s.n() : s.k(), s.transB() ? s.k() : s.n(), rnd);
            cs[i] = new DMatrixRMaj(s.m(), s.n());
        }
        Runnable ejml = !withReference ? () -> { } : () -> {
            for (int i = 0; i < count; i++) {
                ejml(s.transA(), s.transB(), as[i], bs[i], cs[i]);
            }
        };
        Runnable single = () -> {
            for (int i = 0; i < count; i++) {
                Gemm.gemm(s.transA(), s.transB(), s.m(), s.n(), s.k(), 1, as[i].data, as[i].numCols, bs[i].data, bs[i].numCols,
                        0, cs[i].data, s.n());
            }
        };
        // the batched entry reads every product from one array, at offsets, as the attention does
        int sa = as[0].getNumElements(), sb = bs[0].getNumElements(), sc = s.m() * s.n();
        double[] aAll = new double[count * sa], bAll = new double[count * sb], cAll = new double[count * sc];
        int[] aOff = new int[count], bOff = new int[count], cOff = new int[count];
        for (int i = 0; i < count; i++) {
            aOff[i] = i * sa;
            bOff[i] = i * sb;
            cOff[i] = i * sc;
            System.arraycopy(as[i].data, 0, aAll, aOff[i], sa);
            System.arraycopy(bs[i].data, 0, bAll, bOff[i], sb);
        }
        Runnable multi = () -> {
            if (count > 1) {
                Gemm.batched(s.transA(), s.transB(), s.m(), s.n(), s.k(), 1, aAll, aOff, as[0].numCols, bAll, bOff,
                        bs[0].numCols, 0, cAll, cOff, s.n());
            } else {
                Gemm.parallel(s.transA(), s.transB(), s.m(), s.n(), s.k(), 1, as[0].data, as[0].numCols, bs[0].data,
                        bs[0].numCols, 0, cs[0].data, s.n());
            }
        };
        float[][] af = new float[count][], bf = new float[count][], cf = new float[count][];
        for (int i = 0; i < count; i++) {
            af[i] = toFloat(as[i].data);
            bf[i] = toFloat(bs[i].data);
            cf[i] = new float[s.m() * s.n()];
        }
        Runnable floatSingle = () -> {
            for (int i = 0; i < count; i++) {
                GemmF.gemm(s.transA(), s.transB(), s.m(), s.n(), s.k(), 1f, af[i], as[i].numCols, bf[i], bs[i].numCols, 0f,
                        cf[i], s.n());
            }
        };
        float[] aAllF = toFloat(aAll), bAllF = toFloat(bAll), cAllF = new float[cAll.length];
        Runnable floatMulti = () -> {
            if (count > 1) {
                GemmF.batched(s.transA(), s.transB(), s.m(), s.n(), s.k(), 1f, aAllF, aOff, as[0].numCols, bAllF, bOff,
                        bs[0].numCols, 0f, cAllF, cOff, s.n());
            } else {
                GemmF.parallel(s.transA(), s.transB(), s.m(), s.n(), s.k(), 1f, af[0], as[0].numCols, bf[0], bs[0].numCols,
                        0f, cf[0], s.n());
            }
        };
        if (!OpenBlas.available()) {
            Sample[] g = Rounds.rates(s.flops(), reps, ejml, single, multi, floatSingle, floatMulti);
            Sample none = Sample.of();
            return new Row(s, g[0], g[1], g[2], g[3], g[4], none, none, none, none);
        }
        // OpenBLAS on the same operands; its thread count is one setting for the process, so each run sets it
        // on several threads, OpenBLAS's workers spin on after each call: the next variant waits for them to sleep
        Runnable blasSingle = () -> blas(s, 1, as, bs, cs);
        Runnable blasMulti = new Rounds.Settling(() -> blas(s, Pool.threads(), as, bs, cs), OpenBlas::settle);
        Runnable blasFloatSingle = () -> blasFloat(s, 1, af, bf, cf, as, bs);
        Runnable blasFloatMulti = new Rounds.Settling(() -> blasFloat(s, Pool.threads(), af, bf, cf, as, bs), OpenBlas::settle);
        // the variants take turns, one timed run each per round, so that a burst of other work on the machine
        // slows all of them alike and the ratios between them stay fair
        // OpenBLAS's two variants on all threads take their turns one after the other: the second finds the threads
        // the first left spinning, and only the second waits for them to sleep (Rounds.Settling)
        double[][] turns = Rounds.nanos(reps, true, warmUpNanos, ejml, single, multi, floatSingle, floatMulti, blasSingle,
                blasFloatSingle, blasMulti, blasFloatMulti);
        double[][] ns = {turns[0], turns[1], turns[2], turns[3], turns[4], turns[5], turns[7], turns[6], turns[8]};
        OpenBlas.threads(Pool.threads());
        Sample[] g = Rounds.rates(s.flops(), ns);
        // the kernel's rate over OpenBLAS's within each round: a burst of other work that slows a whole round cancels
        Sample[] paired = {paired(ns[5], ns[1]), paired(ns[6], ns[2]), paired(ns[7], ns[3]), paired(ns[8], ns[4])};
        return new Row(s, g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], paired);
    }

    /** Round by round, OpenBLAS's time over the kernel's: the kernel's rate over OpenBLAS's in the same round. */
    static Sample paired(double[] blasNanos, double[] kernelNanos) {
        double[] r = new double[blasNanos.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = blasNanos[i] / kernelNanos[i];
        }
        return Sample.of(r);
    }

    /** Every product of the shape by OpenBLAS on {@code threads} threads (the batched ones one call each, in turn). */
    private static void blas(ProductShape s, int threads, DMatrixRMaj[] as, DMatrixRMaj[] bs, DMatrixRMaj[] cs) {
        OpenBlas.threads(threads);
        for (int i = 0; i < as.length; i++) {
            OpenBlasBackend.gemm(s.transA(), s.transB(), s.m(), s.n(), s.k(), 1, as[i].data, 0, as[i].numCols, bs[i].data, 0,
                    bs[i].numCols, 0, cs[i].data, 0, s.n());
        }
    }

    private static void blasFloat(ProductShape s, int threads, float[][] af, float[][] bf, float[][] cf, DMatrixRMaj[] as,
                                  DMatrixRMaj[] bs) {
        OpenBlas.threads(threads);
        for (int i = 0; i < af.length; i++) {
            OpenBlasBackendF.gemm(s.transA(), s.transB(), s.m(), s.n(), s.k(), 1f, af[i], 0, as[i].numCols, bf[i], 0,
                    bs[i].numCols, 0f, cf[i], 0, s.n());
        }
    }

    /** C = op(A)·op(B) by EJML's {@code CommonOps_DDRM}, the reference the kernel is measured against. */
    static void ejml(boolean transA, boolean transB, DMatrixRMaj a, DMatrixRMaj b, DMatrixRMaj c) {
        if (transA && transB) {
            CommonOps_DDRM.multTransAB(a, b, c);
        } else if (transA) {
            CommonOps_DDRM.multTransA(a, b, c);
        } else if (transB) {
            CommonOps_DDRM.multTransB(a, b, c);
        } else {
            CommonOps_DDRM.mult(a, b, c);
        }
    }

    /**
     * Runs both kernels through every path (the four transpose cases, edge tiles, the row, column and depth
     * splits, the batched entry) before anything is timed, so that the JIT compiles them with complete
     * profiles: otherwise the first shapes are timed while the code is still being replaced.
     */
    static void warmUp() {
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
     * Double-precision FMA peak of one core in GFLOP/s: {@value #CHAINS} independent vector FMA chains, the fastest of
     * 7 timed runs. A peak is what the core can do; other work on the machine can only slow a run of the loop, never
     * speed it up, so the fastest run is the best estimate of it (a median taken in a busy period understates the
     * peak, and every share of it then comes out too high).
     */
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

    /** The fastest of 7 runs, in GFLOP/s, of an FMA loop of {@value #CHAINS} chains of {@code lanes}-wide vectors, on {@code threads} threads at once. */
    private static double peak(java.util.function.LongToDoubleFunction loop, int lanes, int threads) {
        // many calls of a short loop, so that the JIT compiles the method itself and not only the loop inside
        // one long call (on-stack replacement), which left later calls in slower code
        double[] g = new double[7];
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
        for (int rep = -3; rep < g.length; rep++) {
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
        return Sample.of(g).max();
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

    static float[] toFloat(double[] d) {
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

    static DMatrixRMaj random(int r, int c, Random rnd) {
        DMatrixRMaj m = new DMatrixRMaj(r, c);
        for (int i = 0; i < m.getNumElements(); i++) {
            m.data[i] = rnd.nextGaussian();
        }
        return m;
    }
}
