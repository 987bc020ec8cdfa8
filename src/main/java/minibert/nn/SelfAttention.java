package minibert.nn;

import minibert.tensor.Products;
import org.ejml.data.DMatrixRMaj;

/**
 * Multi-head self-attention as in BERT, with the output projection ("attention.output.dense").
 *
 * <p>Shape letters, as in BERT's {@code modeling.py}: B batch, T sequence length (queries and keys), A heads,
 * d = H / A the width of a head.
 *
 * <pre>
 * Q = x·Wqᵀ + bq,  K = x·Wkᵀ + bk,  V = x·Wvᵀ + bv                  [B·T, H], viewed as [B, A, T, d]
 * S = Q·Kᵀ / √d + M,   M_ij = 0 if key j is real, −10000 if it is padding    [B, A, T, T]
 * P = softmax(S) (row-wise)                                          [B, A, T, T]
 * C = P·V                                                            [B, A, T, d] → [B·T, H]
 * y = C·Woᵀ + bo                                                     [B·T, H]
 * </pre>
 */
public final class SelfAttention {

    /** The additive mask BERT puts on the scores of padded keys. */
    public static final double MASKED = -10000.0;

    private final String name;
    private final int heads;
    private final Linear query;
    private final Linear key;
    private final Linear value;
    private final Linear output;
    // kept for backward
    private int batch;
    private int length;
    private DMatrixRMaj q;
    private DMatrixRMaj k;
    private DMatrixRMaj v;
    private DMatrixRMaj probs;       // P for every sequence and head: [B·A·T, T] = [B, A, T, T]
    private int[] headAt;            // where head h of sequence s starts in a [B·T, H] matrix
    private int[] scoreAt;           // where its [T, T] block starts in probs

    /** @param prefix e.g. {@code bert.encoder.layer.0.attention} */
    public SelfAttention(String prefix, int hidden, int heads) {
        if (hidden % heads != 0) {
            throw new IllegalArgumentException(prefix + ": hidden " + hidden + " is not divisible by " + heads + " heads");
        }
        this.name = prefix;
        this.heads = heads;
        this.query = new Linear(prefix + ".self.query", hidden, hidden);
        this.key = new Linear(prefix + ".self.key", hidden, hidden);
        this.value = new Linear(prefix + ".self.value", hidden, hidden);
        this.output = new Linear(prefix + ".output.dense", hidden, hidden);
    }

    public Linear query() {
        return query;
    }

    public Linear key() {
        return key;
    }

    public Linear value() {
        return value;
    }

    public Linear output() {
        return output;
    }

    /** Q of the last forward pass [B·T, H]. */
    public DMatrixRMaj lastQuery() {
        return q;
    }

    /** A copy of the attention weights of the last forward pass, for sequence {@code b} and head {@code h}: [T, T]. */
    public DMatrixRMaj probabilities(int b, int h) {
        DMatrixRMaj p = new DMatrixRMaj(length, length);
        System.arraycopy(probs.data, scoreAt[b * heads + h], p.data, 0, length * length);
        return p;
    }

    /**
     * @param x    hidden states [B·T, H]. Not modified.
     * @param mask 1 for real tokens, 0 for padding [B·T]
     * @param b    batch size B
     * @param t    sequence length T
     * @return y [B·T, H]
     */
    // tag::forward[]
    public DMatrixRMaj forward(DMatrixRMaj x, int[] mask, int b, int t) {
        int hidden = query.in(), d = hidden / heads;
        Shapes.require(name, "input", x, b * t, hidden);
        batch = b;
        length = t;
        q = query.forward(x);                                   // [B·T, H]: head h of sequence s is a [T, d] block
        k = key.forward(x);                                     // [B·T, H]
        v = value.forward(x);                                   // [B·T, H]
        offsets(b, t, hidden, d);
        probs = new DMatrixRMaj(b * heads * t, t);              // [B, A, T, T]
        // S = Q·Kᵀ/√d for every sequence and head, each head read in place from Q and K
        Products.batched(false, true, t, t, d, 1 / Math.sqrt(d), q, headAt, hidden, k, headAt, hidden, 0, probs, scoreAt, t);
        for (int s = 0; s < b; s++) {
            for (int row = s * heads * t; row < (s + 1) * heads * t; row++) {
                for (int j = 0; j < t; j++) {
                    // The mask is added to the scores BEFORE the softmax: exp(−10000) underflows to 0,
                    // so a padded key gets no weight, and every row still sums to 1.
                    probs.data[row * t + j] += mask[s * t + j] == 1 ? 0 : MASKED;
                }
            }
        }
        Softmax.rows(probs);                                    // P, in place
        DMatrixRMaj context = new DMatrixRMaj(b * t, hidden);   // [B·T, H]
        // C = P·V, each head's context written into its own columns
        Products.batched(false, false, t, d, t, 1, probs, scoreAt, t, v, headAt, hidden, 0, context, headAt, hidden);
        return output.forward(context);                         // [B·T, H]
    }
    // end::forward[]

    /** @return dx [B·T, H], the sum of the gradients through Q, K and V */
    // tag::backward[]
    public DMatrixRMaj backward(DMatrixRMaj dy) {
        int hidden = query.in(), d = hidden / heads, t = length;
        DMatrixRMaj dContext = output.backward(dy);            // [B·T, H]
        DMatrixRMaj dP = new DMatrixRMaj(probs.numRows, t);    // [B, A, T, T]
        DMatrixRMaj dq = new DMatrixRMaj(batch * t, hidden), dk = new DMatrixRMaj(batch * t, hidden);
        DMatrixRMaj dv = new DMatrixRMaj(batch * t, hidden);
        // C = P·V:  dP = dC·Vᵀ,  dV = Pᵀ·dC
        Products.batched(false, true, t, t, d, 1, dContext, headAt, hidden, v, headAt, hidden, 0, dP, scoreAt, t);
        Products.batched(true, false, t, d, t, 1, probs, scoreAt, t, dContext, headAt, hidden, 0, dv, headAt, hidden);
        // P = softmax(S), row by row:  dS = P ⊙ (dP − rowsum(dP ⊙ P))
        DMatrixRMaj dS = Softmax.backwardRows(probs, dP);
        // S = Q·Kᵀ/√d + M (M is constant):  dQ = dS·K/√d,  dK = dSᵀ·Q/√d
        double scale = 1 / Math.sqrt(d);
        Products.batched(false, false, t, d, t, scale, dS, scoreAt, t, k, headAt, hidden, 0, dq, headAt, hidden);
        Products.batched(true, false, t, d, t, scale, dS, scoreAt, t, q, headAt, hidden, 0, dk, headAt, hidden);
        DMatrixRMaj dx = query.backward(dq);
        add(dx, key.backward(dk));
        add(dx, value.backward(dv));
        return dx;
    }
    // end::backward[]

    /** Where head h of sequence s starts: at row s·T, column h·d of [B·T, H], and at row (s·A + h)·T of [B·A·T, T]. */
    private void offsets(int b, int t, int hidden, int d) {
        headAt = new int[b * heads];
        scoreAt = new int[b * heads];
        for (int s = 0; s < b; s++) {
            for (int h = 0; h < heads; h++) {
                headAt[s * heads + h] = s * t * hidden + h * d;
                scoreAt[s * heads + h] = (s * heads + h) * t * t;
            }
        }
    }

    static void add(DMatrixRMaj into, DMatrixRMaj other) {
        for (int i = 0; i < into.getNumElements(); i++) {
            into.data[i] += other.data[i];
        }
    }
}
