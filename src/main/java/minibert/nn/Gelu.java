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
 */
public final class Gelu {

    private final boolean tanh;
    private DMatrixRMaj input;
    private DMatrixRMaj gate;    // erf(x/√2), or the tanh of the tanh form: kept so that backward needs no second erf

    /** @param activation {@code gelu} (exact) or {@code gelu_tanh} */
    public Gelu(String activation) {
        this.tanh = switch (activation) {
            case "gelu" -> false;
            case "gelu_tanh" -> true;
            default -> throw new IllegalArgumentException("unknown activation '" + activation + "'");
        };
    }

    // tag::forward[]
    public DMatrixRMaj forward(DMatrixRMaj x) {
        input = x;
        gate = new DMatrixRMaj(x.numRows, x.numCols);
        DMatrixRMaj y = new DMatrixRMaj(x.numRows, x.numCols);
        Kernels.gelu(x.data, y.data, gate.data, x.getNumElements(), tanh);  // y = ½·x·(1 + gate), element-wise
        return y;
    }
    // end::forward[]

    // tag::backward[]
    public DMatrixRMaj backward(DMatrixRMaj dy) {
        DMatrixRMaj dx = new DMatrixRMaj(dy.numRows, dy.numCols);
        Kernels.geluBackward(input.data, gate.data, dy.data, dx.data, dy.getNumElements(), tanh);   // dx = dy ⊙ gelu'(x)
        return dx;
    }
    // end::backward[]
}
