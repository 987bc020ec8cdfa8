package minibert.tensor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        double[] inPlace = g.clone(), dgi = new double[width], dbi = new double[width];   // dx written over dy
        Kernels.layerNormBackward(inPlace, xh, rs, gamma, inPlace, dgi, dbi, rows, width);
        close(dxa, inPlace, 0, "layer norm backward in place, seed " + seed);
        close(dga, dgi, 0, "dγ in place, seed " + seed);
        close(dba, dbi, 0, "dβ in place, seed " + seed);

        double[] yb = random(n, 1, r), yb2 = yb.clone(), b = random(width, 1, r);
        Kernels.addBias(yb, b, rows, width);
        Kernels.addBiasScalar(yb2, b, rows, width);
        close(yb2, yb, 0, "bias seed " + seed);
        double[] db = new double[width], db2 = new double[width];
        Kernels.addColumnSums(g, db, rows, width);
        Kernels.addColumnSumsScalar(g, db2, rows, width);
        close(db2, db, 0, "bias gradient seed " + seed);          // each column summed in the rows' order, whatever the split
        int[] targets = new int[rows], best = new int[rows];
        for (int i = 0; i < rows; i++) {
            targets[i] = r.nextInt(width);
        }
        double[] dz = random(n, 9, r), dz2 = new double[n];      // garbage to be overwritten
        Kernels.softmaxCrossEntropyBackward(s, targets, 0.375, dz, rows, width);
        Kernels.softmaxCrossEntropyBackwardScalar(s, targets, 0.375, dz2, rows, width);
        close(dz2, dz, 0, "softmax cross-entropy backward seed " + seed);
        Kernels.argMaxRows(s, rows, width, best);
        for (int i = 0; i < rows; i++) {
            assertTrue(best[i] == Kernels.argMaxScalar(s, i * width, width), "arg max of row " + i + ", seed " + seed);
        }

        double[] th = random(n, 1, r), th2 = th.clone(), gr = random(n, 1, r), m = new double[n], m2 = new double[n];
        double[] v = new double[n], v2 = new double[n];
        for (int t = 1; t <= 3; t++) {
            Kernels.adamW(th, gr, 0.75, m, v, n, 1e-3, 0.9, 0.999, 1e-6, 0.01, t);
            Kernels.adamWScalar(th2, gr, 0.75, m2, v2, n, 1e-3, 0.9, 0.999, 1e-6, 0.01, t);
        }
        close(th2, th, 1e-13, "AdamW seed " + seed);
    }

    // ---------------------------------------------------------------- the vector erf

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /** VectorErf.erf on every entry, L entries to a vector (the last vector padded with zeros). */
    private static double[] vectorErf(double[] x) {
        int l = S.length(), n = (x.length + l - 1) / l * l;
        double[] in = Arrays.copyOf(x, n), out = new double[n];
        for (int i = 0; i < n; i += l) {
            VectorErf.erf(DoubleVector.fromArray(S, in, i)).intoArray(out, i);
        }
        return Arrays.copyOf(out, x.length);
    }

    /** VectorErf.erf(x) on a vector whose every lane is x. */
    private static double vectorErf(double x) {
        return VectorErf.erf(DoubleVector.broadcast(S, x)).lane(0);
    }

    /**
     * erf(x) to far more than double precision: the Taylor series Σ (−1)ⁿ x^(2n+1)/(n!·(2n+1)) in 60-digit
     * decimal arithmetic. Its largest term for |x| &lt;= 6 is below 10¹⁶, so the cancellation leaves 40 digits.
     */
    static double exactErf(double x) {
        MathContext mc = new MathContext(60);
        BigDecimal b = new BigDecimal(x), b2 = b.multiply(b, mc), power = b, sum = b;
        BigDecimal tiny = new BigDecimal("1e-40");
        for (int n = 1; ; n++) {
            power = power.multiply(b2, mc).divide(BigDecimal.valueOf(-n), mc);       // (−1)ⁿ x^(2n+1)/n!
            BigDecimal term = power.divide(BigDecimal.valueOf(2 * n + 1), mc);
            sum = sum.add(term, mc);
            if (n > b2.doubleValue() && term.abs().compareTo(tiny) < 0) {
                break;
            }
        }
        BigDecimal twoOverSqrtPi = new BigDecimal("1.12837916709551257389615890312154517168810125865799771368817");
        return sum.multiply(twoOverSqrtPi, mc).doubleValue();
    }

    /** Every x of {@code xs} and −x, in an order that mixes the intervals of the erf within each vector. */
    private static double[] mixed(double[] xs, long seed) {
        List<Double> all = new ArrayList<>();
        for (double x : xs) {
            all.add(x);
            all.add(-x);
        }
        Collections.shuffle(all, new Random(seed));
        return all.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** Cody's interval boundaries (1/2, 4), the clamp at 6, and the floating-point numbers either side. */
    private static final double[] BOUNDARIES = {0.5, Math.nextDown(0.5), Math.nextUp(0.5), 4, Math.nextDown(4.0),
            Math.nextUp(4.0), 6, Math.nextDown(6.0), Math.nextUp(6.0)};

    @org.junit.jupiter.api.Test
    void theVectorErfIsAccurateToAFewUlp() {
        // x = k/512 on [0, 6], and the boundaries; each with −x, shuffled so that a vector's lanes lie in different intervals
        double[] grid = new double[3073 + BOUNDARIES.length];
        for (int k = 0; k <= 3072; k++) {
            grid[k] = k / 512.0;
        }
        System.arraycopy(BOUNDARIES, 0, grid, 3073, BOUNDARIES.length);
        double[] x = mixed(grid, 1), erf = vectorErf(x);
        for (int i = 0; i < x.length; i++) {
            double exact = exactErf(x[i]), error = Math.abs(erf[i] - exact);
            assertTrue(error <= 4e-16, "erf(" + x[i] + ") = " + erf[i] + ", exactly " + exact);
            // below 1, also relative: in units in the last place of the exact value
            assertTrue(Math.abs(x[i]) > 1 || error <= 4 * Math.ulp(exact), "erf(" + x[i] + ") = " + erf[i] + ", exactly " + exact);
        }
    }

    @org.junit.jupiter.api.Test
    void theVectorErfAgreesWithTheModelsErf() {
        // x = −7 … 7 in steps of 0.001, shuffled, so that the lanes of a vector lie in different intervals
        double[] grid = new double[7001];
        for (int k = 0; k <= 7000; k++) {
            grid[k] = k * 0.001;
        }
        double[] x = mixed(grid, 2), erf = vectorErf(x);
        // the same values in order, where a vector's lanes mostly share an interval: the lanes do not mix
        double[] sorted = x.clone();
        Arrays.sort(sorted);
        double[] erfSorted = vectorErf(sorted);
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            double error = Math.abs(erf[i] - Erf.erf(x[i]));
            worst = Math.max(worst, error);
            assertEquals(erfSorted[Arrays.binarySearch(sorted, x[i])], erf[i], "erf(" + x[i] + ") in a mixed vector");
        }
        // Erf is within 10⁻¹⁵ of erf, the vector erf within 4·10⁻¹⁶
        assertTrue(worst <= 2e-15, "vector erf differs from the scalar Erf by " + worst);

        double[] g = new double[801], y = new double[g.length];
        for (int i = 0; i < g.length; i++) {
            g[i] = -8 + i * 0.02;
        }
        Kernels.gelu(g, y, new double[g.length], g.length, false);
        for (int i = 0; i < g.length; i++) {
            double e = 0.5 * g[i] * (1 + Erf.erf(g[i] * Math.sqrt(0.5)));
            assertTrue(Math.abs(y[i] - e) <= 1e-14 * Math.max(1, Math.abs(e)), "gelu(" + g[i] + ") = " + y[i] + " vs " + e);
        }
    }

    @org.junit.jupiter.api.Test
    void theVectorErfOfSpecialValues() {
        double[] x = {0.0, -0.0, 1e-300, -1e-300, Double.MIN_VALUE, -Double.MIN_VALUE, 1e-8, -1e-8, 10, -10, 30, -30,
                Double.MAX_VALUE, -Double.MAX_VALUE, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN,
                0.25, 2.5, 5};
        double[] erf = vectorErf(x);
        // ±0 keeps its sign
        assertEquals(Double.doubleToRawLongBits(0.0), Double.doubleToRawLongBits(erf[0]), "erf(0)");
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(erf[1]), "erf(-0)");
        // tiny: erf(x) = 2x/√π (1 − x²/3 + …), to within rounding
        for (int i = 2; i < 8; i++) {
            double expected = 1.1283791670955126 * x[i];
            assertEquals(expected, erf[i], 2 * Math.ulp(expected), "erf(" + x[i] + ")");
        }
        // large and infinite: exactly ±1
        for (int i = 8; i < 16; i++) {
            assertEquals(Math.signum(x[i]), erf[i], "erf(" + x[i] + ")");
        }
        assertTrue(Double.isNaN(erf[16]), "erf(NaN) = " + erf[16]);
        // the same values, one vector at a time: in a vector with a NaN, an infinity or a zero, the other lanes are unharmed
        for (int i = 0; i < x.length; i++) {
            assertEquals(Double.doubleToRawLongBits(vectorErf(x[i])), Double.doubleToRawLongBits(erf[i]), "erf(" + x[i] + ") alone");
        }
    }

    @org.junit.jupiter.api.Test
    void theVectorTanhIsWithinAFewUlpOfMathTanh() {
        // u = k/256 on [0, 24] and special values, each with −u, shuffled so that a vector mixes signs and sizes
        double[] grid = new double[6145 + 8];
        for (int k = 0; k <= 6144; k++) {
            grid[k] = k / 256.0;
        }
        double[] special = {1e-300, Double.MIN_VALUE, 1e-8, 1e-4, 400, Double.MAX_VALUE, Double.POSITIVE_INFINITY, 0.0};
        System.arraycopy(special, 0, grid, 6145, special.length);
        double[] u = mixed(grid, 3);
        int l = S.length(), n = (u.length + l - 1) / l * l;
        double[] in = Arrays.copyOf(u, n), out = new double[n];
        for (int i = 0; i < n; i += l) {
            Kernels.tanh(DoubleVector.fromArray(S, in, i)).intoArray(out, i);
        }
        for (int i = 0; i < u.length; i++) {
            double expected = Math.tanh(u[i]);
            assertEquals(expected, out[i], 4 * Math.ulp(expected), "tanh(" + u[i] + ")");
            assertEquals(Math.copySign(1.0, u[i]), Math.copySign(1.0, out[i]), "sign of tanh(" + u[i] + ")");
        }
        assertTrue(Double.isNaN(Kernels.tanh(DoubleVector.broadcast(S, Double.NaN)).lane(0)), "tanh(NaN)");
    }

    // ---------------------------------------------------------------- the deterministic exponential

    @org.junit.jupiter.params.ParameterizedTest(name = "seed {0}")
    @org.junit.jupiter.params.provider.ValueSource(longs = {1, 2, 3})
    void theKernelsExpIsWithinTwoUlpsOfMathExp(long seed) {
        java.util.Random r = new java.util.Random(seed);
        int n = 1 << 14;
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = r.nextInt(4) == 0 ? (r.nextDouble() - 0.5) * 1e-6 : (r.nextDouble() - 0.5) * 1400;
        }
        x[0] = 0;
        x[1] = -10000;                                   // the attention mask's score: exactly 0
        x[2] = 709;
        x[3] = Double.NaN;
        x[4] = -700;
        for (int i = 0; i + L <= n; i += L) {
            double[] e = new double[L], m1 = new double[L];
            Kernels.exp(jdk.incubator.vector.DoubleVector.fromArray(S, x, i)).intoArray(e, 0);
            Kernels.expm1(jdk.incubator.vector.DoubleVector.fromArray(S, x, i)).intoArray(m1, 0);
            for (int j = 0; j < L; j++) {
                double xi = x[i + j], want = Math.exp(xi);
                if (Double.isNaN(xi)) {
                    assertTrue(Double.isNaN(e[j]) && Double.isNaN(m1[j]), "NaN gives NaN");
                } else if (want < Double.MIN_NORMAL) {
                    assertEquals(0.0, e[j], "seed " + seed + ": exp(" + xi + ") underflows to 0");
                } else {
                    assertEquals(want, e[j], 2 * Math.ulp(want), "seed " + seed + ": exp(" + xi + ")");
                    double wantM1 = Math.expm1(xi);
                    assertEquals(wantM1, m1[j], 2 * Math.ulp(wantM1) + 2 * Math.ulp(1.0) * (Math.abs(xi) > 0.35 ? want : 0),
                            "seed " + seed + ": expm1(" + xi + ")");
                }
            }
        }
        assertEquals(1.0, expOf(0));
        assertEquals(0.0, expOf(-10000));
    }

    private static double expOf(double x) {
        return Kernels.exp(jdk.incubator.vector.DoubleVector.broadcast(S, x)).lane(0);
    }

    @org.junit.jupiter.api.Test
    void laneSumsAreAddedInAFixedButterfly() {
        // one vector whose squares are exact, so that Σ x² is the butterfly of Kernels.HALVES over them alone; the
        // squares 1 and 1 beside 9·2⁵⁰ round away when added to it one at a time, not when added to each other first
        double[] x = new double[L], v = new double[L];
        x[1] = 1;
        x[2] = 3 * Math.scalb(1.0, 25);
        x[3] = 1;
        double sequential = 0;
        for (int i = 0; i < L; i++) {
            v[i] = x[i] * x[i];
            sequential += v[i];
        }
        // pairs at distance L/2 first, …, then neighbours; lane 0 holds the total
        double[] w = v.clone();
        for (int h = L / 2; h >= 1; h /= 2) {
            double[] next = new double[L];
            for (int i = 0; i < L; i++) {
                next[i] = w[i] + w[i ^ h];
            }
            w = next;
        }
        assertTrue(w[0] != sequential, "the numbers tell the two orders apart");
        assertEquals(w[0], Kernels.sumOfSquares(x, L), 0);
    }

    @ParameterizedTest(name = "width {0}, seed {1}")
    @CsvSource({"1, 1", "3, 2", "7, 3", "17, 4", "64, 5", "8193, 6"})
    void argMaxFindsTheFirstLargestEntryAsTheScalarLoopDoes(int width, long seed) {
        Random r = new Random(seed);
        int rows = 40, pad = 3;                                    // rows start at odd offsets of one array
        double[] x = new double[pad + rows * width];
        for (int i = 0; i < x.length; i++) {
            // few distinct values, so that the largest is often tied; zeros of both signs; some rows all −∞
            x[i] = switch (r.nextInt(6)) {
                case 0 -> 0.0;
                case 1 -> -0.0;
                case 2 -> Double.NEGATIVE_INFINITY;
                default -> r.nextInt(5) - 2;
            };
        }
        for (int row = 0; row < rows; row++) {
            int from = pad + row * width;
            if (row == 7) {
                Arrays.fill(x, from, from + width, Double.NEGATIVE_INFINITY);
            }
            assertEquals(Kernels.argMaxScalar(x, from, width), Kernels.argMax(x, from, width), "row " + row);
        }
        double[] nan = new double[width];
        Arrays.fill(nan, Double.NaN);
        assertEquals(0, Kernels.argMax(nan, 0, width), "a row of NaN");
    }
}
