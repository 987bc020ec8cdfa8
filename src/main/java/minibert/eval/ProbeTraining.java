package minibert.eval;

import minibert.nn.Param;
import minibert.tensor.Products;
import minibert.train.AdamW;
import minibert.train.Seeds;
import org.ejml.data.DMatrixRMaj;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Trains a {@link Probe} on frozen features with AdamW in mini-batches, for every L2 penalty of a grid,
 * and keeps the (penalty, epoch) whose probe is most accurate on the development split; the test split is
 * read once, by that probe alone.
 */
public final class ProbeTraining {

    /** Which random choice a seed is for (beside {@link Seeds}' streams). */
    static final long PROBE_SHUFFLE = 21;

    /**
     * @param epochs       passes over the training features per penalty
     * @param learningRate AdamW's (constant) rate
     * @param l2Grid       the penalties λ tried
     * @param batchSize    rows per step
     * @param seed         the order of rows in each epoch
     */
    public record Settings(int epochs, double learningRate, double[] l2Grid, int batchSize, long seed) {
        public Settings {
            if (epochs < 1 || batchSize < 1 || l2Grid.length == 0 || !(learningRate > 0)) {
                throw new IllegalArgumentException("probe training needs epochs ≥ 1, a batch ≥ 1, a positive rate and "
                        + "at least one penalty");
            }
            l2Grid = l2Grid.clone();
        }
    }

    /** Features and labels of one split: row i is {@code values[i·H … i·H + H)}. */
    public record Split(float[] values, int[] labels, int features) {
        public Split {
            if (values.length != (long) labels.length * features) {
                throw new IllegalArgumentException(labels.length + " labels need " + (long) labels.length * features
                        + " feature values, found " + values.length);
            }
        }

        public int size() {
            return labels.length;
        }
    }

    /**
     * The selected probe and its accuracies.
     *
     * @param l2           the penalty selected on dev
     * @param epoch        the epoch selected on dev (1 = after the first pass)
     * @param devAccuracy  its accuracy on dev
     * @param testAccuracy its accuracy on test
     */
    public record Outcome(double l2, int epoch, double devAccuracy, double testAccuracy) {
    }

    private ProbeTraining() {
    }

    /** Trains, selects on {@code dev}, and measures the selected probe on {@code test}. */
    public static Outcome fit(Split train, Split dev, Split test, int classes, Settings s, Products products) {
        int h = train.features();
        double bestAccuracy = -1, bestL2 = 0;
        int bestEpoch = 0;
        List<double[]> best = null;
        for (double l2 : s.l2Grid()) {
            Probe probe = new Probe(h, classes, l2, products);
            AdamW adam = new AdamW(probe.parameters(), 0.9, 0.999, 1e-8, 0);   // the penalty is in the loss
            for (int epoch = 1; epoch <= s.epochs(); epoch++) {
                epoch(probe, adam, train, s, epoch);
                double accuracy = accuracy(probe, dev, s.batchSize());
                if (accuracy > bestAccuracy) {
                    bestAccuracy = accuracy;
                    bestL2 = l2;
                    bestEpoch = epoch;
                    best = snapshot(probe.parameters());
                }
            }
        }
        Probe selected = new Probe(h, classes, bestL2, products);
        restore(selected.parameters(), best);
        return new Outcome(bestL2, bestEpoch, bestAccuracy, accuracy(selected, test, s.batchSize()));
    }

    /** One pass over the training rows in a seeded order. */
    // tag::epoch[]
    static void epoch(Probe probe, AdamW adam, Split train, Settings s, int epoch) {
        int n = train.size(), h = train.features(), b = Math.min(s.batchSize(), n);
        int[] order = permutation(n, new Random(Seeds.of(s.seed(), PROBE_SHUFFLE, epoch)));
        DMatrixRMaj x = new DMatrixRMaj(b, h);
        int[] labels = new int[b];
        Probe.Activations acts = new Probe.Activations(b, h, probe.classes());
        for (int start = 0; start < n; start += b) {
            int rows = Math.min(b, n - start);
            x.reshape(rows, h);
            acts.reshape(rows);
            for (int r = 0; r < rows; r++) {
                int i = order[start + r];
                for (int j = 0; j < h; j++) {
                    x.data[r * h + j] = train.values()[i * h + j];
                }
                labels[r] = train.labels()[i];
            }
            probe.forward(x, labels, acts);                           // rows ≤ b: the first rows of labels
            probe.backward(x, acts);
            adam.step(s.learningRate(), 1, null);
            probe.zeroGrad();
        }
    }
    // end::epoch[]

    /** The share of rows whose arg max is the label. */
    public static double accuracy(Probe probe, Split split, int batchSize) {
        int n = split.size(), h = split.features(), b = Math.max(1, Math.min(batchSize, n));
        if (n == 0) {
            return Double.NaN;
        }
        DMatrixRMaj x = new DMatrixRMaj(b, h);
        Probe.Activations acts = new Probe.Activations(b, h, probe.classes());
        long correct = 0;
        for (int start = 0; start < n; start += b) {
            int rows = Math.min(b, n - start);
            x.reshape(rows, h);
            acts.reshape(rows);
            for (int k = 0; k < rows * h; k++) {
                x.data[k] = split.values()[start * h + k];
            }
            probe.forward(x, null, acts);
            for (int r = 0; r < rows; r++) {
                correct += acts.predicted(r) == split.labels()[start + r] ? 1 : 0;
            }
        }
        return (double) correct / n;
    }

    static int[] permutation(int n, Random random) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    static List<double[]> snapshot(List<Param> params) {
        List<double[]> out = new ArrayList<>();
        for (Param p : params) {
            out.add(p.value().data.clone());
        }
        return out;
    }

    static void restore(List<Param> params, List<double[]> values) {
        for (int i = 0; i < params.size(); i++) {
            System.arraycopy(values.get(i), 0, params.get(i).value().data, 0, params.get(i).size());
        }
    }
}
