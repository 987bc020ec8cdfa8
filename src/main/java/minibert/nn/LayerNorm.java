package minibert.nn;

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
        normalized = new DMatrixRMaj(n, h);
        rstd = new double[n];
        DMatrixRMaj y = new DMatrixRMaj(n, h);
        double[] g = gamma.value().data, b = beta.value().data;
        for (int r = 0; r < n; r++) {
            int row = r * h;
            double mean = 0;
            for (int c = 0; c < h; c++) {
                mean += x.data[row + c];
            }
            mean /= h;
            double var = 0;
            for (int c = 0; c < h; c++) {
                double d = x.data[row + c] - mean;
                var += d * d;
            }
            var /= h;                                   // biased, as BERT
            double s = 1 / Math.sqrt(var + eps);
            rstd[r] = s;
            for (int c = 0; c < h; c++) {
                double xhat = (x.data[row + c] - mean) * s;
                normalized.data[row + c] = xhat;
                y.data[row + c] = g[c] * xhat + b[c];
            }
        }
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
        double[] g = gamma.value().data, dg = gamma.grad().data, db = beta.grad().data;
        for (int r = 0; r < n; r++) {
            int row = r * h;
            // first: the two row means the formula needs
            double meanDxhat = 0, meanDxhatXhat = 0;
            for (int c = 0; c < h; c++) {
                double dxhat = dy.data[row + c] * g[c];
                meanDxhat += dxhat;
                meanDxhatXhat += dxhat * normalized.data[row + c];
            }
            meanDxhat /= h;
            meanDxhatXhat /= h;
            // then: the parameter gradients and the input gradient
            for (int c = 0; c < h; c++) {
                double xhat = normalized.data[row + c];
                dg[c] += dy.data[row + c] * xhat;
                db[c] += dy.data[row + c];
                double dxhat = dy.data[row + c] * g[c];
                dx.data[row + c] = rstd[r] * (dxhat - meanDxhat - xhat * meanDxhatXhat);
            }
        }
        return dx;
    }
    // end::backward[]
}
