package minibert.tensor;

/**
 * Whether the fused kernels ({@link Kernels#biasGelu}, {@link Kernels#maskedSoftmaxRows}, {@link Kernels#biasSoftmaxRows},
 * {@link Kernels#residualLayerNorm}, the attention one head at a time, and the optimiser's single pass over every
 * tensor) run fused, or as the separate passes they replaced. Each fused kernel computes every element with the same operations in the same
 * order as its separate passes, so the two give the same bits (the tests compare them); the switch changes only
 * how often memory is read and written. It exists so that the book can time a step both ways in one run.
 * Precision-neutral: both the double kernels and their float32 twin read it.
 */
public final class Fusion {

    private static volatile boolean separate;

    private Fusion() {
    }

    /** Whether the fused kernels run as their separate passes instead. */
    public static boolean separatePasses() {
        return separate;
    }

    /** Makes every fused kernel run as its separate passes ({@code true}) or fused ({@code false}, the default). */
    public static void separatePasses(boolean value) {
        separate = value;
    }
}
