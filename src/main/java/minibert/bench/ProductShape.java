package minibert.bench;

import java.util.Locale;

/**
 * One matrix product: C [m, n] = op(A) op(B), with op(A) [m, k] and op(B) [k, n], {@code batch} times over
 * (the attention heads).
 *
 * @param label  what the product is in the model, e.g. "FFN up  x·W1ᵀ"
 * @param transA op(A) = Aᵀ, A stored [k, m]
 * @param transB op(B) = Bᵀ, B stored [n, k]
 */
public record ProductShape(String label, int m, int n, int k, boolean transA, boolean transB, int batch) {

    /** 2·m·n·k·batch: a multiply and an add per term. */
    public double flops() {
        return 2.0 * m * n * k * batch;
    }

    /**
     * Arithmetic intensity in flops per byte: the flops over the bytes of A and B read once and C read and
     * written once, in doubles. The least traffic a product can have; what it moves is more.
     */
    public double intensity() {
        return 2.0 * m * n * k / (8.0 * ((double) m * k + (double) k * n + 2.0 * m * n));
    }

    /** "m×n×k", or "batch × m×n×k". */
    public String dims() {
        return (batch > 1 ? batch + " × " : "") + m + "×" + n + "×" + k;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s %s%s", label, dims(), transA ? " (Aᵀ)" : transB ? " (Bᵀ)" : "");
    }
}
