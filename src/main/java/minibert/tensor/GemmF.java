package minibert.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Single-precision GEMM: the mechanical float twin of {@link Gemm} (the same code with {@code float} for
 * {@code double}, as EJML keeps its float code), so a float32 training path needs no second kernel design.
 *
 * <p>The double version's description:
 *
 * <pre>
 * C = α·op(A)·op(B) + β·C        op(A) [m, k], op(B) [k, n], C [m, n]; op = identity or transpose
 * </pre>
 *
 * on row-major arrays with leading dimensions, as EJML stores them. The structure is the classic one
 * (Goto; BLIS): the k dimension is cut into blocks of {@value #KC}, op(B) is packed for each block into
 * panels {@value #NR} columns wide, op(A) into panels {@value #MR} rows tall, and a register-blocked
 * micro-kernel keeps an {@value #MR} × {@value #NR} block of C in vector registers while it streams
 * both panels. Packing also absorbs the transposes, so one micro-kernel serves all four cases.
 * {@link #reference} is the plain triple loop every result is checked against.
 */
public final class GemmF {

    public static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    public static final int L = S.length();           // lanes: 16 floats with AVX-512
    public static final int MR = 4;                   // rows of the micro-tile
    public static final int NR = 3 * L;               // columns of the micro-tile: three vectors
    public static final int KC = 256;                 // depth of a packed block
    static final int MC = 96;                  // rows of A packed at a time (a multiple of MR)

    private static final int THREADS = Runtime.getRuntime().availableProcessors();
    private static final ExecutorService POOL = Executors.newFixedThreadPool(THREADS, r -> {
        Thread t = new Thread(r, "minibert-gemmf");
        t.setDaemon(true);
        return t;
    });

    private GemmF() {
    }

    /** The number of threads {@link #parallel} uses. */
    public static int threads() {
        return THREADS;
    }

    /** The triple loop: c_ij = α Σ_p op(a)_ip op(b)_pj + β c_ij. */
    public static void reference(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                 float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0;
                for (int p = 0; p < k; p++) {
                    s += (transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                }
                c[i * ldc + j] = alpha * s + (beta == 0 ? 0 : beta * c[i * ldc + j]);
            }
        }
    }

    /** Single-threaded GEMM over all rows of C. */
    public static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc) {
        rows(transA, transB, 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /** GEMM with the rows of C split across the fixed pool (small products run on the calling thread). */
    public static void parallel(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc) {
        if (THREADS == 1 || (long) m * n * k < 1L << 20 || m < 2 * MR) {
            gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        int chunk = ((m + THREADS - 1) / THREADS + MR - 1) / MR * MR;
        List<Future<?>> futures = new ArrayList<>();
        for (int start = 0; start < m; start += chunk) {
            int from = start, to = Math.min(m, start + chunk);
            futures.add(POOL.submit(() -> rows(transA, transB, from, to, n, k, alpha, a, lda, b, ldb, beta, c, ldc)));
        }
        Gemm.awaitAll(futures);
    }

    /** Rows [from, to) of C. */
    // tag::blocking[]
    private static void rows(boolean transA, boolean transB, int from, int to, int n, int k, float alpha,
                             float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc) {
        // β first, so that every k block below can simply accumulate
        for (int i = from; i < to; i++) {
            for (int j = 0; j < n; j++) {
                c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j];
            }
        }
        if (k == 0 || n == 0 || alpha == 0) {
            return;
        }
        int nPanels = (n + NR - 1) / NR;
        float[] packedB = new float[nPanels * NR * Math.min(KC, k)];
        float[] packedA = new float[MC * Math.min(KC, k)];
        float[] tile = new float[MR * NR];
        for (int p0 = 0; p0 < k; p0 += KC) {
            int kc = Math.min(KC, k - p0);
            packB(transB, b, ldb, p0, kc, n, packedB);                  // op(B)[p0:p0+kc, :] in NR-wide panels
            for (int i0 = from; i0 < to; i0 += MC) {
                int mc = Math.min(MC, to - i0);
                packA(transA, a, lda, i0, mc, p0, kc, alpha, packedA);   // α·op(A)[i0:i0+mc, p0:p0+kc] in MR-tall panels
                for (int jp = 0; jp < nPanels; jp++) {
                    for (int ip = 0; ip < mc; ip += MR) {
                        micro(packedA, ip * kc, packedB, jp * NR * kc, kc, tile);
                        store(tile, c, ldc, i0 + ip, Math.min(MR, mc - ip), jp * NR, Math.min(NR, n - jp * NR));
                    }
                }
            }
        }
    }
    // end::blocking[]

    /** Packs op(B) rows p0…p0+kc−1 into panels of NR columns, row by row, zero-padded at the right edge. */
    private static void packB(boolean transB, float[] b, int ldb, int p0, int kc, int n, float[] out) {
        int nPanels = (n + NR - 1) / NR;
        for (int jp = 0; jp < nPanels; jp++) {
            int base = jp * NR * kc, j0 = jp * NR, w = Math.min(NR, n - j0);
            for (int p = 0; p < kc; p++) {
                int o = base + p * NR;
                if (!transB) {
                    System.arraycopy(b, (p0 + p) * ldb + j0, out, o, w);
                } else {
                    for (int j = 0; j < w; j++) {
                        out[o + j] = b[(j0 + j) * ldb + p0 + p];
                    }
                }
                for (int j = w; j < NR; j++) {
                    out[o + j] = 0;
                }
            }
        }
    }

    /** Packs α·op(A) rows i0…i0+mc−1, columns p0…p0+kc−1, into panels of MR rows stored column by column. */
    private static void packA(boolean transA, float[] a, int lda, int i0, int mc, int p0, int kc, float alpha, float[] out) {
        for (int ip = 0; ip < mc; ip += MR) {
            int base = ip * kc, h = Math.min(MR, mc - ip);
            for (int p = 0; p < kc; p++) {
                int o = base + p * MR;
                for (int r = 0; r < MR; r++) {
                    out[o + r] = r < h ? alpha * (transA ? a[(p0 + p) * lda + i0 + ip + r] : a[(i0 + ip + r) * lda + p0 + p]) : 0;
                }
            }
        }
    }

    /** The micro-kernel: an MR × NR tile of products accumulated in twelve vector registers. */
    // tag::micro[]
    private static void micro(float[] pa, int aOff, float[] pb, int bOff, int kc, float[] tile) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
        for (int p = 0; p < kc; p++) {
            int bo = bOff + p * NR, ao = aOff + p * MR;
            FloatVector b0 = FloatVector.fromArray(S, pb, bo);
            FloatVector b1 = FloatVector.fromArray(S, pb, bo + L);
            FloatVector b2 = FloatVector.fromArray(S, pb, bo + 2 * L);
            FloatVector a0 = FloatVector.broadcast(S, pa[ao]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01); c02 = a0.fma(b2, c02);
            FloatVector a1 = FloatVector.broadcast(S, pa[ao + 1]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11); c12 = a1.fma(b2, c12);
            FloatVector a2 = FloatVector.broadcast(S, pa[ao + 2]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21); c22 = a2.fma(b2, c22);
            FloatVector a3 = FloatVector.broadcast(S, pa[ao + 3]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31); c32 = a3.fma(b2, c32);
        }
        c00.intoArray(tile, 0); c01.intoArray(tile, L); c02.intoArray(tile, 2 * L);
        c10.intoArray(tile, NR); c11.intoArray(tile, NR + L); c12.intoArray(tile, NR + 2 * L);
        c20.intoArray(tile, 2 * NR); c21.intoArray(tile, 2 * NR + L); c22.intoArray(tile, 2 * NR + 2 * L);
        c30.intoArray(tile, 3 * NR); c31.intoArray(tile, 3 * NR + L); c32.intoArray(tile, 3 * NR + 2 * L);
    }
    // end::micro[]

    /** Adds the valid h × w part of a tile into C at (i, j). */
    private static void store(float[] tile, float[] c, int ldc, int i, int h, int j, int w) {
        for (int r = 0; r < h; r++) {
            int row = (i + r) * ldc + j;
            for (int q = 0; q < w; q++) {
                c[row + q] += tile[r * NR + q];
            }
        }
    }
}
