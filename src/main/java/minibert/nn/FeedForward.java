package minibert.nn;

import minibert.tensor.Products;
import org.ejml.data.DMatrixRMaj;

import static minibert.nn.StepProfile.Op.DOWN_PROJECTION;
import static minibert.nn.StepProfile.Op.UP_PROJECTION;
import static minibert.nn.StepProfile.Op.GELU;
import static minibert.nn.StepProfile.lap;

/**
 * The position-wise feed-forward network:
 *
 * <pre>
 * u = x·W1ᵀ + b1      [N, I]      "intermediate.dense" (its bias added in GELU's pass)
 * a = GELU(u)         [N, I]
 * y = a·W2ᵀ + b2      [N, H]      "output.dense"
 * </pre>
 */
public final class FeedForward {

    /** What backward needs of one forward pass over N rows. */
    public static final class Activations {
        final DMatrixRMaj inner;        // u [N, I]
        final DMatrixRMaj gate;         // GELU's gate of u [N, I]
        final DMatrixRMaj activation;   // a [N, I]

        public Activations(int rows, int inner) {
            this.inner = new DMatrixRMaj(rows, inner);
            this.gate = new DMatrixRMaj(rows, inner);
            this.activation = new DMatrixRMaj(rows, inner);
        }

        /** GELU(x·W1ᵀ + b1) of the last forward pass [N, I]. */
        public DMatrixRMaj activation() {
            return activation;
        }
    }

    private final Linear intermediate;
    private final Gelu gelu;
    private final Linear output;

    /** @param prefix e.g. {@code bert.encoder.layer.0} */
    public FeedForward(String prefix, int hidden, int inner, String activation, Products products) {
        this.intermediate = new Linear(prefix + ".intermediate.dense", hidden, inner, products);
        this.gelu = new Gelu(activation);
        this.output = new Linear(prefix + ".output.dense", inner, hidden, products);
    }

    public Linear intermediate() {
        return intermediate;
    }

    public Linear output() {
        return output;
    }

    /**
     * @param x    input [N, H]. Not modified.
     * @param acts u, the gate and a. Modified.
     * @param y    output [N, H]. Modified (written).
     */
    // tag::forward[]
    public void forward(DMatrixRMaj x, Activations acts, DMatrixRMaj y) {
        intermediate.forwardWithoutBias(x, acts.inner);        // x·W1ᵀ [N, I]
        lap(UP_PROJECTION);
        gelu.forward(acts.inner, intermediate.bias().value(), acts.gate, acts.activation); // u = x·W1ᵀ + b1, a = GELU(u)
        lap(GELU);
        output.forward(acts.activation, y);                    // y [N, H]
        lap(DOWN_PROJECTION);
    }
    // end::forward[]

    /**
     * @param x      the forward pass's input [N, H]. Not modified.
     * @param acts   what the forward pass kept. Not modified.
     * @param dy     gradient with respect to y [N, H]. Not modified.
     * @param dx     gradient with respect to x [N, H]. Modified: the gradient through this block is added.
     * @param dInner scratch [N, I]. Modified.
     */
    // tag::backward[]
    public void backward(DMatrixRMaj x, Activations acts, DMatrixRMaj dy, DMatrixRMaj dx, DMatrixRMaj dInner) {
        output.backwardWritten(acts.activation, dy, dInner);   // da [N, I], written
        lap(DOWN_PROJECTION);
        gelu.backward(acts.inner, acts.gate, dInner, dInner);  // du [N, I], in place
        lap(GELU);
        intermediate.backward(x, dInner, dx);                  // dx [N, H] += du·W1
        lap(UP_PROJECTION);
    }
    // end::backward[]
}
