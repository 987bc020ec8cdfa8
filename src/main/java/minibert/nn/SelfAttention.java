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
    private DMatrixRMaj[] probs;     // P per (b, head): [T, T]

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

    /** The attention weights of the last forward pass, for sequence {@code b} and head {@code h}: [T, T]. */
    public DMatrixRMaj probabilities(int b, int h) {
        return probs[b * heads + h];
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
        q = query.forward(x);                                   // [B·T, H]
        k = key.forward(x);                                     // [B·T, H]
        v = value.forward(x);                                   // [B·T, H]
        DMatrixRMaj context = new DMatrixRMaj(b * t, hidden);   // [B·T, H]
        probs = new DMatrixRMaj[b * heads];
        double scale = 1 / Math.sqrt(d);
        DMatrixRMaj qh = new DMatrixRMaj(t, d), kh = new DMatrixRMaj(t, d), vh = new DMatrixRMaj(t, d);
        DMatrixRMaj ch = new DMatrixRMaj(t, d);
        for (int s = 0; s < b; s++) {
            for (int h = 0; h < heads; h++) {
                slice(q, s, h, t, d, qh);                       // [T, d]
                slice(k, s, h, t, d, kh);
                slice(v, s, h, t, d, vh);
                DMatrixRMaj scores = new DMatrixRMaj(t, t);     // [T, T]
                Products.multTransB(qh, kh, scores);            // Q·Kᵀ
                for (int i = 0; i < t; i++) {
                    for (int j = 0; j < t; j++) {
                        // The mask is added to the scores BEFORE the softmax: exp(−10000) underflows to 0,
                        // so a padded key gets no weight, and every row still sums to 1.
                        scores.data[i * t + j] = scores.data[i * t + j] * scale + (mask[s * t + j] == 1 ? 0 : MASKED);
                    }
                }
                Softmax.rows(scores);                           // P, in place
                probs[s * heads + h] = scores;
                Products.mult(scores, vh, ch);                  // P·V [T, d]
                unslice(ch, s, h, t, d, context);
            }
        }
        return output.forward(context);                         // [B·T, H]
    }
    // end::forward[]

    /** @return dx [B·T, H], the sum of the gradients through Q, K and V */
    // tag::backward[]
    public DMatrixRMaj backward(DMatrixRMaj dy) {
        int hidden = query.in(), d = hidden / heads, t = length;
        DMatrixRMaj dContext = output.backward(dy);            // [B·T, H]
        DMatrixRMaj dq = new DMatrixRMaj(batch * t, hidden), dk = new DMatrixRMaj(batch * t, hidden);
        DMatrixRMaj dv = new DMatrixRMaj(batch * t, hidden);
        double scale = 1 / Math.sqrt(d);
        DMatrixRMaj qh = new DMatrixRMaj(t, d), kh = new DMatrixRMaj(t, d), vh = new DMatrixRMaj(t, d);
        DMatrixRMaj dch = new DMatrixRMaj(t, d), dqh = new DMatrixRMaj(t, d), dkh = new DMatrixRMaj(t, d);
        DMatrixRMaj dvh = new DMatrixRMaj(t, d), dP = new DMatrixRMaj(t, t);
        for (int s = 0; s < batch; s++) {
            for (int h = 0; h < heads; h++) {
                DMatrixRMaj p = probs[s * heads + h];
                slice(q, s, h, t, d, qh);
                slice(k, s, h, t, d, kh);
                slice(v, s, h, t, d, vh);
                slice(dContext, s, h, t, d, dch);
                // C = P·V:  dP = dC·Vᵀ,  dV = Pᵀ·dC
                Products.multTransB(dch, vh, dP);
                Products.multTransA(p, dch, dvh);
                // P = softmax(S), row by row:  dS = P ⊙ (dP − rowsum(dP ⊙ P))
                DMatrixRMaj dS = Softmax.backwardRows(p, dP);
                // S = Q·Kᵀ/√d + M (M is constant):  dQ = dS·K/√d,  dK = dSᵀ·Q/√d
                Products.mult(dS, kh, dqh);
                Products.multTransA(dS, qh, dkh);
                addScaled(dqh, scale, s, h, t, d, dq);
                addScaled(dkh, scale, s, h, t, d, dk);
                addScaled(dvh, 1, s, h, t, d, dv);
            }
        }
        DMatrixRMaj dx = query.backward(dq);
        add(dx, key.backward(dk));
        add(dx, value.backward(dv));
        return dx;
    }
    // end::backward[]

    /** Copies head h of sequence s, rows s·T … s·T+T−1 and columns h·d … h·d+d−1, into out [T, d]. */
    private static void slice(DMatrixRMaj m, int s, int h, int t, int d, DMatrixRMaj out) {
        for (int i = 0; i < t; i++) {
            System.arraycopy(m.data, (s * t + i) * m.numCols + h * d, out.data, i * d, d);
        }
    }

    private static void unslice(DMatrixRMaj in, int s, int h, int t, int d, DMatrixRMaj m) {
        for (int i = 0; i < t; i++) {
            System.arraycopy(in.data, i * d, m.data, (s * t + i) * m.numCols + h * d, d);
        }
    }

    private static void addScaled(DMatrixRMaj in, double scale, int s, int h, int t, int d, DMatrixRMaj m) {
        for (int i = 0; i < t; i++) {
            int base = (s * t + i) * m.numCols + h * d;
            for (int j = 0; j < d; j++) {
                m.data[base + j] += scale * in.data[i * d + j];
            }
        }
    }

    static void add(DMatrixRMaj into, DMatrixRMaj other) {
        for (int i = 0; i < into.getNumElements(); i++) {
            into.data[i] += other.data[i];
        }
    }
}
