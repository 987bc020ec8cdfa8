package minibert.bench;

import minibert.tensor.GemmF;
import minibert.tensor.Pool;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * What two threads can gain on this machine when nothing is split: each thread of the {@link Pool} computes a
 * product of its own (its own operands, its own C, one thread each, float), beside one such product alone on the
 * calling thread, taking turns round by round. If independent products gain less from the threads than the FMA loop
 * does ({@link GemmBenchmark#fmaPeakAllThreads}), what holds back threads that each work on their own data is what the
 * cores share (the caches past L2, memory), not how a product is cut into pieces; a split product whose threads share
 * the packed operand moves less through those, and can gain more.
 *
 * <p>Teaching code, measured by the build for the "Making it fast" chapter; the kernel does not call it.
 */
public final class ThreadScaling {

    /**
     * One shape: GFLOP/s of one product alone, of one product per thread all at once (their sum), and the ratio of
     * the two per round.
     */
    public record Row(ProductShape shape, Sample alone, Sample together, Sample ratio) {
    }

    private ThreadScaling() {
    }

    /** Measures each shape (one product of it, not a batch) for {@code rounds} rounds after three warm-up rounds. */
    public static List<Row> run(List<ProductShape> shapes, int rounds) {
        int threads = Pool.threads();
        Random rnd = new Random(11);
        List<Row> out = new ArrayList<>();
        for (ProductShape s : shapes) {
            int m = s.m(), n = s.n(), k = s.k(), lda = s.transA() ? m : k, ldb = s.transB() ? k : n;
            float[][] a = new float[threads][m * k], b = new float[threads][k * n], c = new float[threads][m * n];
            for (int t = 0; t < threads; t++) {
                for (int i = 0; i < a[t].length; i++) {
                    a[t][i] = (float) rnd.nextGaussian();
                }
                for (int i = 0; i < b[t].length; i++) {
                    b[t][i] = (float) rnd.nextGaussian();
                }
            }
            List<Runnable> each = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int own = t;
                each.add(() -> GemmF.gemm(s.transA(), s.transB(), m, n, k, 1f, a[own], lda, b[own], ldb, 0f, c[own], n));
            }
            double flops = 2.0 * m * n * k;
            double[] alone = new double[rounds], together = new double[rounds], ratio = new double[rounds];
            for (int r = -3; r < rounds; r++) {
                long t0 = System.nanoTime();
                each.get(0).run();
                long t1 = System.nanoTime();
                Pool.runAll(each);
                long t2 = System.nanoTime();
                if (r >= 0) {
                    alone[r] = flops / (t1 - t0);
                    together[r] = threads * flops / (t2 - t1);
                    ratio[r] = together[r] / alone[r];
                }
            }
            out.add(new Row(s, Sample.of(alone), Sample.of(together), Sample.of(ratio)));
        }
        return out;
    }
}
