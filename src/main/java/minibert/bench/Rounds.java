package minibert.bench;

/**
 * Times several variants of one piece of work in rounds, one timed run of each per round, so that a burst of
 * other work on the machine slows every variant alike. The order of the variants turns by one each round, so that
 * none always runs first or last; each timed run follows an untimed run of the same variant, so that a kernel is
 * timed on operands in its own caches, as when it runs alone, and not on what the variant before it left there.
 * (A slow reference, such as EJML, may be spared that second run: the caches matter little to it.)
 */
final class Rounds {

    private Rounds() {
    }

    /**
     * A variant that leaves threads spinning after it returns (OpenBLAS on several threads): each of its runs, timed or
     * not, is followed by {@code settle}, untimed, so that the next variant does not share its cores with them.
     */
    record Settling(Runnable body, Runnable settle) implements Runnable {
        @Override
        public void run() {
            body.run();
        }
    }

    /**
     * After each run of any variant the pool's team parks ({@link minibert.tensor.Pool#rest()}: the kernel's threads
     * spin on after their work), and a {@link Settling} variant waits for threads of its own, unless the variant that
     * runs {@code next} is a {@link Settling} one too: the settling variants here are one library's, which finds its
     * own threads spinning and runs on them.
     */
    private static void settleAfter(Runnable variant, Runnable next) {
        minibert.tensor.Pool.rest();
        if (variant instanceof Settling s && !(next instanceof Settling)) {
            s.settle().run();
        }
    }

    /**
     * Nanoseconds of every timed run: {@code [variant][round]}. Each variant is first warmed up for 0.2 s (and at
     * least three runs), so that the JIT has compiled it.
     */
    static double[][] nanos(int rounds, Runnable... variants) {
        return nanos(rounds, false, variants);
    }

    /** As {@link #nanos(int, Runnable...)}; with {@code coldReference} variant 0 is timed without an untimed run first. */
    static double[][] nanos(int rounds, boolean coldReference, Runnable... variants) {
        return nanos(rounds, coldReference, WARM_UP_NANOS, variants);
    }

    /** How long each variant runs before its rounds, at least: long enough for the JIT to compile what it runs. */
    static final long WARM_UP_NANOS = 200_000_000L;

    /**
     * As {@link #nanos(int, boolean, Runnable...)}, with each variant warmed up for {@code warmUpNanos} (and at least
     * three runs) instead of {@link #WARM_UP_NANOS}: 0 for a pass whose figures are discarded, run only so that the JIT
     * compiles every variant before the pass that counts.
     */
    static double[][] nanos(int rounds, boolean coldReference, long warmUpNanos, Runnable... variants) {
        int n = variants.length;
        for (int k = 0; k < n; k++) {
            long warmUntil = System.nanoTime() + warmUpNanos;
            for (int w = 0; w < 3 || System.nanoTime() < warmUntil; w++) {
                variants[k].run();
            }
            settleAfter(variants[k], variants[(k + 1) % n]);      // the last is followed by round 0's first, variant 0
        }
        double[][] ns = new double[n][rounds];
        for (int i = 0; i < rounds; i++) {
            for (int j = 0; j < n; j++) {
                int v = (i + j) % n;
                if (v > 0 || !coldReference) {
                    variants[v].run();          // untimed, so that its operands are back in the caches of its threads
                }
                long t0 = System.nanoTime();
                variants[v].run();
                ns[v][i] = System.nanoTime() - t0;
                // what runs next: the next variant of this round, or the first of the next round
                settleAfter(variants[v], j + 1 < n ? variants[(i + j + 1) % n] : i + 1 < rounds ? variants[(i + 1) % n] : null);
            }
        }
        return ns;
    }

    /** GFLOP/s of each variant, all its runs: {@code flops} per run over {@link #nanos}; variant 0 is a cold reference. */
    static Sample[] rates(double flops, int rounds, Runnable... variants) {
        return rates(flops, nanos(rounds, true, variants));
    }

    /** GFLOP/s of each variant from its runs' nanoseconds ({@code [variant][round]}, as {@link #nanos} gives them). */
    static Sample[] rates(double flops, double[][] nanos) {
        Sample[] out = new Sample[nanos.length];
        for (int v = 0; v < nanos.length; v++) {
            out[v] = Sample.of(nanos[v]).inverse(flops);
        }
        return out;
    }

    /** {@code flops} ÷ each time: GFLOP/s from nanoseconds, one per round. */
    static double[] rates(double flops, double[] nanos) {
        double[] r = new double[nanos.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = flops / nanos[i];
        }
        return r;
    }
}
