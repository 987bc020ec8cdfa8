package minibert.tensor;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

import java.util.Objects;

/**
 * The one place every matrix product of the model goes through, bound to a backend. Three backends: EJML's
 * {@link CommonOps_DDRM} ({@link #EJML}, wrapped as {@link #REFERENCE}), the readable reference;
 * {@link VectorBackend}, the pure-Java Vector API kernel validated against it ({@link #VECTOR}), the default; and
 * {@link OpenBlasBackend}, OpenBLAS through the JDK's foreign-function API ({@link #openBlas()}), the measured
 * anchor. The default stays the Vector API kernel whatever a build measures: a run's backend is one of its
 * recorded settings, and a default that followed the day's measurement would make the same config train (and
 * resume) on different backends, whose products round differently. A model
 * holds the {@code Products} it was built with and hands it to its layers: there is no global switch, so two
 * models with different backends can run side by side in one process (the book's step table does).
 *
 * <p>All matrices are row-major {@link DMatrixRMaj}. Outputs are passed in and must already have the
 * right shape (no allocation in hot loops); an output may not alias an input. Each method states its
 * formula with indices, in EJML's manner.
 */
public final class Products {

    /** A matrix-product implementation. Every method has the contract of the static method of the same name. */
    public interface Backend {
        String name();

        /** {@code c = alpha·op(a)·op(b) + beta·c}, with {@code op} the identity or the transpose. */
        void gemm(boolean transA, boolean transB, double alpha, DMatrixRMaj a, DMatrixRMaj b, double beta, DMatrixRMaj c);

        /** The contract of {@link Products#batched}; the arguments are already checked. */
        void batched(boolean transA, boolean transB, int m, int n, int k, double alpha, DMatrixRMaj a, int[] aOff, int lda,
                     DMatrixRMaj b, int[] bOff, int ldb, double beta, DMatrixRMaj c, int[] cOff, int ldc);

        /** The contract of {@link Products#block}; the arguments are already checked. */
        void block(boolean transA, boolean transB, int m, int n, int k, double alpha, DMatrixRMaj a, int aOff, int lda,
                   DMatrixRMaj b, int bOff, int ldb, double beta, DMatrixRMaj c, int cOff, int ldc);

        /**
         * Whether {@link #block} computes on the calling thread alone, with no threads of its own, so that each of the
         * pool's threads may run one at the same time on blocks of their own.
         */
        boolean blockOnCallingThread();
    }

    /** The reference backend: EJML's {@code CommonOps_DDRM}. */
    public static final Backend EJML = new Backend() {
        @Override
        public String name() {
            return "EJML " + org.ejml.EjmlVersion.VERSION;
        }

        @Override
        public void gemm(boolean transA, boolean transB, double alpha, DMatrixRMaj a, DMatrixRMaj b, double beta,
                         DMatrixRMaj c) {
            if (beta == 0) {
                if (!transA && !transB) {
                    CommonOps_DDRM.mult(alpha, a, b, c);
                } else if (transA && !transB) {
                    CommonOps_DDRM.multTransA(alpha, a, b, c);
                } else if (!transA) {
                    CommonOps_DDRM.multTransB(alpha, a, b, c);
                } else {
                    CommonOps_DDRM.multTransAB(alpha, a, b, c);
                }
                return;
            }
            if (beta != 1) {
                CommonOps_DDRM.scale(beta, c);
            }
            if (!transA && !transB) {
                CommonOps_DDRM.multAdd(alpha, a, b, c);
            } else if (transA && !transB) {
                CommonOps_DDRM.multAddTransA(alpha, a, b, c);
            } else if (!transA) {
                CommonOps_DDRM.multAddTransB(alpha, a, b, c);
            } else {
                CommonOps_DDRM.multAddTransAB(alpha, a, b, c);
            }
        }

        /** One product at a time, through the same three copies of a block, allocated once for the batch. */
        @Override
        public void batched(boolean transA, boolean transB, int m, int n, int k, double alpha, DMatrixRMaj a, int[] aOff,
                            int lda, DMatrixRMaj b, int[] bOff, int ldb, double beta, DMatrixRMaj c, int[] cOff, int ldc) {
            DMatrixRMaj[] copies = copies(transA, transB, m, n, k);
            for (int i = 0; i < aOff.length; i++) {
                block(transA, transB, alpha, a, aOff[i], lda, b, bOff[i], ldb, beta, c, cOff[i], ldc, copies);
            }
        }

        @Override
        public void block(boolean transA, boolean transB, int m, int n, int k, double alpha, DMatrixRMaj a, int aOff, int lda,
                          DMatrixRMaj b, int bOff, int ldb, double beta, DMatrixRMaj c, int cOff, int ldc) {
            block(transA, transB, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, copies(transA, transB, m, n, k));
        }

        /** Matrices for a copy of op(A)'s block, op(B)'s and C's. */
        private static DMatrixRMaj[] copies(boolean transA, boolean transB, int m, int n, int k) {
            return new DMatrixRMaj[] {transA ? new DMatrixRMaj(k, m) : new DMatrixRMaj(m, k),
                    transB ? new DMatrixRMaj(n, k) : new DMatrixRMaj(k, n), new DMatrixRMaj(m, n)};
        }

        /** The blocks are copied out into {@code copies}, multiplied by {@link #gemm}, and C's is copied back. */
        private void block(boolean transA, boolean transB, double alpha, DMatrixRMaj a, int aOff, int lda, DMatrixRMaj b,
                           int bOff, int ldb, double beta, DMatrixRMaj c, int cOff, int ldc, DMatrixRMaj[] copies) {
            copyBlock(a.data, aOff, lda, copies[0], true);
            copyBlock(b.data, bOff, ldb, copies[1], true);
            copyBlock(c.data, cOff, ldc, copies[2], true);
            gemm(transA, transB, alpha, copies[0], copies[1], beta, copies[2]);
            copyBlock(c.data, cOff, ldc, copies[2], false);
        }

        /** EJML's {@code CommonOps_DDRM} products are single-threaded. */
        @Override
        public boolean blockOnCallingThread() {
            return true;
        }

        /** Copies the block at {@code data[off]} with row stride {@code ld} into {@code m} (or back). */
        private static void copyBlock(double[] data, int off, int ld, DMatrixRMaj m, boolean out) {
            for (int r = 0; r < m.numRows; r++) {
                if (out) {
                    System.arraycopy(data, off + r * ld, m.data, r * m.numCols, m.numCols);
                } else {
                    System.arraycopy(m.data, r * m.numCols, data, off + r * ld, m.numCols);
                }
            }
        }
    };

