package minibert.tensor;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.Vector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;


/**
 * Element-wise and row-wise kernels of the model, each in a Vector API version and a plain scalar
 * reference beside it ({@code …Scalar}), which the tests compare. Arrays are row-major; "rows" are of
 * length {@code width}.
 */
public final class Kernels {

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Ints as many to a vector as {@link #S} holds numbers: the attention mask's entries beside the scores they mask. */
    private static final VectorSpecies<Integer> SI = VectorSpecies.of(int.class, VectorShape.forBitSize(L * Integer.SIZE));
    private static final double SQRT_HALF = 0.7071067811865476;
    private static final double INV_SQRT_2PI = 0.3989422804014327;
    private static final double SQRT_2_OVER_PI = 0.7978845608028654;
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

    /**
     * The butterfly that sums a vector's lanes always in the same order: lane i plus lane i ^ h, for h = L/2, …, 1
     * (exact lane-wise additions with fixed shuffles), then lane 0. Every form of the code adds the same pairs, and
     * nothing leaves the registers. Each kernel writes it in place, where its sum is needed:
     * <pre>
     * for (VectorShuffle&lt;Double&gt; half : HALVES) {
     *     v = v.add(v.rearrange(half));
     * }
     * double sum = v.lane(0);
     * </pre>
     * and not as a call to a method of its own: a vector handed to a method stays in registers only where the JIT
     * inlines that method, and where it does not, the caller boxes the vector as an object. The JIT stops inlining in a
     * large compilation (the attention's head-at-a-time task inlines the products, the softmax and the dropout); a
     * build left such a method out of line there, and every step allocated a vector for each of its 24,576 attention
     * rows.
     */
    @SuppressWarnings("unchecked")
    static final VectorShuffle<Double>[] HALVES = java.util.stream.IntStream.iterate(L / 2, h -> h > 0, h -> h / 2)
            .mapToObj(h -> VectorShuffle.fromOp(S, i -> i ^ h)).toArray(VectorShuffle[]::new);

    private static final double LOG2E = 1.4426950408889634;
    /** Adding and subtracting 1.5·2^(p−1) rounds a number of magnitude below 2^(p−2) to the nearest integer. */
    private static final double ROUNDER = 1.5 * Math.scalb(1.0, Double.PRECISION - 1);
    /** Below this, e^x is under the smallest normal number and is returned as 0. */
    private static final double EXP_LOW = (1 - Double.MAX_EXPONENT) * ExpConstants.LN2_HI;
    /** Above this, 2^k would leave the exponent range: e^x is returned as +∞ (beyond the float's range: overflow). */
    private static final double EXP_HIGH = Double.MAX_EXPONENT * ExpConstants.LN2_HI;
    /**
     * 1/n!: e^r's Taylor coefficients. For |r| ≤ ln2/2, the truncation after n = 13 leaves below 10⁻¹⁷ of e^r (half an
     * ulp of 1 is 1.1·10⁻¹⁶ with 53 bits), after n = 7 below 10⁻⁸ (6·10⁻⁸ with 24 bits): {@link ExpConstants#TAYLOR_ORDER}.
     */
    private static final double T2 = 0.5, T3 = 0.16666666666666666, T4 = 4.1666666666666664e-2,
            T5 = 8.333333333333333e-3, T6 = 1.388888888888889e-3, T7 = 1.984126984126984e-4, T8 = 2.48015873015873e-5,
            T9 = 2.755731922398589e-6, T10 = 2.7557319223985893e-7, T11 = 2.505210838544172e-8,
            T12 = 2.08767569878681e-9, T13 = 1.6059043836821613e-10;

    /**
     * q(r) = Σ_{n=1}^{N} rⁿ⁻¹/n!, so that e^r = 1 + r·q(r) and e^r − 1 = r·q(r), with N the precision's
     * {@link ExpConstants#TAYLOR_ORDER} (13 for 53 bits, 7 for 24: the terms beyond would add nothing the 24 bits can
     * hold, and cost a third of the exponential's time), by Horner's rule written out: the kernels call it inside their loops, and
     * a helper the JIT inlines must be straight-line code (a loop gets compiled on its own, and a vector handed to a
     * method that is not inlined is boxed on the heap). The degree is a constant, so the JIT keeps one branch.
     */
    private static DoubleVector expSeries(DoubleVector r) {
        DoubleVector p;
        if (ExpConstants.TAYLOR_ORDER > 7) {
            p = r.fma(T13, T12);
            p = p.fma(r, DoubleVector.broadcast(S, T11));
            p = p.fma(r, DoubleVector.broadcast(S, T10));
            p = p.fma(r, DoubleVector.broadcast(S, T9));
            p = p.fma(r, DoubleVector.broadcast(S, T8));
            p = p.fma(r, DoubleVector.broadcast(S, T7));
        } else {
            p = DoubleVector.broadcast(S, T7);
        }
        p = p.fma(r, DoubleVector.broadcast(S, T6));
        p = p.fma(r, DoubleVector.broadcast(S, T5));
        p = p.fma(r, DoubleVector.broadcast(S, T4));
        p = p.fma(r, DoubleVector.broadcast(S, T3));
        p = p.fma(r, DoubleVector.broadcast(S, T2));
        return p.fma(r, DoubleVector.broadcast(S, 1.0));
    }

    /**
     * e^x on every lane, deterministically: x = k·ln2 + r with k = round(x/ln2) and |r| ≤ ln2/2 (Cody and
     * Waite's reduction, ln 2 in two parts), e^r by its Taylor polynomial, and 2^k written straight into the
     * exponent field. Within about 1 ulp; 0 below {@link #EXP_LOW} (where e^x is subnormal or smaller), +∞
     * above {@link #EXP_HIGH}, NaN for NaN. The lanes outside [EXP_LOW, EXP_HIGH] are computed on unclamped, into
     * whatever the bits give, and then replaced by the blends: clamping them first cost a third of the exponential's
     * time, because a vector's {@code max} and {@code min} keep Java's rules for NaN and −0, which x86's instructions
     * do not, and the JIT adds instructions to each. A NaN stays NaN through every operation, and no comparison
     * replaces it.
     */
    static DoubleVector exp(DoubleVector x) {
        DoubleVector t = x.mul(LOG2E).add(ROUNDER);                               // 1.5·2^(p−1) + k, k in its low bits
        DoubleVector k = t.sub(ROUNDER);                                          // round(x / ln 2)
        DoubleVector r = k.neg().fma(DoubleVector.broadcast(S, ExpConstants.LN2_HI), x);    // x − k·ln2, in two parts
        r = k.neg().fma(DoubleVector.broadcast(S, ExpConstants.LN2_LO), r);
        DoubleVector p = expSeries(r).fma(r, DoubleVector.broadcast(S, 1.0));       // e^r = 1 + r·q(r)
        // 2^k: k is the difference of t's bits and the rounder's (both in one binade), plus the exponent bias,
        // shifted into the exponent field; integer arithmetic, no conversion (AVX2 has none from double to long)
        LongVector kBits = t.reinterpretAsLongs().sub(DoubleVector.broadcast(S, ROUNDER).reinterpretAsLongs());
        DoubleVector twoToK = kBits.add(Double.MAX_EXPONENT).lanewise(VectorOperators.LSHL, Double.PRECISION - 1)
                .reinterpretAsDoubles();
        DoubleVector e = p.mul(twoToK);
        e = e.blend(0, x.compare(VectorOperators.LT, EXP_LOW));
        return e.blend(Double.POSITIVE_INFINITY, x.compare(VectorOperators.GT, EXP_HIGH));
    }

    /** Where e^x − 1 is computed from its own series rather than as e^x − 1 (which would cancel digits). */
    private static final double EXPM1_SERIES = 0.5 * ExpConstants.LN2_HI;

    /**
     * e^x − 1 on every lane, deterministically: for |x| ≤ ln2/2 the series x + x²/2! + … + x¹³/13!
     * ({@link #expSeries} times x), elsewhere {@link #exp} − 1.
     */
    static DoubleVector expm1(DoubleVector x) {
        VectorMask<Double> near = x.abs().compare(VectorOperators.LE, EXPM1_SERIES);
        return exp(x).sub(1.0).blend(expSeries(x).mul(x), near);              // both, then the right one per lane
    }


    // ---------------------------------------------------------------- erf and GELU

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

    /** Elements a thread takes through GELU's passes at a time: small enough that they stay in its L1 cache between passes. */
    private static final int GELU_CHUNK = 1024;

    private static void gelu(double[] x, double[] y, double[] gate, int from, int to, boolean tanh) {
        for (int c = from; c < to; c += GELU_CHUNK) {
            int e = Math.min(to, c + GELU_CHUNK);
            if (tanh) {
                tanhGate(x, gate, c, e);
            } else {
                VectorErf.erf(x, SQRT_HALF, gate, y, c, e);          // g = erf(x/√2), y as scratch
            }
            int i = c;
            for (; i <= e - L; i += L) {
                DoubleVector v = DoubleVector.fromArray(S, x, i);
                v.mul(0.5).mul(DoubleVector.fromArray(S, gate, i).add(1.0)).intoArray(y, i);   // ½·x·(1 + g)
            }
            for (; i < e; i++) {
                y[i] = 0.5 * x[i] * (1 + gate[i]);
            }
        }
    }

    /** The tanh form's gate, tanh(√(2/π)·(x + 0.044715·x³)), for x[from, to). */
    private static void tanhGate(double[] x, double[] gate, int from, int to) {
        int i = from;
        for (; i <= to - L; i += L) {
            DoubleVector v = DoubleVector.fromArray(S, x, i);
            tanh(v.add(v.mul(v).mul(v).mul(0.044715)).mul(SQRT_2_OVER_PI)).intoArray(gate, i);
        }
        for (; i < to; i++) {
            gate[i] = geluGateScalar(x[i], true);
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

    // ---------------------------------------------------------------- fused: bias and GELU

    /**
     * u = y + b on every row (written into y, for the backward pass), then out = gelu(u) with its gate: the FFN's
     * bias and activation in one pass over [rows, width] instead of two, split across the {@link Pool} as
     * {@link #gelu} splits. Each element gets exactly the operations of {@link #addBias} then {@link #gelu}, so the
     * bits are theirs.
     *
     * @param y    x·Wᵀ [rows, width]; becomes u. Modified.
     * @param gate [rows, width]. Modified.
     * @param out  gelu(u) [rows, width]. Modified; may not be y.
     */
    public static void biasGelu(double[] y, double[] b, double[] gate, double[] out, int rows, int width, boolean tanh) {
        if (Fusion.separatePasses()) {
            addBias(y, b, rows, width);
            gelu(y, out, gate, rows * width, tanh);
            return;
        }
        // split and chunked by elements exactly as gelu is, so that each element takes the same path (vector lanes
        // or the scalar tail) as there: the vector erf and the scalar one may differ in the last bit
        Pool.forRanges(rows * width, L, GELU_COST, (from, to) -> {
            for (int c = from; c < to; c += GELU_CHUNK) {
                int e = Math.min(to, c + GELU_CHUNK);
                addBiasRange(y, b, c, e, width);
                gelu(y, out, gate, c, e, tanh);
            }
        });
    }

    /** y[i] += b[i mod width] for i in [from, to): the rows' bias on a range that may start and end inside rows. */
    private static void addBiasRange(double[] y, double[] b, int from, int to, int width) {
        for (int r = from / width; r * width < to; r++) {
            int o = r * width, c0 = Math.max(from, o) - o, c1 = Math.min(to, o + width) - o, c = c0;
            for (; c <= c1 - L; c += L) {
                DoubleVector.fromArray(S, y, o + c).add(DoubleVector.fromArray(S, b, c)).intoArray(y, o + c);
            }
            for (; c < c1; c++) {
                y[o + c] += b[c];
            }
        }
    }

    // ---------------------------------------------------------------- fused: mask and softmax

    /**
     * The attention's masked softmax in one pass: s_ij += masked where key j is padding (mask 0), then the row's
     * softmax, in place; row r belongs to the mask row r / rowsPerMask (all heads and queries of one sequence).
     * Rows split across the {@link Pool}. The same operations as the mask's loop then {@link #softmaxRows}.
     *
     * @param s      scores [rows, width]. Modified.
     * @param mask   1 for a real key, 0 for padding [rows / rowsPerMask, width]. Not modified.
     * @param masked what a padded key's score gets added (BERT: −10000)
     */
    public static void maskedSoftmaxRows(double[] s, int rows, int width, int[] mask, int rowsPerMask, double masked) {
        if (Fusion.separatePasses()) {
            for (int r = 0; r < rows; r++) {
                addMaskRow(s, r * width, width, mask, r / rowsPerMask * width, masked);
            }
            softmaxRows(s, rows, width);
            return;
        }
        Pool.forRanges(rows, 1, width, (from, to) -> maskedSoftmaxRows(s, from, to, width, mask, rowsPerMask, masked));
    }

    /**
     * {@link #maskedSoftmaxRows} on rows [fromRow, toRow) only, on the calling thread: for work that already runs on
     * the pool, one attention head at a time.
     */
    public static void maskedSoftmaxRows(double[] s, int fromRow, int toRow, int width, int[] mask, int rowsPerMask,
                                         double masked) {
        for (int r = fromRow; r < toRow; r++) {
            int o = r * width;
            softmaxFromMax(s, o, width, addMaskRowMax(s, o, width, mask, r / rowsPerMask * width, masked));  // the mask in the max's pass
        }
    }

    /**
     * {@link #addMaskRow} and then {@link #rowMax} in one pass, by vectors: a lane adds 0 or {@code masked} as the
     * scalar loop adds it, so the row and its maximum are the same bits.
     */
    private static double addMaskRowMax(double[] s, int o, int width, int[] mask, int m, double masked) {
        DoubleVector vmax = DoubleVector.broadcast(S, Double.NEGATIVE_INFINITY), zero = DoubleVector.zero(S);
        DoubleVector add = DoubleVector.broadcast(S, masked);
        int c = 0;
        for (; c <= width - L; c += L) {
            VectorMask<Double> padding = IntVector.fromArray(SI, mask, m + c).compare(VectorOperators.NE, 1).cast(S);
            DoubleVector v = DoubleVector.fromArray(S, s, o + c).add(zero.blend(add, padding));
            v.intoArray(s, o + c);
            vmax = vmax.max(v);
        }
        double max = vmax.reduceLanes(VectorOperators.MAX);      // exact in any order
        for (; c < width; c++) {
            s[o + c] += mask[m + c] == 1 ? 0 : masked;
            max = Math.max(max, s[o + c]);
        }
        return max;
    }

    private static void addMaskRow(double[] s, int o, int width, int[] mask, int m, double masked) {
        for (int j = 0; j < width; j++) {
            // added BEFORE the softmax: exp(−10000) underflows to 0, so a padded key gets no weight
            s[o + j] += mask[m + j] == 1 ? 0 : masked;
        }
    }

    // ---------------------------------------------------------------- fused: bias and softmax

    /**
     * p = softmax(z + b) row by row, in place: the MLM decoder's bias added in the softmax's pass, each row while it is
     * in the core's caches, instead of one pass over the [rows, width] logits for the bias and another for the
     * softmax. Each element gets exactly the operations of {@link #addBias} then {@link #softmaxRows}, so the bits are
     * theirs. Rows split across the {@link Pool}.
     *
     * @param z logits [rows, width]; becomes p. Modified.
     * @param b the bias [width]. Not modified.
     */
    public static void biasSoftmaxRows(double[] z, double[] b, int rows, int width) {
        if (Fusion.separatePasses()) {
            addBias(z, b, rows, width);
            softmaxRows(z, rows, width);
            return;
        }
        Pool.forRanges(rows, 1, width, (from, to) -> {
            for (int r = from; r < to; r++) {
                addBiasRange(z, b, r * width, (r + 1) * width, width);
                softmaxRows(z, r, r + 1, width);
            }
        });
    }

    // ---------------------------------------------------------------- softmax

    /** Row softmax in place, each row shifted by its maximum; rows split across the {@link Pool}. */
    public static void softmaxRows(double[] s, int rows, int width) {
        Pool.forRanges(rows, 1, width, (from, to) -> softmaxRows(s, from, to, width));
    }

    private static void softmaxRows(double[] s, int fromRow, int toRow, int width) {
        for (int r = fromRow; r < toRow; r++) {
            int o = r * width;
            softmaxFromMax(s, o, width, rowMax(s, o, width));
        }
    }

    /** The row at {@code s[o]}, its maximum known: e^(s − max) in place, then divided by their sum. */
    private static void softmaxFromMax(double[] s, int o, int width, double max) {
        scaleRow(s, o, width, 1 / exponentiateSum(s, o, width, max));
    }

    /*
     * Each pass of a row is a method of its own. The exponential and the sum share one loop
     * ({@link #exponentiateSum}) since the sum of a vector's lanes is written in place ({@link #HALVES}): while it
     * was a call, the JIT reached its node-count cutoff in that loop, left the call out of line and boxed the vector
     * handed to it, once per row.
     */

    private static double rowMax(double[] s, int o, int width) {
        int c = 0;
        DoubleVector vmax = DoubleVector.broadcast(S, Double.NEGATIVE_INFINITY);
        for (; c <= width - L; c += L) {
            vmax = vmax.max(DoubleVector.fromArray(S, s, o + c));
        }
        double max = vmax.reduceLanes(VectorOperators.MAX);      // exact in any order
        for (; c < width; c++) {
            max = Math.max(max, s[o + c]);
        }
        return max;
    }

    /**
     * e^(s − max) in place, and the sum of the results in the same pass: lane by lane over the vectors as they are
     * written, then the lanes together, then the scalar tail.
     */
    private static double exponentiateSum(double[] s, int o, int width, double max) {
        int c = 0;
        DoubleVector vsum = DoubleVector.zero(S);
        for (; c <= width - L; c += L) {
            DoubleVector e = exp(DoubleVector.fromArray(S, s, o + c).sub(max));
            e.intoArray(s, o + c);
            vsum = vsum.add(e);
        }
        for (VectorShuffle<Double> half : HALVES) {
            vsum = vsum.add(vsum.rearrange(half));
        }
        double sum = vsum.lane(0);
        for (; c < width; c++) {
            s[o + c] = Math.exp(s[o + c] - max);
            sum += s[o + c];
        }
        return sum;
    }

    private static void scaleRow(double[] s, int o, int width, double factor) {
        int c = 0;
        for (; c <= width - L; c += L) {
            DoubleVector.fromArray(S, s, o + c).mul(factor).intoArray(s, o + c);
        }
        for (; c < width; c++) {
            s[o + c] *= factor;
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

    /** {@link #softmaxRowsBackward} on rows [fromRow, toRow) only, on the calling thread. */
    public static void softmaxRowsBackward(double[] p, double[] dp, double[] ds, int fromRow, int toRow, int width) {
        for (int r = fromRow; r < toRow; r++) {
            int o = r * width, c = 0;
            DoubleVector vdot = DoubleVector.zero(S);
            for (; c <= width - L; c += L) {
                vdot = DoubleVector.fromArray(S, dp, o + c).fma(DoubleVector.fromArray(S, p, o + c), vdot);
            }
            for (VectorShuffle<Double> half : HALVES) {
                vdot = vdot.add(vdot.rearrange(half));
            }
            double dot = vdot.lane(0);
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

    /**
     * The gradient of the mean cross-entropy through its softmax, scaled: dz = s·(p − onehot(target)) / M row by row,
     * with {@code perRow} = s / M: every entry p·perRow, then perRow taken off at the row's target. Rows split across
     * the {@link Pool}.
     *
     * @param p       the softmax [rows, width]. Not modified.
     * @param targets the target column of each row [rows]. Not modified.
     * @param dz      [rows, width]. Modified (written); may not be p.
     */
    public static void softmaxCrossEntropyBackward(double[] p, int[] targets, double perRow, double[] dz, int rows, int width) {
        Pool.forRanges(rows, 1, width, (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r * width, c = 0;
                for (; c <= width - L; c += L) {
                    DoubleVector.fromArray(S, p, o + c).mul(perRow).intoArray(dz, o + c);
                }
                for (; c < width; c++) {
                    dz[o + c] = p[o + c] * perRow;
                }
                dz[o + targets[r]] -= perRow;
            }
        });
    }

    /** The scalar reference of {@link #softmaxCrossEntropyBackward}. */
    // tag::cross-entropy-backward-scalar[]
    public static void softmaxCrossEntropyBackwardScalar(double[] p, int[] targets, double perRow, double[] dz, int rows,
                                                         int width) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < width; c++) {
                dz[r * width + c] = p[r * width + c] * perRow;      // s·P / M
            }
            dz[r * width + targets[r]] -= perRow;                   //   − s·Y / M: Y is one-hot
        }
    }
    // end::cross-entropy-backward-scalar[]

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

    // ---------------------------------------------------------------- dropout

    /**
     * Longs of random bits that fill one vector of multipliers, four 16-bit fields each; null where they would be fewer
     * than two (AVX2's four doubles take one long): the JIT compiles no vector of a single long, and the operations on
     * one ran as calls on boxed vectors, twenty times slower than the scalar loop. Little-endian machines only: the
     * low field of a long must be the first short.
     */
    private static final VectorSpecies<Long> SD = L % 8 == 0 && java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN
            ? VectorSpecies.of(long.class, VectorShape.forBitSize(L / 4 * Long.SIZE)) : null;

    /**
     * Dropout's multipliers from random draws that are already made: element i of {@code out[off, off + 4·blocks)}
     * takes the 16 bits 16·(i mod 4) … 16·(i mod 4) + 15 of {@code draws[i / 4]}, u, and becomes 0 when u &lt; threshold,
     * else {@code keep}. A vector at a time: the draws are read as 16-bit fields (the low field first, as the shifts
     * number them), widened to ints without sign, compared with the threshold, and the comparison picks 0 or keep. The
     * same numbers as the scalar loop, which serves the tail and the vectors that {@link #SD} leaves out (AVX2's doubles),
     * without a branch, which the processor would mispredict about once in ten elements (for p = 0.1): u − threshold is
     * negative exactly when u &lt; threshold, so its sign bit, flipped, is 0 or 1.
     *
     * @param draws  [blocks] 64 random bits each. Not modified.
     * @param out    [off + 4·blocks] at least. Modified in [off, off + 4·blocks).
     */
    public static void dropoutMultipliers(long[] draws, int blocks, int threshold, double keep, double[] out, int off) {
        int n = 4 * blocks, i = 0;
        if (SD != null) {
            DoubleVector kept = DoubleVector.broadcast(S, keep);
            for (; i <= n - L; i += L) {
                // (the species reads the longs: the float twin's rules would make a LongVector an IntVector)
                Vector<Integer> u = SD.fromArray(draws, i / 4).reinterpretAsShorts().convertShape(VectorOperators.ZERO_EXTEND_S2I, SI, 0);
                kept.blend(0, u.compare(VectorOperators.LT, threshold).cast(S)).intoArray(out, off + i);
            }
        }
        for (int b = i / 4; b < blocks; b++) {                         // i is a whole number of draws
            long bits = draws[b];
            int o = off + 4 * b;
            out[o] = multiplier(bits, threshold, keep);
            out[o + 1] = multiplier(bits >>> 16, threshold, keep);
            out[o + 2] = multiplier(bits >>> 32, threshold, keep);
            out[o + 3] = multiplier(bits >>> 48, threshold, keep);
        }
    }

    /** 0 when the low 16 bits of {@code bits} fall below the threshold, else keep; without a branch. */
    private static double multiplier(long bits, int threshold, double keep) {
        return keep * (((((int) bits & 0xFFFF) - threshold) >>> 31) ^ 1);
    }

    // ---------------------------------------------------------------- argmax

    /**
     * The index of the first largest entry of {@code row[from, from + width)}, as {@link #argMaxScalar} finds it, by
     * vectors: the row's maximum first (lane by lane, then across the lanes: a maximum is exact in any order), then the
     * first entry equal to it. A row with NaN in it gives 0 (where the scalar loop skips a NaN after the first entry:
     * the two agree on rows without NaN, and the MLM head's probabilities are NaN in every entry or in none).
     */
    public static int argMax(double[] row, int from, int width) {
        int c = 0;
        DoubleVector most = DoubleVector.broadcast(S, Double.NEGATIVE_INFINITY);
        for (; c <= width - L; c += L) {
            most = most.max(DoubleVector.fromArray(S, row, from + c));
        }
        double max = most.reduceLanes(VectorOperators.MAX);
        for (; c < width; c++) {
            max = Math.max(max, row[from + c]);
        }
        for (c = 0; c <= width - L; c += L) {
            VectorMask<Double> at = DoubleVector.fromArray(S, row, from + c).eq(max);
            if (at.anyTrue()) {
                return c + at.firstTrue();
            }
        }
        for (; c < width; c++) {
            if (row[from + c] == max) {
                return c;
            }
        }
        return 0;
    }

    /** best[r] = {@link #argMax} of row r of x [rows, width], for every row; rows split across the {@link Pool}. */
    public static void argMaxRows(double[] x, int rows, int width, int[] best) {
        Pool.forRanges(rows, 1, width, (from, to) -> {
            for (int r = from; r < to; r++) {
                best[r] = argMax(x, r * width, width);
            }
        });
    }

    /** The scalar reference of {@link #argMax}: the first index whose entry no later entry exceeds. */
    public static int argMaxScalar(double[] row, int from, int width) {
        int best = 0;
        for (int c = 1; c < width; c++) {
            if (row[from + c] > row[from + best]) {
                best = c;
            }
        }
        return best;
    }

    // ---------------------------------------------------------------- bias

    /** y[r, c] += b[c] for every row; rows split across the {@link Pool}. */
    public static void addBias(double[] y, double[] b, int rows, int width) {
        Pool.forRanges(rows, 1, width, (from, to) -> addBiasRange(y, b, from * width, to * width, width));
    }

    /**
     * db[c] += Σ_r dy[r, c]: the bias gradient. The columns are split across the {@link Pool}, each column summed by
     * one thread in the order of the rows, so the bits do not depend on the split (a vector lane adds as the scalar
     * code does: one rounded addition).
     */
    public static void addColumnSums(double[] dy, double[] db, int rows, int width) {
        Pool.forRanges(width, L, rows, (from, to) -> addColumnSums(dy, db, rows, width, from, to));
    }

    private static void addColumnSums(double[] dy, double[] db, int rows, int width, int fromColumn, int toColumn) {
        for (int r = 0; r < rows; r++) {
            int o = r * width, c = fromColumn;
            for (; c <= toColumn - L; c += L) {
                DoubleVector.fromArray(S, db, c).add(DoubleVector.fromArray(S, dy, o + c)).intoArray(db, c);
            }
            for (; c < toColumn; c++) {
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
            for (VectorShuffle<Double> half : HALVES) {
                vs = vs.add(vs.rearrange(half));
            }
            double mean = vs.lane(0);
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
            for (VectorShuffle<Double> half : HALVES) {
                vv = vv.add(vv.rearrange(half));
            }
            double var = vv.lane(0);
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

    /**
     * The residual join and LayerNorm in one pass: x = r + branch ⊙ mask (or r + branch without a mask) written
     * into {@code branch}, then y = LayerNorm(x) as {@link #layerNorm}, row by row while the row is in the L1
     * cache; rows split across the {@link Pool}. The same operations as the join's loop then {@link #layerNorm}.
     *
     * @param branch a block's output [rows, width]; becomes x. Modified.
     * @param mask   dropout's multipliers [rows, width], or null for none. Not modified.
     * @param r      the residual path [rows, width]. Not modified.
     */
    public static void residualLayerNorm(double[] branch, double[] mask, double[] r, double[] gamma, double[] beta,
                                         double eps, double[] y, double[] xhat, double[] rstd, int rows, int width) {
        if (Fusion.separatePasses()) {
            for (int row = 0; row < rows; row++) {
                joinRow(branch, mask, r, row * width, width);
            }
            layerNorm(branch, gamma, beta, eps, y, xhat, rstd, rows, width);
            return;
        }
        Pool.forRanges(rows, 1, width, (from, to) -> {
            for (int row = from; row < to; row++) {
                joinRow(branch, mask, r, row * width, width);
                layerNorm(branch, gamma, beta, eps, y, xhat, rstd, row, row + 1, width);
            }
        });
    }

    /** x = r + branch ⊙ mask (a product, then a sum, each rounded, as the scalar r[i] + x[i] * m[i]), or r + branch. */
    private static void joinRow(double[] branch, double[] mask, double[] r, int o, int width) {
        int c = 0;
        if (mask != null) {
            for (; c <= width - L; c += L) {
                DoubleVector x = DoubleVector.fromArray(S, branch, o + c).mul(DoubleVector.fromArray(S, mask, o + c));
                DoubleVector.fromArray(S, r, o + c).add(x).intoArray(branch, o + c);
            }
            for (; c < width; c++) {
                branch[o + c] = r[o + c] + branch[o + c] * mask[o + c];
            }
        } else {
            for (; c <= width - L; c += L) {
                DoubleVector.fromArray(S, r, o + c).add(DoubleVector.fromArray(S, branch, o + c)).intoArray(branch, o + c);
            }
            for (; c < width; c++) {
                branch[o + c] = r[o + c] + branch[o + c];
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
            for (VectorShuffle<Double> half : HALVES) {
                m1 = m1.add(m1.rearrange(half));
                m2 = m2.add(m2.rearrange(half));
            }
            double mean1 = m1.lane(0), mean2 = m2.lane(0);
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
        for (VectorShuffle<Double> half : HALVES) {
            squares = squares.add(squares.rearrange(half));
        }
        double sum = squares.lane(0);
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

    /**
     * {@link #adamW} on one tensor, and in the same pass Σ θ² of the updated θ and g ← 0 for the next step: what the
     * trainer did in three passes (the step, the weight norm of its report, the gradient's zeroing). The update and
     * its Σ (Δθ)² are {@link #adamW}'s to the bit, and Σ θ² is {@link #sumOfSquares}'s on the updated θ.
     *
     * @param sums receives Σ (Δθ)² at {@code sums[2·slot]} and Σ θ² at {@code sums[2·slot + 1]}. Modified.
     */
    public static void adamWAndClear(double[] theta, double[] g, double s, double[] m, double[] v, int n, double lr,
                                     double beta1, double beta2, double eps, double weightDecay, long t, double[] sums, int slot) {
        double c1 = 1 / (1 - Math.pow(beta1, t)), c2 = 1 / (1 - Math.pow(beta2, t));
        sums[2 * slot] = adamWVectors(theta, g, s, m, v, n, lr, beta1, beta2, eps, weightDecay, c1, c2, sums, slot);
        int i = n - n % L;
        double sum = sums[2 * slot], weights = sums[2 * slot + 1];
        for (; i < n; i++) {
            double gi = g[i] * s;
            m[i] = beta1 * m[i] + (1 - beta1) * gi;
            v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
            double step = lr * ((m[i] * c1) / (Math.sqrt(v[i] * c2) + eps) + weightDecay * theta[i]);
            sum += step * step;
            theta[i] -= step;
            weights += theta[i] * theta[i];
            g[i] = 0;
        }
        sums[2 * slot] = sum;
        sums[2 * slot + 1] = weights;
    }

    /** The whole vectors of {@link #adamWAndClear}: returns their Σ (Δθ)² and leaves their Σ θ² in sums[2·slot + 1]. */
    private static double adamWVectors(double[] theta, double[] g, double s, double[] m, double[] v, int n, double lr,
                                       double beta1, double beta2, double eps, double weightDecay, double c1, double c2,
                                       double[] sums, int slot) {
        DoubleVector squares = DoubleVector.zero(S), weights = DoubleVector.zero(S), zero = DoubleVector.zero(S);
        for (int i = 0; i <= n - L; i += L) {
            DoubleVector gv = DoubleVector.fromArray(S, g, i).mul(s);
            DoubleVector mv = DoubleVector.fromArray(S, m, i).mul(beta1).add(gv.mul(1 - beta1));
            DoubleVector vv = DoubleVector.fromArray(S, v, i).mul(beta2).add(gv.mul(gv).mul(1 - beta2));
            mv.intoArray(m, i);
            vv.intoArray(v, i);
            DoubleVector th = DoubleVector.fromArray(S, theta, i);
            DoubleVector step = mv.mul(c1).div(vv.mul(c2).sqrt().add(eps)).add(th.mul(weightDecay)).mul(lr);
            squares = step.fma(step, squares);
            DoubleVector updated = th.sub(step);
            updated.intoArray(theta, i);
            weights = updated.fma(updated, weights);
            zero.intoArray(g, i);
        }
        for (VectorShuffle<Double> half : HALVES) {
            weights = weights.add(weights.rearrange(half));
            squares = squares.add(squares.rearrange(half));
        }
        sums[2 * slot + 1] = weights.lane(0);
        return squares.lane(0);
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
        for (VectorShuffle<Double> half : HALVES) {
            acc = acc.add(acc.rearrange(half));
        }
        double sum = acc.lane(0);
        for (; i < n; i++) {
            sum += x[i] * x[i];
        }
        return sum;
    }
}
