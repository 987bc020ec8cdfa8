package minibert.nn;

import minibert.tensor.Kernels;
import org.ejml.data.DMatrixRMaj;

/**
 * The Gaussian error linear unit, element-wise, in BERT's exact form or its tanh approximation:
 *
 * <pre>
 * exact: gelu(x) = x·Φ(x) = ½·x·(1 + erf(x/√2))         gelu'(x) = Φ(x) + x·φ(x)
 * tanh:  gelu(x) ≈ ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
 * </pre>
 *
 * The forward pass keeps the <em>gate</em>, erf(x/√2) or the tanh of the tanh form, so that backward needs no
 * second erf.
 */
public final class Gelu {

    private final boolean tanh;

    /** @param activation {@code gelu} (exact) or {@code gelu_tanh} */
    public Gelu(String activation) {
        this.tanh = switch (activation) {
            case "gelu" -> false;
            case "gelu_tanh" -> true;
            default -> throw new IllegalArgumentException("unknown activation '" + activation + "'");
        };
    }

    /**
     * @param x    input [N, n]. Not modified.
     * @param gate the gate of every element [N, n]. Modified.
     * @param y    output [N, n]. Modified; may not be x.
     */
    // tag::forward[]
    public void forward(DMatrixRMaj x, DMatrixRMaj gate, DMatrixRMaj y) {
        Kernels.gelu(x.data, y.data, gate.data, x.getNumElements(), tanh);  // y = ½·x·(1 + gate), element-wise
    }
    // end::forward[]

    /**
     * The bias of the layer before and GELU in one pass: u = x + b (row by row), y = gelu(u).
     *
     * @param x    x·Wᵀ without its bias [N, n]; becomes u, GELU's input, which backward needs. Modified.
     * @param bias b [n]. Not modified.
     * @param gate the gate of every element [N, n]. Modified.
     * @param y    output [N, n]. Modified; may not be x.
     */
    // tag::forward-bias[]
    public void forward(DMatrixRMaj x, DMatrixRMaj bias, DMatrixRMaj gate, DMatrixRMaj y) {
        Kernels.biasGelu(x.data, bias.data, gate.data, y.data, x.numRows, x.numCols, tanh);   // u = x + b; y = ½·u·(1 + gate)
    }
    // end::forward-bias[]

    /**
     * @param x    the forward pass's input [N, n]. Not modified.
     * @param gate the forward pass's gate [N, n]. Not modified.
     * @param dy   gradient with respect to y [N, n]. Not modified.
     * @param dx   gradient with respect to x [N, n]. Modified (written); may be dy.
     */
    // tag::backward[]
    public void backward(DMatrixRMaj x, DMatrixRMaj gate, DMatrixRMaj dy, DMatrixRMaj dx) {
        Kernels.geluBackward(x.data, gate.data, dy.data, dx.data, dy.getNumElements(), tanh);   // dx = dy ⊙ gelu'(x)
    }
    // end::backward[]
}
