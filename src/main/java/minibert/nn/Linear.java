package minibert.nn;

import minibert.tensor.Kernels;
import minibert.tensor.Products;
import org.ejml.data.DMatrixRMaj;

/**
 * A fully connected layer, weights {@code [out, in]} as in Hugging Face:
 *
 * <pre>
 * y = x·Wᵀ + b          x [N, in], W [out, in], b [out], y [N, out]
 * </pre>
 */
public final class Linear {

    private final String name;
    private final Param weight;
    private final Param bias;
    private DMatrixRMaj input;   // [N, in], kept for backward

    public Linear(String name, int in, int out) {
        this.name = name;
        this.weight = new Param(name + ".weight", out, in);
        this.bias = new Param(name + ".bias", 1, out);
    }

    public Param weight() {
        return weight;
    }

    public Param bias() {
        return bias;
    }

    public int in() {
        return weight.value().numCols;
    }

    public int out() {
        return weight.value().numRows;
    }

    /**
     * @param x input [N, in]. Not modified (kept until backward).
     * @return y [N, out], newly allocated
     */
    // tag::forward[]
    public DMatrixRMaj forward(DMatrixRMaj x) {
        Shapes.requireCols(name, "input", x, in());
        input = x;
        DMatrixRMaj y = new DMatrixRMaj(x.numRows, out());          // [N, out]
        Products.multTransB(x, weight.value(), y);                  // x·Wᵀ
        Kernels.addBias(y.data, bias.value().data, y.numRows, y.numCols); // + b on every row
        return y;
    }
    // end::forward[]

    /**
     * Accumulates dW += dyᵀ·x and db += Σ_rows dy; returns dx = dy·W.
     *
     * @param dy gradient of the loss with respect to y [N, out]. Not modified.
     * @return dx [N, in], newly allocated
     */
    // tag::backward[]
    public DMatrixRMaj backward(DMatrixRMaj dy) {
        Shapes.require(name, "output gradient", dy, input.numRows, out());
        Products.multAddTransA(dy, input, weight.grad());           // dW [out, in] += dyᵀ·x
        Kernels.addColumnSums(dy.data, bias.grad().data, dy.numRows, dy.numCols); // db [out] += Σ_rows dy
        DMatrixRMaj dx = new DMatrixRMaj(dy.numRows, in());         // [N, in]
        Products.mult(dy, weight.value(), dx);                      // dy·W
        return dx;
    }
    // end::backward[]
}
