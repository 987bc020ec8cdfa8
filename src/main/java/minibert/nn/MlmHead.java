package minibert.nn;

import minibert.tensor.Kernels;
import minibert.tensor.Products;
import org.ejml.data.DMatrixRMaj;

/**
 * The masked-language-model head and its loss, at the masked rows only:
 *
 * <pre>
 * x = hidden states at masked positions                 [M, H]
 * t = LN(GELU(x·Wtᵀ + bt))                             [M, H]
 * z = t·Eᵀ + b          E: the word embeddings (tied)   [M, V]
 * L = −(1/M) Σ_m log softmax(z_m)[label_m]              (0 when M = 0)
 * </pre>
 */
public final class MlmHead {

    /** The label of positions that are not predicted, as in Hugging Face. */
    public static final int IGNORE = -100;

    /**
     * What backward needs of one forward pass, and the pass's outcome. M changes from batch to batch; the
     * buffers grow (by a quarter at least) when a batch has more masked rows than any before, and are
     * reused otherwise, so a training run allocates here only in its first steps.
     */
    public static final class Activations {
        int masked;                       // M
        int totalRows;                    // B·T
        int[] rows = new int[0];          // the masked positions [M]
        int[] targets = new int[0];       // their labels [M]
        int[] predicted = new int[0];     // arg max of each row of p [M]
        int capacity;
        final DMatrixRMaj x;              // [M, H]
        final DMatrixRMaj inner;          // x·Wtᵀ + bt [M, H]
        final DMatrixRMaj gate;           // GELU's gate [M, H]
        final DMatrixRMaj activation;     // GELU(·) [M, H]
        final LayerNorm.Activations norm;
        final DMatrixRMaj transformed;    // t [M, H]
        final DMatrixRMaj probs;          // softmax(z) [M, V]
        final DMatrixRMaj dz;             // [M, V]
        final DMatrixRMaj dt;             // [M, H]
        final DMatrixRMaj dx;             // [M, H]
        private final DMatrixRMaj[] buffers;
        double loss;
        int correct;

        public Activations(int capacity, int hidden, int vocab) {
            this.capacity = Math.max(1, capacity);
            x = new DMatrixRMaj(this.capacity, hidden);
            inner = new DMatrixRMaj(this.capacity, hidden);
            gate = new DMatrixRMaj(this.capacity, hidden);
            activation = new DMatrixRMaj(this.capacity, hidden);
            norm = new LayerNorm.Activations(this.capacity, hidden);
            transformed = new DMatrixRMaj(this.capacity, hidden);
            probs = new DMatrixRMaj(this.capacity, vocab);
            dz = new DMatrixRMaj(this.capacity, vocab);
            dt = new DMatrixRMaj(this.capacity, hidden);
            dx = new DMatrixRMaj(this.capacity, hidden);
            buffers = new DMatrixRMaj[] {x, inner, gate, activation, transformed, probs, dz, dt, dx};
        }

        /** Shapes every buffer to M rows, growing them when M exceeds the capacity. */
        void reshape(int m) {
            if (m > capacity) {
                capacity = Math.max(m, capacity + capacity / 4);
                resize(capacity);
            }
            if (rows.length < capacity) {                               // the first pass, or the capacity grew
                rows = new int[capacity];
                targets = new int[capacity];
                predicted = new int[capacity];
            }
            resize(m);
            masked = m;
        }

        private void resize(int m) {
            for (DMatrixRMaj b : buffers) {
                b.reshape(m, b.numCols);
            }
            norm.reshape(m);
        }

        /** The entries its buffers hold (at their capacity). */
        public long entries() {
            long n = 0;
            for (DMatrixRMaj b : buffers) {
                n += b.data.length;
            }
            return n + norm.rstd.length;
        }

        /** M, the number of masked positions of the last forward pass. */
        public int masked() {
            return masked;
        }

        /** The mean cross-entropy of the last forward pass (0 when M = 0). */
        public double loss() {
            return loss;
        }

        /** How many masked positions the last forward pass predicted right (arg max = label). */
        public int correct() {
            return correct;
        }

        /** t = LN(GELU(x·Wtᵀ + bt)) of the last forward pass, the rows the decoder multiplies by Eᵀ [M, H]. */
        public DMatrixRMaj transformed() {
            return transformed;
        }

        /** softmax(z) of the last forward pass [M, V]. */
        public DMatrixRMaj probabilities() {
            return probs;
        }

        /** The masked positions of the last forward pass, as indices into [B·T]. */
        public int position(int m) {
            return rows[m];
        }
    }

    private final Linear transform;
    private final Gelu gelu;
    private final LayerNorm norm;
    private final Param decoderBias;
    private final Param wordEmbeddings;
    private final Products products;

