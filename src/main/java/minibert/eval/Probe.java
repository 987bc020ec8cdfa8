package minibert.eval;

import minibert.nn.Linear;
import minibert.nn.Param;
import minibert.nn.Shapes;
import minibert.nn.Softmax;
import minibert.tensor.Products;
import org.ejml.data.DMatrixRMaj;

import java.util.List;

/**
 * A linear probe: multinomial logistic regression (softmax regression) on frozen features, with an L2
 * penalty on the weights (not the bias):
 *
 * <pre>
 * z = x·Wᵀ + b                                   x [N, H], W [K, H], b [K], z [N, K]
 * p = softmax(z)                                 [N, K]
 * L = −(1/N) Σ_n log p_n[y_n] + (λ/2)·‖W‖²
 * </pre>
 *
 * and its gradient, derived in the chapter "Probing for syntax":
 *
 * <pre>
 * dz = (P − Y) / N      dW = dzᵀ·x + λW      db = Σ_n dz_n
 * </pre>
 *
 * It is BERT's classification head without the pooler: the same {@link Linear} and {@link Softmax}, so that
 * the probe reads what the encoder wrote through the simplest map the project has.
 */
public final class Probe {

    /** What backward needs of one forward pass on N rows, and its outcome. */
    public static final class Activations {
        final DMatrixRMaj probs;       // p [N, K]
        final DMatrixRMaj dz;          // [N, K]
        final DMatrixRMaj dx;          // scratch for Linear's input gradient, unused [N, H]
        final int[] labels;
        int rows;
        double loss;
        int correct;

        public Activations(int rows, int features, int classes) {
            probs = new DMatrixRMaj(rows, classes);
            dz = new DMatrixRMaj(rows, classes);
            dx = new DMatrixRMaj(rows, features);
            labels = new int[rows];
            this.rows = rows;
        }

        /** Shapes the buffers to {@code n} ≤ the allocated rows (a last, smaller batch). */
        public void reshape(int n) {
            if (n > labels.length) {
                throw new IllegalArgumentException("a record for " + labels.length + " rows cannot hold " + n);
            }
            probs.reshape(n, probs.numCols);
            dz.reshape(n, dz.numCols);
            dx.reshape(n, dx.numCols);
            rows = n;
        }

        /** p of the last forward pass [N, K]. */
        public DMatrixRMaj probabilities() {
            return probs;
        }

        public double loss() {
            return loss;
        }

        public int correct() {
            return correct;
        }

        /** The arg max of row n: the predicted class. */
        public int predicted(int n) {
            int k = probs.numCols, best = 0;
            for (int c = 1; c < k; c++) {
                best = probs.data[n * k + c] > probs.data[n * k + best] ? c : best;
            }
            return best;
        }
    }

    private final Linear linear;
    private final double l2;

    /**
     * A probe with zero weights: the objective is convex, so the start does not change where training ends,
     * and no seed is needed.
     *
     * @param l2 λ, the penalty on ‖W‖²
     */
    public Probe(int features, int classes, double l2, Products products) {
        if (!(l2 >= 0)) {
            throw new IllegalArgumentException("the L2 penalty must be ≥ 0, found " + l2);
        }
        this.linear = new Linear("probe", features, classes, products);
        this.l2 = l2;
    }

    public List<Param> parameters() {
        return List.of(linear.weight(), linear.bias());
    }

    public int classes() {
        return linear.out();
    }

    public int features() {
        return linear.in();
    }

    public double l2() {
        return l2;
    }

    /**
     * @param x      features [N, H]. Not modified.
     * @param labels the class of each row [N], or null to predict only (loss and correct are then 0). Not modified.
     * @param acts   receives p, the loss and the count of right predictions. Modified.
     * @return L, the mean cross-entropy plus the penalty
     */
    // tag::forward[]
    public double forward(DMatrixRMaj x, int[] labels, Activations acts) {
        int n = x.numRows, k = linear.out();
        Shapes.require("probe", "probabilities", acts.probs, n, k);
        linear.forward(x, acts.probs);                                  // z = x·Wᵀ + b  [N, K]
        Softmax.rows(acts.probs);                                       // p = softmax(z)
        acts.loss = 0;
        acts.correct = 0;
        if (labels == null) {
            return 0;
        }
        double sum = 0;
        for (int r = 0; r < n; r++) {
            if (labels[r] < 0 || labels[r] >= k) {
                throw new IllegalArgumentException("probe: label " + labels[r] + " outside [0, " + k + ")");
            }
            acts.labels[r] = labels[r];
            sum -= Math.log(acts.probs.data[r * k + labels[r]]);
            acts.correct += acts.predicted(r) == labels[r] ? 1 : 0;
        }
        double[] w = linear.weight().value().data;
        double squares = 0;
        for (double v : w) {
            squares += v * v;
        }
        acts.loss = sum / n + 0.5 * l2 * squares;                       // cross-entropy + (λ/2)‖W‖²
        return acts.loss;
    }
    // end::forward[]

    /**
     * Adds the gradient of the last forward pass's loss to the weight and bias gradients.
     *
     * @param x    the forward pass's features [N, H]. Not modified.
     * @param acts what the forward pass kept. Modified (its scratch).
     */
    // tag::backward[]
    public void backward(DMatrixRMaj x, Activations acts) {
        int n = acts.rows, k = linear.out();
        double[] p = acts.probs.data, dz = acts.dz.data;
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < k; c++) {
                dz[r * k + c] = p[r * k + c] / n;
            }
            dz[r * k + acts.labels[r]] -= 1.0 / n;                      // dz = (P − Y) / N
        }
        acts.dx.zero();
        linear.backward(x, acts.dz, acts.dx);                           // dW += dzᵀ·x, db += Σ dz
        double[] w = linear.weight().value().data, dw = linear.weight().grad().data;
        for (int i = 0; i < w.length; i++) {
            dw[i] += l2 * w[i];                                         // the penalty's term λW
        }
    }
    // end::backward[]

    public void zeroGrad() {
        linear.weight().zeroGrad();
        linear.bias().zeroGrad();
    }
}
