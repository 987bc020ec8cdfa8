package minibert.tensor;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * erf on vectors, to double precision, for the GELU of {@link Kernels}: the same few operations on every lane, in
 * W. J. Cody's three intervals. It is not twinned: the float32 twin of {@link Kernels} calls {@link VectorErfF}
 * instead (the twin's rules rename the class), written by hand for float's 24 bits, which one rational function
 * gives at a fraction of this cost.
 */
public final class VectorErf {

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final double ONE_OVER_SQRT_PI = 0.5641895835477563;

    private VectorErf() {
    }

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
     * erf(scale·x) for every entry of {@code x[from, to)}, into {@code out}, by Cody's three rational
     * approximations (above):
     *
     * <pre>
     *   |x| &lt;= 1/2      erf(x)    = x·A(x²)/B(x²)
     *   1/2 &lt; |x| &lt;= 4  erfc(|x|) = e^(−x²)·C(|x|)/D(|x|)                    erf(x) = ±(1 − erfc(|x|))
     *   4 &lt; |x|         erfc(|x|) = e^(−x²)/|x| · (1/√π − z·P(z)/Q(z)), z = 1/x²
     * </pre>
     *
     * Every interval is evaluated on every lane and blended into the lanes it serves, without branches: the
     * cost is fixed and no lane waits for another. The work is done in four loops over the range, each a method
     * of its own: the tail's and the middle interval's factor into {@code out}, the first interval's result into
     * {@code scratch}, then the exponential and the blend. One method with all of it grew
     * past the size up to which the JIT inlines the Vector API's operations (its node-count cutoff), and the
     * vectors of what it could not inline were boxed on the heap, a hundred megabytes per training step. ±∞ gives ±1, NaN gives NaN, −0 gives −0.
     *
     * @param scratch as long as {@code out}; its entries in [from, to) are overwritten
     */
    static void erf(double[] x, double scale, double[] out, double[] scratch, int from, int to) {
        int end = from + (to - from) / L * L;
        erfTail(x, scale, out, from, end);
        erfMiddle(x, scale, out, from, end);
        erfSmall(x, scale, scratch, from, end);
        erfFinish(x, scale, out, scratch, from, end);
        for (int i = end; i < to; i++) {
            out[i] = Erf.erf(scale * x[i]);
        }
    }

    /**
     * The tail's factor, (1/√π − z·P(z)/Q(z))/|x| with z = 1/x², into out; {@code to − from} a multiple of L. A
     * vector with no lane in the tail (the usual case: |x| > 4 is rare) is skipped, since {@link #erfMiddle} keeps
     * none of its lanes.
     */
    private static void erfTail(double[] x, double scale, double[] out, int from, int to) {
        for (int i = from; i < to; i += L) {
            DoubleVector y = atMostOne(DoubleVector.fromArray(S, x, i).mul(scale).abs());
            if (!y.compare(VectorOperators.GT, ERF_MIDDLE).anyTrue()) {
                continue;
            }
            DoubleVector z = DoubleVector.broadcast(S, 1.0).div(y.mul(y));
            DoubleVector t = DoubleVector.broadcast(S, ONE_OVER_SQRT_PI).sub(z.mul(rational(z, ERF_P, ERF_Q)));
            t.div(y).intoArray(out, i);
        }
    }

    /** The middle interval's C(|x|)/D(|x|), over the tail's where |x| ≤ 4; NaN lanes fall here and stay NaN. */
    private static void erfMiddle(double[] x, double scale, double[] out, int from, int to) {
        for (int i = from; i < to; i += L) {
            DoubleVector y = atMostOne(DoubleVector.fromArray(S, x, i).mul(scale).abs());
            DoubleVector tail = DoubleVector.fromArray(S, out, i);
            rational(y, ERF_C, ERF_D).blend(tail, y.compare(VectorOperators.GT, ERF_MIDDLE)).intoArray(out, i);
        }
    }

    /** The first interval's x·A(x²)/B(x²), odd as it stands, into scratch. */
    private static void erfSmall(double[] x, double scale, double[] scratch, int from, int to) {
        for (int i = from; i < to; i += L) {
            DoubleVector v = DoubleVector.fromArray(S, x, i).mul(scale);
            v.mul(rational(v.mul(v), ERF_A, ERF_B)).intoArray(scratch, i);
        }
    }

    /** 1 − e^(−x²)·r with erf's sign, or the first interval's value; {@code to − from} a multiple of L. */
    private static void erfFinish(double[] x, double scale, double[] out, double[] scratch, int from, int to) {
        for (int i = from; i < to; i += L) {
            DoubleVector v = DoubleVector.fromArray(S, x, i).mul(scale), y = atMostOne(v.abs());
            DoubleVector magnitude = DoubleVector.fromArray(S, out, i).mul(expMinusSquare(y)).neg().add(1.0); // 1 − erfc(|x|)
            DoubleVector large = magnitude.blend(magnitude.neg(), v.test(VectorOperators.IS_NEGATIVE));   // erf is odd
            large.blend(DoubleVector.fromArray(S, scratch, i), y.compare(VectorOperators.LE, ERF_SMALL)).intoArray(out, i);
        }
    }

    /**
     * min(y, {@link #ERF_ONE}), NaN included (no comparison is true of NaN, so it stays), in a comparison and a blend:
     * a vector's {@code min} keeps Java's rules for NaN and −0, which x86's instructions do not, and the JIT wraps it in
     * several more instructions.
     */
    private static DoubleVector atMostOne(DoubleVector y) {
        return y.blend(ERF_ONE, y.compare(VectorOperators.GT, ERF_ONE));
    }

    /** erf on every lane of one vector: {@link #erf(double[], double, double[], double[], int, int)} on its lanes (for tests). */
    static DoubleVector erf(DoubleVector x) {
        double[] in = new double[L], out = new double[L], scratch = new double[L];
        x.intoArray(in, 0);
        erf(in, 1.0, out, scratch, 0, L);
        return DoubleVector.fromArray(S, out, 0);
    }

    /**
     * n(u)/d(u), the polynomials' coefficients from the highest power down (equally many, at most nine), both
     * by Horner's rule: p ← p·u + c, one fused multiply-add per coefficient. Written out for each length rather
     * than as a loop: a loop carries its vectors from one iteration to the next, and the JIT then boxed them on
     * the heap here; straight-line code keeps them in registers.
     */
    private static DoubleVector rational(DoubleVector u, double[] n, double[] d) {
        DoubleVector p = DoubleVector.broadcast(S, n[0]), q = DoubleVector.broadcast(S, d[0]);
        int k = n.length;
        p = p.fma(u, DoubleVector.broadcast(S, n[1]));
        q = q.fma(u, DoubleVector.broadcast(S, d[1]));
        p = p.fma(u, DoubleVector.broadcast(S, n[2]));
        q = q.fma(u, DoubleVector.broadcast(S, d[2]));
        p = p.fma(u, DoubleVector.broadcast(S, n[3]));
        q = q.fma(u, DoubleVector.broadcast(S, d[3]));
        p = p.fma(u, DoubleVector.broadcast(S, n[4]));
        q = q.fma(u, DoubleVector.broadcast(S, d[4]));
        if (k > 5) {
            p = p.fma(u, DoubleVector.broadcast(S, n[5]));
            q = q.fma(u, DoubleVector.broadcast(S, d[5]));
        }
        if (k > 6) {
            p = p.fma(u, DoubleVector.broadcast(S, n[6]));
            q = q.fma(u, DoubleVector.broadcast(S, d[6]));
            p = p.fma(u, DoubleVector.broadcast(S, n[7]));
            q = q.fma(u, DoubleVector.broadcast(S, d[7]));
            p = p.fma(u, DoubleVector.broadcast(S, n[8]));
            q = q.fma(u, DoubleVector.broadcast(S, d[8]));
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
        DoubleVector minusH = y.neg().mul(y), l = y.fma(y, minusH), e = Kernels.exp(minusH);
        return e.fma(l.neg(), e);
    }
}
