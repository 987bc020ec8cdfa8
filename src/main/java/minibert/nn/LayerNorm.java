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

    private final String name;
    private final Param gamma;
    private final Param beta;
    private final double eps;
    private DMatrixRMaj normalized;  // x̂ [N, H]
    private double[] rstd;           // 1 / √(σ² + ε) per row [N]

    public LayerNorm(String name, int width, double eps) {
        this.name = name;
        this.gamma = new Param(name + ".weight", 1, width);
        this.beta = new Param(name + ".bias", 1, width);
        this.eps = eps;
        java.util.Arrays.fill(gamma.value().data, 1.0);
    }

    public Param gamma() {
        return gamma;
    }

    public Param beta() {
        return beta;
    }

    // tag::forward[]
    public DMatrixRMaj forward(DMatrixRMaj x) {
        int n = x.numRows, h = gamma.value().numCols;
        Shapes.requireCols(name, "input", x, h);
        normalized = new DMatrixRMaj(n, h);                     // x̂, kept for backward
        rstd = new double[n];                                   // 1/√(σ² + ε) per row
        DMatrixRMaj y = new DMatrixRMaj(n, h);
        Kernels.layerNorm(x.data, gamma.value().data, beta.value().data, eps, y.data, normalized.data, rstd, n, h);
        return y;
    }
    // end::forward[]

    /**
     * dγ += Σ_rows dy ⊙ x̂, dβ += Σ_rows dy, and
     * dx = (1/σ)·(dx̂ − mean(dx̂) − x̂ ⊙ mean(dx̂ ⊙ x̂)) with dx̂ = dy ⊙ γ.
     */
    // tag::backward[]
    public DMatrixRMaj backward(DMatrixRMaj dy) {
        int n = dy.numRows, h = gamma.value().numCols;
        Shapes.require(name, "output gradient", dy, normalized.numRows, h);
        DMatrixRMaj dx = new DMatrixRMaj(n, h);
        Kernels.layerNormBackward(dy.data, normalized.data, rstd, gamma.value().data, dx.data,
                gamma.grad().data, beta.grad().data, n, h);
        return dx;
    }
    // end::backward[]
}
