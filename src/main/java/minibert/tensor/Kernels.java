package minibert.tensor;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.util.ArrayList;
import java.util.List;

/**
 * Element-wise and row-wise kernels of the model, each in a Vector API version and a plain scalar
 * reference beside it ({@code …Scalar}), which the tests compare. Arrays are row-major; "rows" are of
 * length {@code width}.
 */
public final class Kernels {

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final double SQRT_HALF = 0.7071067811865476;
    private static final double INV_SQRT_2PI = 0.3989422804014327;
    private static final double SQRT_2_OVER_PI = 0.7978845608028654;
    private static final double ONE_OVER_SQRT_PI = 0.5641895835477563;
    /** The work of one GELU element in units of a plain element-wise operation (erf's rational functions and exponential). */
    private static final int GELU_COST = 4;
    /** The same for its backward pass, which reuses the forward pass's gate and needs only an exp. */
    private static final int GELU_BACKWARD_COST = 4;

    private Kernels() {
    }

    // ---------------------------------------------------------------- deterministic exp and sums

    /*
     * Every kernel must give the same bits whether the JIT has compiled it yet or not: a run resumed in a fresh
     * JVM starts interpreted, the run it continues was long compiled, and "resume is bit-exact" holds only if
     * both compute alike. Two Vector API operations do not: lanewise(EXP) (and EXPM1) is computed by Intel's
     * SVML library once compiled and by Math.exp lane by lane before, and the two differ in the last bit for
     * about one double input in 200 and one float in 25; and reduceLanes(ADD) may add the lanes in any order,
     * and does add them differently compiled. So the kernels compute their own exponential from additions,
     * multiplications and fused multiply-adds (each exactly rounded in every mode), and sum lanes in a fixed
     * order. Scalar Math.exp, log and tanh agree in both modes (HotSpot's interpreter calls the compiled stubs).
     */

    /** Σ of a vector's lanes, always in the same order: a butterfly of exact additions, then lane 0. */
    static double sum(DoubleVector v) {
        for (VectorShuffle<Double> swap : SWAPS) {
            v = v.add(v.rearrange(swap));
        }
        return v.lane(0);
    }

    /** The butterfly's shuffles: lane i with lane i ^ h, for h = L/2, L/4, …, 1. */
    private static final List<VectorShuffle<Double>> SWAPS = swaps();

    private static List<VectorShuffle<Double>> swaps() {
        List<VectorShuffle<Double>> out = new ArrayList<>();
        for (int h = L / 2; h >= 1; h /= 2) {
            int half = h;
            out.add(VectorShuffle.fromOp(S, i -> i ^ half));
        }
        return out;
    }

    private static final double LOG2E = 1.4426950408889634;
    /** Adding and subtracting 1.5·2^(p−1) rounds a number of magnitude below 2^(p−2) to the nearest integer. */
    private static final double ROUNDER = 1.5 * Math.scalb(1.0, Double.PRECISION - 1);
    /** Below this, e^x is under the smallest normal number and is returned as 0. */
    private static final double EXP_LOW = (1 - Double.MAX_EXPONENT) * ExpConstants.LN2_HI;
    /** Above this, 2^k would leave the exponent range: e^x is returned as +∞ (beyond the float's range: overflow). */
    private static final double EXP_HIGH = Double.MAX_EXPONENT * ExpConstants.LN2_HI;
    /** 1/n! for n = 13 … 0: e^r's Taylor polynomial, whose truncation error for |r| ≤ ln2/2 is below 10⁻¹⁷ of e^r. */
    private static final double[] EXP_TAYLOR = {1.6059043836821613e-10, 2.08767569878681e-9, 2.505210838544172e-8,
            2.7557319223985893e-7, 2.755731922398589e-6, 2.48015873015873e-5, 1.984126984126984e-4,
            1.388888888888889e-3, 8.333333333333333e-3, 4.1666666666666664e-2, 0.16666666666666666, 0.5, 1.0, 1.0};

