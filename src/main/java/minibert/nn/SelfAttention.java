package minibert.nn;

import minibert.tensor.Fusion;
import minibert.tensor.Kernels;
import minibert.tensor.Pool;
import minibert.tensor.Products;
import org.ejml.data.DMatrixRMaj;

import static minibert.nn.StepProfile.Op.CONTEXT;
import static minibert.nn.StepProfile.Op.HEADS;
import static minibert.nn.StepProfile.Op.OUTPUT;
import static minibert.nn.StepProfile.Op.PROJECTIONS;
import static minibert.nn.StepProfile.Op.SCORES;
import static minibert.nn.StepProfile.Op.SOFTMAX;
import static minibert.nn.StepProfile.lap;

/**
 * Multi-head self-attention as in BERT, with the output projection ("attention.output.dense").
 *
 * <p>Shape letters are this book's (chapter "Notation and shapes"): B batch, T sequence length (queries and
 * keys), H hidden width, A heads, d = H / A the width of one head. BERT's {@code modeling.py} names the
 * same things differently: N for the number of heads and H for the size of one head.
 *
 * <pre>
 * Q = x·Wqᵀ + bq,  K = x·Wkᵀ + bk,  V = x·Wvᵀ + bv                  [B·T, H], viewed as [B, A, T, d]
 *   (one product: [Q K V] = x·[Wq; Wk; Wv]ᵀ + [bq bk bv]              [B·T, 3H])
 * S = Q·Kᵀ / √d + M,   M_ij = 0 if key j is real, −10000 if it is padding    [B, A, T, T]
 * P = softmax(S) (row-wise)                                          [B, A, T, T]
 * P' = dropout(P)                                                    [B, A, T, T]
 * C = P'·V                                                           [B, A, T, d] → [B·T, H]
 * y = C·Woᵀ + bo                                                     [B·T, H]
 * </pre>
 */
public final class SelfAttention {

    /** The additive mask BERT puts on the scores of padded keys. */
    public static final double MASKED = -10000.0;

    /** What backward needs of one forward pass on B sequences of T tokens. */
    public static final class Activations {
        final int batch;
        final int length;
        final DMatrixRMaj weights;        // [Wq; Wk; Wv] [3H, H]: the three projections' weights, packed by forward
        final DMatrixRMaj bias;           // [bq; bk; bv] [1, 3H]
        final DMatrixRMaj qkv;            // [Q K V] [B·T, 3H]: head h of sequence s is a [T, d] block of each third
        final DMatrixRMaj probs;          // P [B·A·T, T] = [B, A, T, T]
        final DMatrixRMaj dropped;        // P' [B, A, T, T]
        final DMatrixRMaj dropMask;       // the multipliers of P' = P ⊙ mask [B, A, T, T]
        final DMatrixRMaj context;        // C [B·T, H]
        final int[] queryAt;              // where head h of sequence s starts in [B·T, 3H]: its [T, d] block of Q
        final int[] keyAt;                //   ... of K, H columns further
        final int[] valueAt;              //   ... of V, 2H columns further
        final int[] headAt;               // where head h of sequence s starts in a [B·T, H] matrix (C)
        final int[] scoreAt;              // where its [T, T] block starts in a [B·A·T, T] matrix
        boolean droppedOut;               // whether the last forward pass applied dropout (P' ≠ P)

        public Activations(int batch, int length, int hidden, int heads) {
            this.batch = batch;
            this.length = length;
            int n = batch * length, d = hidden / heads;
            weights = new DMatrixRMaj(3 * hidden, hidden);
            bias = new DMatrixRMaj(1, 3 * hidden);
            qkv = new DMatrixRMaj(n, 3 * hidden);
            probs = new DMatrixRMaj(batch * heads * length, length);
            dropped = new DMatrixRMaj(batch * heads * length, length);
            dropMask = new DMatrixRMaj(batch * heads * length, length);
            context = new DMatrixRMaj(n, hidden);
            queryAt = new int[batch * heads];
            keyAt = new int[batch * heads];
            valueAt = new int[batch * heads];
            headAt = new int[batch * heads];
            scoreAt = new int[batch * heads];
            // head h of sequence s: at row s·T, column h·d of [B·T, H] (and of each third of [B·T, 3H]), and at
            // row (s·A + h)·T of [B·A·T, T]
            for (int s = 0; s < batch; s++) {
                for (int h = 0; h < heads; h++) {
                    int i = s * heads + h;
                    headAt[i] = s * length * hidden + h * d;
                    queryAt[i] = s * length * 3 * hidden + h * d;
                    keyAt[i] = queryAt[i] + hidden;
                    valueAt[i] = queryAt[i] + 2 * hidden;
                    scoreAt[i] = (s * heads + h) * length * length;
                }
            }
        }

