package minibert.model;

import minibert.config.ModelConfig;
import minibert.nn.MlmHead;
import minibert.nn.Param;
import minibert.nn.Pass;
import org.ejml.data.DMatrixRMaj;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Compares every hand-derived gradient of the model with fourth-order central differences,
 * {@code (−L(θ + 2h) + 8·L(θ + h) − 8·L(θ − h) + L(θ − 2h)) / 12h}, in double precision, on a small model
 * with deliberately odd sizes and padding present. The truncation error of this stencil is O(h⁴), so with
 * h = 5·10⁻⁴ truncation (growing as h⁴) and rounding (about ε·|L| / h) are both near 10⁻¹³.
 */
public final class GradientCheck {

    /** The largest relative error accepted for a tensor. */
    public static final double TOLERANCE = 1e-7;
    /** For a tensor whose true gradient is exactly zero: the largest absolute error accepted. */
    public static final double ZERO_TOLERANCE = 1e-9;
    /**
     * The smallest denominator of a relative error, as a share of the tensor's largest gradient: an entry a
     * thousand times smaller than that (one that barely influences the loss, such as a padded position) is
     * judged on the tensor's scale, not its own, where rounding in the loss (about 10⁻¹² here) would
     * dominate.
     */
    public static final double FLOOR = 1e-3;
    /** The step of the central differences. */
    public static final double STEP = 5e-4;

    /**
     * One tensor's outcome.
     *
     * @param name        Hugging Face name, or {@code input embeddings}
     * @param shape       e.g. {@code [29, 12]}
     * @param checked     entries compared (always including the one with the largest gradient)
     * @param maxGradient largest |analytic gradient| in the tensor
     * @param maxError    largest relative error (absolute for a zero-gradient tensor)
     * @param zero        whether the true gradient is exactly zero, so the error is absolute
     * @param passed      whether the error is within tolerance
     */
    public record Row(String name, String shape, int checked, double maxGradient, double maxError, boolean zero,
                      boolean passed) {
    }

    /** The small configuration of the check: B=3, T=7, H=12, A=3, I=17, V=29, L=2, no dropout. */
    public static ModelConfig smallConfig() {
        return smallConfig(0);
    }

    /** The small configuration with dropout {@code p} on hidden states and attention weights. */
    public static ModelConfig smallConfig(double dropout) {
        return new ModelConfig(29, 12, 2, 3, 17, 7, 2, 1e-12, "gelu", dropout, dropout, 0.02);
    }

    /** The dropout probability of the check's second run, whose masks are held fixed by a fixed seed. */
    public static final double DROPOUT = 0.2;

    /** A batch of 3 sequences of 7 tokens, two of them padded, with some positions masked for prediction. */
    public static Batch smallBatch(ModelConfig config, long seed) {
        Random random = new Random(seed);
        int b = 3, t = 7;
        int[] real = {7, 5, 3};                            // sequence lengths: padding in the last two
        int[] ids = new int[b * t], types = new int[b * t], mask = new int[b * t], labels = new int[b * t];
        for (int s = 0; s < b; s++) {
            for (int i = 0; i < t; i++) {
                int k = s * t + i;
                boolean isReal = i < real[s];
                mask[k] = isReal ? 1 : 0;
                ids[k] = isReal ? 5 + random.nextInt(config.vocabSize() - 5) : 0;
                types[k] = isReal && i >= real[s] / 2 ? 1 : 0;
                labels[k] = isReal && (i % 3 == 1) ? random.nextInt(config.vocabSize()) : MlmHead.IGNORE;
            }
        }
        ids[3] = ids[9] = ids[1];                          // a repeated word: its gradient rows must add up
        return new Batch(ids, types, mask, labels, b, t);
    }

    /** Runs the check on the small config; {@code samples} random entries per tensor besides the largest. */
    public static List<Row> run(long seed, int samples) {
        return run(seed, samples, 0);
    }

