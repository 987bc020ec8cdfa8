package minibert.tensor;

import org.ejml.data.DMatrixRMaj;

/** The {@link Products} backend that runs {@link Gemm} on all cores. Validated against {@link Products#EJML}. */
public final class VectorBackend implements Products.Backend {

    public static final VectorBackend INSTANCE = new VectorBackend();

    private VectorBackend() {
    }

    @Override
    public String name() {
        return "Vector API GEMM (" + Gemm.L + " doubles per vector, " + Gemm.threads() + " threads)";
    }

    @Override
    public void gemm(boolean transA, boolean transB, double alpha, DMatrixRMaj a, DMatrixRMaj b, double beta, DMatrixRMaj c) {
        int m = c.numRows, n = c.numCols, k = transA ? a.numRows : a.numCols;
        Gemm.parallel(transA, transB, m, n, k, alpha, a.data, a.numCols, b.data, b.numCols, beta, c.data, c.numCols);
    }
}
