package minibert.explore;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * Principal component analysis of the rows of a matrix: the directions of largest variance, found as the
 * eigenvectors of the covariance matrix.
 *
 * <pre>
 * X̃ = X − 1·μᵀ (μ the column means)         [N, p]
 * C = X̃ᵀ·X̃ / (N − 1)                          [p, p], symmetric
 * C·w_k = λ_k·w_k,  λ_1 ≥ λ_2 ≥ …             the components w_k, unit length
 * projection of row r on w_k: (x_r − μ)·w_k
 * </pre>
 *
 * An eigenvector's sign is arbitrary; each component is turned so that its entry of largest magnitude is
 * positive, so that two runs on the same data draw the same picture.
 *
 * @param mean       μ [p]
 * @param components w_1 … w_k as rows [k, p]
 * @param variances  λ_1 … λ_k
 * @param total      the total variance, trace(C) = Σ of every eigenvalue
 */
public record Pca(double[] mean, DMatrixRMaj components, double[] variances, double total) {

    /** The first {@code k} principal components of the rows of {@code x} [N, p] (N ≥ 2, 1 ≤ k ≤ p). Not modified. */
    public static Pca fit(DMatrixRMaj x, int k) {
        int n = x.numRows, p = x.numCols;
        if (n < 2 || k < 1 || k > p) {
            throw new IllegalArgumentException("PCA of " + n + " rows of width " + p + " cannot give " + k
                    + " components (needs at least 2 rows and 1 ≤ k ≤ width)");
        }
        double[] mean = new double[p];
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < p; c++) {
                mean[c] += x.get(r, c) / n;
            }
        }
        DMatrixRMaj centred = Representations.centred(x);
        DMatrixRMaj cov = new DMatrixRMaj(p, p);
        CommonOps_DDRM.multTransA(centred, centred, cov);
        CommonOps_DDRM.scale(1.0 / (n - 1), cov);
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(p, true, true);
        if (!eig.decompose(cov.copy())) {
            throw new IllegalStateException("the eigen decomposition of a " + p + " × " + p + " covariance did not converge");
        }
        Integer[] order = new Integer[p];
        double total = 0;
        for (int i = 0; i < p; i++) {
            order[i] = i;
            total += eig.getEigenvalue(i).real;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(eig.getEigenvalue(b).real, eig.getEigenvalue(a).real));
        DMatrixRMaj components = new DMatrixRMaj(k, p);
        double[] variances = new double[k];
        for (int i = 0; i < k; i++) {
            DMatrixRMaj v = eig.getEigenVector(order[i]);
            variances[i] = eig.getEigenvalue(order[i]).real;
            double norm = 0;
            int largest = 0;
            for (int c = 0; c < p; c++) {
                norm += v.get(c) * v.get(c);
                largest = Math.abs(v.get(c)) > Math.abs(v.get(largest)) ? c : largest;
            }
            double sign = v.get(largest) < 0 ? -1 : 1;
            for (int c = 0; c < p; c++) {
                components.set(i, c, sign * v.get(c) / Math.sqrt(norm));
            }
        }
        return new Pca(mean, components, variances, total);
    }

    /** The projections of the rows of {@code x} [N, p] on the components: [N, k]. Not modified. */
    public DMatrixRMaj project(DMatrixRMaj x) {
        int k = components.numRows, p = components.numCols;
        if (x.numCols != p) {
            throw new IllegalArgumentException("rows of width " + x.numCols + " cannot be projected on components of width " + p);
        }
        DMatrixRMaj out = new DMatrixRMaj(x.numRows, k);
        for (int r = 0; r < x.numRows; r++) {
            for (int i = 0; i < k; i++) {
                double s = 0;
                for (int c = 0; c < p; c++) {
                    s += (x.get(r, c) - mean[c]) * components.get(i, c);
                }
                out.set(r, i, s);
            }
        }
        return out;
    }

    /** λ_k / Σλ, the share of the total variance along component k (from 0). */
    public double explained(int k) {
        return variances[k] / total;
    }
}
