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
 * to the thread that took it, beside the same product split once, one fixed half per thread. It shows what
 * the fixed split would hide: whether one thread computes its pieces more slowly than the other while both
 * run, and how many pieces the faster one then takes over.
 *
 * <p>Teaching code, measured by the build for the "Making it fast" chapter; the kernel does not call it.
 */
public final class SplitExperiment {

    static final int M = 2048, N = 192, K = 192;

    /**
     * The figures, medians over the rounds: one piece on the calling thread alone (µs); per round, the pieces
     * the calling thread took and its time per piece, the same for the pool's other threads; the whole product
     * with the pieces taken as threads become free, and with one fixed half per thread (µs).
     */
    public record Result(int pieces, double pieceAlone, double callerPieces, double callerPerPiece,
                         double otherPieces, double otherPerPiece, double dynamic, double fixedHalves) {
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
        Runnable halves = () -> Pool.runAll(List.of(
                () -> Gemm.gemm(false, true, M / 2, N, K, 1, a, 0, K, b, 0, K, 0, c, 0, N),
                () -> Gemm.gemm(false, true, M - M / 2, N, K, 1, a, (M / 2) * K, K, b, 0, K, 0, c, (M / 2) * N, N)));
        for (int w = 0; w < 30; w++) {                                     // JIT warm-up of every path below
            piece.accept(w % pieces);
            Pool.forEach(pieces, piece);
            halves.run();
        }
        double[] alone = new double[rounds], dynamic = new double[rounds], fixed = new double[rounds];
        double[] callerPieces = new double[rounds], callerPer = new double[rounds];
        double[] otherPieces = new double[rounds], otherPer = new double[rounds];
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
            otherPieces[r] = pieces - mine;
            callerPer[r] = mine == 0 ? Double.NaN : callerNanos / 1e3 / mine;
            otherPer[r] = mine == pieces ? Double.NaN : otherNanos / 1e3 / (pieces - mine);
            halves.run();
            t0 = System.nanoTime();
            halves.run();
            fixed[r] = (System.nanoTime() - t0) / 1e3;
        }
        return new Result(pieces, median(alone), median(callerPieces), median(callerPer), median(otherPieces),
                median(otherPer), median(dynamic), median(fixed));
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

    /** The rows [from, to) of C each piece covers: as many pieces as {@link Gemm#parallel} makes, tiling [0, M). */
    static List<int[]> pieceRows() {
        int pieces = Math.min(Gemm.PIECES_PER_THREAD * Pool.threads(), M / Gemm.MR);
        List<int[]> out = new ArrayList<>();
        for (int p = 0; p < pieces; p++) {
            out.add(new int[] {p * M / pieces, (p + 1) * M / pieces});
        }
        return out;
    }
}
