package minibert.train;

import minibert.config.TrainConfig;
import minibert.model.Batch;
import minibert.nn.MlmHead;

import java.util.Arrays;

/**
 * The baseline a masked language model must beat before it uses any context: predict every masked token
 * from its frequency in the training sequences alone, p(w) = (count(w) + 1) / (N + V) (add-one smoothing,
 * so an unseen piece costs a finite loss). Its cross-entropy on the held-out masked tokens is the loss at
 * which training first levels off; the drop below it is the model starting to read the context.
 */
public final class Unigram {

    private final double[] logProbability;   // log p(w) [V]

    private Unigram(double[] logProbability) {
        this.logProbability = logProbability;
    }

    /** Counts every non-special piece of every training sequence. */
    public static Unigram fit(PretrainingCache train, int vocabSize) {
        long[] counts = new long[vocabSize];
        int t = train.length();
        int[] ids = new int[t], types = new int[t], mask = new int[t];
        long total = 0;
        for (int s = 0; s < train.size(); s++) {
            train.read(s, ids, types, mask, 0);
            for (int i = 0; i < t; i++) {
                if (mask[i] == 1 && Masking.isCandidate(ids[i])) {
                    counts[ids[i]]++;
                    total++;
                }
            }
        }
        double[] log = new double[vocabSize];
        double denominator = Math.log(total + vocabSize);
        for (int w = 0; w < vocabSize; w++) {
            log[w] = Math.log(counts[w] + 1) - denominator;
        }
        return new Unigram(log);
    }

    /** −log p(w). */
    public double loss(int piece) {
        return -logProbability[piece];
    }

    /** The entropy Σ −p log p of the distribution, in nats: its loss on text drawn from itself. */
    public double entropy() {
        double h = 0;
        for (double l : logProbability) {
            h -= Math.exp(l) * l;
        }
        return h;
    }

    /**
     * The mean loss over the masked tokens of exactly the held-out batches the trainer evaluates on (the same
     * sequences, the same masks), so the two numbers compare.
     */
    public Tally heldOut(PretrainingCache heldOut, Masking masking, TrainConfig config) {
        int b = config.batchSize(), t = config.sequenceLength();
        Batch batch = Trainer.emptyBatch(b, t);
        Tally tally = new Tally();
        for (int k = 0; k < config.evalBatches(); k++) {
            for (int row = 0; row < b; row++) {
                heldOut.read((int) (((long) k * b + row) % heldOut.size()), batch.inputIds(), batch.tokenTypes(),
                        batch.attentionMask(), row);
            }
            Arrays.fill(batch.labels(), MlmHead.IGNORE);
            masking.apply(Seeds.of(config.seed(), Seeds.EVALUATION, k), batch);
            double sum = 0;
            int masked = 0, correct = 0;
            int best = likeliest();
            for (int label : batch.labels()) {
                if (label != MlmHead.IGNORE) {
                    sum += loss(label);
                    masked++;
                    correct += label == best ? 1 : 0;
                }
            }
            tally.add(masked == 0 ? 0 : sum / masked, masked, correct);
        }
        return tally;
    }

    /** The piece the unigram model always predicts: the most frequent one. */
    public int likeliest() {
        int best = 0;
        for (int w = 1; w < logProbability.length; w++) {
            if (logProbability[w] > logProbability[best]) {
                best = w;
            }
        }
        return best;
    }
}
