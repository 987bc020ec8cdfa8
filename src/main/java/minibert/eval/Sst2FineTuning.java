package minibert.eval;

import minibert.data.Sst2Reader.Sst2Example;
import minibert.model.Batch;
import minibert.model.BertForMaskedLM;
import minibert.model.BertForSequenceClassification;
import minibert.nn.Param;
import minibert.nn.Pass;
import minibert.tensor.Kernels;
import minibert.text.Vocabulary;
import minibert.text.WordPiece;
import minibert.train.AdamW;
import minibert.train.Progress;
import minibert.train.Schedule;
import minibert.train.Seeds;
import org.ejml.data.DMatrixRMaj;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Fine-tuning on GLUE's SST-2 (sentence sentiment, two classes): the whole encoder and a fresh
 * classification head trained together with AdamW, BERT's way (linear warm-up and decay, weight decay
 * 0.01, gradient clipping at 1, dropout on). After each epoch the classifier is measured on a split held
 * out from the training sentences, and the epoch that does best there is kept; the development set
 * (SST-2's test labels are not public) is read once, by the kept classifier.
 */
public final class Sst2FineTuning {

    /** The streams of the fine-tuning's random choices (beside {@link Seeds}' own). */
    static final long HOLD_OUT = 31, ORDER = 32, HEAD = 33;

    /** One sentence as the model reads it: {@code [CLS] pieces [SEP]}, and its label (0 negative, 1 positive). */
    public record Example(int[] ids, int label) {
    }

    /** Sentences encoded, with the count cut to the maximum length. */
    public record Encoded(List<Example> examples, int truncated) {
    }

    /**
     * @param epochs       passes over the training sentences
     * @param learningRate the peak rate
     * @param batchSize    sentences per step
     * @param warmupShare  share of the steps in warm-up
     * @param weightDecay  AdamW's decoupled decay (weights and embeddings only)
     * @param seed         order, dropout, held-out split, head initialisation
     */
    public record Settings(int epochs, double learningRate, int batchSize, double warmupShare, double weightDecay,
                           long seed) {
    }

    /** After one epoch: the mean training loss and the held-out accuracy. */
    public record Epoch(int epoch, double trainLoss, double heldOutAccuracy) {
    }

    /**
     * The fine-tuned classifier (at its best epoch) and its record.
     *
     * @param bestEpoch   the epoch kept (best held-out accuracy)
     * @param devAccuracy its accuracy on the development set
     * @param confusion   [true class][predicted class] counts on the development set
     */
    public record Outcome(BertForSequenceClassification classifier, List<Epoch> epochs, int bestEpoch, int steps,
                          double devAccuracy, int[][] confusion) {
    }

    private Sst2FineTuning() {
    }

    /** {@code [CLS] pieces [SEP]}, the pieces cut to {@code maxLength − 2}; unlabelled examples are refused. */
    public static Encoded encode(List<Sst2Example> examples, WordPiece wordPiece, int maxLength) {
        Vocabulary v = wordPiece.vocabulary();
        List<Example> out = new ArrayList<>(examples.size());
        int truncated = 0;
        for (Sst2Example e : examples) {
            if (e.label() < 0) {
                throw new IllegalArgumentException("SST-2: an unlabelled example cannot be trained or measured on: '"
                        + e.sentence() + "'");
            }
            int[] pieces = wordPiece.encode(e.sentence());
            int n = Math.min(pieces.length, maxLength - 2);
            truncated += n < pieces.length ? 1 : 0;
            int[] ids = new int[n + 2];
            ids[0] = v.clsId();
            System.arraycopy(pieces, 0, ids, 1, n);
            ids[n + 1] = v.sepId();
            out.add(new Example(ids, e.label()));
        }
        return new Encoded(out, truncated);
    }

    /** Splits {@code examples} into [kept, held out]: each example is held out with probability {@code share}, by its index and the seed. */
    public static <T> List<List<T>> holdOut(List<T> examples, double share, long seed) {
        List<T> kept = new ArrayList<>(), held = new ArrayList<>();
        for (int i = 0; i < examples.size(); i++) {
            (Seeds.unit(Seeds.of(seed, HOLD_OUT, i)) < share ? held : kept).add(examples.get(i));
        }
        return List.of(kept, held);
    }

    /** The label most frequent in {@code examples} (ties: 0). */
    public static int majority(List<Example> examples) {
        int ones = 0;
        for (Example e : examples) {
            ones += e.label();
        }
        return 2 * ones > examples.size() ? 1 : 0;
    }

    /**
     * Fine-tunes a classifier on {@code encoder} (modified: its weights are trained, and those of the best
     * epoch are left in it).
     */
    // tag::fine-tune[]
    public static Outcome fineTune(BertForMaskedLM encoder, List<Example> train, List<Example> heldOut,
                                   List<Example> dev, Settings s, Progress progress) {
        BertForSequenceClassification model = new BertForSequenceClassification(encoder, 2, Seeds.of(s.seed(), HEAD, 0));
        List<Param> params = model.parameters();
        AdamW adam = new AdamW(params, 0.9, 0.999, 1e-6, s.weightDecay());
        int perEpoch = (train.size() + s.batchSize() - 1) / s.batchSize(), steps = perEpoch * s.epochs();
        Schedule schedule = new Schedule(s.learningRate(), (int) Math.round(s.warmupShare() * steps), steps);
        Map<Long, BertForSequenceClassification.Activations> records = new HashMap<>();
        List<Epoch> epochs = new ArrayList<>();
        List<double[]> best = null;
        double bestAccuracy = -1;
        int bestEpoch = 0, step = 0;
        for (int epoch = 1; epoch <= s.epochs(); epoch++) {
            double lossSum = 0;
            for (List<Example> examples : batches(train, s.batchSize(), new Random(Seeds.of(s.seed(), ORDER, epoch)))) {
                Batch batch = batch(examples, examples.size(), length(examples, encoder.config().maxPositions()));
                int[] labels = labels(examples, examples.size());
                var acts = records.computeIfAbsent((long) batch.batch() << 32 | batch.length(),
                        k -> model.activations(batch.batch(), batch.length()));
                lossSum += model.forward(batch, labels, acts, Pass.training(Seeds.of(s.seed(), Seeds.DROPOUT, step)), null);
                model.backward(batch, acts);
                adam.step(schedule.learningRate(step), clipFactor(params, 1.0), null);   // clip ‖g‖ at 1
                model.zeroGrad();
                step++;
            }
            double accuracy = evaluate(model, heldOut, s.batchSize(), LayerByLayer.Rounding.NONE, null);
            epochs.add(new Epoch(epoch, lossSum / perEpoch, accuracy));
            progress.report(String.format(Locale.ROOT, "SST-2 epoch %d of %d: training loss %.4f, held-out accuracy %.2f%%",
                    epoch, s.epochs(), lossSum / perEpoch, 100 * accuracy));
            if (accuracy > bestAccuracy) {
                bestAccuracy = accuracy;
                bestEpoch = epoch;
                best = ProbeTraining.snapshot(params);
            }
        }
        ProbeTraining.restore(params, best);                                     // the best epoch's weights
        int[][] confusion = new int[2][2];
        double devAccuracy = evaluate(model, dev, s.batchSize(), LayerByLayer.Rounding.NONE, confusion);
        return new Outcome(model, epochs, bestEpoch, step, devAccuracy, confusion);
    }
    // end::fine-tune[]

    /** min(1, maxNorm / (‖g‖ + 10⁻⁶)), PyTorch's {@code clip_grad_norm_} factor over every gradient. */
    static double clipFactor(List<Param> params, double maxNorm) {
        double squares = 0;
        for (Param p : params) {
            squares += Kernels.sumOfSquares(p.grad().data, p.size());
        }
        return Math.min(1, maxNorm / (Math.sqrt(squares) + 1e-6));
    }

    /**
     * Accuracy of {@code model} in inference, with the hidden states rounded as {@code rounding} says (the
     * weights are used as they are).
     *
     * @param confusion receives [true][predicted] counts, or null
     */
    public static double evaluate(BertForSequenceClassification model, List<Example> examples, int batchSize,
                                  LayerByLayer.Rounding rounding, int[][] confusion) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("SST-2: nothing to evaluate on");
        }
        List<Example> sorted = new ArrayList<>(examples);
        sorted.sort(Comparator.comparingInt(e -> e.ids().length));                  // few batch shapes
        LayerByLayer runner = new LayerByLayer(model.encoder(), rounding);
        int correct = 0, b = Math.min(batchSize, sorted.size());
        for (int start = 0; start < sorted.size(); start += b) {
            List<Example> part = sorted.subList(start, Math.min(sorted.size(), start + b));
            Batch batch = batch(part, b, length(part, model.encoder().config().maxPositions()));
            runner.classify(model, batch, labels(part, b));
            DMatrixRMaj p = runner.classifierHead().probabilities();               // [B, 2]
            for (int r = 0; r < part.size(); r++) {
                int predicted = p.get(r, 1) > p.get(r, 0) ? 1 : 0;
                correct += predicted == part.get(r).label() ? 1 : 0;
                if (confusion != null) {
                    confusion[part.get(r).label()][predicted]++;
                }
            }
        }
        return (double) correct / examples.size();
    }

    /**
     * The overfitting check: fine-tune on one batch alone (no dropout) until the classifier gets all of it
     * right, in inference, or {@code maxSteps} run out.
     *
     * @return the steps it took, or −1 if it never got there
     */
    public static int overfitOneBatch(BertForMaskedLM encoder, List<Example> examples, Settings s, int maxSteps) {
        BertForSequenceClassification model = new BertForSequenceClassification(encoder, 2, Seeds.of(s.seed(), HEAD, 0));
        List<Param> params = model.parameters();
        AdamW adam = new AdamW(params, 0.9, 0.999, 1e-6, 0);
        Batch batch = batch(examples, examples.size(), length(examples, encoder.config().maxPositions()));
        int[] labels = labels(examples, examples.size());
        var acts = model.activations(batch.batch(), batch.length());
        for (int step = 0; step < maxSteps; step++) {
            model.forward(batch, labels, acts, Pass.INFERENCE, null);
            if (acts.head().correct() == examples.size()) {
                return step;
            }
            model.backward(batch, acts);
            adam.step(s.learningRate(), clipFactor(params, 1.0), null);
            model.zeroGrad();
        }
        model.forward(batch, labels, acts, Pass.INFERENCE, null);
        return acts.head().correct() == examples.size() ? maxSteps : -1;
    }

    /**
     * An epoch's batches: a seeded permutation, cut into chunks of 50 batches, each chunk sorted by length so
     * that its batches pad little, the batches then shuffled; every sentence once.
     */
    static List<List<Example>> batches(List<Example> examples, int batchSize, Random random) {
        int[] order = ProbeTraining.permutation(examples.size(), random);
        List<List<Example>> out = new ArrayList<>();
        int chunk = 50 * batchSize;
        for (int c = 0; c < order.length; c += chunk) {
            List<Example> part = new ArrayList<>();
            for (int i = c; i < Math.min(order.length, c + chunk); i++) {
                part.add(examples.get(order[i]));
            }
            part.sort(Comparator.comparingInt(e -> e.ids().length));
            for (int i = 0; i < part.size(); i += batchSize) {
                out.add(part.subList(i, Math.min(part.size(), i + batchSize)));
            }
        }
        java.util.Collections.shuffle(out, random);
        return out;
    }

    /** The longest example, rounded up to a multiple of 16 (few shapes, so few activation records), at most T. */
    static int length(List<Example> examples, int maxLength) {
        int longest = 0;
        for (Example e : examples) {
            longest = Math.max(longest, e.ids().length);
        }
        if (longest > maxLength) {
            throw new IllegalArgumentException("an example of " + longest + " ids is longer than T = " + maxLength);
        }
        return Math.min(maxLength, (longest + 15) / 16 * 16);
    }

    /** A batch of {@code b} rows: the examples, then [CLS] [SEP] fillers. */
    static Batch batch(List<Example> examples, int b, int t) {
        int[] ids = new int[b * t], types = new int[b * t], mask = new int[b * t], labels = new int[b * t];
        Arrays.fill(labels, -100);
        for (int r = 0; r < b; r++) {
            int[] row = r < examples.size() ? examples.get(r).ids()
                    : new int[] {Vocabulary.SPECIALS.indexOf(Vocabulary.CLS), Vocabulary.SPECIALS.indexOf(Vocabulary.SEP)};
            System.arraycopy(row, 0, ids, r * t, row.length);
            Arrays.fill(mask, r * t, r * t + row.length, 1);
        }
        return new Batch(ids, types, mask, labels, b, t);
    }

    static int[] labels(List<Example> examples, int b) {
        int[] labels = new int[b];
        for (int r = 0; r < examples.size(); r++) {
            labels[r] = examples.get(r).label();
        }
        return labels;
    }
}
