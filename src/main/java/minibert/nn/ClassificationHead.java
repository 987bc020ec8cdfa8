package minibert.nn;

import minibert.tensor.Products;
import org.ejml.data.DMatrixRMaj;

/**
 * BERT's sequence-classification head: the pooler reads the hidden state of [CLS] (position 0 of each
 * sequence), then, after dropout, a linear layer scores the classes; the loss is the mean cross-entropy
 * over the batch.
 *
 * <pre>
 * c = h[CLS]                      [B, H]
 * u = tanh(c·Wpᵀ + bp)            [B, H]     "bert.pooler.dense"
 * u' = dropout(u)                 [B, H]
 * z = u'·Wcᵀ + bc                 [B, K]     "classifier"
 * L = −(1/B) Σ_b log softmax(z_b)[label_b]
 * </pre>
 */
public final class ClassificationHead {

    /** What backward needs of one forward pass on B sequences, and its outcome. */
    public static final class Activations {
        final int batch;
        final int length;
        final DMatrixRMaj cls;        // c [B, H]
        final DMatrixRMaj pooled;     // u [B, H]
        final DMatrixRMaj dropped;    // u' [B, H]
        final DMatrixRMaj mask;       // dropout multipliers [B, H]
        final DMatrixRMaj probs;      // softmax(z) [B, K]
        final DMatrixRMaj dz;         // [B, K]
        final DMatrixRMaj du;         // [B, H]
        final DMatrixRMaj dcls;       // [B, H]
        final int[] labels;
        boolean droppedOut;
        double loss;
        int correct;

        public Activations(int batch, int length, int hidden, int classes) {
            this.batch = batch;
            this.length = length;
            cls = new DMatrixRMaj(batch, hidden);
            pooled = new DMatrixRMaj(batch, hidden);
            dropped = new DMatrixRMaj(batch, hidden);
            mask = new DMatrixRMaj(batch, hidden);
            probs = new DMatrixRMaj(batch, classes);
            dz = new DMatrixRMaj(batch, classes);
            du = new DMatrixRMaj(batch, hidden);
            dcls = new DMatrixRMaj(batch, hidden);
            labels = new int[batch];
        }

        /** The class probabilities of the last forward pass [B, K]. */
        public DMatrixRMaj probabilities() {
            return probs;
        }

        public double loss() {
            return loss;
        }

        /** How many sequences the last forward pass classified right (arg max = label). */
        public int correct() {
            return correct;
        }

        /** The pooled [CLS] vectors u of the last forward pass [B, H]. */
        public DMatrixRMaj pooled() {
            return pooled;
        }
    }

    private final Linear pooler;
    private final Linear classifier;
    private final Dropout dropout;

    public ClassificationHead(int hidden, int classes, Dropout dropout, Products products) {
        this.pooler = new Linear("bert.pooler.dense", hidden, hidden, products);
        this.classifier = new Linear("classifier", hidden, classes, products);
        this.dropout = dropout;
    }

    public Linear pooler() {
        return pooler;
    }

    public Linear classifier() {
        return classifier;
    }

    /**
     * @param hidden the encoder's output [B·T, H]. Not modified.
     * @param labels one class per sequence [B]. Not modified (copied into acts).
     * @param pass   training (dropout on u) or inference
     * @param acts   receives what backward needs, the loss and the right predictions. Modified.
     * @return the mean cross-entropy
     */
    // tag::forward[]
    public double forward(DMatrixRMaj hidden, int[] labels, Pass pass, Activations acts) {
        int h = pooler.in(), b = acts.batch, t = acts.length, k = classifier.out();
        Shapes.require("bert.pooler", "input", hidden, b * t, h);
        for (int s = 0; s < b; s++) {
            System.arraycopy(hidden.data, s * t * h, acts.cls.data, s * h, h);   // c: position 0 of each sequence
        }
        pooler.forward(acts.cls, acts.pooled);
        for (int i = 0; i < acts.pooled.getNumElements(); i++) {
            acts.pooled.data[i] = Math.tanh(acts.pooled.data[i]);               // u = tanh(·)
        }
        DMatrixRMaj u = acts.pooled;
        acts.droppedOut = dropout.active(pass);
        if (acts.droppedOut) {
            dropout.mask(pass, acts.mask.data, b * h);
            Dropout.apply(acts.pooled.data, acts.mask.data, acts.dropped.data, b * h);
            u = acts.dropped;
        }
        classifier.forward(u, acts.probs);                                       // z [B, K]
        Softmax.rows(acts.probs);
        double loss = 0;
        acts.correct = 0;
        for (int s = 0; s < b; s++) {
            if (labels[s] < 0 || labels[s] >= k) {
                throw new IllegalArgumentException("classifier: label " + labels[s] + " outside [0, " + k + ")");
            }
            acts.labels[s] = labels[s];
            loss -= Math.log(acts.probs.get(s, labels[s]));
            int best = 0;
            for (int c = 1; c < k; c++) {
                best = acts.probs.get(s, c) > acts.probs.get(s, best) ? c : best;
            }
            acts.correct += best == labels[s] ? 1 : 0;
        }
        acts.loss = loss / b;
        return acts.loss;
    }
    // end::forward[]

    /**
     * @param acts    what the forward pass kept. Modified (its gradient scratch).
     * @param dHidden gradient with respect to the encoder's output [B·T, H]. Modified (written): zero except
     *                at the [CLS] rows.
     */
    // tag::backward[]
    public void backward(Activations acts, DMatrixRMaj dHidden) {
        int b = acts.batch, t = acts.length, k = classifier.out(), h = pooler.in();
        for (int s = 0; s < b; s++) {
            for (int c = 0; c < k; c++) {
                acts.dz.data[s * k + c] = (acts.probs.data[s * k + c] - (c == acts.labels[s] ? 1 : 0)) / b; // (P − Y) / B
            }
        }
        acts.du.zero();                                                 // du starts a sum: Linear adds into it
        classifier.backward(acts.droppedOut ? acts.dropped : acts.pooled, acts.dz, acts.du);  // du' [B, H]
        for (int i = 0; i < acts.du.getNumElements(); i++) {
            double u = acts.pooled.data[i];
            double mask = acts.droppedOut ? acts.mask.data[i] : 1;
            acts.du.data[i] *= mask * (1 - u * u);                      // through dropout, then tanh' = 1 − u²
        }
        acts.dcls.zero();
        pooler.backward(acts.cls, acts.du, acts.dcls);                  // dc [B, H]
        dHidden.zero();
        for (int s = 0; s < b; s++) {
            System.arraycopy(acts.dcls.data, s * h, dHidden.data, s * t * h, h);
        }
    }
    // end::backward[]
}
