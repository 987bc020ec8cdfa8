package minibert.model;

import minibert.model.checkpoint.Checkpoint;
import minibert.model.checkpoint.Tensor;
import minibert.nn.Param;
import minibert.nn.Pass;
import org.ejml.data.DMatrixRMaj;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * minibert against the PyTorch reference of a {@link ReferenceFixture}, as llm.c's {@code test_gpt2.c} checks
 * its model: one forward and backward pass on the fixture's weights and batch, then the loss, the
 * log-probabilities at the labelled rows, and every parameter's gradient, each against PyTorch's.
 *
 * <p>Log-probabilities rather than logits: the head keeps softmax(z), not z, and the two carry the same
 * information up to a constant per row, which the softmax removes. PyTorch's side is
 * log softmax(z) = z − max z − log Σ exp(z − max z).
 *
 * @param loss                 our loss
 * @param referenceLoss        PyTorch's loss
 * @param maskedRows           M, the labelled rows we predicted (PyTorch's count is the fixture's)
 * @param maxLogProbDifference max |ours − PyTorch| over the [M, V] log-probabilities; infinite if M differs
 * @param tensors              one row per parameter of the model, in its order
 * @param withoutReference     parameter names the fixture has no gradient for
 * @param withoutParameter     gradient names in the fixture that no parameter has
 */
