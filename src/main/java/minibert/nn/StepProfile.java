package minibert.nn;

/**
 * Where a training step's time goes, per layer and per operation, measured on the real step: the layers mark the
 * end of each operation ({@link #lap}), and the time since the previous mark is added to that operation's clock.
 * Marks follow one another without gaps, so the clocks add up to the step's time. Switched on for one thread at
 * a time ({@link #start}); on any other thread, and whenever it is off, a mark is one comparison and returns. It
 * allocates nothing and reads no number the model computes, so it cannot change a result.
 *
 * <p>Precision-neutral: the float32 twin of the model marks the same clocks.
 */
public final class StepProfile {

    /** The operations a step is split into; forward and backward are kept apart. */
    public enum Op {
        EMBEDDINGS("embeddings (lookup, sum, LayerNorm, dropout)"),
        PROJECTIONS("attention projections Q, K, V"),
        SCORES("scores Q·Kᵀ/√d"),
        SOFTMAX("mask, softmax, dropout"),
        CONTEXT("context P·V"),
        HEADS("attention by head (scores, softmax, dropout, context)"),
        OUTPUT("attention output projection"),
        RESIDUAL_NORM("residual + LayerNorm"),
        UP_PROJECTION("FFN up x·W1ᵀ + b1"),
        GELU("GELU"),
        DOWN_PROJECTION("FFN down a·W2ᵀ + b2"),
        MLM_HEAD("MLM head (transform, decoder, loss)"),
        NORMS("gradient norm, clipping, report"),
        ADAMW("AdamW (and zeroing the gradients)");

        private final String label;

        Op(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** The most encoder layers a profile separates; deeper layers share the last clock. */
    public static final int MAX_LAYERS = 64;

    private static final int OPS = Op.values().length;
    private static final long[] NANOS = new long[(MAX_LAYERS + 1) * OPS * 2];   // [layer + 1][op][backward]
    private static Thread owner;
    private static long last;
    private static int layer = -1;
    private static int direction;

    private StepProfile() {
    }

    /** Switches the profile on for the calling thread, clocks zeroed; the step's first mark counts from now. */
    public static void start() {
        java.util.Arrays.fill(NANOS, 0);
        layer = -1;
        direction = 0;
        owner = Thread.currentThread();
        last = System.nanoTime();
    }

    /** Restarts the clock of the next mark from now (time between steps counts nowhere). */
    public static void resume() {
        if (Thread.currentThread() == owner) {
            layer = -1;
            direction = 0;
            last = System.nanoTime();
        }
    }

    /** Switches the profile off. */
    public static void stop() {
        owner = null;
    }

    /** The marks that follow belong to encoder layer {@code l} (−1: outside the layers). */
    public static void layer(int l) {
        if (Thread.currentThread() == owner) {
            layer = Math.min(l, MAX_LAYERS - 1);
        }
    }

    /** The marks that follow belong to the backward pass ({@code true}) or the forward pass. */
    public static void backward(boolean b) {
        if (Thread.currentThread() == owner) {
            direction = b ? 1 : 0;
        }
    }

    /** Operation {@code op} has just ended: the time since the previous mark is its. */
    public static void lap(Op op) {
        if (Thread.currentThread() != owner) {
            return;
        }
        long now = System.nanoTime();
        NANOS[((layer + 1) * OPS + op.ordinal()) * 2 + direction] += now - last;
        last = now;
    }

    /** Nanoseconds of {@code op} in layer {@code l} (−1: outside the layers), forward or backward, since {@link #start}. */
    public static long nanos(int l, Op op, boolean backward) {
        return NANOS[((l + 1) * OPS + op.ordinal()) * 2 + (backward ? 1 : 0)];
    }
}
