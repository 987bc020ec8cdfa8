package minibert.tensor;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Why the micro-kernel's tile is {@value Gemm#MR} rows of two vectors: the same inner loop with four tile
 * shapes, each run on packed panels small enough to stay in the L1 cache, so that only the tile's use of
 * registers differs. A tile needs rows × vectors accumulators, one register per vector of B and one for the
 * broadcast of A; when that exceeds the register file (sixteen vector registers with AVX2, thirty-two with
 * AVX-512) the JIT keeps some accumulators in memory and reloads them on every step along k.
 *
 * <p>Teaching code, measured by the build for the "Making it fast" chapter; {@link Gemm} uses one tile.
 */
public final class TileExperiment {

    private static final VectorSpecies<Double> S = Gemm.S;
    private static final int L = Gemm.L;
    private static final int KC = 256;

    /** One tile: its shape, the vector registers it needs, and the GFLOP/s measured (median). */
    public record Row(int rows, int vectors, int registers, double gflops) {
    }

    private interface Kernel {
        void run(double[] pa, double[] pb, int kc, double[] out);
    }

    private TileExperiment() {
    }

    /**
     * Measures each tile: {@code reps} timed runs after a warm-up, median reported. The whole measurement runs
     * twice and the first pass is discarded: in a fresh JVM the first tile measured was otherwise still
     * running code that the JIT later replaced.
     */
    public static List<Row> run(int reps) {
        measure(1);
        return measure(reps);
    }

    private static List<Row> measure(int reps) {
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
                repeat(kernel, 4000, pa, pb, out);
            }
        }
        List<Row> rows = new ArrayList<>();
        for (int t = 0; t < kernels.length; t++) {
            int mr = shapes[t][0], nv = shapes[t][1], calls = 4000;
            double flops = 2.0 * mr * nv * L * KC * calls;
            double[] g = new double[reps];
            long warmUntil = System.nanoTime() + 300_000_000L;
            for (int rep = -1; rep < reps; rep++) {
                do {
                    long t0 = System.nanoTime();
                    repeat(kernels[t], calls, pa, pb, out);
                    if (rep >= 0) {
                        g[rep] = flops / (System.nanoTime() - t0);
                    }
                } while (rep < 0 && System.nanoTime() < warmUntil);
            }
            Arrays.sort(g);
            rows.add(new Row(mr, nv, mr * nv + nv + 1, g[reps / 2]));
        }
        return rows;
    }

    /** Calls one kernel {@code calls} times: the one call site every kernel is run from. */
    private static void repeat(Kernel kernel, int calls, double[] pa, double[] pb, double[] out) {
        for (int c = 0; c < calls; c++) {
            kernel.run(pa, pb, KC, out);
        }
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