    /**
     * e^x on every lane, deterministically: x = k·ln2 + r with k = round(x/ln2) and |r| ≤ ln2/2 (Cody and
     * Waite's reduction, ln 2 in two parts), e^r by its Taylor polynomial, and 2^k written straight into the
     * exponent field. Within about 1 ulp; 0 below {@link #EXP_LOW} (where e^x is subnormal or smaller), +∞
     * above {@link #EXP_HIGH}, NaN for NaN.
     */
    static DoubleVector exp(DoubleVector x) {
        DoubleVector xc = x.max(EXP_LOW).min(EXP_HIGH);
        DoubleVector k = xc.mul(LOG2E).add(ROUNDER).sub(ROUNDER);                  // round(x / ln 2)
        DoubleVector r = k.neg().fma(DoubleVector.broadcast(S, ExpConstants.LN2_HI), xc);   // x − k·ln2, in two parts
        r = k.neg().fma(DoubleVector.broadcast(S, ExpConstants.LN2_LO), r);
        DoubleVector p = DoubleVector.broadcast(S, EXP_TAYLOR[0]);
        for (int i = 1; i < EXP_TAYLOR.length; i++) {
            p = p.fma(r, DoubleVector.broadcast(S, EXP_TAYLOR[i]));
        }
        DoubleVector twoToK = ((LongVector) k.convert(VectorOperators.D2L, 0)).add(Double.MAX_EXPONENT)
                .lanewise(VectorOperators.LSHL, Double.PRECISION - 1).reinterpretAsDoubles();
        DoubleVector e = p.mul(twoToK);
        e = e.blend(0, x.compare(VectorOperators.LT, EXP_LOW));
        e = e.blend(Double.POSITIVE_INFINITY, x.compare(VectorOperators.GT, EXP_HIGH));
        return e.blend(x, x.test(VectorOperators.IS_NAN));
    }

    /** Where e^x − 1 is computed from its own series rather than as e^x − 1 (which would cancel digits). */
    private static final double EXPM1_SERIES = 0.5 * ExpConstants.LN2_HI;

    /**
     * e^x − 1 on every lane, deterministically: for |x| ≤ ln2/2 the series x + x²/2! + … + x¹³/13! (Horner's rule
     * on {@link #EXP_TAYLOR}, the constant term left out), elsewhere {@link #exp} − 1.
     */
    static DoubleVector expm1(DoubleVector x) {
        VectorMask<Double> near = x.abs().compare(VectorOperators.LE, EXPM1_SERIES);
        DoubleVector result = x;
        if (!near.allTrue()) {
            result = exp(x).sub(1.0);
        }
        if (near.anyTrue()) {
            DoubleVector p = DoubleVector.broadcast(S, EXP_TAYLOR[0]);
            for (int i = 1; i < EXP_TAYLOR.length - 1; i++) {
                p = p.fma(x, DoubleVector.broadcast(S, EXP_TAYLOR[i]));
            }
            result = result.blend(p.mul(x), near);
        }
        return result;
    }

    // ---------------------------------------------------------------- erf and GELU

    /*
     * erf by W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev approximation for the error
     * function", Math. Comp. 23, 1969), with the coefficients of his routine CALERF in netlib's SPECFUN
     * (https://www.netlib.org/specfun/erf). Each array holds a polynomial's coefficients from the highest power
     * down, the order of Horner's rule (CALERF keeps a numerator's leading coefficient last: A(5), C(9), P(6));
     * every denominator is monic, and each numerator has as many coefficients as its denominator.
     */

    /** Cody's first interval, |x| &lt;= 1/2: erf(x) = x·A(x²)/B(x²). */
    private static final double ERF_SMALL = 0.5;
    private static final double[] ERF_A = {1.85777706184603153e-1, 3.16112374387056560e0, 1.13864154151050156e2,
            3.77485237685302021e2, 3.20937758913846947e3};
    private static final double[] ERF_B = {1, 2.36012909523441209e1, 2.44024637934444173e2, 1.28261652607737228e3,
            2.84423683343917062e3};

    /** The second, 1/2 &lt; |x| &lt;= 4: erfc(|x|) = e^(−x²)·C(|x|)/D(|x|). */
    private static final double ERF_MIDDLE = 4;
    private static final double[] ERF_C = {2.15311535474403846e-8, 5.64188496988670089e-1, 8.88314979438837594e0,
            6.61191906371416295e1, 2.98635138197400131e2, 8.81952221241769090e2, 1.71204761263407058e3,
            2.05107837782607147e3, 1.23033935479799725e3};
    private static final double[] ERF_D = {1, 1.57449261107098347e1, 1.17693950891312499e2, 5.37181101862009858e2,
            1.62138957456669019e3, 3.29079923573345963e3, 4.36261909014324716e3, 3.43936767414372164e3,
            1.23033935480374942e3};

