package minibert.nn;

import minibert.tensor.Kernels;
import minibert.tensor.Pool;

/**
 * Inverted dropout (Srivastava et al. 2014), as BERT applies it to the embeddings' output, to the attention
 * weights, and to the output of each attention and feed-forward block before its residual sum:
 *
 * <pre>
 * training:  y = x ⊙ m,  m_i = 0 with probability p, else 1/(1 − p)      (so that E[y] = x)
 * inference: y = x
 * backward:  dx = dy ⊙ m
 * </pre>
 *
 * The mask is drawn from the pass's counter-based generator ({@link Pass#bits}): 16 random bits per
 * element, four elements per 64-bit draw, an element dropped when its bits fall below p·2¹⁶ (rounded). The
 * scale uses the p those bits express exactly, 2¹⁶/(2¹⁶ − threshold), so E[y] = x holds without rounding
 * error in the probability (for p = 0.1 the difference is 6·10⁻⁶ of p).
 */
public final class Dropout {

    /**
     * Each thread's draws of one chunk, made before their multipliers: the draws are 64-bit multiplications, which
     * vectors do not have on AVX2, and the multipliers are comparisons, which vectors do eight or sixteen at a time
     * (one draw, four elements, at a time, the multipliers took two thirds of the mask's time). 2 KB, in the L1 cache.
     */
    private static final ThreadLocal<long[]> DRAWS = ThreadLocal.withInitial(() -> new long[256]);

    private final int site;
    private final int threshold;
    private final double scale;

    /**
     * @param site        this dropout's number in the model, so that no two sites share a mask
     * @param probability p, in [0, 1)
     */
    public Dropout(int site, double probability) {
        if (!(probability >= 0 && probability < 1)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), found " + probability);
        }
        this.site = site;
        this.threshold = (int) Math.round(probability * 65536);
        this.scale = 65536.0 / (65536 - threshold);
    }

    /** Whether this pass drops anything here: only in training, and only with p &gt; 0. */
    public boolean active(Pass pass) {
        return pass.training() && threshold > 0;
    }

    /**
     * Fills {@code mask[0, n)} with each element's multiplier, 0 or 1/(1 − p), for this pass, the blocks of four
     * split across the {@link Pool}.
     *
     * @param mask [n]. Modified.
     */
    public void mask(Pass pass, double[] mask, int n) {
        Pool.forRanges((n + 3) / 4, 1, 16, (from, to) -> mask(pass, mask, 4 * from, Math.min(n, 4 * to)));
    }

    /**
     * Fills {@code mask[from, to)} as {@link #mask(Pass, double[], int)} fills it, on the calling thread: element i
     * takes bits 16·(i mod 4) to 16·(i mod 4) + 15 of the draw of block i / 4, wherever the range starts and ends.
     *
     * @param mask [to] at least. Modified in [from, to).
     */
    // tag::mask[]
    public void mask(Pass pass, double[] mask, int from, int to) {
        int i = from;
        for (; i < to && i % 4 != 0; i++) {                               // a range may start inside a draw of four
            mask[i] = multiplier(pass.bits(site, i / 4) >>> (16 * (i % 4)));
        }
        long[] draws = DRAWS.get();
        while (i + 4 <= to) {                                             // whole draws, a chunk of them at a time:
            int blocks = Math.min(draws.length, (to - i) / 4);
            for (int b = 0; b < blocks; b++) {
                draws[b] = pass.bits(site, i / 4 + b);                    // 64 bits: four elements' worth
            }
            Kernels.dropoutMultipliers(draws, blocks, threshold, scale, mask, i);   // then their multipliers, by vectors
            i += 4 * blocks;
        }
        for (; i < to; i++) {                                             // and end inside one
            mask[i] = multiplier(pass.bits(site, i / 4) >>> (16 * (i % 4)));
        }
    }

    /**
     * 0 when the low 16 bits, uniform on [0, 2¹⁶), fall below the threshold, else the scale 1/(1 − p); without a
     * branch, which the processor would mispredict about once in ten elements (for p = 0.1): u − threshold is
     * negative exactly when u &lt; threshold, so its sign bit, flipped, is 0 or 1.
     */
    private double multiplier(long bits) {
        int u = (int) bits & 0xFFFF;
        return scale * (((u - threshold) >>> 31) ^ 1);
    }
    // end::mask[]

    /** y = x ⊙ mask, element-wise over [0, n); y may be x. */
    public static void apply(double[] x, double[] mask, double[] y, int n) {
        apply(x, mask, y, 0, n);
    }

    /** y = x ⊙ mask, element-wise over [from, to); y may be x. */
    public static void apply(double[] x, double[] mask, double[] y, int from, int to) {
        for (int i = from; i < to; i++) {
            y[i] = x[i] * mask[i];
        }
    }

    /** y = r + x ⊙ mask, element-wise over [0, n): a dropped branch joining its residual path; y may be x or r. */
    public static void applyAdd(double[] x, double[] mask, double[] r, double[] y, int n) {
        for (int i = 0; i < n; i++) {
            y[i] = r[i] + x[i] * mask[i];
        }
    }

    /** y = r + x, element-wise over [0, n): the same join without dropout; y may be x or r. */
    public static void add(double[] x, double[] r, double[] y, int n) {
        for (int i = 0; i < n; i++) {
            y[i] = r[i] + x[i];
        }
    }
}