public record ReferenceComparison(double loss, double referenceLoss, int maskedRows, double maxLogProbDifference,
                                  List<TensorRow> tensors, List<String> withoutReference, List<String> withoutParameter) {

    /** The largest |ours − PyTorch| accepted for the loss. */
    public static final double LOSS_TOLERANCE = 1e-12;
    /** … for a log-probability at a labelled row. */
    public static final double LOG_PROB_TOLERANCE = 1e-10;
    /** … for an entry of a parameter's gradient. */
    public static final double GRADIENT_TOLERANCE = 1e-10;

    /**
     * One parameter's gradient against PyTorch's.
     *
     * @param name           Hugging Face name
     * @param shape          our shape, as Hugging Face stores it, e.g. {@code [29, 12]} or {@code [12]}
     * @param referenceShape PyTorch's shape, or {@code none} when the fixture lacks the tensor
     * @param ours           our gradient, row-major
     * @param reference      PyTorch's, row-major (empty when lacking)
     * @param maxDifference  max |ours − PyTorch| over the entries; infinite when the shapes differ
     */
    public record TensorRow(String name, String shape, String referenceShape, double[] ours, double[] reference,
                            double maxDifference) {

        public boolean passed() {
            return shape.equals(referenceShape) && maxDifference <= GRADIENT_TOLERANCE;
        }
    }

    /** Runs our model on the fixture and compares. */
    // tag::compare[]
    public static ReferenceComparison run(ReferenceFixture fixture) {
        BertForMaskedLM model = fixture.model();                     // the fixture's weights, by Checkpoint.load
        Batch batch = fixture.batch();
        BertForMaskedLM.Activations acts = model.activations(batch.batch(), batch.length());
        model.zeroGrad();
        double loss = model.forward(batch, acts, Pass.INFERENCE);    // dropout 0, as in the fixture
        model.backward(batch, acts);

        DMatrixRMaj probs = acts.head().probabilities();             // softmax(z) at the labelled rows [M, V]
        double[][] z = fixture.maskedLogits();                       // PyTorch's z [M][V]
        int m = acts.head().masked();
        double logProbDifference = m == z.length ? 0 : Double.POSITIVE_INFINITY;
        for (int r = 0; r < m && r < z.length; r++) {
            double[] reference = logSoftmax(z[r]);
            if (reference.length != probs.numCols) {
                logProbDifference = Double.POSITIVE_INFINITY;
            }
            for (int c = 0; c < reference.length; c++) {
                double ours = c < probs.numCols ? Math.log(probs.get(r, c)) : Double.NaN;
                logProbDifference = worse(logProbDifference, Math.abs(ours - reference[c]));
            }
        }

        List<TensorRow> rows = new ArrayList<>();
        Set<String> withoutParameter = new TreeSet<>(fixture.gradients().keySet());
        List<String> withoutReference = new ArrayList<>();
        for (Param p : model.parameters()) {
            withoutParameter.remove(p.name());
            double[] ours = Arrays.copyOf(p.grad().data, p.grad().getNumElements());
            String shape = Arrays.toString(Checkpoint.hfShape(p));
            Tensor reference = fixture.gradients().get(p.name());
            if (reference == null) {
                withoutReference.add(p.name());
                rows.add(new TensorRow(p.name(), shape, "none", ours, new double[0], Double.POSITIVE_INFINITY));
                continue;
            }
            double worst = reference.shapeText().equals(shape) ? 0 : Double.POSITIVE_INFINITY;
            for (int i = 0; i < ours.length && i < reference.values().length; i++) {
                worst = worse(worst, Math.abs(ours[i] - reference.values()[i]));
            }
            rows.add(new TensorRow(p.name(), shape, reference.shapeText(), ours, reference.values(), worst));
        }
        return new ReferenceComparison(loss, fixture.loss(), m, logProbDifference, List.copyOf(rows),
                List.copyOf(withoutReference), List.copyOf(withoutParameter));
    }
    // end::compare[]

    /** Whether the loss, every log-probability and every gradient are within tolerance, and no tensor is unmatched. */
    public boolean passed() {
        return Math.abs(loss - referenceLoss) <= LOSS_TOLERANCE
                && maxLogProbDifference <= LOG_PROB_TOLERANCE
                && !tensors.isEmpty()
                && tensors.stream().allMatch(TensorRow::passed)
                && withoutReference.isEmpty() && withoutParameter.isEmpty();
    }

    /** The largest gradient difference over every tensor. */
    public double maxGradientDifference() {
        double worst = 0;
        for (TensorRow r : tensors) {
            worst = worse(worst, r.maxDifference());
        }
        return worst;
    }

    /**
     * What was compared, as {@code test_gpt2.c} prints it: per tensor the first {@code first} values of both
     * sides and the largest difference, then every mismatch of names.
     */
    public String report(int first) {
        StringBuilder b = new StringBuilder();
        b.append(fmt("loss: ours %.17g, PyTorch %.17g, |difference| %.1e%s%n", loss, referenceLoss,
                Math.abs(loss - referenceLoss), Math.abs(loss - referenceLoss) <= LOSS_TOLERANCE ? "" : "  FAIL"));
        b.append(fmt("log-probabilities at %d labelled rows: max |difference| %.1e%s%n", maskedRows, maxLogProbDifference,
                maxLogProbDifference <= LOG_PROB_TOLERANCE ? "" : "  FAIL"));
        for (TensorRow r : tensors) {
            b.append(fmt("%s %s%s%n", r.name(), r.shape(), r.shape().equals(r.referenceShape()) ? ""
                    : ", PyTorch's is " + r.referenceShape()));
            b.append("  ours    ").append(firstValues(r.ours(), first)).append('\n');
            b.append("  PyTorch ").append(firstValues(r.reference(), first)).append('\n');
            b.append(fmt("  max |ours - PyTorch| %.1e%s%n", r.maxDifference(), r.passed() ? "  OK" : "  FAIL"));
        }
        for (String name : withoutReference) {
            b.append("FAIL: no reference gradient for ").append(name).append('\n');
        }
        for (String name : withoutParameter) {
            b.append("FAIL: a reference gradient for ").append(name).append(", which the model does not have\n");
        }
        return b.toString();
    }

    private static String firstValues(double[] values, int first) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(first, values.length); i++) {
            b.append(fmt("% .12f ", values[i]));
        }
        return b.toString().stripTrailing();
    }

    /** log softmax of one row, with the maximum taken out first so that exp cannot overflow. */
    private static double[] logSoftmax(double[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (double v : z) {
            sum += Math.exp(v - max);
        }
        double logSum = max + Math.log(sum);
        double[] out = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            out[i] = z[i] - logSum;
        }
        return out;
    }

    /** The larger of two differences, where NaN (a value that is not a number) counts as the worst. */
    private static double worse(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b);
    }

    private static String fmt(String f, Object... a) {
        return String.format(Locale.ROOT, f, a);
    }
}