        /** A copy of Q of the last forward pass [B·T, H]. */
        public DMatrixRMaj query() {
            return third(0);
        }

        /** A copy of K of the last forward pass [B·T, H]. */
        public DMatrixRMaj key() {
            return third(1);
        }

        /** A copy of V of the last forward pass [B·T, H]. */
        public DMatrixRMaj value() {
            return third(2);
        }

        private DMatrixRMaj third(int i) {
            int n = qkv.numRows, hidden = qkv.numCols / 3;
            DMatrixRMaj m = new DMatrixRMaj(n, hidden);
            for (int r = 0; r < n; r++) {
                System.arraycopy(qkv.data, r * 3 * hidden + i * hidden, m.data, r * hidden, hidden);
            }
            return m;
        }

        /** C = P'·V of the last forward pass, every head in its own columns [B·T, H]. */
        public DMatrixRMaj context() {
            return context;
        }

        /** A copy of the attention weights P (before dropout) of sequence {@code b}, head {@code h}: [T, T]. */
        public DMatrixRMaj probabilities(int b, int h) {
            int heads = headAt.length / batch;
            DMatrixRMaj p = new DMatrixRMaj(length, length);
            System.arraycopy(probs.data, scoreAt[b * heads + h], p.data, 0, length * length);
            return p;
        }
    }

    /** Scratch of the backward pass, shared by every layer (each uses it in turn). */
    public static final class Gradients {
        final DMatrixRMaj dContext;       // [B·T, H]
        final DMatrixRMaj dqkv;           // [dQ dK dV] [B·T, 3H]
        final DMatrixRMaj dWeights;       // [dWq; dWk; dWv] of one backward pass [3H, H]
        final DMatrixRMaj dBias;          // [dbq; dbk; dbv] of one backward pass [1, 3H]
        final DMatrixRMaj dScores;        // [B·A·T, T]

        public Gradients(int batch, int length, int hidden, int heads) {
            int n = batch * length;
            dContext = new DMatrixRMaj(n, hidden);
            dqkv = new DMatrixRMaj(n, 3 * hidden);
            dWeights = new DMatrixRMaj(3 * hidden, hidden);
            dBias = new DMatrixRMaj(1, 3 * hidden);
            dScores = new DMatrixRMaj(batch * heads * length, length);
        }
    }

    private final String name;
    private final int heads;
    private final Linear query;
    private final Linear key;
    private final Linear value;
    private final Linear output;
    private final Linear[] projections;               // query, key, value: the order of their thirds in [Q K V]
    private final Dropout dropout;
    private final Products products;

