package minibert.nn;

import minibert.tensor.Kernels;
import org.ejml.data.DMatrixRMaj;

/** The softmax of each row, and its backward pass. */
public final class Softmax {

    private Softmax() {
    }

    /**
     * p_ij = exp(s_ij − max_j s_ij) / Σ_j exp(s_ij − max_j s_ij), in place. Subtracting the row maximum
     * changes nothing mathematically (softmax is shift-invariant) and keeps exp from overflowing.
     */
    public static void rows(DMatrixRMaj s) {
        Kernels.softmaxRows(s.data, s.numRows, s.numCols);
    }

    /**
     * p = softmax(z + b) row by row, in place: the bias added in the softmax's pass ({@link Kernels#biasSoftmaxRows}),
     * the same bits as adding it first.
     *
     * @param z logits [N, n]; becomes p. Modified.
     * @param b the bias [1, n]. Not modified.
     */
    public static void biasRows(DMatrixRMaj z, DMatrixRMaj b) {
        Shapes.require("softmax", "bias", b, 1, z.numCols);
        Kernels.biasSoftmaxRows(z.data, b.data, z.numRows, z.numCols);
    }

    /**
     * The attention's softmax with its additive mask, in one pass over each row: s_ij += masked where key j is
     * padding, then {@link #rows}' softmax, in place. Row r takes mask row r / rowsPerMask.
     *
     * @param s           scores [N, n]. Modified.
     * @param mask        1 for a real key, 0 for padding [N / rowsPerMask, n]. Not modified.
     * @param rowsPerMask rows that share one mask row (a sequence's heads and queries, A·T)
     */
    public static void maskedRows(DMatrixRMaj s, int[] mask, int rowsPerMask, double masked) {
        requireMask(s, mask, rowsPerMask);
        Kernels.maskedSoftmaxRows(s.data, s.numRows, s.numCols, mask, rowsPerMask, masked);
    }

    /** Refuses a mask with fewer rows than {@link #maskedRows} reads for s, with the numbers. */
    static void requireMask(DMatrixRMaj s, int[] mask, int rowsPerMask) {
        if (s.numRows % rowsPerMask != 0 || (long) s.numRows / rowsPerMask * s.numCols > mask.length) {
            throw new IllegalArgumentException("softmax: " + s.numRows + " rows in groups of " + rowsPerMask + " need "
                    + s.numRows / rowsPerMask + " mask rows of " + s.numCols + ", the mask has " + mask.length + " entries");
        }
    }

    /**
     * ds_k = p_k (dp_k − Σ_j dp_j p_j), row by row (the softmax Jacobian contracted with dp).
     *
     * @param p  the softmax output [N, n]. Not modified.
     * @param dp the gradient with respect to p [N, n]. Not modified (unless it is ds).
     * @param ds the gradient with respect to the softmax's input [N, n]. Modified; may be dp.
     */
    public static void backwardRows(DMatrixRMaj p, DMatrixRMaj dp, DMatrixRMaj ds) {
        Shapes.require("softmax", "gradient", dp, p.numRows, p.numCols);
        Shapes.require("softmax", "input gradient", ds, p.numRows, p.numCols);
        Kernels.softmaxRowsBackward(p.data, dp.data, ds.data, p.numRows, p.numCols);
    }
}