    /**
     * Runs the check on the small config with dropout {@code dropout}: every forward pass is a training pass
     * with the same seed, so the dropout mask is the same in each, and the loss a smooth function of the
     * parameters that the finite differences can follow.
     */
    public static List<Row> run(long seed, int samples, double dropout) {
        ModelConfig config = smallConfig(dropout);
        Pass pass = dropout > 0 ? Pass.training(seed + 2) : Pass.INFERENCE;
        BertForMaskedLM model = new BertForMaskedLM(config, seed);
        // Larger weights than BERT's 0.02 make every path's gradient clearly non-zero.
        Random random = new Random(seed + 1);
        for (Param p : model.parameters()) {
            for (int i = 0; i < p.value().getNumElements(); i++) {
                p.value().data[i] += 0.3 * random.nextGaussian();
            }
        }
        Batch batch = smallBatch(config, seed);
        BertForMaskedLM.Activations acts = model.activations(batch.batch(), batch.length());
        model.zeroGrad();
        model.forward(batch, acts, pass);
        model.backward(batch, acts);
        DMatrixRMaj dInput = acts.inputGradient().copy();

        // the finite differences run their forward passes on a record of their own
        BertForMaskedLM.Activations probe = model.activations(batch.batch(), batch.length());
        List<Row> rows = new ArrayList<>();
        for (Param p : model.parameters()) {
            boolean zero = p.name().endsWith("attention.self.key.bias");
            rows.add(check(p.name(), p.value(), p.grad(), () -> model.forward(batch, probe, pass), zero, samples, random));
        }
        DMatrixRMaj offset = new DMatrixRMaj(batch.inputIds().length, config.hiddenSize());
        rows.add(check("input embeddings", offset, dInput, () -> model.forward(batch, probe, pass, offset), false, samples, random));
        return rows;
    }

    /** The same check for the sequence-classification model (pooler and classifier on [CLS], 2 classes). */
    public static List<Row> runClassifier(long seed, int samples) {
        return runClassifier(seed, samples, 0);
    }

    /** The classifier's check with dropout {@code dropout}, its masks fixed as in {@link #run(long, int, double)}. */
    public static List<Row> runClassifier(long seed, int samples, double dropout) {
        ModelConfig config = smallConfig(dropout);
        Pass pass = dropout > 0 ? Pass.training(seed + 2) : Pass.INFERENCE;
        BertForMaskedLM encoder = new BertForMaskedLM(config, seed);
        BertForSequenceClassification model = new BertForSequenceClassification(encoder, 2, seed);
        Random random = new Random(seed + 1);
        for (Param p : model.parameters()) {
            for (int i = 0; i < p.value().getNumElements(); i++) {
                p.value().data[i] += 0.3 * random.nextGaussian();
            }
        }
        Batch batch = smallBatch(config, seed);
        int[] labels = {1, 0, 1};
        BertForSequenceClassification.Activations acts = model.activations(batch.batch(), batch.length());
        model.zeroGrad();
        model.forward(batch, labels, acts, pass, null);
        model.backward(batch, acts);
        DMatrixRMaj dInput = acts.encoder().inputGradient().copy();
        BertForSequenceClassification.Activations probe = model.activations(batch.batch(), batch.length());
        List<Row> rows = new ArrayList<>();
        for (Param p : model.parameters()) {
            boolean zero = p.name().endsWith("attention.self.key.bias");
            rows.add(check(p.name(), p.value(), p.grad(), () -> model.forward(batch, labels, probe, pass, null), zero, samples, random));
        }
        DMatrixRMaj offset = new DMatrixRMaj(batch.inputIds().length, config.hiddenSize());
        rows.add(check("input embeddings", offset, dInput, () -> model.forward(batch, labels, probe, pass, offset), false, samples, random));
        return rows;
    }

    // tag::check[]
    private static Row check(String name, DMatrixRMaj value, DMatrixRMaj grad, java.util.function.DoubleSupplier loss,
                             boolean zero, int samples, Random random) {
        int n = value.getNumElements();
        int largest = 0;
        for (int i = 1; i < n; i++) {
            if (Math.abs(grad.data[i]) > Math.abs(grad.data[largest])) {
                largest = i;
            }
        }
        Set<Integer> entries = new LinkedHashSet<>();
        entries.add(largest);
        while (entries.size() < Math.min(n, samples + 1)) {
            entries.add(random.nextInt(n));
        }
        double worst = 0;
        for (int i : entries) {
            double saved = value.data[i];
            double[] at = new double[4];
            double[] offsets = {2 * STEP, STEP, -STEP, -2 * STEP};
            for (int k = 0; k < 4; k++) {
                value.data[i] = saved + offsets[k];
                at[k] = loss.getAsDouble();
            }
            value.data[i] = saved;
            double numeric = (-at[0] + 8 * at[1] - 8 * at[2] + at[3]) / (12 * STEP);
            double analytic = grad.data[i];
            double error = zero ? Math.abs(analytic - numeric)
                    : Math.abs(analytic - numeric) / Math.max(Math.max(Math.abs(analytic), Math.abs(numeric)), FLOOR * Math.abs(grad.data[largest]));
            worst = Math.max(worst, error);
        }
        boolean passed = zero ? worst < ZERO_TOLERANCE : worst < TOLERANCE;
        return new Row(name, "[" + value.numRows + ", " + value.numCols + "]", entries.size(),
                Math.abs(grad.data[largest]), worst, zero, passed);
    }
    // end::check[]
}
