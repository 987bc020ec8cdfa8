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

    @Override
    public void batched(boolean transA, boolean transB, int m, int n, int k, double alpha, DMatrixRMaj a, int[] aOff, int lda,
                        DMatrixRMaj b, int[] bOff, int ldb, double beta, DMatrixRMaj c, int[] cOff, int ldc) {
        Gemm.batched(transA, transB, m, n, k, alpha, a.data, aOff, lda, b.data, bOff, ldb, beta, c.data, cOff, ldc);
    }

    /** {@link Gemm#gemm} on sub-matrices: single-threaded. */
    @Override
    public void block(boolean transA, boolean transB, int m, int n, int k, double alpha, DMatrixRMaj a, int aOff, int lda,
                      DMatrixRMaj b, int bOff, int ldb, double beta, DMatrixRMaj c, int cOff, int ldc) {
        Gemm.gemm(transA, transB, m, n, k, alpha, a.data, aOff, lda, b.data, bOff, ldb, beta, c.data, cOff, ldc);
    }

    @Override
    public boolean blockOnCallingThread() {
        return true;
    }
}