    /** The third, |x| &gt; 4, in z = 1/x²: erfc(|x|) = e^(−x²)/|x| · (1/√π − z·P(z)/Q(z)). */
    private static final double[] ERF_P = {1.63153871373020978e-2, 3.05326634961232344e-1, 3.60344899949804439e-1,
            1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4};
    private static final double[] ERF_Q = {1, 2.56852019228982242e0, 1.87295284992346047e0, 5.27905102951428412e-1,
            6.05183413124413191e-2, 2.33520497626869185e-3};

    /** |x| is clamped here: erfc(6) ≈ 2·10⁻¹⁷ is below half an ulp of 1, so erf(x) rounds to ±1 from 6 on. */
    private static final double ERF_ONE = 6;

    /**
     * erf on every lane at a fixed cost, by Cody's three rational approximations (above):
     *
     * <pre>
     *   |x| &lt;= 1/2      erf(x)    = x·A(x²)/B(x²)
     *   1/2 &lt; |x| &lt;= 4  erfc(|x|) = e^(−x²)·C(|x|)/D(|x|)                    erf(x) = ±(1 − erfc(|x|))
     *   4 &lt; |x|         erfc(|x|) = e^(−x²)/|x| · (1/√π − z·P(z)/Q(z)), z = 1/x²
     * </pre>
     *
     * Each interval is evaluated only when some lane lies in it, and blended into the lanes that do; no lane
     * waits for another to converge. ±∞ gives ±1, NaN gives NaN, −0 gives −0.
     *
     * @param x a vector of {@code S.length()} lanes, each any double
     * @return erf of each lane, in a vector of the same shape
     */
    static DoubleVector erf(DoubleVector x) {
        DoubleVector y = x.abs().min(ERF_ONE), result = x;
        VectorMask<Double> small = y.compare(VectorOperators.LE, ERF_SMALL);
        if (!small.allTrue()) {
            // the middle interval's rational function; NaN lanes fall here and stay NaN
            DoubleVector r = rational(y, ERF_C, ERF_D);
            VectorMask<Double> tail = y.compare(VectorOperators.GT, ERF_MIDDLE);
            if (tail.anyTrue()) {
                // the tail's, in z = 1/x², over |x|
                DoubleVector z = DoubleVector.broadcast(S, 1.0).div(y.mul(y));
                DoubleVector t = DoubleVector.broadcast(S, ONE_OVER_SQRT_PI).sub(z.mul(rational(z, ERF_P, ERF_Q)));
                r = r.blend(t.div(y), tail);
            }
            DoubleVector magnitude = r.mul(expMinusSquare(y)).neg().add(1.0);             // 1 − erfc(|x|)
            result = magnitude.blend(magnitude.neg(), x.test(VectorOperators.IS_NEGATIVE));   // erf is odd
        }
        if (small.anyTrue()) {
            // the first interval, odd as it stands
            result = result.blend(x.mul(rational(x.mul(x), ERF_A, ERF_B)), small);
        }
        return result;
    }

    /**
     * n(u)/d(u), the polynomials' coefficients from the highest power down (equally many), both by Horner's
     * rule: p ← p·u + c, one fused multiply-add per coefficient.
     */
    private static DoubleVector rational(DoubleVector u, double[] n, double[] d) {
        DoubleVector p = DoubleVector.broadcast(S, n[0]), q = DoubleVector.broadcast(S, d[0]);
        for (int k = 1; k < n.length; k++) {
            p = p.fma(u, DoubleVector.broadcast(S, n[k]));
            q = q.fma(u, DoubleVector.broadcast(S, d[k]));
        }
        return p.div(q);
    }

