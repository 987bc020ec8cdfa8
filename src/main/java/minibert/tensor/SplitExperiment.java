package minibert.tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * How the threads share a product on this machine: the projection x·Wᵀ (2048 × 192 × 192) cut into the
 * pieces {@link Gemm#parallel} uses, run through {@link Pool#forEach} with each piece timed and attributed
 * to the thread that took it, beside the same product split once, one fixed share per thread. It shows what
 * the fixed split would hide: whether one thread computes its pieces more slowly than the other while both
 * run, and how many pieces the faster one then takes over.
 *
 * <p>Teaching code, measured by the build for the "Making it fast" chapter; the kernel does not call it.
 */
public final class SplitExperiment {

    static final int M = 2048, N = 192, K = 192;

    /**
     * The figures, medians over the rounds: one piece on the calling thread alone (µs); per round, the pieces
     * the calling thread took and its time per piece, and the time per piece of the pool's other threads
     * (NaN when one side took no piece in any round); the whole product with the pieces taken as threads
     * become free, and with one fixed share per thread (µs).
     */
    public record Result(int pieces, double pieceAlone, double callerPieces, double callerPerPiece,
                         double otherPerPiece, double dynamic, double fixedShares) {

        /** The pieces the other threads took: the rest (the median of pieces − x is pieces − the median of x). */
        public double otherPieces() {
            return pieces - callerPieces;
        }
    }

    private SplitExperiment() {
    }

    /** Measures {@code rounds} rounds after a warm-up; needs at least two threads in the pool to say anything. */
    public static Result run(int rounds) {
        Random rnd = new Random(3);
        double[] a = new double[M * K], b = new double[N * K], c = new double[M * N];
        for (int i = 0; i < a.length; i++) {
            a[i] = rnd.nextGaussian();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = rnd.nextGaussian();
        }
        List<int[]> ranges = pieceRows();
        int pieces = ranges.size();
        Thread caller = Thread.currentThread();
        AtomicIntegerArray byCaller = new AtomicIntegerArray(pieces);
        AtomicLongArray nanos = new AtomicLongArray(pieces);
        // one piece of the product: its rows of C = x·Wᵀ, timed, and who computed it
        java.util.function.IntConsumer piece = p -> {
            int from = ranges.get(p)[0], to = ranges.get(p)[1];
            long t0 = System.nanoTime();
            Gemm.gemm(false, true, to - from, N, K, 1, a, from * K, K, b, 0, K, 0, c, from * N, N);
            nanos.set(p, System.nanoTime() - t0);
            byCaller.set(p, Thread.currentThread() == caller ? 1 : 0);
        };
        List<Runnable> shares = new ArrayList<>();                          // one fixed share of the rows per thread
        for (int t = 0; t < Pool.threads(); t++) {
            int from = t * M / Pool.threads(), to = (t + 1) * M / Pool.threads();
            shares.add(() -> Gemm.gemm(false, true, to - from, N, K, 1, a, from * K, K, b, 0, K, 0, c, from * N, N));
        }
        Runnable fixedShares = () -> Pool.runAll(shares);
        for (int w = 0; w < 30; w++) {                                     // JIT warm-up of every path below
            piece.accept(w % pieces);
            Pool.forEach(pieces, piece);
            fixedShares.run();
        }
        double[] alone = new double[rounds], dynamic = new double[rounds], fixed = new double[rounds];
        double[] callerPieces = new double[rounds], callerPer = new double[rounds], otherPer = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            piece.accept(r % pieces);
            alone[r] = nanos.get(r % pieces) / 1e3;
            Pool.forEach(pieces, piece);                                    // untimed: operands back in the caches
            long t0 = System.nanoTime();
            Pool.forEach(pieces, piece);
            dynamic[r] = (System.nanoTime() - t0) / 1e3;
            long callerNanos = 0, otherNanos = 0;
            int mine = 0;
            for (int p = 0; p < pieces; p++) {
                if (byCaller.get(p) == 1) {
                    mine++;
                    callerNanos += nanos.get(p);
                } else {
                    otherNanos += nanos.get(p);
                }
            }
            callerPieces[r] = mine;
            callerPer[r] = mine == 0 ? Double.NaN : callerNanos / 1e3 / mine;
            otherPer[r] = mine == pieces ? Double.NaN : otherNanos / 1e3 / (pieces - mine);
            fixedShares.run();
            t0 = System.nanoTime();
            fixedShares.run();
            fixed[r] = (System.nanoTime() - t0) / 1e3;
        }
        return new Result(pieces, median(alone), median(callerPieces), median(callerPer), median(otherPer),
                median(dynamic), median(fixed));
    }

    /** The median of the values that are numbers (NaN where none is). */
    static double median(double[] values) {
        double[] v = Arrays.stream(values).filter(x -> !Double.isNaN(x)).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** 2·m·n·k of the whole product. */
    public static double flops() {
        return 2.0 * M * N * K;
    }

    /** The rows [from, to) of C each piece covers: the pieces {@link Gemm#parallel} cuts this product into. */
    static List<int[]> pieceRows() {
        int size = Gemm.pieceSize(M, Gemm.MR);
        List<int[]> out = new ArrayList<>();
        for (int from = 0; from < M; from += size) {
            out.add(new int[] {from, Math.min(M, from + size)});
        }
        return out;
    }
}
