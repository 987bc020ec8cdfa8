package minibert.tensor;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.util.ArrayList;
import java.util.List;

/**
 * Double-precision GEMM in pure Java with the Vector API:
 *
 * <pre>
 * C = α·op(A)·op(B) + β·C        op(A) [m, k], op(B) [k, n], C [m, n]; op = identity or transpose
 * </pre>
 *
 * on row-major arrays with offsets and leading dimensions, as EJML stores them (a sub-matrix, such as one
 * attention head's columns, is addressed in place). The structure is the classic one (Goto; BLIS): the k
 * dimension is cut into blocks of {@value #KC} and n into blocks of {@value #NC}; op(B) is packed for each
 * block into panels {@link #NR} columns wide, op(A) into panels {@link #MR} rows tall, and a register-blocked
 * micro-kernel keeps an {@link #MR} × {@link #NR} block of C in vector registers while it streams both
 * panels. Packing also absorbs the transposes, so one micro-kernel serves all four cases.
 * {@link #reference} is the plain triple loop every result is checked against.
 *
 * <p>β = 0 means C is not read (as in BLAS): NaN or garbage in C does not leak into the result.
 */
public final class Gemm {

    public static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    public static final int L = S.length();           // lanes: the elements in one vector register (256 bits with AVX2)

    /** Vectors of four lanes (256 bits of doubles, 128 of floats): one step of a 4-row panel of op(A) = Aᵀ. */
    private static final VectorSpecies<Double> SA = VectorSpecies.of(double.class, VectorShape.forBitSize(4 * Double.SIZE));
    private static final int AL = SA.length();

    /**
     * A register tile of the micro-kernel: {@code rows} rows of C by two vectors ({@link #NR} columns), held in
     * rows × 2 accumulator registers while the kernel streams the packed panels. It needs rows × 2 accumulators,
     * two registers for the vectors of B and one for the broadcast of A. {@link #TILE} is the tile every product
     * uses; the other is here to be measured against it in the full kernel (the measurement programs of
     * {@code minibert.bench}), and is tested against EJML like it.
     */
    public enum Tile {
        /** 4 rows × 2 vectors: 8 accumulators, 11 vector registers. */
        ROWS_4(4),
        /** 6 rows × 2 vectors: 12 accumulators, 15 vector registers (AVX2 has sixteen). */
        ROWS_6(6);

        /** Rows of C in the tile. */
        public final int rows;

        Tile(int rows) {
            this.rows = rows;
        }

        /** The vector registers the tile needs: rows × 2 accumulators, 2 vectors of B, 1 broadcast of A. */
        public int registers() {
            return rows * 2 + 2 + 1;
        }
    }

    public static final Tile TILE = tileFor(S.vectorBitSize());   // the tile the products use, for this machine's vectors

    /**
     * The tile for vectors of {@code bits} bits. AVX2's 256-bit vectors come with sixteen registers: the 4 × 2 tile
     * needs eleven and leaves the JIT room, and the build's measurements (the chapter "Making it fast") found no clear
     * difference from the 6 × 2 tile's fifteen. AVX-512's 512-bit vectors come with thirty-two registers, so the
     * 6 × 2 tile fits with room to spare and loads fewer numbers per FMA. Every tile is tested against EJML on every
     * machine, whichever this one uses.
     */
    public static Tile tileFor(int bits) {
        return bits >= 512 ? Tile.ROWS_6 : Tile.ROWS_4;
    }
    public static final int MR = TILE.rows;           // rows of the micro-tile
    public static final int NR = 2 * L;               // columns of the micro-tile: two vectors
    public static final int KC = 256;                 // depth of a packed block
    public static final int NC = 3072;                // columns of op(B) packed at a time
    public static final int MC = 96;                         // rows of A packed at a time (a multiple of every tile's rows)
    public static final int WHOLE_B = 1 << 20;               // most numbers of op(B) a split product packs at once
    public static final int PIECES_PER_THREAD = 4;           // pieces a parallel product is cut into, per thread

    /** The partial products of {@link #byDepth}, one buffer per calling thread, grown on demand: no allocation per call. */
    private static final ThreadLocal<double[][]> PARTIAL = ThreadLocal.withInitial(() -> new double[][] {new double[0]});

    /**
     * Packing buffers, one set per thread, grown on demand: no allocation per call. [0] α·op(A), {@link #MC} rows;
     * [1] op(B); [2] a micro-tile; [3] α·op(A) whole, when the pieces of {@link #parallel} share it.
     */
    private static final ThreadLocal<double[][]> SCRATCH = ThreadLocal.withInitial(
            () -> new double[][] {new double[MC * KC], new double[0], new double[Tile.ROWS_6.rows * NR], new double[0]});

