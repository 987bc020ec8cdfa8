package minibert.nn;

import org.ejml.data.DMatrixRMaj;

/**
 * BERT's sequence-classification head: the pooler reads the hidden state of [CLS] (position 0 of each
 * sequence), then a linear layer scores the classes; the loss is the mean cross-entropy over the batch.
 *
 * <pre>
 * c = h[CLS]                      [B, H]
 * u = tanh(c·Wpᵀ + bp)            [B, H]     "bert.pooler.dense"
 * z = u·Wcᵀ + bc                  [B, K]     "classifier"
 * L = −(1/B) Σ_b log softmax(z_b)[label_b]
 * </pre>
 */
public final class ClassificationHead {

    private final Linear pooler;
    private final Linear classifier;
    private int length;
    private int rows;
    private DMatrixRMaj pooled;   // u [B, H]
    private DMatrixRMaj probs;    // softmax(z) [B, K]
    private int[] labels;

    public ClassificationHead(int hidden, int classes) {
        this.pooler = new Linear("bert.pooler.dense", hidden, hidden);
        this.classifier = new Linear("classifier", hidden, classes);
    }

    public Linear pooler() {
        return pooler;
    }

    public Linear classifier() {
        return classifier;
    }

    /** The class probabilities of the last forward pass [B, K]. */
    public DMatrixRMaj probabilities() {
        return probs;
    }

    // tag::forward[]
    public double forward(DMatrixRMaj hidden, int b, int t, int[] labels) {
        int h = pooler.in();
        Shapes.require("bert.pooler", "input", hidden, b * t, h);
        length = t;
        rows = hidden.numRows;
        this.labels = labels;
        DMatrixRMaj cls = new DMatrixRMaj(b, h);                       // [B, H]: position 0 of each sequence
        for (int s = 0; s < b; s++) {
            System.arraycopy(hidden.data, s * t * h, cls.data, s * h, h);
        }
        pooled = pooler.forward(cls);
        for (int i = 0; i < pooled.getNumElements(); i++) {
            pooled.data[i] = Math.tanh(pooled.data[i]);               // u = tanh(·)
        }
        probs = classifier.forward(pooled);                            // z [B, K]
        Softmax.rows(probs);
        double loss = 0;
        for (int s = 0; s < b; s++) {
            if (labels[s] < 0 || labels[s] >= probs.numCols) {
                throw new IllegalArgumentException("classifier: label " + labels[s] + " outside [0, " + probs.numCols + ")");
            }
            loss -= Math.log(probs.get(s, labels[s]));
        }
        return loss / b;
    }
    // end::forward[]

    // tag::backward[]
    public DMatrixRMaj backward() {
        int b = probs.numRows, k = probs.numCols, h = pooler.in();
        DMatrixRMaj dz = new DMatrixRMaj(b, k);                        // (P − Y) / B
        for (int s = 0; s < b; s++) {
            for (int c = 0; c < k; c++) {
                dz.data[s * k + c] = (probs.data[s * k + c] - (c == labels[s] ? 1 : 0)) / b;
            }
        }
        DMatrixRMaj du = classifier.backward(dz);                       // [B, H]
        for (int i = 0; i < du.getNumElements(); i++) {
            du.data[i] *= 1 - pooled.data[i] * pooled.data[i];         // tanh' = 1 − u²
        }
        DMatrixRMaj dcls = pooler.backward(du);                         // [B, H]
        DMatrixRMaj dHidden = new DMatrixRMaj(rows, h);
        for (int s = 0; s < b; s++) {
            System.arraycopy(dcls.data, s * h, dHidden.data, s * length * h, h);
        }
        return dHidden;
    }
    // end::backward[]
}
