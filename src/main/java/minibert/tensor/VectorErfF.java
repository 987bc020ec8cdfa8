package minibert.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * erf on vectors, to float precision, for the GELU of the float32 twin: where {@link Kernels} calls
 * {@link VectorErf}, its twin {@code KernelsF} calls this class (the twin's rules rename the one to the other). It is
 * the one kernel of the twin written by hand rather than derived from the double source. The double erf needs
 * W. J. Cody's three intervals and an exponential for 53 bits; float has 24, and one rational function gives them:
 *
 * <pre>
 *   erf(x) = x·P(x²)/Q(x²)   for |x| ≤ 4,   ±1 beyond   (1 − erf(4) = 1.5·10⁻⁸, below half an ulp of 1)
 * </pre>
 *
 * with P of degree 6 and Q of degree 4 in x², Q(0) = 1 (the form of Eigen's and TensorFlow's float erf), fitted to
 * erf on [0, 4] for the least largest relative error, 6.5·10⁻⁸ before the coefficients are rounded to float, by
 * {@code tools/reference/erf_float_fit.py} (run by hand; it prints the coefficients below). Evaluated in float by
 * Horner's rule, one fused multiply-add per coefficient below the leading one: ten fused multiply-adds, two
 * multiplications, one division and no exponential, where the double erf evaluates four rational functions and
 * e^(−x²). The tests hold it to erf computed in 60-digit decimal arithmetic within 8 units in the last place (and
 * 4·10⁻⁷ absolute), and every result to [−1, 1]: the rational function itself reaches 1 + 2⁻²³ near 4, so the
 * result is clamped. ±∞ gives ±1, NaN gives NaN, −0 gives −0. The vector and the scalar form ({@link #erf(float)})
 * perform the same operations in the same order, so they give the same bits.
 */
public final class VectorErfF {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /** |x| is clamped here: the fit's interval. */
    private static final float ERF_ONE = 4f;
    /** P's coefficients, of u⁰ to u⁶. */
    private static final float P0 = 1.1283791f, P1 = 0.20713359f, P2 = 0.051526055f, P3 = 0.0039908923f,
            P4 = 0.00014729156f, P5 = -1.9422873e-06f, P6 = 1.9110033e-08f;
    /** Q's coefficients, of u¹ to u⁴ (Q(0) = 1). */
    private static final float Q1 = 0.51689863f, Q2 = 0.117974244f, Q3 = 0.014958784f, Q4 = 0.0010211802f;

    private VectorErfF() {
    }

    /**
     * erf(scale·x) for every entry of {@code x[from, to)}, into {@code out}; {@code scratch} is not needed (the
     * signature is {@link VectorErf}'s, which the twin's call keeps).
     */
    // tag::erf-float[]
    static void erf(float[] x, float scale, float[] out, float[] scratch, int from, int to) {
        int i = from;
        for (; i <= to - L; i += L) {
            erf(FloatVector.fromArray(S, x, i).mul(scale)).intoArray(out, i);
        }
        for (; i < to; i++) {
            out[i] = erf(x[i] * scale);
        }
    }

    /** erf on every lane. */
    static FloatVector erf(FloatVector x) {
        FloatVector v = clamp(x, -ERF_ONE, ERF_ONE), u = v.mul(v);
        FloatVector p = step(step(step(step(step(u.fma(P6, P5), u, P4), u, P3), u, P2), u, P1), u, P0);   // P(u), Horner
        FloatVector q = step(step(step(u.fma(Q4, Q3), u, Q2), u, Q1), u, 1f);                            // Q(u)
        return clamp(v.mul(p).div(q), -1f, 1f);
    }

    /**
     * x limited to [lo, hi], as {@code x.max(lo).min(hi)} limits it, NaN included (no comparison is true of NaN, so it
     * stays), in a comparison and a blend for each bound: a vector's {@code max} and {@code min} keep Java's rules for
     * NaN and −0, which x86's instructions do not, and the JIT wraps each in several more instructions. (Bounds of
     * either sign of zero would need them; these are not zero.)
     */
    private static FloatVector clamp(FloatVector x, float lo, float hi) {
        return x.blend(lo, x.compare(VectorOperators.LT, lo)).blend(hi, x.compare(VectorOperators.GT, hi));
    }

    /** One step of Horner's rule: p·u + c, fused. */
    private static FloatVector step(FloatVector p, FloatVector u, float c) {
        return p.fma(u, FloatVector.broadcast(S, c));
    }

    /** erf(x), by the same operations in the same order as on a vector's lanes. */
    static float erf(float x) {
        float v = Math.min(Math.max(x, -ERF_ONE), ERF_ONE), u = v * v;
        float p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(u, P6, P5), u, P4), u, P3), u, P2), u, P1), u, P0);
        float q = Math.fma(Math.fma(Math.fma(Math.fma(u, Q4, Q3), u, Q2), u, Q1), u, 1f);
        return Math.min(Math.max(v * p / q, -1f), 1f);
    }
    // end::erf-float[]
}