    /** Products by EJML, the reference every fast kernel is validated against. */
    public static final Products REFERENCE = new Products(EJML);
    /** Products by the Vector API kernel on all cores. */
    public static final Products VECTOR = new Products(VectorBackend.INSTANCE);

    private final Backend backend;

    public Products(Backend backend) {
        this.backend = Objects.requireNonNull(backend, "backend");
    }

    /** The default of a model built without naming one: the Vector API kernel. */
    public static Products standard() {
        return VECTOR;
    }

    /** The backends' names, as a config or the command line gives them. */
    public static final java.util.List<String> NAMES = java.util.List.of("vector", "ejml", "openblas");

    /** Products by OpenBLAS, loaded on first use (the native library is opened then). */
    public static Products openBlas() {
        return OpenBlasHolder.PRODUCTS;
    }

    private static final class OpenBlasHolder {
        static final Products PRODUCTS = new Products(OpenBlasBackend.INSTANCE);
    }

    /** The products of a backend named {@code vector}, {@code ejml} or {@code openblas}. */
    public static Products named(String name) {
        return switch (name) {
            case "ejml" -> REFERENCE;
            case "vector" -> VECTOR;
            case "openblas" -> openBlas();
            default -> throw new IllegalArgumentException("unknown product backend '" + name + "' (vector, ejml or openblas)");
        };
    }

    /** The backend these products run on. */
    public Backend backend() {
        return backend;
    }

    /** {@code c = a·b}: c_ij = Σ_k a_ik b_kj. a [m, k], b [k, n], c [m, n] (modified). */
    public void mult(DMatrixRMaj a, DMatrixRMaj b, DMatrixRMaj c) {
        check(a.numRows, a.numCols, b.numRows, b.numCols, c, a, b, "mult");
        backend.gemm(false, false, 1, a, b, 0, c);
    }

    /** {@code c += a·b}. a [m, k], b [k, n], c [m, n] (modified). */
    public void multAdd(DMatrixRMaj a, DMatrixRMaj b, DMatrixRMaj c) {
        check(a.numRows, a.numCols, b.numRows, b.numCols, c, a, b, "multAdd");
        backend.gemm(false, false, 1, a, b, 1, c);
    }

    /** {@code c = aᵀ·b}: c_ij = Σ_k a_ki b_kj. a [k, m], b [k, n], c [m, n] (modified). */
    public void multTransA(DMatrixRMaj a, DMatrixRMaj b, DMatrixRMaj c) {
        check(a.numCols, a.numRows, b.numRows, b.numCols, c, a, b, "multTransA");
        backend.gemm(true, false, 1, a, b, 0, c);
    }

    /** {@code c += aᵀ·b}, the shape of every weight gradient. a [k, m], b [k, n], c [m, n] (modified). */
    public void multAddTransA(DMatrixRMaj a, DMatrixRMaj b, DMatrixRMaj c) {
        check(a.numCols, a.numRows, b.numRows, b.numCols, c, a, b, "multAddTransA");
        backend.gemm(true, false, 1, a, b, 1, c);
    }

    /** {@code c = a·bᵀ}: c_ij = Σ_k a_ik b_jk. a [m, k], b [n, k], c [m, n] (modified). */
    public void multTransB(DMatrixRMaj a, DMatrixRMaj b, DMatrixRMaj c) {
        check(a.numRows, a.numCols, b.numCols, b.numRows, c, a, b, "multTransB");
        backend.gemm(false, true, 1, a, b, 0, c);
    }

