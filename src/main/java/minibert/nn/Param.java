package minibert.nn;

import org.ejml.data.DMatrixRMaj;

/**
 * A trainable tensor: its Hugging Face name, its value and the gradient that backward passes accumulate
 * into. Vectors (biases, LayerNorm gains) are stored as one-row matrices.
 */
public final class Param {

    private final String name;
    private final DMatrixRMaj value;
    private final DMatrixRMaj grad;

    public Param(String name, int rows, int cols) {
        this.name = name;
        this.value = new DMatrixRMaj(rows, cols);
        this.grad = new DMatrixRMaj(rows, cols);
    }

    public String name() {
        return name;
    }

    public DMatrixRMaj value() {
        return value;
    }

    public DMatrixRMaj grad() {
        return grad;
    }

    /** Sets the gradient to zero, before a new backward pass. */
    public void zeroGrad() {
        grad.zero();
    }

    /** The shape as Hugging Face stores it: {@code [rows, cols]}, or {@code [cols]} for a vector. */
    public long[] hfShape(boolean vector) {
        return vector ? new long[] {value.numCols} : new long[] {value.numRows, value.numCols};
    }
}
