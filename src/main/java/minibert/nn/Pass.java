package minibert.nn;

/**
 * How a forward pass runs: in training, with dropout, or in inference, without. The pass travels with
 * every forward call, so that the same model can evaluate between two training steps without either
 * disturbing the other.
 *
 * <p>Dropout's random decisions are a pure function of {@code (seed, site, index)}: a counter-based
 * generator (SplitMix64's finaliser applied to a counter, as in Salmon et al.'s "Parallel random numbers:
 * as easy as 1, 2, 3"), not a stream. Three things follow. A gradient check can hold the dropout mask fixed
 * by passing the same seed to every forward pass; a layer recomputed in the backward pass (activation
 * checkpointing) draws exactly the mask of its first forward pass; and a resumed training run needs no
 * generator state, only the step number from which the seed is derived.
 *
 * <p>Precision-neutral: the float32 twin uses this class as it is.
 *
 * @param training whether dropout is applied
 * @param seed     the seed of this pass's dropout decisions (unused in inference)
 */
public record Pass(boolean training, long seed) {

    /** Inference: no dropout. */
    public static final Pass INFERENCE = new Pass(false, 0);

    /** A training pass whose dropout decisions follow from {@code seed}. */
    public static Pass training(long seed) {
        return new Pass(true, seed);
    }

    /**
     * 64 random bits for block {@code block} of dropout site {@code site}: the finaliser of SplitMix64
     * (Steele, Lea and Flood 2014) applied to a key that mixes the three numbers. Every bit passes the
     * usual statistical tests for a counter this simple, and the function costs a few multiplications.
     */
    public long bits(int site, long block) {
        long z = seed + 0x9E3779B97F4A7C15L * (block + 1) + 0xD1B54A32D192ED03L * (site + 1);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        // a second round, so that neighbouring (site, block) keys share no structure
        z = (z + 0x9E3779B97F4A7C15L) * 0xBF58476D1CE4E5B9L;
        return z ^ (z >>> 29);
    }
}
