package minibert.train;

/**
 * Derives independent seeds from one run seed, so that every random choice of the data pipeline is a pure
 * function of (seed, what, which) and never of the order in which other choices were made: document d's
 * packing does not depend on the documents before it, batch k's order does not depend on batches 0…k−1.
 *
 * <p>{@code mix(seed, i)} is the i-th output of SplitMix64 (Steele, Lea and Flood 2014) started at
 * {@code seed}: the state {@code seed + (i + 1)·γ} with γ = 0x9E3779B97F4A7C15 (the golden ratio in 64
 * bits), passed through its finaliser. Nearby inputs give unrelated outputs, which
 * {@link java.util.Random}'s own seeding does not guarantee.
 */
public final class Seeds {

    /** Which random choice a seed is for; each a separate stream of the run seed. */
    public static final long HELD_OUT = 1, PACKING = 2, SHUFFLE = 3, MASKING = 4;
    /** The trainer's streams: dropout masks (per micro-batch), the held-out masks (per batch), initial weights. */
    public static final long DROPOUT = 5, EVALUATION = 6, INITIALISATION = 7;

    private static final long GAMMA = 0x9E3779B97F4A7C15L;

    private Seeds() {
    }

    /** The {@code index}-th SplitMix64 output from {@code seed}. */
    public static long mix(long seed, long index) {
        long z = seed + (index + 1) * GAMMA;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The seed of choice {@code index} of stream {@code stream} (e.g. {@link #PACKING}, document d). */
    public static long of(long seed, long stream, long index) {
        return mix(mix(seed, stream), index);
    }

    /** A uniform number in [0, 1) from the top 53 bits of {@code bits}. */
    public static double unit(long bits) {
        return (bits >>> 11) * 0x1.0p-53;
    }
}