    /**
     * @param prefix  e.g. {@code bert.encoder.layer.0.attention}
     * @param dropout dropout on the attention weights
     */
    public SelfAttention(String prefix, int hidden, int heads, Dropout dropout, Products products) {
        if (hidden % heads != 0) {
            throw new IllegalArgumentException(prefix + ": hidden " + hidden + " is not divisible by " + heads + " heads");
        }
        this.name = prefix;
        this.heads = heads;
        this.query = new Linear(prefix + ".self.query", hidden, hidden, products);
        this.key = new Linear(prefix + ".self.key", hidden, hidden, products);
        this.value = new Linear(prefix + ".self.value", hidden, hidden, products);
        this.output = new Linear(prefix + ".output.dense", hidden, hidden, products);
        this.projections = new Linear[] {query, key, value};
        this.dropout = dropout;
        this.products = products;
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

    public int heads() {
        return heads;
    }

    /**
     * @param x    hidden states [B·T, H]. Not modified.
     * @param mask 1 for real tokens, 0 for padding [B·T]. Not modified.
     * @param pass training (dropout on P) or inference
     * @param acts the packed weights, [Q K V], P, P', C. Modified.
     * @param y    output [B·T, H]. Modified (written).
     */
    // tag::forward[]
    public void forward(DMatrixRMaj x, int[] mask, Pass pass, Activations acts, DMatrixRMaj y) {
        int hidden = query.in(), b = acts.batch, t = acts.length, w = 3 * hidden;
        Shapes.require(name, "input", x, b * t, hidden);
        pack(acts.weights, acts.bias);                          // W = [Wq; Wk; Wv] [3H, H], its bias [bq bk bv]
        products.multTransB(x, acts.weights, acts.qkv);         // [Q K V] = x·Wᵀ  [B·T, 3H]: one product, not three
        Kernels.addBias(acts.qkv.data, acts.bias.data, b * t, w);  //   + [bq bk bv] on every row
        lap(PROJECTIONS);
        acts.droppedOut = dropout.active(pass);                 // P' ≠ P: dropout on the attention weights
        if (byHead()) {
            forwardByHead(mask, pass, acts);                    // the same operations, one head at a time
            lap(HEADS);
        } else {
            forwardByPass(mask, pass, acts);                    // S, P, P', C: one pass over every head each
        }
        output.forward(acts.context, y);                        // y [B·T, H]
        lap(OUTPUT);
    }
    // end::forward[]

    /** From [Q K V] to C, every head together in each pass: a batched product, the softmax, dropout, a batched product. */
    // tag::forward-passes[]
    private void forwardByPass(int[] mask, Pass pass, Activations acts) {
        int hidden = query.in(), d = hidden / heads, t = acts.length, w = 3 * hidden;
        DMatrixRMaj probs = acts.probs;                         // [B, A, T, T]
        // S = Q·Kᵀ/√d for every sequence and head, each head read in place from its columns of [Q K V]
        products.batched(false, true, t, t, d, 1 / Math.sqrt(d), acts.qkv, acts.queryAt, w, acts.qkv, acts.keyAt, w,
                0, probs, acts.scoreAt, t);
        lap(SCORES);
        // P = softmax(S + M), in place, the mask added in the same pass: the A·T rows of sequence s take mask row s.
        // The mask is added BEFORE the softmax: exp(−10000) underflows to 0, so a padded key gets no weight,
        // and every row still sums to 1.
        Softmax.maskedRows(probs, mask, heads * t, MASKED);
        DMatrixRMaj weights = probs;
        if (acts.droppedOut) {                                  // P' = P ⊙ mask: some weights dropped, the rest scaled
            dropout.mask(pass, acts.dropMask.data, probs.getNumElements());
            Dropout.apply(probs.data, acts.dropMask.data, acts.dropped.data, probs.getNumElements());
            weights = acts.dropped;
        }
        lap(SOFTMAX);
        // C = P'·V, each head's context written into its own columns
        products.batched(false, false, t, d, t, 1, weights, acts.scoreAt, t, acts.qkv, acts.valueAt, w, 0,
                acts.context, acts.headAt, hidden);
        lap(CONTEXT);
    }
    // end::forward-passes[]

    /**
     * @param x    the forward pass's input [B·T, H]. Not modified.
     * @param acts what the forward pass kept. Not modified.
     * @param dy   gradient with respect to y [B·T, H]. Not modified.
     * @param dx   gradient with respect to x [B·T, H]. Modified: the gradients through Q, K and V are added.
     * @param g    scratch. Modified.
     */
    // tag::backward[]
    public void backward(DMatrixRMaj x, Activations acts, DMatrixRMaj dy, DMatrixRMaj dx, Gradients g) {
        int w = 3 * query.in();
        output.backwardWritten(acts.context, dy, g.dContext);    // dC [B·T, H], written
        lap(OUTPUT);
        if (byHead()) {
            backwardByHead(acts, g);                             // the same operations, one head at a time
            lap(HEADS);
        } else {
            backwardByPass(acts, g);                             // dP', dV, dP, dS, dQ, dK: one pass over every head each
        }
        // [Q K V] = x·Wᵀ + [bq bk bv]:  dW = [dQ dK dV]ᵀ·x,  its bias's gradient Σ_rows [dQ dK dV],
        //                              dx += [dQ dK dV]·W
        products.multTransA(g.dqkv, x, g.dWeights);              // dW [3H, H]
        g.dBias.zero();
        Kernels.addColumnSums(g.dqkv.data, g.dBias.data, x.numRows, w);   // db [3H]
        unpack(g.dWeights, g.dBias);                             // each third onto its parameter's gradient
        products.multAdd(g.dqkv, acts.weights, dx);              // dx += dQ·Wq + dK·Wk + dV·Wv, one product
        lap(PROJECTIONS);
    }
    // end::backward[]

    /** From dC to [dQ dK dV], every head together in each pass: a batched product, the softmax's backward, and so on. */
    // tag::backward-passes[]
    private void backwardByPass(Activations acts, Gradients g) {
        int hidden = query.in(), d = hidden / heads, t = acts.length, w = 3 * hidden;
        DMatrixRMaj weights = acts.droppedOut ? acts.dropped : acts.probs;   // P', what multiplied V
        // C = P'·V:  dP' = dC·Vᵀ,  dV = P'ᵀ·dC
        products.batched(false, true, t, t, d, 1, g.dContext, acts.headAt, hidden, acts.qkv, acts.valueAt, w, 0,
                g.dScores, acts.scoreAt, t);
        products.batched(true, false, t, d, t, 1, weights, acts.scoreAt, t, g.dContext, acts.headAt, hidden, 0,
                g.dqkv, acts.valueAt, w);
        lap(CONTEXT);
        if (acts.droppedOut) {                                   // P' = P ⊙ mask:  dP = dP' ⊙ mask
            Dropout.apply(g.dScores.data, acts.dropMask.data, g.dScores.data, g.dScores.getNumElements());
        }
        // P = softmax(S), row by row:  dS = P ⊙ (dP − rowsum(dP ⊙ P)), in place
        Softmax.backwardRows(acts.probs, g.dScores, g.dScores);
        lap(SOFTMAX);
        // S = Q·Kᵀ/√d + M (M is constant):  dQ = dS·K/√d,  dK = dSᵀ·Q/√d
        double scale = 1 / Math.sqrt(d);
        products.batched(false, false, t, d, t, scale, g.dScores, acts.scoreAt, t, acts.qkv, acts.keyAt, w, 0,
                g.dqkv, acts.queryAt, w);
        products.batched(true, false, t, d, t, scale, g.dScores, acts.scoreAt, t, acts.qkv, acts.queryAt, w, 0,
                g.dqkv, acts.keyAt, w);
        lap(SCORES);
    }
    // end::backward-passes[]

    /**
     * Whether the scores, softmax, dropout and context run one head at a time ({@link #forwardByHead}) rather than as
     * one pass over every head after another: when the kernels run fused ({@link Fusion}) and the products compute a
     * block on the calling thread, as the pool's threads need.
     */
    private boolean byHead() {
        return !Fusion.separatePasses() && products.blockOnCallingThread();
    }

    /**
     * The forward pass from [Q K V] to C one head at a time: its scores, mask, softmax, dropout and context, one after
     * the other, while its [T, T] block is still in the core's caches (as separate passes over every head, the B·A blocks
     * of S, P and P' go out to memory and come back between two passes). The heads of one sequence make one task of the
     * pool: they read the same T rows of [Q K V], which the first head brings into the core's caches for the others
     * (a task per head, the two threads took turns at a sequence's heads, and the step's attention took 3% longer).
     * Each entry is computed by the same operations as in the separate passes, so the two give the same bits.
     */
    // tag::forward-by-head[]
    private void forwardByHead(int[] mask, Pass pass, Activations acts) {
        int hidden = query.in(), d = hidden / heads, t = acts.length, w = 3 * hidden, area = t * t;
        double scale = 1 / Math.sqrt(d);
        DMatrixRMaj weights = acts.droppedOut ? acts.dropped : acts.probs;
        Softmax.requireMask(acts.probs, mask, heads * t);
        Pool.forEach(acts.batch, s -> {                     // a task per sequence: its heads read the same rows
            for (int i = s * heads; i < (s + 1) * heads; i++) { // i = s·A + h: head h of sequence s
                int at = acts.scoreAt[i];                       // its [T, T] block of S, P, P' and the dropout mask
                products.block(false, true, t, t, d, scale, acts.qkv, acts.queryAt[i], w, acts.qkv, acts.keyAt[i], w, 0,
                        acts.probs, at, t);                     // S_i = Q_i·K_iᵀ/√d
                Kernels.maskedSoftmaxRows(acts.probs.data, i * t, (i + 1) * t, t, mask, heads * t, MASKED);   // P_i
                if (acts.droppedOut) {
                    dropout.mask(pass, acts.dropMask.data, at, at + area);
                    Dropout.apply(acts.probs.data, acts.dropMask.data, acts.dropped.data, at, at + area);    // P'_i
                }
                products.block(false, false, t, d, t, 1, weights, at, t, acts.qkv, acts.valueAt[i], w, 0, acts.context,
                        acts.headAt[i], hidden);                // C_i = P'_i·V_i
            }
        });
    }
    // end::forward-by-head[]

    /** {@link #backwardByPass}'s operations, one head at a time and a sequence's heads in one task, as in {@link #forwardByHead}. */
    // tag::backward-by-head[]
    private void backwardByHead(Activations acts, Gradients g) {
        int hidden = query.in(), d = hidden / heads, t = acts.length, w = 3 * hidden, area = t * t;
        double scale = 1 / Math.sqrt(d);
        DMatrixRMaj weights = acts.droppedOut ? acts.dropped : acts.probs;
        Pool.forEach(acts.batch, s -> {
            for (int i = s * heads; i < (s + 1) * heads; i++) {
                int at = acts.scoreAt[i];
                products.block(false, true, t, t, d, 1, g.dContext, acts.headAt[i], hidden, acts.qkv, acts.valueAt[i], w, 0,
                        g.dScores, at, t);                      // dP'_i = dC_i·V_iᵀ
                products.block(true, false, t, d, t, 1, weights, at, t, g.dContext, acts.headAt[i], hidden, 0, g.dqkv,
                        acts.valueAt[i], w);                    // dV_i = P'_iᵀ·dC_i
                if (acts.droppedOut) {
                    Dropout.apply(g.dScores.data, acts.dropMask.data, g.dScores.data, at, at + area);   // dP_i
                }
                Kernels.softmaxRowsBackward(acts.probs.data, g.dScores.data, g.dScores.data, i * t, (i + 1) * t, t);  // dS_i
                products.block(false, false, t, d, t, scale, g.dScores, at, t, acts.qkv, acts.keyAt[i], w, 0, g.dqkv,
                        acts.queryAt[i], w);                    // dQ_i = dS_i·K_i/√d
                products.block(true, false, t, d, t, scale, g.dScores, at, t, acts.qkv, acts.queryAt[i], w, 0, g.dqkv,
                        acts.keyAt[i], w);                      // dK_i = dS_iᵀ·Q_i/√d
            }
        });
    }
    // end::backward-by-head[]

    /** W = [Wq; Wk; Wv], the three weights one under the other [3H, H], and b = [bq bk bv] [1, 3H]. */
    private void pack(DMatrixRMaj weights, DMatrixRMaj bias) {
        for (int i = 0; i < projections.length; i++) {
            DMatrixRMaj wi = projections[i].weight().value(), bi = projections[i].bias().value();
            System.arraycopy(wi.data, 0, weights.data, i * wi.getNumElements(), wi.getNumElements());
            System.arraycopy(bi.data, 0, bias.data, i * bi.getNumElements(), bi.getNumElements());
        }
    }

    /** Adds each third of dW [3H, H] and of db [1, 3H] onto the gradient of the projection it belongs to. */
    private void unpack(DMatrixRMaj dWeights, DMatrixRMaj dBias) {
        for (int i = 0; i < projections.length; i++) {
            addSlice(dWeights.data, i, projections[i].weight().grad().data);
            addSlice(dBias.data, i, projections[i].bias().grad().data);
        }
    }

    /** into[j] += from[i·n + j] for j in [0, n), n = into.length. */
    private static void addSlice(double[] from, int i, double[] into) {
        int n = into.length, o = i * n;
        for (int j = 0; j < n; j++) {
            into[j] += from[o + j];
        }
    }
}
