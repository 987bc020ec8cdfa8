package minibert.bench;

import minibert.tensor.Gemm;
import minibert.tensor.Pool;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.IntConsumer;

/**
 * How the threads share a product on this machine: the projection x·Wᵀ ({@link ModelProducts#projection()})
 * cut into the pieces {@link Gemm#parallel} uses ({@link Gemm#rowPieceSize}), run through {@link Pool#forEach} with
 * each piece timed and attributed to the thread that took it, beside the same product split once, one fixed
 * share per thread. Both ways take turns, round by round ({@link Comparison}).
 *
 * <p>Taking pieces pays when one thread is slowed while the others are not: the others take over its pieces,
 * where with fixed shares they would finish early and wait. When every thread runs equally fast, the pieces only
 * cost (each repacks the smaller operand). So the experiment runs under two conditions: the machine as it is, and
 * with one extra thread spinning on arithmetic for the whole measurement, a stand-in for other work that takes a
 * core away from one of the product's threads for a while.
 *
 * <p>Teaching code, measured by the build for the "Making it fast" chapter; the kernel does not call it.
 */
public final class SplitExperiment {

    /**
     * The figures of one condition: one piece on the calling thread alone (µs); per round, the pieces the calling
     * thread took and its time per piece, and the time per piece of the pool's other threads (NaN when one side
     * took no piece in any round); the whole product with the pieces taken as threads become free, and with one
     * fixed share per thread (µs); and the two compared round by round, pieces against fixed shares.
     */
    public record Result(String condition, int pieces, Sample pieceAlone, Sample callerPieces, Sample callerPerPiece,
                         Sample otherPerPiece, Sample dynamic, Sample fixedShares, Comparison piecesVersusFixed) {

        /** The pieces the other threads took: the rest (the median of pieces − x is pieces − the median of x). */
        public double otherPieces() {
            return pieces - callerPieces.median();
        }
    }

    private static volatile double blackhole;

    private SplitExperiment() {
    }

    /**
     * Measures {@code rounds} rounds after a warm-up, first as the machine is, then with one extra busy thread;
     * needs at least two threads in the pool to say anything.
     */
    public static List<Result> run(ProductShape product, int rounds) {
        List<Result> out = new ArrayList<>();
        out.add(run(product, rounds, "as the machine is", false));
        out.add(run(product, rounds, "with one extra busy thread", true));
        return out;
    }

    private static Result run(ProductShape product, int rounds, String condition, boolean busy) {
        if (product.transA() || !product.transB() || product.batch() != 1) {
            throw new IllegalArgumentException("the split experiment takes a product x·Wᵀ, not " + product);
        }
        int m = product.m(), n = product.n(), k = product.k();
        Random rnd = new Random(3);
        double[] a = new double[m * k], b = new double[n * k], c = new double[m * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = rnd.nextGaussian();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = rnd.nextGaussian();
        }
        List<int[]> ranges = pieceRows(m);
        int pieces = ranges.size();
        Thread caller = Thread.currentThread();
        AtomicIntegerArray byCaller = new AtomicIntegerArray(pieces);
        AtomicLongArray nanos = new AtomicLongArray(pieces);
        // one piece of the product: its rows of C = x·Wᵀ, timed, and who computed it
        IntConsumer piece = p -> {
            int from = ranges.get(p)[0], to = ranges.get(p)[1];
            long t0 = System.nanoTime();
            Gemm.gemm(false, true, to - from, n, k, 1, a, from * k, k, b, 0, k, 0, c, from * n, n);
            nanos.set(p, System.nanoTime() - t0);
            byCaller.set(p, Thread.currentThread() == caller ? 1 : 0);
        };
        List<Runnable> shares = new ArrayList<>();                          // one fixed share of the rows per thread
        for (int t = 0; t < Pool.threads(); t++) {
            int from = t * m / Pool.threads(), to = (t + 1) * m / Pool.threads();
            shares.add(() -> Gemm.gemm(false, true, to - from, n, k, 1, a, from * k, k, b, 0, k, 0, c, from * n, n));
        }
        Runnable dynamicRun = () -> Pool.forEach(pieces, piece), fixedRun = () -> Pool.runAll(shares);
        AtomicBoolean stop = new AtomicBoolean();
        Thread spinner = busy ? Thread.ofPlatform().daemon().name("split-experiment-busy").start(() -> spin(stop)) : null;
        try {
            for (int w = 0; w < 30; w++) {                                 // JIT warm-up of every path below
                piece.accept(w % pieces);
                dynamicRun.run();
                fixedRun.run();
            }
            double[] alone = new double[rounds], callerPieces = new double[rounds], callerPer = new double[rounds];
            double[] otherPer = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                piece.accept(r % pieces);
                alone[r] = nanos.get(r % pieces) / 1e3;
            }
            // pieces and fixed shares take turns, round by round; the per-piece figures come from each round's pieces
            double[][] ns = Rounds.nanos(rounds, dynamicRun, fixedRun);
            // the attribution of the last run of the pieces, repeated once per round for the per-thread figures
            for (int r = 0; r < rounds; r++) {
                dynamicRun.run();
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
            }
            double[] dynamicUs = scale(ns[0], 1e-3), fixedUs = scale(ns[1], 1e-3);
            return new Result(condition, pieces, Sample.of(alone), Sample.of(callerPieces), Sample.of(callerPer),
                    Sample.of(otherPer), Sample.of(dynamicUs), Sample.of(fixedUs), Comparison.ofTimes(dynamicUs, fixedUs));
        } finally {
            stop.set(true);
            if (spinner != null) {
                try {
                    spinner.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** Arithmetic until told to stop: a thread that wants a core all the time and touches no memory. */
    private static void spin(AtomicBoolean stop) {
        double x = 1;
        while (!stop.get()) {
            for (int i = 0; i < 100_000; i++) {
                x = x * 0.999999 + 1e-9;
            }
        }
        blackhole = x;
    }

    private static double[] scale(double[] v, double factor) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] * factor;
        }
        return out;
    }

    /**
     * The rows [from, to) of C each piece covers: the pieces {@link Gemm#parallel} cuts a product of {@code m} rows
     * into, by its own {@link Gemm#rowPieceSize}.
     */
    static List<int[]> pieceRows(int m) {
        int size = Gemm.rowPieceSize(m, Gemm.MR);
        List<int[]> out = new ArrayList<>();
        for (int from = 0; from < m; from += size) {
            out.add(new int[] {from, Math.min(m, from + size)});
        }
        return out;
    }
}
