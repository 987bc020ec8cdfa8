package minibert.bench;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;
import minibert.tensor.Gemm;
import minibert.tensor.GemmF;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Which micro-kernel tile is fastest on this machine, measured two ways.
 *
 * <p>{@link #innerLoop}: the micro-kernel's inner loop with four tile shapes, each run on packed panels small
 * enough to stay in the L1 cache, so that only the tile's use of registers differs. A tile needs rows × vectors
 * accumulators, one register per vector of B and one for the broadcast of A ({@link #registers}); when that
 * exceeds the register file (sixteen vector registers with AVX2, thirty-two with AVX-512) the JIT keeps some
 * accumulators in memory and reloads them on every step along k.
 *
 * <p>{@link #inKernel}: the whole product, packing and cache blocking included, with each of {@link Gemm.Tile}'s
 * tiles, on the model's shapes, in double and in float: what the choice of {@link Gemm#TILE} rests on.
 *
 * <p>Both take turns: in each round every variant runs once, timed, so that other work on the machine slows all
 * of them alike; the figures are {@link Sample}s of the rounds, and the tiles are compared round by round
 * ({@link Comparison}).
 */
public final class TileExperiment {

    private static final VectorSpecies<Double> S = Gemm.S;
    private static final int L = Gemm.L;
    private static final int KC = Gemm.KC;
    /** Kernel calls per timed run of the inner loop: long enough to time, short enough for many rounds. */
    private static final int CALLS = 4000;

    /**
     * One tile of the inner-loop experiment: its shape, the vector registers it needs, and its GFLOP/s in every
     * round, in the order of the rounds (so that two tiles can be compared round by round).
     */
    public record Row(int rows, int vectors, int registers, double[] perRound) {

        public Row {
            perRound = perRound.clone();
        }

        /** The rounds' GFLOP/s as a sample: median, slowest, fastest. */
        public Sample gflops() {
            return Sample.of(perRound);
        }

        /** This tile against another, round by round. */
        public Comparison versus(Row other) {
            return Comparison.ofRates(perRound, other.perRound);
        }
    }

    /**
     * One product with the kernel's tile and with another, round by round.
     *
     * @param precision "double" or "float"
     * @param tile      the tile the kernel uses ({@link Gemm#TILE})
     * @param other     the tile measured against it
     * @param versus    the other tile's rate against the kernel's tile's, round by round
     */
    public record KernelRow(ProductShape shape, String precision, Gemm.Tile tile, Sample tileRate, Gemm.Tile other,
                            Sample otherRate, Comparison versus) {
    }

    private interface Kernel {
        void run(double[] pa, double[] pb, int kc, double[] out);
    }

    private TileExperiment() {
    }

    /** The vector registers a tile of {@code rows} rows × {@code vectors} vectors needs: the accumulators, B's vectors, one broadcast. */
    public static int registers(int rows, int vectors) {
        return rows * vectors + vectors + 1;
    }

    /**
     * The inner loop of four tiles, {@code rounds} rounds after a warm-up. The whole measurement runs twice and
     * the first pass is discarded: in a fresh JVM the first tile measured was otherwise still running code that
     * the JIT later replaced.
     */
    public static List<Row> innerLoop(int rounds) {
        measureInnerLoop(2);
        return measureInnerLoop(rounds);
    }

    private static List<Row> measureInnerLoop(int rounds) {
        int[][] shapes = {{4, 2}, {5, 2}, {6, 2}, {4, 3}};
        Kernel[] kernels = {TileExperiment::tile4x2, TileExperiment::tile5x2, TileExperiment::tile6x2, TileExperiment::tile4x3};
        Random random = new Random(1);
        double[] pa = new double[6 * KC], pb = new double[3 * L * KC], out = new double[L];
        for (int i = 0; i < pa.length; i++) {
            pa[i] = random.nextGaussian();
        }
        for (int i = 0; i < pb.length; i++) {
            pb[i] = random.nextGaussian();
        }
        // Warm every kernel up before timing any: the timing loop's call site then stays megamorphic and no
        // kernel is inlined into it, where the loop's own variables would take registers from the tile.
        for (int round = 0; round < 3; round++) {
            for (Kernel kernel : kernels) {
                repeat(kernel, CALLS, pa, pb, out);
            }
        }
        Runnable[] variants = new Runnable[kernels.length];
        for (int t = 0; t < kernels.length; t++) {
            Kernel kernel = kernels[t];
            variants[t] = () -> repeat(kernel, CALLS, pa, pb, out);
        }
        double[][] ns = Rounds.nanos(rounds, variants);
        List<Row> rows = new ArrayList<>();
        for (int t = 0; t < kernels.length; t++) {
            int mr = shapes[t][0], nv = shapes[t][1];
            double flops = 2.0 * mr * nv * L * KC * CALLS;
            rows.add(new Row(mr, nv, registers(mr, nv), Rounds.rates(flops, ns[t])));
        }
        return rows;
    }

    /** Calls one kernel {@code calls} times: the one call site every kernel is run from. */
    private static void repeat(Kernel kernel, int calls, double[] pa, double[] pb, double[] out) {
        for (int c = 0; c < calls; c++) {
            kernel.run(pa, pb, KC, out);
        }
    }

    /**
     * Each shape, single-threaded, with the kernel's tile and with every other tile of {@link Gemm.Tile}, in double
     * and in float, {@code rounds} rounds each.
     */
    public static List<KernelRow> inKernel(List<ProductShape> shapes, int rounds) {
        GemmBenchmark.warmUp();
        List<KernelRow> out = new ArrayList<>();
        Random rnd = new Random(4);
        for (ProductShape s : shapes) {
            double[] a = GemmBenchmark.random(s.transA() ? s.k() : s.m(), s.transA() ? s.m() : s.k(), rnd).data;
            double[] b = GemmBenchmark.random(s.transB() ? s.n() : s.k(), s.transB() ? s.k() : s.n(), rnd).data;
            double[] c = new double[s.m() * s.n()];
            float[] af = GemmBenchmark.toFloat(a), bf = GemmBenchmark.toFloat(b), cf = new float[c.length];
            int lda = s.transA() ? s.m() : s.k(), ldb = s.transB() ? s.k() : s.n();
            for (Gemm.Tile other : Gemm.Tile.values()) {
                if (other == Gemm.TILE) {
                    continue;
                }
                GemmF.Tile otherF = GemmF.Tile.valueOf(other.name()), tileF = GemmF.Tile.valueOf(Gemm.TILE.name());
                double[][] ns = Rounds.nanos(rounds,
                        () -> Gemm.gemm(Gemm.TILE, s.transA(), s.transB(), s.m(), s.n(), s.k(), 1, a, lda, b, ldb, 0, c, s.n()),
                        () -> Gemm.gemm(other, s.transA(), s.transB(), s.m(), s.n(), s.k(), 1, a, lda, b, ldb, 0, c, s.n()),
                        () -> GemmF.gemm(tileF, s.transA(), s.transB(), s.m(), s.n(), s.k(), 1f, af, lda, bf, ldb, 0f, cf, s.n()),
                        () -> GemmF.gemm(otherF, s.transA(), s.transB(), s.m(), s.n(), s.k(), 1f, af, lda, bf, ldb, 0f, cf, s.n()));
                double[] tile = Rounds.rates(s.flops(), ns[0]), mine = Rounds.rates(s.flops(), ns[1]);
                double[] tileFl = Rounds.rates(s.flops(), ns[2]), mineFl = Rounds.rates(s.flops(), ns[3]);
                out.add(new KernelRow(s, "double", Gemm.TILE, Sample.of(tile), other, Sample.of(mine), Comparison.ofRates(mine, tile)));
                out.add(new KernelRow(s, "float", Gemm.TILE, Sample.of(tileFl), other, Sample.of(mineFl),
                        Comparison.ofRates(mineFl, tileFl)));
            }
        }
        return out;
    }

    /** 4 rows × 2 vectors: 8 accumulators + 2 B vectors + 1 broadcast = 11 vector registers. */
    static void tile4x2(double[] pa, double[] pb, int kc, double[] out) {
        DoubleVector c00 = DoubleVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        for (int p = 0; p < kc; p++) {
            int bo = p * 2 * L;
            DoubleVector b0 = DoubleVector.fromArray(S, pb, bo + 0 * L);
            DoubleVector b1 = DoubleVector.fromArray(S, pb, bo + 1 * L);
            DoubleVector a0 = DoubleVector.broadcast(S, pa[p]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            DoubleVector a1 = DoubleVector.broadcast(S, pa[1 * kc + p]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
            DoubleVector a2 = DoubleVector.broadcast(S, pa[2 * kc + p]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
            DoubleVector a3 = DoubleVector.broadcast(S, pa[3 * kc + p]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
        }
        c00.add(c01).add(c10).add(c11).add(c20).add(c21).add(c30).add(c31).intoArray(out, 0);
    }

    /** 5 rows × 2 vectors: 10 accumulators + 2 B vectors + 1 broadcast = 13 vector registers. */
    static void tile5x2(double[] pa, double[] pb, int kc, double[] out) {
        DoubleVector c00 = DoubleVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00, c40 = c00, c41 = c00;
        for (int p = 0; p < kc; p++) {
            int bo = p * 2 * L;
            DoubleVector b0 = DoubleVector.fromArray(S, pb, bo + 0 * L);
            DoubleVector b1 = DoubleVector.fromArray(S, pb, bo + 1 * L);
            DoubleVector a0 = DoubleVector.broadcast(S, pa[p]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            DoubleVector a1 = DoubleVector.broadcast(S, pa[1 * kc + p]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
            DoubleVector a2 = DoubleVector.broadcast(S, pa[2 * kc + p]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
            DoubleVector a3 = DoubleVector.broadcast(S, pa[3 * kc + p]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
            DoubleVector a4 = DoubleVector.broadcast(S, pa[4 * kc + p]);
            c40 = a4.fma(b0, c40); c41 = a4.fma(b1, c41);
        }
        c00.add(c01).add(c10).add(c11).add(c20).add(c21).add(c30).add(c31).add(c40).add(c41).intoArray(out, 0);
    }

    /** 6 rows × 2 vectors: 12 accumulators + 2 B vectors + 1 broadcast = 15 vector registers. */
    static void tile6x2(double[] pa, double[] pb, int kc, double[] out) {
        DoubleVector c00 = DoubleVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        for (int p = 0; p < kc; p++) {
            int bo = p * 2 * L;
            DoubleVector b0 = DoubleVector.fromArray(S, pb, bo + 0 * L);
            DoubleVector b1 = DoubleVector.fromArray(S, pb, bo + 1 * L);
            DoubleVector a0 = DoubleVector.broadcast(S, pa[p]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            DoubleVector a1 = DoubleVector.broadcast(S, pa[1 * kc + p]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
            DoubleVector a2 = DoubleVector.broadcast(S, pa[2 * kc + p]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
            DoubleVector a3 = DoubleVector.broadcast(S, pa[3 * kc + p]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
            DoubleVector a4 = DoubleVector.broadcast(S, pa[4 * kc + p]);
            c40 = a4.fma(b0, c40); c41 = a4.fma(b1, c41);
            DoubleVector a5 = DoubleVector.broadcast(S, pa[5 * kc + p]);
            c50 = a5.fma(b0, c50); c51 = a5.fma(b1, c51);
        }
        c00.add(c01).add(c10).add(c11).add(c20).add(c21).add(c30).add(c31).add(c40).add(c41).add(c50).add(c51).intoArray(out, 0);
    }

    /** 4 rows × 3 vectors: 12 accumulators + 3 B vectors + 1 broadcast = 16 vector registers. */
    static void tile4x3(double[] pa, double[] pb, int kc, double[] out) {
        DoubleVector c00 = DoubleVector.zero(S), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00, c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
        for (int p = 0; p < kc; p++) {
            int bo = p * 3 * L;
            DoubleVector b0 = DoubleVector.fromArray(S, pb, bo + 0 * L);
            DoubleVector b1 = DoubleVector.fromArray(S, pb, bo + 1 * L);
            DoubleVector b2 = DoubleVector.fromArray(S, pb, bo + 2 * L);
            DoubleVector a0 = DoubleVector.broadcast(S, pa[p]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01); c02 = a0.fma(b2, c02);
            DoubleVector a1 = DoubleVector.broadcast(S, pa[1 * kc + p]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11); c12 = a1.fma(b2, c12);
            DoubleVector a2 = DoubleVector.broadcast(S, pa[2 * kc + p]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21); c22 = a2.fma(b2, c22);
            DoubleVector a3 = DoubleVector.broadcast(S, pa[3 * kc + p]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31); c32 = a3.fma(b2, c32);
        }
        c00.add(c01).add(c02).add(c10).add(c11).add(c12).add(c20).add(c21).add(c22).add(c30).add(c31).add(c32).intoArray(out, 0);
    }
}