    /**
     * e^(−y²) without the rounding error of y² in the exponent: y² = h + l exactly, h = fl(y²) and
     * l = fma(y, y, −h), so e^(−y²) = e^(−h)·e^(−l) = e^(−h)·(1 − l) to within rounding (|l| &lt;= ulp(h)/2).
     * CALERF reaches the same end with a second exponential, e^(−s²)·e^(−(y−s)(y+s)) for s = y truncated to
     * sixteenths. The fused multiply-add is cheaper, and it keeps erf small enough for the JIT to inline it
     * whole into GELU's loop: past its size budget the JIT stops inlining, and a vector passed to a call that
     * is not inlined is allocated on the heap.
     */
    private static DoubleVector expMinusSquare(DoubleVector y) {
        DoubleVector minusH = y.neg().mul(y), l = y.fma(y, minusH), e = exp(minusH);
        return e.fma(l.neg(), e);
    }

    /**
     * tanh on every lane, as tanh(u) = −e/(2 + e) with e = expm1(−2|u|), and the sign of u: within a few ulp
     * of {@link Math#tanh} for every u, tiny ones included (expm1 keeps the digits that 1 − e^(−2|u|) would
     * cancel), ±1 for large |u|, and NaN for NaN. The Vector API's own {@code TANH} ran at half the speed of a
     * scalar loop over {@code Math.tanh} on the build's machine; this one runs several times faster than either.
     */
    static DoubleVector tanh(DoubleVector u) {
        DoubleVector e = expm1(u.abs().mul(-2.0));
        DoubleVector t = e.neg().div(e.add(2.0));
        return t.blend(t.neg(), u.test(VectorOperators.IS_NEGATIVE));
    }

    /**
     * y = gelu(x) = ½·x·(1 + g), exact (g = erf(x/√2)) or tanh form (g = tanh(√(2/π)·(x + 0.044715·x³))); the
     * gate g is written to {@code gate} for the backward pass, which then needs no second erf. Split across
     * the {@link Pool}.
     */
    public static void gelu(double[] x, double[] y, double[] gate, int n, boolean tanh) {
        Pool.forRanges(n, L, GELU_COST, (from, to) -> gelu(x, y, gate, from, to, tanh));
    }

    private static void gelu(double[] x, double[] y, double[] gate, int from, int to, boolean tanh) {
        int i = from;
        for (; i <= to - L; i += L) {
            DoubleVector v = DoubleVector.fromArray(S, x, i);
            DoubleVector g = tanh
                    ? tanh(v.add(v.mul(v).mul(v).mul(0.044715)).mul(SQRT_2_OVER_PI))
                    : erf(v.mul(SQRT_HALF));
            g.intoArray(gate, i);
            v.mul(0.5).mul(g.add(1.0)).intoArray(y, i);
        }
        for (; i < to; i++) {
            gate[i] = geluGateScalar(x[i], tanh);
            y[i] = 0.5 * x[i] * (1 + gate[i]);
        }
    }

    /**
     * dx = dy · gelu'(x), with the gate g that {@link #gelu} wrote: gelu'(x) = ½(1 + g) + x·φ(x) (exact), or
     * ½(1 + g) + ½·x·(1 − g²)·√(2/π)·(1 + 3·0.044715·x²) (tanh form). Split across the {@link Pool}.
     */
    public static void geluBackward(double[] x, double[] gate, double[] dy, double[] dx, int n, boolean tanh) {
        Pool.forRanges(n, L, GELU_BACKWARD_COST, (from, to) -> geluBackward(x, gate, dy, dx, from, to, tanh));
    }

    private static void geluBackward(double[] x, double[] gate, double[] dy, double[] dx, int from, int to, boolean tanh) {
        int i = from;
        for (; i <= to - L; i += L) {
            DoubleVector v = DoubleVector.fromArray(S, x, i), g = DoubleVector.fromArray(S, gate, i);
            DoubleVector d;
            if (tanh) {
                DoubleVector du = v.mul(v).mul(3 * 0.044715).add(1.0).mul(SQRT_2_OVER_PI);
                d = g.add(1.0).mul(0.5).add(v.mul(0.5).mul(g.mul(g).neg().add(1.0)).mul(du));
            } else {
                DoubleVector cdf = g.add(1.0).mul(0.5);
                DoubleVector pdf = exp(v.mul(v).mul(-0.5)).mul(INV_SQRT_2PI);
                d = cdf.add(v.mul(pdf));
            }
            d.mul(DoubleVector.fromArray(S, dy, i)).intoArray(dx, i);
        }
        for (; i < to; i++) {
            dx[i] = dy[i] * geluDerivativeScalar(x[i], tanh);
        }
    }

