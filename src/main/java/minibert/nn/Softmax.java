package minibert.nn;

import org.ejml.data.DMatrixRMaj;

/** The softmax of each row, and its backward pass. */
public final class Softmax {

    private Softmax() {
    }

    /**
     * p_ij = exp(s_ij − max_j s_ij) / Σ_j exp(s_ij − max_j s_ij), in place. Subtracting the row maximum
     * changes nothing mathematically (softmax is shift-invariant) and keeps exp from overflowing.
     */
    // tag::forward[]
    public static void rows(DMatrixRMaj s) {
        int n = s.numCols;
        for (int r = 0; r < s.numRows; r++) {
            int row = r * n;
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < n; c++) {
                max = Math.max(max, s.data[row + c]);
            }
            double sum = 0;
            for (int c = 0; c < n; c++) {
                double e = Math.exp(s.data[row + c] - max);
                s.data[row + c] = e;
                sum += e;
            }
            for (int c = 0; c < n; c++) {
                s.data[row + c] /= sum;
            }
        }
    }
    // end::forward[]

    /**
     * The Jacobian of one row is ∂p_j/∂s_k = p_j(δ_jk − p_k), so
     * ds_k = Σ_j dp_j p_j (δ_jk − p_k) = p_k (dp_k − Σ_j dp_j p_j).
     *
     * @param p  the softmax output [N, n]. Not modified.
     * @param dp the gradient with respect to p [N, n]. Not modified.
     * @return ds [N, n]
     */
    // tag::backward[]
    public static DMatrixRMaj backwardRows(DMatrixRMaj p, DMatrixRMaj dp) {
        int n = p.numCols;
        DMatrixRMaj ds = new DMatrixRMaj(p.numRows, n);
        for (int r = 0; r < p.numRows; r++) {
            int row = r * n;
            double dot = 0;
            for (int c = 0; c < n; c++) {
                dot += dp.data[row + c] * p.data[row + c];
            }
            for (int c = 0; c < n; c++) {
                ds.data[row + c] = p.data[row + c] * (dp.data[row + c] - dot);
            }
        }
        return ds;
    }
    // end::backward[]
}
