package minibert.nn;

import minibert.tensor.Kernels;
import minibert.tensor.Products;
import org.ejml.data.DMatrixRMaj;

/**
 * A fully connected layer, weights {@code [out, in]} as in Hugging Face:
 *
 * <pre>
 * forward:   y = x·Wᵀ + b          x [N, in], W [out, in], b [out], y [N, out]
 * backward:  dW += dyᵀ·x,  db += Σ_rows dy,  dx += dy·W
 * </pre>
 *
 * The backward pass <em>adds</em> into dx (llm.c's {@code +=}): a layer that ends a residual branch adds its
 * input gradient onto the gradient the residual path already carries, with no separate sum.
 */
public final class Linear {

    private final String name;
    private final Param weight;
    private final Param bias;
    private final Products products;

    public Linear(String name, int in, int out, Products products) {
        this.name = name;
        this.weight = new Param(name + ".weight", Param.Kind.WEIGHT, out, in);
        this.bias = new Param(name + ".bias", Param.Kind.BIAS, 1, out);
        this.products = products;
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
     * @param x input [N, in]. Not modified.
     * @param y output [N, out]. Modified (written).
     */
    // tag::forward[]
    public void forward(DMatrixRMaj x, DMatrixRMaj y) {
        Shapes.requireCols(name, "input", x, in());
        Shapes.require(name, "output", y, x.numRows, out());
        products.multTransB(x, weight.value(), y);                       // y = x·Wᵀ
        Kernels.addBias(y.data, bias.value().data, y.numRows, y.numCols); // + b on every row
    }
    // end::forward[]

    /**
     * y = x·Wᵀ without the bias, for a caller that adds it in a pass of its own (the FFN adds it with GELU).
     *
     * @param x input [N, in]. Not modified.
     * @param y output [N, out]. Modified (written).
     */
    public void forwardWithoutBias(DMatrixRMaj x, DMatrixRMaj y) {
        Shapes.requireCols(name, "input", x, in());
        Shapes.require(name, "output", y, x.numRows, out());
        products.multTransB(x, weight.value(), y);
    }

    /**
     * @param x  the forward pass's input [N, in]. Not modified.
     * @param dy gradient of the loss with respect to y [N, out]. Not modified.
     * @param dx gradient with respect to x [N, in]. Modified: dy·W is added to it.
     */
    // tag::backward[]
    public void backward(DMatrixRMaj x, DMatrixRMaj dy, DMatrixRMaj dx) {
        Shapes.require(name, "output gradient", dy, x.numRows, out());
        Shapes.require(name, "input gradient", dx, x.numRows, in());
        products.multAddTransA(dy, x, weight.grad());                    // dW [out, in] += dyᵀ·x
        Kernels.addColumnSums(dy.data, bias.grad().data, dy.numRows, dy.numCols); // db [out] += Σ_rows dy
        products.multAdd(dy, weight.value(), dx);                        // dx [N, in] += dy·W
    }
    // end::backward[]

    /**
     * {@link #backward} for an input gradient that starts here: dx = dy·W is written rather than added, so the
     * caller need not zero dx first, and the product does not read it.
     *
     * @param x  the forward pass's input [N, in]. Not modified.
     * @param dy gradient of the loss with respect to y [N, out]. Not modified.
     * @param dx gradient with respect to x [N, in]. Modified (written).
     */
    public void backwardWritten(DMatrixRMaj x, DMatrixRMaj dy, DMatrixRMaj dx) {
        Shapes.require(name, "output gradient", dy, x.numRows, out());
        Shapes.require(name, "input gradient", dx, x.numRows, in());
        products.multAddTransA(dy, x, weight.grad());                    // dW [out, in] += dyᵀ·x
        Kernels.addColumnSums(dy.data, bias.grad().data, dy.numRows, dy.numCols); // db [out] += Σ_rows dy
        products.mult(dy, weight.value(), dx);                           // dx [N, in] = dy·W
    }
}
