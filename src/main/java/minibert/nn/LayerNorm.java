package minibert.nn;

import minibert.tensor.Kernels;
import org.ejml.data.DMatrixRMaj;

/**
 * Layer normalisation over each row, with the biased variance and ε inside the square root, as BERT:
 *
 * <pre>
 * μ = mean(x),  σ² = mean((x − μ)²),  x̂ = (x − μ) / √(σ² + ε),  y = γ ⊙ x̂ + β      x, y [N, H]; γ, β [H]
 * </pre>
 */
public final class LayerNorm {

    /** What backward needs of a forward pass over at most {@code capacity} rows: x̂ and 1/√(σ² + ε) per row. */
    public static final class Activations {
        final DMatrixRMaj normalized;   // x̂ [N, H]
        double[] rstd;                  // 1 / √(σ² + ε) [N]

        public Activations(int rows, int width) {
            normalized = new DMatrixRMaj(rows, width);
            rstd = new double[rows];
        }

        /** Makes room for {@code rows} rows, reusing the buffers when they are large enough. */
        void reshape(int rows) {
            normalized.reshape(rows, normalized.numCols);
            if (rstd.length < rows) {
                rstd = new double[rows];
            }
        }

        /** x̂ of the last forward pass [N, H]. */
        public DMatrixRMaj normalized() {
            return normalized;
        }
    }

    private final String name;
    private final Param gamma;
    private final Param beta;
    private final double eps;

    public LayerNorm(String name, int width, double eps) {
        this.name = name;
        this.gamma = new Param(name + ".weight", Param.Kind.NORM_GAIN, 1, width);
        this.beta = new Param(name + ".bias", Param.Kind.NORM_SHIFT, 1, width);
        this.eps = eps;
        java.util.Arrays.fill(gamma.value().data, 1.0);
    }

    public Param gamma() {
        return gamma;
    }

    public Param beta() {
        return beta;
    }

    /**
     * @param x    input [N, H]. Not modified.
     * @param acts x̂ and 1/σ for backward. Modified.
     * @param y    output [N, H]. Modified (written); may not be x.
     */
    // tag::forward[]
    public void forward(DMatrixRMaj x, Activations acts, DMatrixRMaj y) {
        int n = x.numRows, h = gamma.value().numCols;
        Shapes.requireCols(name, "input", x, h);
        Shapes.require(name, "output", y, n, h);
        acts.reshape(n);
        Kernels.layerNorm(x.data, gamma.value().data, beta.value().data, eps, y.data, acts.normalized.data, acts.rstd, n, h);
    }
    // end::forward[]

    /**
     * A residual join and this LayerNorm in one pass: x = r + branch ⊙ mask (r + branch without dropout), y = LN(x).
     *
     * @param branch a block's output [N, H]; becomes x. Modified.
     * @param mask   dropout's multipliers on the branch [N, H], or null when the pass drops nothing. Not modified.
     * @param r      the residual path [N, H]. Not modified.
     * @param acts   x̂ and 1/σ for backward. Modified.
     * @param y      output [N, H]. Modified (written); may not be branch or r.
     */
    // tag::forward-residual[]
    public void forward(DMatrixRMaj branch, double[] mask, DMatrixRMaj r, Activations acts, DMatrixRMaj y) {
        int n = branch.numRows, h = gamma.value().numCols;
        Shapes.require(name, "branch", branch, n, h);
        Shapes.require(name, "residual", r, n, h);
        Shapes.require(name, "output", y, n, h);
        acts.reshape(n);
        Kernels.residualLayerNorm(branch.data, mask, r.data, gamma.value().data, beta.value().data, eps, y.data,
                acts.normalized.data, acts.rstd, n, h);
    }
    // end::forward-residual[]

    /**
     * dγ += Σ_rows dy ⊙ x̂, dβ += Σ_rows dy, and dx = (1/σ)·(dx̂ − mean(dx̂) − x̂ ⊙ mean(dx̂ ⊙ x̂)) with
     * dx̂ = dy ⊙ γ.
     *
     * @param acts what the forward pass kept. Not modified.
     * @param dy   gradient with respect to y [N, H]. Not modified.
     * @param dx   gradient with respect to x [N, H]. Modified (written, not added: LayerNorm begins a branch's
     *             gradient); may be dy.
     */
    // tag::backward[]
    public void backward(Activations acts, DMatrixRMaj dy, DMatrixRMaj dx) {
        int n = dy.numRows, h = gamma.value().numCols;
        Shapes.require(name, "output gradient", dy, acts.normalized.numRows, h);
        Shapes.require(name, "input gradient", dx, n, h);
        Kernels.layerNormBackward(dy.data, acts.normalized.data, acts.rstd, gamma.value().data, dx.data,
                gamma.grad().data, beta.grad().data, n, h);
    }
    // end::backward[]
}
