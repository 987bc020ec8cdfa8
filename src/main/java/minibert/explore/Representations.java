package minibert.explore;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.NormOps_DDRM;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.function.IntPredicate;

/**
 * Measures of what the hidden states of a model hold, layer by layer: how similar consecutive layers are (linear
 * CKA), how much all token vectors point one way (anisotropy), and which words lie near each other (cosine
 * neighbours). Every measure reads rows of [N, H] matrices, one row per token.
 */
public final class Representations {

    private Representations() {
    }

    /**
     * Linear centred kernel alignment (Kornblith et al. 2019) of two representations of the same N tokens:
     *
     * <pre>
     * X̃, Ỹ = X, Y with every column's mean subtracted            [N, p], [N, q]
     * CKA(X, Y) = ‖Ỹᵀ·X̃‖²_F / (‖X̃ᵀ·X̃‖_F · ‖Ỹᵀ·Ỹ‖_F)               in [0, 1]
     * </pre>
     *
     * It is 1 for representations that differ by a rotation and a uniform scale, and unchanged by either; unlike a
     * correlation of single units, it compares whole spaces.
     *
     * @param x [N, p]. Not modified.
     * @param y [N, q], the same N tokens in the same order. Not modified.
     */
    // tag::cka[]
    public static double linearCka(DMatrixRMaj x, DMatrixRMaj y) {
        if (x.numRows != y.numRows || x.numRows < 2) {
            throw new IllegalArgumentException("CKA compares two representations of the same tokens (at least 2); found "
                    + x.numRows + " and " + y.numRows + " rows");
        }
        DMatrixRMaj xc = centred(x), yc = centred(y);
        DMatrixRMaj yx = new DMatrixRMaj(yc.numCols, xc.numCols);        // Ỹᵀ·X̃ [q, p]
        CommonOps_DDRM.multTransA(yc, xc, yx);
        DMatrixRMaj xx = new DMatrixRMaj(xc.numCols, xc.numCols);        // X̃ᵀ·X̃ [p, p]
        CommonOps_DDRM.multTransA(xc, xc, xx);
        DMatrixRMaj yy = new DMatrixRMaj(yc.numCols, yc.numCols);        // Ỹᵀ·Ỹ [q, q]
        CommonOps_DDRM.multTransA(yc, yc, yy);
        double cross = NormOps_DDRM.normF(yx);
        return cross * cross / (NormOps_DDRM.normF(xx) * NormOps_DDRM.normF(yy));
    }
    // end::cka[]

    /** A copy of {@code x} [N, p] with each column's mean subtracted. */
    static DMatrixRMaj centred(DMatrixRMaj x) {
        DMatrixRMaj c = x.copy();
        for (int col = 0; col < x.numCols; col++) {
            double mean = 0;
            for (int r = 0; r < x.numRows; r++) {
                mean += x.get(r, col);
            }
            mean /= x.numRows;
            for (int r = 0; r < x.numRows; r++) {
                c.set(r, col, x.get(r, col) - mean);
            }
        }
        return c;
    }

    /**
     * Anisotropy (Ethayarajh 2019): the mean cosine similarity of {@code pairs} random pairs of distinct rows. Near 0
     * for vectors pointing every way, near 1 when all share one direction.
     *
     * @param x    token vectors [N, H], N ≥ 2. Not modified.
     * @param seed of the pairs drawn
     */
    // tag::anisotropy[]
    public static double anisotropy(DMatrixRMaj x, int pairs, long seed) {
        if (x.numRows < 2 || pairs < 1) {
            throw new IllegalArgumentException("anisotropy needs at least 2 vectors and 1 pair; found " + x.numRows
                    + " vectors, " + pairs + " pairs");
        }
        Random random = new Random(seed);
        double sum = 0;
        for (int k = 0; k < pairs; k++) {
            int a = random.nextInt(x.numRows), b = random.nextInt(x.numRows - 1);
            b += b >= a ? 1 : 0;                               // a different row, uniformly
            sum += cosine(x, a, x, b);
        }
        return sum / pairs;
    }
    // end::anisotropy[]

    /** cos(x_a, y_b) = x_a·y_b / (‖x_a‖·‖y_b‖); 0 when either row is zero. */
    public static double cosine(DMatrixRMaj x, int a, DMatrixRMaj y, int b) {
        double dot = 0, nx = 0, ny = 0;
        for (int c = 0; c < x.numCols; c++) {
            double u = x.get(a, c), v = y.get(b, c);
            dot += u * v;
            nx += u * u;
            ny += v * v;
        }
        return nx == 0 || ny == 0 ? 0 : dot / Math.sqrt(nx * ny);
    }

    /** A neighbour: a row and its cosine similarity to the query. */
    public record Neighbour(int row, double similarity) {
    }

    /**
     * The {@code k} rows most similar to row {@code query} by cosine, most similar first (ties by row), leaving out
     * the query itself and every row {@code allowed} refuses.
     *
     * @param x token or word vectors [N, H]. Not modified.
     */
    public static List<Neighbour> nearest(DMatrixRMaj x, int query, int k, IntPredicate allowed) {
        List<Neighbour> all = new ArrayList<>();
        for (int r = 0; r < x.numRows; r++) {
            if (r != query && allowed.test(r)) {
                all.add(new Neighbour(r, cosine(x, query, x, r)));
            }
        }
        all.sort(Comparator.comparingDouble((Neighbour n) -> -n.similarity()).thenComparingInt(Neighbour::row));
        return List.copyOf(all.subList(0, Math.min(k, all.size())));
    }

    /** The rows {@code rows} of {@code x} [N, H] as a new matrix [rows, H]. */
    public static DMatrixRMaj rows(DMatrixRMaj x, int[] rows) {
        DMatrixRMaj out = new DMatrixRMaj(rows.length, x.numCols);
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(x.data, rows[i] * x.numCols, out.data, i * x.numCols, x.numCols);
        }
        return out;
    }
}
