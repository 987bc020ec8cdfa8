package minibert.nn;

import org.ejml.data.DMatrixRMaj;

/**
 * A trainable tensor: its Hugging Face name, its kind, its value and the gradient that backward passes
 * accumulate into. Vectors (biases, LayerNorm gains and shifts) are stored as one-row matrices.
 */
public final class Param {

    /**
     * What a tensor is, which decides how it is initialised and whether AdamW decays it. Named by the
     * layer that creates it, never guessed from its name.
     */
    public enum Kind {
        /** A dense layer's weight matrix: truncated normal; decayed. */
        WEIGHT(true),
        /** An embedding table (word, position, token type): truncated normal; decayed, as in BERT. */
        EMBEDDING(true),
        /** A bias vector: zero; not decayed. */
        BIAS(false),
        /** A LayerNorm gain γ: one; not decayed (shrinking it toward 0 would fight the normalisation). */
        NORM_GAIN(false),
        /** A LayerNorm shift β: zero; not decayed. */
        NORM_SHIFT(false);

        private final boolean decayed;

        Kind(boolean decayed) {
            this.decayed = decayed;
        }

        /** Whether AdamW's decoupled weight decay applies (BERT: not to biases and LayerNorm parameters). */
        public boolean decayed() {
            return decayed;
        }

        /** Whether Hugging Face stores it as a vector {@code [n]} rather than a matrix. */
        public boolean vector() {
            return this == BIAS || this == NORM_GAIN || this == NORM_SHIFT;
        }
    }

    private final String name;
    private final Kind kind;
    private final DMatrixRMaj value;
    private final DMatrixRMaj grad;

    public Param(String name, Kind kind, int rows, int cols) {
        if (kind.vector() && rows != 1) {
            throw new IllegalArgumentException(name + ": a " + kind + " is a vector, not [" + rows + ", " + cols + "]");
        }
        this.name = name;
        this.kind = kind;
        this.value = new DMatrixRMaj(rows, cols);
        this.grad = new DMatrixRMaj(rows, cols);
    }

    public String name() {
        return name;
    }

    public Kind kind() {
        return kind;
    }

    public DMatrixRMaj value() {
        return value;
    }

    public DMatrixRMaj grad() {
        return grad;
    }

    /** The number of entries. */
    public int size() {
        return value.getNumElements();
    }

    /** Sets the gradient to zero, before a new backward pass. */
    public void zeroGrad() {
        grad.zero();
    }

    /** The shape as Hugging Face stores it: {@code [rows, cols]}, or {@code [cols]} for a vector. */
    public long[] hfShape() {
        return kind.vector() ? new long[] {value.numCols} : new long[] {value.numRows, value.numCols};
    }
}
