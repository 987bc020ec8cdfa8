package minibert.bench;

import minibert.tensor.Gemm;
import minibert.tensor.GemmF;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Packing's share of a product: each product shape on one thread, whole ({@link Gemm#gemm}) and its packing
 * passes alone ({@link Gemm#packOnly}: the same blocks in the same order, without the micro-kernels), taking turns
 * round by round, in both precisions. The share is the median of the rounds' ratios, so a burst of other work on
 * the machine weighs on both sides of a round alike.
 *
 * <p>Teaching code, measured by the build for the "Making it fast" chapter; the kernel does not call it.
 */
public final class PackingShare {

    /**
     * One product shape: the packing's share of the whole product's time, per round, in double and in float, and
     * the whole product's median time (µs) in each.
     */
    public record Row(ProductShape shape, Sample share, Sample shareFloat, Sample wholeMicros, Sample wholeMicrosFloat) {
    }

    private PackingShare() {
    }

    /** Measures every shape that is one product (not a batch) for {@code rounds} rounds after two warm-up rounds. */
    public static List<Row> run(List<ProductShape> shapes, int rounds) {
        List<Row> out = new ArrayList<>();
        Random rnd = new Random(7);
        for (ProductShape s : shapes) {
            if (s.batch() != 1) {
                continue;
            }
            int m = s.m(), n = s.n(), k = s.k(), lda = s.transA() ? m : k, ldb = s.transB() ? k : n;
            double[] a = new double[m * k], b = new double[k * n], c = new double[m * n];
            float[] af = new float[m * k], bf = new float[k * n], cf = new float[m * n];
            for (int i = 0; i < a.length; i++) {
                af[i] = (float) (a[i] = rnd.nextGaussian());
            }
            for (int i = 0; i < b.length; i++) {
                bf[i] = (float) (b[i] = rnd.nextGaussian());
            }
            double[] share = new double[rounds], shareF = new double[rounds], whole = new double[rounds], wholeF = new double[rounds];
            for (int r = -2; r < rounds; r++) {
                long t0 = System.nanoTime();
                Gemm.gemm(s.transA(), s.transB(), m, n, k, 1, a, lda, b, ldb, 0, c, n);
                long t1 = System.nanoTime();
                Gemm.packOnly(s.transA(), s.transB(), m, n, k, a, lda, b, ldb);
                long t2 = System.nanoTime();
                GemmF.gemm(s.transA(), s.transB(), m, n, k, 1f, af, lda, bf, ldb, 0f, cf, n);
                long t3 = System.nanoTime();
                GemmF.packOnly(s.transA(), s.transB(), m, n, k, af, lda, bf, ldb);
                long t4 = System.nanoTime();
                if (r >= 0) {
                    share[r] = (double) (t2 - t1) / (t1 - t0);
                    shareF[r] = (double) (t4 - t3) / (t3 - t2);
                    whole[r] = (t1 - t0) / 1e3;
                    wholeF[r] = (t3 - t2) / 1e3;
                }
            }
            out.add(new Row(s, Sample.of(share), Sample.of(shareF), Sample.of(whole), Sample.of(wholeF)));
        }
        return out;
    }
}
