package minibert.nn;

import org.ejml.data.DMatrixRMaj;

/**
 * The position-wise feed-forward network: {@code y = GELU(x·W1ᵀ + b1)·W2ᵀ + b2},
 * x [N, H] → [N, I] → y [N, H].
 */
public final class FeedForward {

    private final Linear intermediate;
    private final Gelu gelu;
    private final Linear output;
    private DMatrixRMaj lastActivation;

    /** @param prefix e.g. {@code bert.encoder.layer.0} */
    public FeedForward(String prefix, int hidden, int inner, String activation) {
        this.intermediate = new Linear(prefix + ".intermediate.dense", hidden, inner);
        this.gelu = new Gelu(activation);
        this.output = new Linear(prefix + ".output.dense", inner, hidden);
    }

    public Linear intermediate() {
        return intermediate;
    }

    public Linear output() {
        return output;
    }

    /** GELU(x·W1ᵀ + b1) of the last forward pass [N, I]. */
    public DMatrixRMaj lastActivation() {
        return lastActivation;
    }

    // tag::forward[]
    public DMatrixRMaj forward(DMatrixRMaj x) {
        DMatrixRMaj h = intermediate.forward(x);   // [N, I]
        DMatrixRMaj a = gelu.forward(h);           // [N, I]
        lastActivation = a;
        return output.forward(a);                  // [N, H]
    }
    // end::forward[]

    // tag::backward[]
    public DMatrixRMaj backward(DMatrixRMaj dy) {
        DMatrixRMaj da = output.backward(dy);      // [N, I]
        DMatrixRMaj dh = gelu.backward(da);        // [N, I]
        return intermediate.backward(dh);          // [N, H]
    }
    // end::backward[]
}