    /** {@code c += a·bᵀ}. a [m, k], b [n, k], c [m, n] (modified). */
    public void multAddTransB(DMatrixRMaj a, DMatrixRMaj b, DMatrixRMaj c) {
        check(a.numRows, a.numCols, b.numCols, b.numRows, c, a, b, "multAddTransB");
        backend.gemm(false, true, 1, a, b, 1, c);
    }

    /** {@code c = alpha·op(a)·op(b) + beta·c}, the general form. */
    public void gemm(boolean transA, boolean transB, double alpha, DMatrixRMaj a, DMatrixRMaj b, double beta,
                            DMatrixRMaj c) {
        int m = transA ? a.numCols : a.numRows, ka = transA ? a.numRows : a.numCols;
        int kb = transB ? b.numCols : b.numRows, n = transB ? b.numRows : b.numCols;
        check(m, ka, kb, n, c, a, b, "gemm");
        backend.gemm(transA, transB, alpha, a, b, beta, c);
    }

    /**
     * Many products of one shape on blocks addressed in place, such as the heads of the attention:
     * {@code C_i = alpha·op(A_i)·op(B_i) + beta·C_i} for every i, where A_i is the block of {@code a} whose first
     * entry is {@code a.data[aOff[i]]} and whose rows are {@code lda} apart (and so for B_i, C_i). op(A_i) [m, k],
     * op(B_i) [k, n], C_i [m, n]. a, b not modified; c modified. The C blocks must not overlap each other,
     * and c may not be a or b.
     */
    public void batched(boolean transA, boolean transB, int m, int n, int k, double alpha,
                               DMatrixRMaj a, int[] aOff, int lda, DMatrixRMaj b, int[] bOff, int ldb,
                               double beta, DMatrixRMaj c, int[] cOff, int ldc) {
        if (aOff.length != bOff.length || aOff.length != cOff.length) {
            throw new IllegalArgumentException("batched: " + aOff.length + " A, " + bOff.length + " B and " + cOff.length
                    + " C offsets");
        }
        if (c == a || c == b || c.data == a.data || c.data == b.data) {
            throw new IllegalArgumentException("batched: the output aliases an input");
        }
        for (int i = 0; i < aOff.length; i++) {
            checkBlock("A", a, aOff[i], lda, transA ? k : m, transA ? m : k, i);
            checkBlock("B", b, bOff[i], ldb, transB ? n : k, transB ? k : n, i);
            checkBlock("C", c, cOff[i], ldc, m, n, i);
        }
        backend.batched(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /**
     * One product of the kind {@link #batched} makes, on blocks addressed in place:
     * {@code C = alpha·op(A)·op(B) + beta·C}, A the block of {@code a} from {@code a.data[aOff]} with rows {@code lda}
     * apart (and so for B, C); op(A) [m, k], op(B) [k, n], C [m, n]. a, b not modified; c modified, and may not be a
     * or b. Computed on the calling thread when {@link #blockOnCallingThread()}: for work that runs its own loop over
     * the attention's heads on the pool, several heads at once.
     */
    public void block(boolean transA, boolean transB, int m, int n, int k, double alpha, DMatrixRMaj a, int aOff, int lda,
                      DMatrixRMaj b, int bOff, int ldb, double beta, DMatrixRMaj c, int cOff, int ldc) {
        if (c == a || c == b || c.data == a.data || c.data == b.data) {
            throw new IllegalArgumentException("block: the output aliases an input");
        }
        checkBlock("A", a, aOff, lda, transA ? k : m, transA ? m : k, 0);
        checkBlock("B", b, bOff, ldb, transB ? n : k, transB ? k : n, 0);
        checkBlock("C", c, cOff, ldc, m, n, 0);
        backend.block(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /** Whether {@link #block} runs on the calling thread alone, so that the pool's threads may each run one at once. */
    public boolean blockOnCallingThread() {
        return backend.blockOnCallingThread();
    }

    private static void checkBlock(String which, DMatrixRMaj x, int off, int ld, int rows, int cols, int i) {
        if (off < 0 || ld < cols || (rows > 0 && cols > 0 && (long) off + (long) (rows - 1) * ld + cols > x.data.length)) {
            throw new IllegalArgumentException("batched: block " + i + " of " + which + " ([" + rows + ", " + cols
                    + "] at offset " + off + ", row stride " + ld + ") does not fit in " + x.data.length + " entries");
        }
    }

    private static void check(int m, int ka, int kb, int n, DMatrixRMaj c, DMatrixRMaj a, DMatrixRMaj b, String op) {
        if (ka != kb) {
            throw new IllegalArgumentException(op + ": inner dimensions differ: [" + m + ", " + ka + "] times ["
                    + kb + ", " + n + "]");
        }
        if (c.numRows != m || c.numCols != n) {
            throw new IllegalArgumentException(op + ": output is [" + c.numRows + ", " + c.numCols + "], expected ["
                    + m + ", " + n + "]");
        }
        if (c == a || c == b || c.data == a.data || c.data == b.data) {
            throw new IllegalArgumentException(op + ": the output aliases an input");
        }
    }
}
