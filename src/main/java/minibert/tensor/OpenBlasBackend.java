package minibert.tensor;

import org.ejml.data.DMatrixRMaj;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The {@link Products} backend that calls OpenBLAS's {@code cblas_dgemm} ({@link OpenBlas}): the measured anchor the
 * pure-Java kernel is compared with, validated against {@link Products#EJML} like the others. OpenBLAS splits each
 * product across its own threads; the batched products (the attention's heads) are one call per block, in order,
 * on the calling thread, as a program without a batched BLAS would make them.
 *
 * <p>Its results are deterministic for one thread count on one CPU kernel only: a run trained on it resumes
 * bit for bit on the same machine with the same threads, and the trainer refuses to resume a run on another backend
 * (the backend is one of the run's recorded settings).
 */
public final class OpenBlasBackend implements Products.Backend {

    public static final OpenBlasBackend INSTANCE = new OpenBlasBackend();

    /** {@code cblas_dgemm}, or {@code cblas_sgemm} in the float32 twin, where a float has 4 bytes. */
    private static final String GEMM = "cblas_" + (Double.BYTES == 8 ? "d" : "s") + "gemm";

    private static final ValueLayout.OfDouble REAL = ValueLayout.JAVA_DOUBLE;
    private static final MethodHandle CALL = OpenBlas.heapDowncall(GEMM, FunctionDescriptor.ofVoid(
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,            // order, transA, transB
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, REAL,      // m, n, k, alpha
            ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, // a, lda, b, ldb
            REAL, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));                           // beta, c, ldc

    private OpenBlasBackend() {
    }

    @Override
    public String name() {
        return "OpenBLAS " + version() + " (" + OpenBlas.coreName() + " kernels, " + OpenBlas.threads() + " threads)";
    }

    /** "0.3.31": the version word of the library's own description. */
    private static String version() {
        for (String w : OpenBlas.config().split("\\s+")) {
            if (!w.isEmpty() && Character.isDigit(w.charAt(0))) {
                return w;
            }
        }
        return OpenBlas.config();
    }

    @Override
    public void gemm(boolean transA, boolean transB, double alpha, DMatrixRMaj a, DMatrixRMaj b, double beta, DMatrixRMaj c) {
        int m = c.numRows, n = c.numCols, k = transA ? a.numRows : a.numCols;
        gemm(transA, transB, m, n, k, alpha, a.data, 0, a.numCols, b.data, 0, b.numCols, beta, c.data, 0, c.numCols);
    }

    @Override
    public void batched(boolean transA, boolean transB, int m, int n, int k, double alpha, DMatrixRMaj a, int[] aOff, int lda,
                        DMatrixRMaj b, int[] bOff, int ldb, double beta, DMatrixRMaj c, int[] cOff, int ldc) {
        for (int i = 0; i < aOff.length; i++) {
            block(transA, transB, m, n, k, alpha, a, aOff[i], lda, b, bOff[i], ldb, beta, c, cOff[i], ldc);
        }
    }

    @Override
    public void block(boolean transA, boolean transB, int m, int n, int k, double alpha, DMatrixRMaj a, int aOff, int lda,
                      DMatrixRMaj b, int bOff, int ldb, double beta, DMatrixRMaj c, int cOff, int ldc) {
        gemm(transA, transB, m, n, k, alpha, a.data, aOff, lda, b.data, bOff, ldb, beta, c.data, cOff, ldc);
    }

    /** OpenBLAS splits a product across threads of its own (and parks the pool's while it runs). */
    @Override
    public boolean blockOnCallingThread() {
        return false;
    }

    /**
     * C = alpha·op(A)·op(B) + beta·C on blocks of row-major arrays: op(A) [m, k] at {@code a[aOff]} with row stride
     * {@code lda}, and so for B and C. BLAS reads no C when beta is 0 (a NaN there does not survive), as EJML and
     * {@link Gemm}. a, b not modified; c modified.
     */
    public static void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha, double[] a, int aOff, int lda,
                            double[] b, int bOff, int ldb, double beta, double[] c, int cOff, int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        Pool.rest();                      // the pool's spinning threads park: OpenBLAS's own threads need the cores
        try {
            // BLAS wants every leading dimension ≥ 1, even of an empty operand (k = 0: C is only scaled by beta)
            CALL.invokeExact(OpenBlas.ROW_MAJOR, transA ? OpenBlas.TRANS : OpenBlas.NO_TRANS,
                    transB ? OpenBlas.TRANS : OpenBlas.NO_TRANS, m, n, k, alpha, at(a, aOff), Math.max(1, lda), at(b, bOff),
                    Math.max(1, ldb), beta, at(c, cOff), Math.max(1, ldc));
        } catch (Throwable t) {
            throw OpenBlas.rethrow(t);
        }
    }

    /** The array from entry {@code off} on, as a pointer for the critical call. */
    private static MemorySegment at(double[] x, int off) {
        MemorySegment s = MemorySegment.ofArray(x);
        return off == 0 ? s : s.asSlice((long) off * Double.BYTES);
    }
}