    private Gemm() {
    }

    /** The number of threads {@link #parallel} uses: those of the shared {@link Pool}. */
    public static int threads() {
        return Pool.threads();
    }

    /** The triple loop: c_ij = α Σ_p op(a)_ip op(b)_pj + β c_ij. */
    public static void reference(boolean transA, boolean transB, int m, int n, int k, double alpha,
                                 double[] a, int lda, double[] b, int ldb, double beta, double[] c, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += (transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                }
                c[i * ldc + j] = alpha * s + (beta == 0 ? 0 : beta * c[i * ldc + j]);
            }
        }
    }

    /** Single-threaded GEMM on whole arrays. */
    public static void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha,
                            double[] a, int lda, double[] b, int ldb, double beta, double[] c, int ldc) {
        gemm(transA, transB, m, n, k, alpha, a, 0, lda, b, 0, ldb, beta, c, 0, ldc);
    }

    /** Single-threaded GEMM on sub-matrices: op(A) starts at {@code a[aOff]}, op(B) at {@code b[bOff]}, C at {@code c[cOff]}. */
    public static void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha,
                            double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                            double beta, double[] c, int cOff, int ldc) {
        block(TILE.rows, transA, transB, 0, m, 0, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /**
     * Single-threaded GEMM on whole arrays with the micro-kernel of {@code tile} instead of {@link #TILE}: the same
     * product, to round-off, by the same blocking and packing. For measuring the tiles against each other.
     */
    public static void gemm(Tile tile, boolean transA, boolean transB, int m, int n, int k, double alpha,
                            double[] a, int lda, double[] b, int ldb, double beta, double[] c, int ldc) {
        block(tile.rows, transA, transB, 0, m, 0, n, k, alpha, a, 0, lda, b, 0, ldb, beta, c, 0, ldc);
    }

    /**
     * GEMM split across the fixed pool: by rows of C, or by columns when C is wider than tall (the MLM
     * decoder, M × V with M the masked rows), or along k when C is small and k long ({@link #byDepth}). The operand
     * that every piece needs whole (op(B) when the rows are split, op(A) when the columns are) is packed once, and the
     * pieces share it; each piece packs only its own share of the other operand. When that shared operand is small
     * enough ({@value #WHOLE_B} numbers), it is packed for every block of k at once, a block of k per task of the pool
     * (the weight gradients' activations, over k = B·T, are eight blocks, which one thread used to pack while the
     * others waited), and each piece runs
     * through all the blocks of k without waiting for the others between two blocks; otherwise the pieces meet after
     * each block of k. Rows and columns are cut into at least
     * {@value #PIECES_PER_THREAD} pieces per thread, pieces of rows no taller than a block of A ({@link #rowPieceSize}),
     * which the threads take as they become free
     * ({@link Pool#forEach}): on a shared machine one thread is often slowed for a while, and with one fixed share
     * each the other would wait for it. Every entry of C is computed the same way
     * whichever thread takes its piece, so the result does not depend on the split. Small products run on the
     * calling thread alone.
     */
    public static void parallel(boolean transA, boolean transB, int m, int n, int k, double alpha,
                                double[] a, int lda, double[] b, int ldb, double beta, double[] c, int ldc) {
        parallel(TILE, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /** {@link #parallel} with the micro-kernel of {@code tile} instead of {@link #TILE}: for testing every tile. */
    public static void parallel(Tile tile, boolean transA, boolean transB, int m, int n, int k, double alpha,
                                double[] a, int lda, double[] b, int ldb, double beta, double[] c, int ldc) {
        boolean byColumns = n > m;
        int extent = byColumns ? n : m, unit = byColumns ? NR : tile.rows;
        if (Pool.threads() == 1 || (long) m * n * k < 1L << 20 || (extent < 2 * unit && k < 2 * KC)) {
            block(tile.rows, transA, transB, 0, m, 0, n, k, alpha, a, 0, lda, b, 0, ldb, beta, c, 0, ldc);
            return;
        }
        if (k >= 4 * Math.max(m, n)) {
            byDepth(tile.rows, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        if (alpha == 0) {
            scale(beta, c, 0, ldc, 0, m, 0, n);
            return;
        }
        int mr = tile.rows, chunk = byColumns ? pieceSize(extent, unit) : rowPieceSize(extent, unit);
        int pieces = (extent + chunk - 1) / chunk;
        double[][] scratch = SCRATCH.get();
        int width = ((n + NR - 1) / NR) * NR;                              // op(B)'s columns, padded to whole panels
        if (!byColumns && n <= NC && (long) width * k <= WHOLE_B) {
            // op(B) whole, every block of k, packed once, the blocks shared out among the threads: each piece then runs
            // through all the blocks of k for its rows without waiting for the other pieces between two blocks (and keeps
            // its rows of C in its own caches)
            double[] packedB = grow(scratch, 1, width * k);
            Pool.forEach((k + KC - 1) / KC, blk -> packB(transB, b, 0, ldb, blk * KC, Math.min(KC, k - blk * KC), 0, n,
                    packedB, blk * KC * width));
            Pool.forEach(pieces, piece -> {
                for (int p0 = 0; p0 < k; p0 += KC) {
                    rows(mr, transA, piece * chunk, Math.min(m, (piece + 1) * chunk), p0, Math.min(KC, k - p0), alpha, a, 0, lda,
                            packedB, p0 * width, 0, n, p0 == 0 ? beta : 1, c, 0, ldc);
                }
            });
            return;
        }
        int tall = (m + mr - 1) / mr * mr;                                  // op(A)'s rows, padded to whole panels
        if (byColumns && (long) tall * k <= WHOLE_B) {
            // op(A) whole, every block of k, packed once, the blocks shared out among the threads: each piece of columns
            // then runs through all the blocks of k without waiting for the other pieces between two blocks (the
            // FFN's H × I weight gradient, over k = B·T)
            double[] packedA = grow(scratch, 3, tall * k);
            int blocks = (k + KC - 1) / KC;
            Pool.forEach(blocks, blk -> packA(mr, transA, a, 0, lda, 0, m, blk * KC, Math.min(KC, k - blk * KC), alpha, packedA,
                    blk * KC * tall));
            Pool.forEach(pieces, piece -> {
                for (int p0 = 0; p0 < k; p0 += KC) {
                    columns(mr, transA, transB, m, piece * chunk, Math.min(n, (piece + 1) * chunk), p0, Math.min(KC, k - p0),
                            packedA, p0 * tall, b, 0, ldb, p0 == 0 ? beta : 1, c, 0, ldc);
                }
            });
            return;
        }
        for (int p0 = 0; p0 < k; p0 += KC) {
            int kc = Math.min(KC, k - p0), from = p0;
            double betaHere = p0 == 0 ? beta : 1;                           // later k blocks accumulate
            if (byColumns) {                                                // op(A) whole, packed once per block of k
                double[] packedA = grow(scratch, 3, tall * kc);
                packA(mr, transA, a, 0, lda, 0, m, p0, kc, alpha, packedA, 0);
                Pool.forEach(pieces, piece -> columns(mr, transA, transB, m, piece * chunk, Math.min(n, (piece + 1) * chunk), from, kc,
                        packedA, 0, b, 0, ldb, betaHere, c, 0, ldc));
            } else {                                                        // op(B) whole, packed once per block of NC columns
                for (int jc = 0; jc < n; jc += NC) {
                    int nc = Math.min(NC, n - jc), j0 = jc;
                    double[] packedB = grow(scratch, 1, ((nc + NR - 1) / NR) * NR * kc);
                    packB(transB, b, 0, ldb, p0, kc, jc, nc, packedB, 0);
                    Pool.forEach(pieces, piece -> rows(mr, transA, piece * chunk, Math.min(m, (piece + 1) * chunk), from, kc,
                            alpha, a, 0, lda, packedB, 0, j0, nc, betaHere, c, 0, ldc));
                }
            }
        }
    }

    /** Buffer {@code i} of {@code scratch}, grown to at least {@code size}. */
    private static double[] grow(double[][] scratch, int i, int size) {
        if (scratch[i].length < size) {
            scratch[i] = new double[size];
        }
        return scratch[i];
    }

    /**
     * The rows (or columns) of one piece of {@link #parallel}: {@code extent} cut into {@value #PIECES_PER_THREAD}
     * pieces per thread, or fewer when that would make them narrower than {@code unit}, each a multiple of
     * {@code unit} (the last takes what is left).
     */
    public static int pieceSize(int extent, int unit) {
        int pieces = Math.max(1, Math.min(PIECES_PER_THREAD * Pool.threads(), extent / unit));
        return ((extent + pieces - 1) / pieces + unit - 1) / unit * unit;
    }

    /**
     * The rows of one piece when {@link #parallel} splits the rows of C: {@link #pieceSize}, but no taller than a block
     * of A ({@value #MC} rows), so that a product of many rows is cut finer and a thread finishing its last piece leaves
     * the other less to wait for. Finer still would cost: every piece streams all of the packed op(B) past its rows, and
     * a piece shorter than a block of A would do so for fewer rows. ({@link #MC} is a multiple of every tile's rows.)
     */
    public static int rowPieceSize(int m, int mr) {
        return Math.min(pieceSize(m, mr), MC);
    }

    /**
     * A small C from a long sum (the weight gradients, 192 × 192 over k = B·T = 2048): k is split instead, so
     * that no thread packs what another packs too. The first share accumulates into C; each other share
     * writes its partial product to a buffer, added to C afterwards in a fixed order (deterministic for a
     * given number of threads).
     */
    private static void byDepth(int mr, boolean transA, boolean transB, int m, int n, int k, double alpha,
                                double[] a, int lda, double[] b, int ldb, double beta, double[] c, int ldc) {
        int threads = Pool.threads(), chunk = ((k + threads - 1) / threads + KC - 1) / KC * KC;
        int shares = (k + chunk - 1) / chunk;
        double[][] held = PARTIAL.get();
        if (held[0].length < (shares - 1) * m * n) {
            held[0] = new double[(shares - 1) * m * n];
        }
        double[] partial = held[0];                                     // [shares − 1, m, n], written before read (β = 0)
        List<Runnable> work = new ArrayList<>();
        for (int s = 0; s < shares; s++) {
            int p0 = s * chunk, kc = Math.min(chunk, k - p0), share = s;
            int aOff = transA ? p0 * lda : p0, bOff = transB ? p0 : p0 * ldb;   // op(A)[:, p0…], op(B)[p0…, :]
            work.add(share == 0
                    ? () -> block(mr, transA, transB, 0, m, 0, n, kc, alpha, a, aOff, lda, b, bOff, ldb, beta, c, 0, ldc)
                    : () -> block(mr, transA, transB, 0, m, 0, n, kc, alpha, a, aOff, lda, b, bOff, ldb, 0, partial,
                            (share - 1) * m * n, n));
        }
        Pool.runAll(work);
        for (int s = 1; s < shares; s++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    c[i * ldc + j] += partial[(s - 1) * m * n + i * n + j];
                }
            }
        }
    }

    /**
     * Many small products of one shape at once (the attention heads):
     * C_i = α·op(A_i)·op(B_i) + β·C_i, where A_i starts at {@code a[aOff[i]]} (and so on), all with the same
     * leading dimensions. The threads of the pool take the products one at a time as they become free, each
     * computed single-threaded.
     */
    public static void batched(boolean transA, boolean transB, int m, int n, int k, double alpha,
                               double[] a, int[] aOff, int lda, double[] b, int[] bOff, int ldb,
                               double beta, double[] c, int[] cOff, int ldc) {
        int count = aOff.length;
        if (bOff.length != count || cOff.length != count) {
            throw new IllegalArgumentException("batched: " + count + ", " + bOff.length + " and " + cOff.length + " offsets");
        }
        Pool.forEach(count, i -> block(TILE.rows, transA, transB, 0, m, 0, n, k, alpha, a, aOff[i], lda, b, bOff[i], ldb, beta,
                c, cOff[i], ldc));
    }

    /** Rows [i0, i1) and columns [j0, j1) of C, in micro-tiles of {@code mr} rows (one of the {@link Tile}s). */
    // tag::blocking[]
    private static void block(int mr, boolean transA, boolean transB, int i0, int i1, int j0, int j1, int k, double alpha,
                              double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                              double beta, double[] c, int cOff, int ldc) {
        if (k == 0 || alpha == 0) {
            scale(beta, c, cOff, ldc, i0, i1, j0, j1);                  // nothing to add: C = β·C
            return;
        }
        double[][] scratch = SCRATCH.get();
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc);
            double[] packedB = grow(scratch, 1, ((nc + NR - 1) / NR) * NR * KC);
            for (int p0 = 0; p0 < k; p0 += KC) {
                int kc = Math.min(KC, k - p0);
                packB(transB, b, bOff, ldb, p0, kc, jc, nc, packedB, 0);       // op(B)[p0:p0+kc, jc:jc+nc] in NR-wide panels
                rows(mr, transA, i0, i1, p0, kc, alpha, a, aOff, lda, packedB, 0, jc, nc,
                        p0 == 0 ? beta : 1, c, cOff, ldc);                   // later k blocks accumulate
            }
        }
    }

    /**
     * Rows [i0, i1) of C, columns jc…jc+nc−1, from one block of k (p0…p0+kc−1) whose op(B) is packed in
     * {@code packedB}: α·op(A) is packed {@link #MC} rows at a time, which stay in the L2 cache.
     */
    private static void rows(int mr, boolean transA, int i0, int i1, int p0, int kc, double alpha, double[] a, int aOff, int lda,
                             double[] packedB, int bOff, int jc, int nc, double beta, double[] c, int cOff, int ldc) {
        double[][] scratch = SCRATCH.get();
        double[] packedA = scratch[0];
        for (int ic = i0; ic < i1; ic += MC) {
            int mc = Math.min(MC, i1 - ic);
            packA(mr, transA, a, aOff, lda, ic, mc, p0, kc, alpha, packedA, 0); // α·op(A)[ic:ic+mc, p0:p0+kc], mr-tall panels
            tiles(mr, transA, packedA, 0, mc, kc, packedB, bOff, nc, beta, c, cOff + ic * ldc + jc, ldc, scratch[2]);
        }
    }

    /**
     * Columns [j0, j1) of C, all its m rows, from one block of k (p0…p0+kc−1) whose α·op(A) is packed whole in
     * {@code packedA} from {@code aBase} on: op(B) is packed {@link #NC} columns at a time.
     */
    private static void columns(int mr, boolean transA, boolean transB, int m, int j0, int j1, int p0, int kc, double[] packedA,
                                int aBase, double[] b, int bOff, int ldb, double beta, double[] c, int cOff, int ldc) {
        double[][] scratch = SCRATCH.get();
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc);
            double[] packedB = grow(scratch, 1, ((nc + NR - 1) / NR) * NR * kc);
            packB(transB, b, bOff, ldb, p0, kc, jc, nc, packedB, 0);
            for (int ic = 0; ic < m; ic += MC) {
                tiles(mr, transA, packedA, aBase + ic * kc, Math.min(MC, m - ic), kc, packedB, 0, nc, beta, c, cOff + ic * ldc + jc, ldc,
                        scratch[2]);
            }
        }
    }

    /**
     * The micro-tiles of an mc × nc block of C at {@code c[cOff]} from packed panels, A's from {@code packedA[aOff]}
     * in the layout {@link #packA} chose for {@code transA}, B's from {@code packedB[bOff]}; row panel by row panel,
     * so that C is written along its rows.
     */
    private static void tiles(int mr, boolean transA, double[] packedA, int aOff, int mc, int kc, double[] packedB, int bOff,
                              int nc, double beta, double[] c, int cOff, int ldc, double[] tile) {
        for (int ir = 0; ir < mc; ir += mr) {                               // one mr-tall panel of A stays in L1 …
            int o = aOff + ir * kc;
            for (int jr = 0; jr < nc; jr += NR) {                           // … while the NR-wide panels of B stream past
                if (mr == 6) {
                    if (transA) {
                        micro6T(packedA, o, packedB, bOff + jr * kc, kc, tile);
                    } else {
                        micro6(packedA, o, packedB, bOff + jr * kc, kc, tile);
                    }
                } else if (transA) {
                    microT(packedA, o, packedB, bOff + jr * kc, kc, tile);
                } else {
                    micro(packedA, o, packedB, bOff + jr * kc, kc, tile);
                }
                store(tile, mr, c, cOff + ir * ldc + jr, ldc, Math.min(mr, mc - ir), Math.min(NR, nc - jr), beta);
            }
        }
    }
    // end::blocking[]

    /**
     * The packing passes of {@link #gemm} alone, on the same blocks in the same order, without the micro-kernels:
     * for measuring packing's share of a product (the measurement programs of {@code minibert.bench}).
     */
    public static void packOnly(boolean transA, boolean transB, int m, int n, int k, double[] a, int lda, double[] b, int ldb) {
        double[][] scratch = SCRATCH.get();
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            double[] packedB = grow(scratch, 1, ((nc + NR - 1) / NR) * NR * KC);
            for (int p0 = 0; p0 < k; p0 += KC) {
                int kc = Math.min(KC, k - p0);
                packB(transB, b, 0, ldb, p0, kc, jc, nc, packedB, 0);
                for (int ic = 0; ic < m; ic += MC) {
                    packA(TILE.rows, transA, a, 0, lda, ic, Math.min(MC, m - ic), p0, kc, 1, scratch[0], 0);
                }
            }
        }
    }

    /** C = β·C on a block (β = 0 writes zeros without reading C). */
    private static void scale(double beta, double[] c, int cOff, int ldc, int i0, int i1, int j0, int j1) {
        for (int i = i0; i < i1; i++) {
            for (int j = j0; j < j1; j++) {
                int o = cOff + i * ldc + j;
                c[o] = beta == 0 ? 0 : beta * c[o];
            }
        }
    }

    /** Packs op(B) rows p0…p0+kc−1, columns j0…j0+nc−1, into panels of NR columns, row by row, zero-padded at the right. */
    private static void packB(boolean transB, double[] b, int bOff, int ldb, int p0, int kc, int j0, int nc, double[] out,
                              int outOff) {
        for (int jr = 0; jr < nc; jr += NR) {
            int base = outOff + jr * kc, w = Math.min(NR, nc - jr);
            if (!transB && w == NR) {                                    // a whole panel row is two vectors
                for (int p = 0; p < kc; p++) {
                    int o = base + p * NR, from = bOff + (p0 + p) * ldb + j0 + jr;
                    DoubleVector.fromArray(S, b, from).intoArray(out, o);
                    DoubleVector.fromArray(S, b, from + L).intoArray(out, o + L);
                }
            } else if (!transB) {
                for (int p = 0; p < kc; p++) {
                    int o = base + p * NR, from = bOff + (p0 + p) * ldb + j0 + jr;
                    for (int j = 0; j < NR; j++) {
                        out[o + j] = j < w ? b[from + j] : 0;
                    }
                }
            } else {
                for (int j = 0; j < NR; j++) {                              // op(B)[p, j] = B[j, p]: read rows of B
                    int from = bOff + (j0 + jr + j) * ldb + p0;
                    for (int p = 0; p < kc; p++) {
                        out[base + p * NR + j] = j < w ? b[from + p] : 0;
                    }
                }
            }
        }
    }

    /**
     * Packs α·op(A) rows i0…i0+mc−1, columns p0…p0+kc−1, into panels of {@code mr} rows in {@code out} from
     * {@code outOff} on (offsets below are from there), in the layout that makes the packing a vector copy, and zeros
     * below the last row:
     * <ul>
     * <li>without a transpose, each row of a panel whole ({@code kc} numbers) before the next:
     *     op(A)[i0 + ir + r, p0 + p] goes to {@code out[ir·kc + r·kc + p]}, copied from a row of A a vector at a time;
     * <li>with one (the weight gradients, op(A) = Aᵀ), the {@code mr} numbers of one step along k side by side (BLIS's
     *     layout): op(A)[i0 + ir + r, p0 + p] = A[p0 + p, i0 + ir + r] goes to {@code out[ir·kc + p·mr + r]}; they are
     *     neighbours in a row of A, copied a vector at a time. Each panel is filled front to back, from one row of A
     *     after the next: filling all the panels at once, a row of A at a time, wrote to addresses kc·mr numbers apart,
     *     which share the few slots of one set of the L1 cache, and ran about half as fast (measured alone, H × H
     *     weight gradient).
     * </ul>
     * {@link #tiles} runs the micro-kernel that reads the layout.
     */
    // tag::packA[]
    private static void packA(int mr, boolean transA, double[] a, int aOff, int lda, int i0, int mc, int p0, int kc, double alpha,
                              double[] out, int outOff) {
        if (transA) {
            boolean vectors = mr == AL;
            for (int ir = 0; ir < mc; ir += mr) {                           // one panel at a time, written front to back
                int h = Math.min(mr, mc - ir), base = outOff + ir * kc, from = aOff + p0 * lda + i0 + ir;
                if (vectors && h == mr) {
                    for (int p = 0; p < kc; p++) {                          // op(A)[i0+ir…, p0+p] = A[p0+p, i0+ir…]
                        DoubleVector.fromArray(SA, a, from + p * lda).mul(alpha).intoArray(out, base + p * mr);
                    }
                } else {
                    for (int p = 0; p < kc; p++) {
                        for (int r = 0; r < mr; r++) {
                            out[base + p * mr + r] = r < h ? alpha * a[from + p * lda + r] : 0;
                        }
                    }
                }
            }
            return;
        }
        for (int ir = 0; ir < mc; ir += mr) {
            int base = outOff + ir * kc, h = Math.min(mr, mc - ir);
            for (int r = 0; r < mr; r++) {
                int o = base + r * kc;
                if (r >= h) {
                    java.util.Arrays.fill(out, o, o + kc, 0);              // below the last row: zeros
                    continue;
                }
                int from = aOff + (i0 + ir + r) * lda + p0, p = 0;          // a row of A, a vector at a time
                for (; p <= kc - L; p += L) {
                    DoubleVector.fromArray(S, a, from + p).mul(alpha).intoArray(out, o + p);
                }
                for (; p < kc; p++) {
                    out[o + p] = alpha * a[from + p];
                }
            }
        }
    }
    // end::packA[]

    /**
     * The micro-kernel: an MR × NR tile of products accumulated in eight vector registers, then handed to
     * {@link #store} through a small buffer. Eight accumulators keep both FMA units busy through the FMA
     * latency (two per cycle, four cycles each); with two vectors of B and one broadcast of A they use eleven
     * registers, which fits AVX2's sixteen (the tile experiment of {@code minibert.bench} measures larger tiles). The
     * method holds nothing but the loop: when the JIT compiled the stores to C, with their cases for β and
     * for edge tiles, into the same method, it ran out of registers and spilled accumulators.
     */
    // tag::micro[]
    private static void micro(double[] pa, int aOff, double[] pb, int bOff, int kc, double[] tile) {
        DoubleVector c00 = DoubleVector.zero(S), c01 = c00, c10 = c00, c11 = c00;
        DoubleVector c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        int a1 = aOff + kc, a2 = a1 + kc, a3 = a2 + kc;                 // the panel's four rows, side by side
        for (int p = 0; p < kc; p++) {
            int bo = bOff + p * NR;
            DoubleVector b0 = DoubleVector.fromArray(S, pb, bo);         // op(B)[p, j…j+2L)
            DoubleVector b1 = DoubleVector.fromArray(S, pb, bo + L);
            DoubleVector a = DoubleVector.broadcast(S, pa[aOff + p]);    // op(A)[i, p], on every lane
            c00 = a.fma(b0, c00); c01 = a.fma(b1, c01);
            a = DoubleVector.broadcast(S, pa[a1 + p]);
            c10 = a.fma(b0, c10); c11 = a.fma(b1, c11);
            a = DoubleVector.broadcast(S, pa[a2 + p]);
            c20 = a.fma(b0, c20); c21 = a.fma(b1, c21);
            a = DoubleVector.broadcast(S, pa[a3 + p]);
            c30 = a.fma(b0, c30); c31 = a.fma(b1, c31);
        }
        c00.intoArray(tile, 0); c01.intoArray(tile, L);
        c10.intoArray(tile, NR); c11.intoArray(tile, NR + L);
        c20.intoArray(tile, 2 * NR); c21.intoArray(tile, 2 * NR + L);
        c30.intoArray(tile, 3 * NR); c31.intoArray(tile, 3 * NR + L);
    }
    // end::micro[]

    /** The micro-kernel of {@link Tile#ROWS_6}: six rows of two vectors, twelve accumulators. */
    // tag::micro6[]
    private static void micro6(double[] pa, int aOff, double[] pb, int bOff, int kc, double[] tile) {
        DoubleVector c00 = DoubleVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        DoubleVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        int a1 = aOff + kc, a2 = a1 + kc, a3 = a2 + kc, a4 = a3 + kc, a5 = a4 + kc;
        for (int p = 0; p < kc; p++) {
            int bo = bOff + p * NR;
            DoubleVector b0 = DoubleVector.fromArray(S, pb, bo);
            DoubleVector b1 = DoubleVector.fromArray(S, pb, bo + L);
            DoubleVector a = DoubleVector.broadcast(S, pa[aOff + p]);
            c00 = a.fma(b0, c00); c01 = a.fma(b1, c01);
            a = DoubleVector.broadcast(S, pa[a1 + p]);
            c10 = a.fma(b0, c10); c11 = a.fma(b1, c11);
            a = DoubleVector.broadcast(S, pa[a2 + p]);
            c20 = a.fma(b0, c20); c21 = a.fma(b1, c21);
            a = DoubleVector.broadcast(S, pa[a3 + p]);
            c30 = a.fma(b0, c30); c31 = a.fma(b1, c31);
            a = DoubleVector.broadcast(S, pa[a4 + p]);
            c40 = a.fma(b0, c40); c41 = a.fma(b1, c41);
            a = DoubleVector.broadcast(S, pa[a5 + p]);
            c50 = a.fma(b0, c50); c51 = a.fma(b1, c51);
        }
        c00.intoArray(tile, 0); c01.intoArray(tile, L);
        c10.intoArray(tile, NR); c11.intoArray(tile, NR + L);
        c20.intoArray(tile, 2 * NR); c21.intoArray(tile, 2 * NR + L);
        c30.intoArray(tile, 3 * NR); c31.intoArray(tile, 3 * NR + L);
        c40.intoArray(tile, 4 * NR); c41.intoArray(tile, 4 * NR + L);
        c50.intoArray(tile, 5 * NR); c51.intoArray(tile, 5 * NR + L);
    }
    // end::micro6[]

    /**
     * {@link #micro} on a panel of op(A) = Aᵀ packed with its four numbers of each step side by side
     * ({@link #packA}). A separate method rather than a stride parameter: with the constant stride 4, the JIT proves
     * every index in bounds once for the loop, where a stride it cannot see would cost a check per load.
     */
    private static void microT(double[] pa, int aOff, double[] pb, int bOff, int kc, double[] tile) {
        DoubleVector c00 = DoubleVector.zero(S), c01 = c00, c10 = c00, c11 = c00;
        DoubleVector c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        for (int p = 0; p < kc; p++) {
            int bo = bOff + p * NR, ao = aOff + p * 4;                   // the panel's step p: four numbers together
            DoubleVector b0 = DoubleVector.fromArray(S, pb, bo);
            DoubleVector b1 = DoubleVector.fromArray(S, pb, bo + L);
            DoubleVector a = DoubleVector.broadcast(S, pa[ao]);
            c00 = a.fma(b0, c00); c01 = a.fma(b1, c01);
            a = DoubleVector.broadcast(S, pa[ao + 1]);
            c10 = a.fma(b0, c10); c11 = a.fma(b1, c11);
            a = DoubleVector.broadcast(S, pa[ao + 2]);
            c20 = a.fma(b0, c20); c21 = a.fma(b1, c21);
            a = DoubleVector.broadcast(S, pa[ao + 3]);
            c30 = a.fma(b0, c30); c31 = a.fma(b1, c31);
        }
        c00.intoArray(tile, 0); c01.intoArray(tile, L);
        c10.intoArray(tile, NR); c11.intoArray(tile, NR + L);
        c20.intoArray(tile, 2 * NR); c21.intoArray(tile, 2 * NR + L);
        c30.intoArray(tile, 3 * NR); c31.intoArray(tile, 3 * NR + L);
    }

    /**
     * {@link #micro6} on a panel of op(A) = Aᵀ packed with its six numbers of each step side by side. With AVX2's
     * sixteen registers C2 spills one accumulator of this loop (it loads the six broadcasts early: 12 + 2 + 3
     * registers), so {@link #tileFor} gives AVX2 the 4 × 2 tile; AVX-512 has thirty-two.
     */
    private static void micro6T(double[] pa, int aOff, double[] pb, int bOff, int kc, double[] tile) {
        DoubleVector c00 = DoubleVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        DoubleVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        for (int p = 0; p < kc; p++) {
            int bo = bOff + p * NR, ao = aOff + p * 6;
            DoubleVector b0 = DoubleVector.fromArray(S, pb, bo);
            DoubleVector b1 = DoubleVector.fromArray(S, pb, bo + L);
            DoubleVector a = DoubleVector.broadcast(S, pa[ao]);
            c00 = a.fma(b0, c00); c01 = a.fma(b1, c01);
            a = DoubleVector.broadcast(S, pa[ao + 1]);
            c10 = a.fma(b0, c10); c11 = a.fma(b1, c11);
            a = DoubleVector.broadcast(S, pa[ao + 2]);
            c20 = a.fma(b0, c20); c21 = a.fma(b1, c21);
            a = DoubleVector.broadcast(S, pa[ao + 3]);
            c30 = a.fma(b0, c30); c31 = a.fma(b1, c31);
            a = DoubleVector.broadcast(S, pa[ao + 4]);
            c40 = a.fma(b0, c40); c41 = a.fma(b1, c41);
            a = DoubleVector.broadcast(S, pa[ao + 5]);
            c50 = a.fma(b0, c50); c51 = a.fma(b1, c51);
        }
        c00.intoArray(tile, 0); c01.intoArray(tile, L);
        c10.intoArray(tile, NR); c11.intoArray(tile, NR + L);
        c20.intoArray(tile, 2 * NR); c21.intoArray(tile, 2 * NR + L);
        c30.intoArray(tile, 3 * NR); c31.intoArray(tile, 3 * NR + L);
        c40.intoArray(tile, 4 * NR); c41.intoArray(tile, 4 * NR + L);
        c50.intoArray(tile, 5 * NR); c51.intoArray(tile, 5 * NR + L);
    }

    /** Writes the valid h × w part of an mr-row tile to C at {@code c[cOff]}: C = tile + β·C (β = 0: C is not read). */
    private static void store(double[] tile, int mr, double[] c, int cOff, int ldc, int h, int w, double beta) {
        if (h == mr && w == NR) {                                        // a whole tile: two vectors a row
            for (int r = 0; r < mr; r++) {
                update(DoubleVector.fromArray(S, tile, r * NR), DoubleVector.fromArray(S, tile, r * NR + L), c, cOff + r * ldc, beta);
            }
            return;
        }
        for (int r = 0; r < h; r++) {
            for (int q = 0; q < w; q++) {
                int o = cOff + r * ldc + q;
                c[o] = tile[r * NR + q] + (beta == 0 ? 0 : beta * c[o]);
            }
        }
    }

    /** One row of a tile: C[o…o+2L) = acc + β·C. */
    private static void update(DoubleVector acc0, DoubleVector acc1, double[] c, int o, double beta) {
        if (beta == 0) {
            acc0.intoArray(c, o);
            acc1.intoArray(c, o + L);
        } else if (beta == 1) {
            acc0.add(DoubleVector.fromArray(S, c, o)).intoArray(c, o);
            acc1.add(DoubleVector.fromArray(S, c, o + L)).intoArray(c, o + L);
        } else {
            DoubleVector.fromArray(S, c, o).mul(beta).add(acc0).intoArray(c, o);
            DoubleVector.fromArray(S, c, o + L).mul(beta).add(acc1).intoArray(c, o + L);
        }
    }
}