    /** The gate of {@link #gelu}: erf(x/√2), or the tanh of the tanh form. */
    static double geluGateScalar(double x, boolean tanh) {
        return tanh ? Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)) : Erf.erf(x * SQRT_HALF);
    }

    /** The scalar reference of {@link #gelu}. */
    // tag::gelu-scalar[]
    public static double geluScalar(double x, boolean tanh) {
        if (tanh) {
            return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
        }
        return 0.5 * x * (1 + Erf.erf(x * SQRT_HALF));
    }

    /** The scalar reference of gelu'. */
    public static double geluDerivativeScalar(double x, boolean tanh) {
        if (tanh) {
            double t = Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x));
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x);
        }
        return 0.5 * (1 + Erf.erf(x * SQRT_HALF)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);   // Φ(x) + x·φ(x)
    }
    // end::gelu-scalar[]

    // ---------------------------------------------------------------- softmax

    /** Row softmax in place, each row shifted by its maximum; rows split across the {@link Pool}. */
    public static void softmaxRows(double[] s, int rows, int width) {
        Pool.forRanges(rows, 1, width, (from, to) -> softmaxRows(s, from, to, width));
    }

    private static void softmaxRows(double[] s, int fromRow, int toRow, int width) {
        for (int r = fromRow; r < toRow; r++) {
            int o = r * width, c = 0;
            DoubleVector vmax = DoubleVector.broadcast(S, Double.NEGATIVE_INFINITY);
            for (; c <= width - L; c += L) {
                vmax = vmax.max(DoubleVector.fromArray(S, s, o + c));
            }
            double max = vmax.reduceLanes(VectorOperators.MAX);
            for (int t = c; t < width; t++) {
                max = Math.max(max, s[o + t]);
            }
            DoubleVector vsum = DoubleVector.zero(S);
            c = 0;
            for (; c <= width - L; c += L) {
                DoubleVector e = exp(DoubleVector.fromArray(S, s, o + c).sub(max));
                e.intoArray(s, o + c);
                vsum = vsum.add(e);
            }
            double sum = sum(vsum);
            for (int t = c; t < width; t++) {
                s[o + t] = Math.exp(s[o + t] - max);
                sum += s[o + t];
            }
            double inv = 1 / sum;
            c = 0;
            for (; c <= width - L; c += L) {
                DoubleVector.fromArray(S, s, o + c).mul(inv).intoArray(s, o + c);
            }
            for (int t = c; t < width; t++) {
                s[o + t] *= inv;
            }
        }
    }

    /** The scalar reference of {@link #softmaxRows}. */
    // tag::softmax-scalar[]
    public static void softmaxRowsScalar(double[] s, int rows, int width) {
        for (int r = 0; r < rows; r++) {
            int o = r * width;
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int c = 0; c < width; c++) {
                max = Math.max(max, s[o + c]);
            }
            for (int c = 0; c < width; c++) {
                s[o + c] = Math.exp(s[o + c] - max);
                sum += s[o + c];
            }
            for (int c = 0; c < width; c++) {
                s[o + c] /= sum;
            }
        }
    }
    // end::softmax-scalar[]

    /** ds = p ⊙ (dp − rowsum(dp ⊙ p)); rows split across the {@link Pool}. */
    public static void softmaxRowsBackward(double[] p, double[] dp, double[] ds, int rows, int width) {
        Pool.forRanges(rows, 1, width, (from, to) -> softmaxRowsBackward(p, dp, ds, from, to, width));
    }

    private static void softmaxRowsBackward(double[] p, double[] dp, double[] ds, int fromRow, int toRow, int width) {
        for (int r = fromRow; r < toRow; r++) {
            int o = r * width, c = 0;
            DoubleVector vdot = DoubleVector.zero(S);
            for (; c <= width - L; c += L) {
                vdot = DoubleVector.fromArray(S, dp, o + c).fma(DoubleVector.fromArray(S, p, o + c), vdot);
            }
            double dot = sum(vdot);
            for (int t = c; t < width; t++) {
                dot += dp[o + t] * p[o + t];
            }
            c = 0;
            for (; c <= width - L; c += L) {
                DoubleVector pv = DoubleVector.fromArray(S, p, o + c);
                pv.mul(DoubleVector.fromArray(S, dp, o + c).sub(dot)).intoArray(ds, o + c);
            }
            for (int t = c; t < width; t++) {
                ds[o + t] = p[o + t] * (dp[o + t] - dot);
            }
        }
    }

    /** The scalar reference of {@link #softmaxRowsBackward}. */
    // tag::softmax-backward-scalar[]
    public static void softmaxRowsBackwardScalar(double[] p, double[] dp, double[] ds, int rows, int width) {
        for (int r = 0; r < rows; r++) {
            int o = r * width;
            double dot = 0;
            for (int c = 0; c < width; c++) {
                dot += dp[o + c] * p[o + c];
            }
            for (int c = 0; c < width; c++) {
                ds[o + c] = p[o + c] * (dp[o + c] - dot);
            }
        }
    }
    // end::softmax-backward-scalar[]

    // ---------------------------------------------------------------- bias

    /** y[r, c] += b[c] for every row. */
    public static void addBias(double[] y, double[] b, int rows, int width) {
        for (int r = 0; r < rows; r++) {
            int o = r * width, c = 0;
            for (; c <= width - L; c += L) {
                DoubleVector.fromArray(S, y, o + c).add(DoubleVector.fromArray(S, b, c)).intoArray(y, o + c);
            }
            for (; c < width; c++) {
                y[o + c] += b[c];
            }
        }
    }

    /** db[c] += Σ_r dy[r, c]: the bias gradient. */
    public static void addColumnSums(double[] dy, double[] db, int rows, int width) {
        for (int r = 0; r < rows; r++) {
            int o = r * width, c = 0;
            for (; c <= width - L; c += L) {
                DoubleVector.fromArray(S, db, c).add(DoubleVector.fromArray(S, dy, o + c)).intoArray(db, c);
            }
            for (; c < width; c++) {
                db[c] += dy[o + c];
            }
        }
    }

    /** The scalar reference of {@link #addBias}. */
    public static void addBiasScalar(double[] y, double[] b, int rows, int width) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < width; c++) {
                y[r * width + c] += b[c];
            }
        }
    }

    /** The scalar reference of {@link #addColumnSums}. */
    public static void addColumnSumsScalar(double[] dy, double[] db, int rows, int width) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < width; c++) {
                db[c] += dy[r * width + c];
            }
        }
    }

    // ---------------------------------------------------------------- LayerNorm

    /**
     * y = γ ⊙ (x − μ)/√(σ² + ε) + β per row; writes x̂ and 1/√(σ² + ε) for the backward pass.
     */
    public static void layerNorm(double[] x, double[] gamma, double[] beta, double eps, double[] y, double[] xhat,
                                 double[] rstd, int rows, int width) {
        Pool.forRanges(rows, 1, width, (from, to) -> layerNorm(x, gamma, beta, eps, y, xhat, rstd, from, to, width));
    }

    private static void layerNorm(double[] x, double[] gamma, double[] beta, double eps, double[] y, double[] xhat,
                                  double[] rstd, int fromRow, int toRow, int width) {
        for (int r = fromRow; r < toRow; r++) {
            int o = r * width, c = 0;
            DoubleVector vs = DoubleVector.zero(S);
            for (; c <= width - L; c += L) {
                vs = vs.add(DoubleVector.fromArray(S, x, o + c));
            }
            double mean = sum(vs);
            for (int t = c; t < width; t++) {
                mean += x[o + t];
            }
            mean /= width;
            DoubleVector vv = DoubleVector.zero(S);
            c = 0;
            for (; c <= width - L; c += L) {
                DoubleVector d = DoubleVector.fromArray(S, x, o + c).sub(mean);
                vv = d.fma(d, vv);
            }
            double var = sum(vv);
            for (int t = c; t < width; t++) {
                var += (x[o + t] - mean) * (x[o + t] - mean);
            }
            double s = 1 / Math.sqrt(var / width + eps);
            rstd[r] = s;
            c = 0;
            for (; c <= width - L; c += L) {
                DoubleVector h = DoubleVector.fromArray(S, x, o + c).sub(mean).mul(s);
                h.intoArray(xhat, o + c);
                h.fma(DoubleVector.fromArray(S, gamma, c), DoubleVector.fromArray(S, beta, c)).intoArray(y, o + c);
            }
            for (int t = c; t < width; t++) {
                xhat[o + t] = (x[o + t] - mean) * s;
                y[o + t] = gamma[t] * xhat[o + t] + beta[t];
            }
        }
    }

    /** The scalar reference of {@link #layerNorm}. */
    // tag::layer-norm-scalar[]
    public static void layerNormScalar(double[] x, double[] gamma, double[] beta, double eps, double[] y, double[] xhat,
                                       double[] rstd, int rows, int width) {
        for (int r = 0; r < rows; r++) {
            int o = r * width;
            double mean = 0, var = 0;
            for (int c = 0; c < width; c++) {
                mean += x[o + c];
            }
            mean /= width;
            for (int c = 0; c < width; c++) {
                var += (x[o + c] - mean) * (x[o + c] - mean);
            }
            double s = 1 / Math.sqrt(var / width + eps);       // biased variance, ε inside the root
            rstd[r] = s;
            for (int c = 0; c < width; c++) {
                xhat[o + c] = (x[o + c] - mean) * s;
                y[o + c] = gamma[c] * xhat[o + c] + beta[c];
            }
        }
    }
    // end::layer-norm-scalar[]

    /** The scalar reference of {@link #layerNormBackward}. */
    // tag::layer-norm-backward-scalar[]
    public static void layerNormBackwardScalar(double[] dy, double[] xhat, double[] rstd, double[] gamma, double[] dx,
                                               double[] dgamma, double[] dbeta, int rows, int width) {
        for (int r = 0; r < rows; r++) {
            int o = r * width;
            // first: the two row means the formula needs
            double meanD = 0, meanDXhat = 0;
            for (int c = 0; c < width; c++) {
                double d = dy[o + c] * gamma[c];               // d = ∂L/∂x̂
                meanD += d;
                meanDXhat += d * xhat[o + c];
            }
            meanD /= width;
            meanDXhat /= width;
            // then: the parameter gradients and the input gradient
            for (int c = 0; c < width; c++) {
                dgamma[c] += dy[o + c] * xhat[o + c];
                dbeta[c] += dy[o + c];
                dx[o + c] = rstd[r] * (dy[o + c] * gamma[c] - meanD - xhat[o + c] * meanDXhat);
            }
        }
    }
    // end::layer-norm-backward-scalar[]

    /**
     * dx = s·(dx̂ − mean(dx̂) − x̂ ⊙ mean(dx̂ ⊙ x̂)) with dx̂ = dy ⊙ γ; dγ += Σ dy ⊙ x̂; dβ += Σ dy.
     */
    public static void layerNormBackward(double[] dy, double[] xhat, double[] rstd, double[] gamma, double[] dx,
                                         double[] dgamma, double[] dbeta, int rows, int width) {
        for (int r = 0; r < rows; r++) {
            int o = r * width, c = 0;
            DoubleVector m1 = DoubleVector.zero(S), m2 = DoubleVector.zero(S);
            for (; c <= width - L; c += L) {
                DoubleVector d = DoubleVector.fromArray(S, dy, o + c).mul(DoubleVector.fromArray(S, gamma, c));
                m1 = m1.add(d);
                m2 = d.fma(DoubleVector.fromArray(S, xhat, o + c), m2);
            }
            double mean1 = sum(m1), mean2 = sum(m2);
            for (int t = c; t < width; t++) {
                double d = dy[o + t] * gamma[t];
                mean1 += d;
                mean2 += d * xhat[o + t];
            }
            mean1 /= width;
            mean2 /= width;
            double s = rstd[r];
            c = 0;
            for (; c <= width - L; c += L) {
                DoubleVector g = DoubleVector.fromArray(S, dy, o + c), h = DoubleVector.fromArray(S, xhat, o + c);
                g.fma(h, DoubleVector.fromArray(S, dgamma, c)).intoArray(dgamma, c);
                DoubleVector.fromArray(S, dbeta, c).add(g).intoArray(dbeta, c);
                g.mul(DoubleVector.fromArray(S, gamma, c)).sub(mean1).sub(h.mul(mean2)).mul(s).intoArray(dx, o + c);
            }
            for (int t = c; t < width; t++) {
                dgamma[t] += dy[o + t] * xhat[o + t];
                dbeta[t] += dy[o + t];
                dx[o + t] = s * (dy[o + t] * gamma[t] - mean1 - xhat[o + t] * mean2);
            }
        }
    }

    // ---------------------------------------------------------------- AdamW

    /**
     * One AdamW step (Loshchilov and Hutter 2019) on a tensor, with bias correction at step t ≥ 1 and the
     * gradient scaled by s (the global-norm clipping factor, 1 when not clipped):
     *
     * <pre>
     * g' = s·g,  m ← β₁m + (1−β₁)g',  v ← β₂v + (1−β₂)g'²,  m̂ = m/(1−β₁ᵗ),  v̂ = v/(1−β₂ᵗ)
     * θ ← θ − lr·( m̂ / (√v̂ + ε) + λθ )
     * </pre>
     *
     * @return Σ (Δθ)², the squared norm of this step's change of θ
     */
    public static double adamW(double[] theta, double[] g, double s, double[] m, double[] v, int n, double lr,
                               double beta1, double beta2, double eps, double weightDecay, long t) {
        double c1 = 1 / (1 - Math.pow(beta1, t)), c2 = 1 / (1 - Math.pow(beta2, t));
        int i = 0;
        DoubleVector squares = DoubleVector.zero(S);
        for (; i <= n - L; i += L) {
            DoubleVector gv = DoubleVector.fromArray(S, g, i).mul(s);
            DoubleVector mv = DoubleVector.fromArray(S, m, i).mul(beta1).add(gv.mul(1 - beta1));
            DoubleVector vv = DoubleVector.fromArray(S, v, i).mul(beta2).add(gv.mul(gv).mul(1 - beta2));
            mv.intoArray(m, i);
            vv.intoArray(v, i);
            DoubleVector th = DoubleVector.fromArray(S, theta, i);
            DoubleVector step = mv.mul(c1).div(vv.mul(c2).sqrt().add(eps)).add(th.mul(weightDecay)).mul(lr);
            squares = step.fma(step, squares);
            th.sub(step).intoArray(theta, i);
        }
        double sum = sum(squares);
        for (; i < n; i++) {
            double gi = g[i] * s;
            m[i] = beta1 * m[i] + (1 - beta1) * gi;
            v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
            double step = lr * ((m[i] * c1) / (Math.sqrt(v[i] * c2) + eps) + weightDecay * theta[i]);
            sum += step * step;
            theta[i] -= step;
        }
        return sum;
    }

    /** The scalar reference of {@link #adamW}. */
    // tag::adamw-scalar[]
    public static double adamWScalar(double[] theta, double[] g, double s, double[] m, double[] v, int n, double lr,
                                     double beta1, double beta2, double eps, double weightDecay, long t) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double gi = g[i] * s;                                    // the clipped gradient
            m[i] = beta1 * m[i] + (1 - beta1) * gi;                  // first moment: a running mean of g
            v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;             // second moment: a running mean of g²
            double mHat = m[i] / (1 - Math.pow(beta1, t));           // bias correction: m and v start at 0
            double vHat = v[i] / (1 - Math.pow(beta2, t));
            double step = lr * (mHat / (Math.sqrt(vHat) + eps)       // Adam's step …
                    + weightDecay * theta[i]);                       // … plus decoupled weight decay
            sum += step * step;
            theta[i] -= step;
        }
        return sum;
    }
    // end::adamw-scalar[]

    /** Σ x², over a tensor's entries. */
    public static double sumOfSquares(double[] x, int n) {
        DoubleVector acc = DoubleVector.zero(S);
        int i = 0;
        for (; i <= n - L; i += L) {
            DoubleVector xv = DoubleVector.fromArray(S, x, i);
            acc = xv.fma(xv, acc);
        }
        double sum = sum(acc);
        for (; i < n; i++) {
            sum += x[i] * x[i];
        }
        return sum;
    }
}
