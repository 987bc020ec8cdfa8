package minibert.tensor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every Vector API kernel against its scalar reference, on odd sizes with tails narrower than a vector.
 * Errors are relative to max(|expected|, 1): GELU near −4 is a difference of nearly equal numbers
 * (1 + erf), where one ulp of erf is a large relative error of a tiny result.
 */
class KernelsTest {

    private static double[] random(int n, double scale, Random r) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = scale * r.nextGaussian();
        }
        return a;
    }

    private static void close(double[] expected, double[] actual, double tol, String what) {
        for (int i = 0; i < expected.length; i++) {
            double e = Math.abs(expected[i] - actual[i]) / Math.max(Math.abs(expected[i]), 1.0);
            assertTrue(e <= tol, what + " entry " + i + ": " + actual[i] + " vs " + expected[i]);
        }
    }

    @ParameterizedTest(name = "{0} × {1}, seed {2}")
    // the last two are large enough for the kernels to split their rows or elements across the pool
    @CsvSource({"1, 1, 1", "3, 7, 2", "7, 12, 3", "5, 17, 4", "2, 192, 5", "13, 29, 6", "301, 193, 7", "2049, 17, 8"})
    void everyKernelMatchesItsScalarReference(int rows, int width, long seed) {
        Random r = new Random(seed);
        int n = rows * width;
        for (boolean tanh : new boolean[] {false, true}) {
            double[] x = random(n, 3, r), y = new double[n], dy = random(n, 1, r), dx = new double[n];
            x[0] = 0;
            if (n > 2) {
                x[1] = 5.5;       // the continued-fraction branch
                x[2] = -4.0;
            }
            double[] gate = new double[n];
            Kernels.gelu(x, y, gate, n, tanh);
            Kernels.geluBackward(x, gate, dy, dx, n, tanh);
            double[] ey = new double[n], edx = new double[n];
            for (int i = 0; i < n; i++) {
                ey[i] = Kernels.geluScalar(x[i], tanh);
                edx[i] = dy[i] * Kernels.geluDerivativeScalar(x[i], tanh);
            }
            close(ey, y, 1e-13, "gelu tanh=" + tanh + " seed " + seed);
            close(edx, dx, 1e-13, "gelu' tanh=" + tanh + " seed " + seed);
        }
        double[] s = random(n, 50, r), s2 = s.clone();
        Kernels.softmaxRows(s, rows, width);
        Kernels.softmaxRowsScalar(s2, rows, width);
        close(s2, s, 1e-13, "softmax seed " + seed);
        double[] dp = random(n, 1, r), ds = new double[n], ds2 = new double[n];
        Kernels.softmaxRowsBackward(s, dp, ds, rows, width);
        Kernels.softmaxRowsBackwardScalar(s, dp, ds2, rows, width);
        close(ds2, ds, 1e-12, "softmax backward seed " + seed);

        double[] x = random(n, 2, r), gamma = random(width, 1, r), beta = random(width, 1, r);
        double[] y = new double[n], y2 = new double[n], xh = new double[n], xh2 = new double[n], rs = new double[rows], rs2 = new double[rows];
        Kernels.layerNorm(x, gamma, beta, 1e-12, y, xh, rs, rows, width);
        Kernels.layerNormScalar(x, gamma, beta, 1e-12, y2, xh2, rs2, rows, width);
        close(y2, y, 1e-12, "layer norm seed " + seed);
        double[] g = random(n, 1, r), dxa = new double[n], dga = new double[width], dba = new double[width];
        Kernels.layerNormBackward(g, xh, rs, gamma, dxa, dga, dba, rows, width);
        double[] dxr = new double[n], dgr = new double[width], dbr = new double[width];
        Kernels.layerNormBackwardScalar(g, xh2, rs2, gamma, dxr, dgr, dbr, rows, width);
        close(dxr, dxa, 1e-11, "layer norm backward seed " + seed);
        close(dgr, dga, 1e-12, "dγ seed " + seed);
        close(dbr, dba, 1e-12, "dβ seed " + seed);

        double[] yb = random(n, 1, r), yb2 = yb.clone(), b = random(width, 1, r);
        Kernels.addBias(yb, b, rows, width);
        for (int i = 0; i < n; i++) {
            yb2[i] += b[i % width];
        }
        close(yb2, yb, 0, "bias seed " + seed);
        double[] db = new double[width], db2 = new double[width];
        Kernels.addColumnSums(g, db, rows, width);
        for (int i = 0; i < n; i++) {
            db2[i % width] += g[i];
        }
        close(db2, db, 1e-13, "bias gradient seed " + seed);

        double[] th = random(n, 1, r), th2 = th.clone(), gr = random(n, 1, r), m = new double[n], m2 = new double[n];
        double[] v = new double[n], v2 = new double[n];
        for (int t = 1; t <= 3; t++) {
            Kernels.adamW(th, gr, m, v, n, 1e-3, 0.9, 0.999, 1e-6, 0.01, t);
            Kernels.adamWScalar(th2, gr, m2, v2, n, 1e-3, 0.9, 0.999, 1e-6, 0.01, t);
        }
        close(th2, th, 1e-13, "AdamW seed " + seed);
    }

    @org.junit.jupiter.api.Test
    void theVectorErfAgreesWithTheModelsErf() {
        double[] x = new double[801], y = new double[801];
        for (int i = 0; i < x.length; i++) {
            x[i] = -8 + i * 0.02;
        }
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            worst = Math.max(worst, Math.abs(Kernels.erf(jdk.incubator.vector.DoubleVector.broadcast(
                    jdk.incubator.vector.DoubleVector.SPECIES_PREFERRED, x[i])).lane(0) - Erf.erf(x[i])));
        }
        // The vector exp may round differently from Math.exp by an ulp or so: a few 1e-16 absolute.
        assertTrue(worst <= 2e-15, "vector erf differs from the scalar Erf by " + worst);
        Kernels.gelu(x, y, new double[x.length], x.length, false);
        for (int i = 0; i < x.length; i++) {
            double e = 0.5 * x[i] * (1 + Erf.erf(x[i] * Math.sqrt(0.5)));
            assertTrue(Math.abs(y[i] - e) <= 1e-14 * Math.max(1, Math.abs(e)), "gelu(" + x[i] + ") = " + y[i] + " vs " + e);
        }
    }
}