    public MlmHead(int hidden, int vocab, String activation, double eps, Param wordEmbeddings, Products products) {
        this.transform = new Linear("cls.predictions.transform.dense", hidden, hidden, products);
        this.gelu = new Gelu(activation);
        this.norm = new LayerNorm("cls.predictions.transform.LayerNorm", hidden, eps);
        this.decoderBias = new Param("cls.predictions.bias", Param.Kind.BIAS, 1, vocab);
        this.wordEmbeddings = wordEmbeddings;
        this.products = products;
    }

    public Linear transform() {
        return transform;
    }

    public LayerNorm norm() {
        return norm;
    }

    public Param decoderBias() {
        return decoderBias;
    }

    /**
     * @param hidden the encoder's output [B·T, H]. Not modified.
     * @param labels the token to predict at each position, or {@link #IGNORE} [B·T]. Not modified.
     * @param acts   receives everything backward needs, the loss and the count of right predictions. Modified.
     * @return the mean cross-entropy over the masked positions
     */
    // tag::forward[]
    public double forward(DMatrixRMaj hidden, int[] labels, Activations acts) {
        int h = hidden.numCols, v = decoderBias.value().numCols;
        int m = 0;
        for (int label : labels) {
            m += label == IGNORE ? 0 : 1;
        }
        acts.reshape(m);
        acts.totalRows = hidden.numRows;
        for (int i = 0, j = 0; i < labels.length; i++) {
            if (labels[i] != IGNORE) {
                if (labels[i] < 0 || labels[i] >= v) {
                    throw new IllegalArgumentException("cls.predictions: label " + labels[i] + " outside [0, " + v + ")");
                }
                acts.rows[j] = i;
                acts.targets[j] = labels[i];
                System.arraycopy(hidden.data, i * h, acts.x.data, j * h, h);   // x [M, H]: only the masked rows
                j++;
            }
        }
        acts.loss = 0;
        acts.correct = 0;
        if (m == 0) {
            return 0;                                                   // nothing masked: zero, not 0/0
        }
        transform.forward(acts.x, acts.inner);                          // [M, H]
        gelu.forward(acts.inner, acts.gate, acts.activation);          // [M, H]
        norm.forward(acts.activation, acts.norm, acts.transformed);     // t [M, H]
        DMatrixRMaj z = acts.probs;                                     // z [M, V], softmaxed in place below
        products.multTransB(acts.transformed, wordEmbeddings.value(), z); // t·Eᵀ (tied decoder)
        Softmax.biasRows(z, decoderBias.value());                       // p = softmax(z + b), the bias in the same pass
        Kernels.argMaxRows(z.data, m, v, acts.predicted);               // each row's most probable token
        double loss = 0;
        for (int r = 0; r < m; r++) {
            loss -= Math.log(z.data[r * v + acts.targets[r]]);
            acts.correct += acts.predicted[r] == acts.targets[r] ? 1 : 0;
        }
        acts.loss = loss / m;
        return acts.loss;
    }
    // end::forward[]

    /**
     * dz = s·(p − onehot(label)) / M; db += Σ dz; the tied decoder gives the word embeddings a second
     * gradient term dE += dzᵀ·t (the first comes from the input side); dt = dz·E, then back through
     * LayerNorm, GELU and the dense layer, scattered to the masked rows.
     *
     * @param acts    what the forward pass kept. Modified (its gradient scratch).
     * @param scale   the factor s of the loss whose gradient is taken, s·L (1, or a micro-batch's share of
     *                its optimiser step's masked tokens)
     * @param dHidden gradient with respect to the encoder's output [B·T, H]. Modified (written): zero at rows
     *                that were not masked.
     */
    // tag::backward[]
    public void backward(Activations acts, double scale, DMatrixRMaj dHidden) {
        int h = transform.in(), v = decoderBias.value().numCols, m = acts.masked;
        Shapes.require("cls.predictions", "input gradient", dHidden, acts.totalRows, h);
        dHidden.zero();
        if (m == 0) {
            return;
        }
        double[] p = acts.probs.data, dz = acts.dz.data;               // [M, V]
        Kernels.softmaxCrossEntropyBackward(p, acts.targets, scale / m, dz, m, v);   // dz = s·(P − Y) / M
        Kernels.addColumnSums(dz, decoderBias.grad().data, m, v);       // db [V] += Σ_rows dz
        products.multAddTransA(acts.dz, acts.transformed, wordEmbeddings.grad()); // dE [V, H] += dzᵀ·t
        products.mult(acts.dz, wordEmbeddings.value(), acts.dt);        // dt = dz·E [M, H]
        norm.backward(acts.norm, acts.dt, acts.dt);                     // through LayerNorm, in place
        gelu.backward(acts.inner, acts.gate, acts.dt, acts.dt);         // through GELU, in place
        transform.backwardWritten(acts.x, acts.dt, acts.dx);            // dx [M, H], written
        for (int j = 0; j < m; j++) {
            System.arraycopy(acts.dx.data, j * h, dHidden.data, acts.rows[j] * h, h);
        }
    }
    // end::backward[]
}
