package minibert.eval;

import minibert.model.Batch;
import minibert.nn.MlmHead;
import minibert.train.Masking;
import minibert.train.Seeds;
import minibert.train.Tally;
import minibert.train.Unigram;

import java.util.Arrays;

/**
 * The intrinsic measure of a masked language model: its cross-entropy, perplexity and accuracy on masked
 * tokens of text it was not trained on, beside the unigram model's on exactly the same masked tokens.
 *
 * <p>Batch k holds sequences kB … kB + B − 1 (wrapping around a small set) and is masked with the seed
 * {@code Seeds.of(seed, EVALUATION, k)}, as the trainer's held-out evaluation does: the masks are fixed, so
 * two checkpoints, or one checkpoint in two precisions, are measured on the very same predictions.
 */
public final class MaskedLmEvaluation {

    /**
     * The outcome on one corpus.
     *
     * @param model   the model's loss, accuracy and perplexity over the masked tokens
     * @param unigram the unigram model's, on the same tokens
     */
    public record Outcome(String corpus, int sequences, int batches, Tally model, Tally unigram) {
    }

    private MaskedLmEvaluation() {
    }

    /**
     * @param batches   how many batches of {@code batchSize}; at most as many as the sequences fill (at least one)
     */
    // tag::run[]
    public static Outcome run(String corpus, Sequences sequences, LayerByLayer model, Masking masking, Unigram unigram,
                              int batches, int batchSize, long seed) {
        if (sequences.size() == 0) {
            throw new IllegalArgumentException(corpus + ": no sequences to evaluate on");
        }
        int b = batchSize, t = sequences.length();
        int n = Math.max(1, Math.min(batches, (sequences.size() + b - 1) / b));
        Batch batch = new Batch(new int[b * t], new int[b * t], new int[b * t], new int[b * t], b, t);
        Tally modelTally = new Tally(), unigramTally = new Tally();
        int likeliest = unigram.likeliest();
        for (int k = 0; k < n; k++) {
            for (int row = 0; row < b; row++) {
                sequences.read((k * b + row) % sequences.size(), batch.inputIds(), batch.tokenTypes(),
                        batch.attentionMask(), row);
            }
            Arrays.fill(batch.labels(), MlmHead.IGNORE);
            masking.apply(Seeds.of(seed, Seeds.EVALUATION, k), batch);       // fixed masks
            double loss = model.maskedLm(batch);
            modelTally.add(loss, model.head().masked(), model.head().correct());
            double sum = 0;
            int masked = 0, correct = 0;
            for (int label : batch.labels()) {                                // the unigram, same tokens
                if (label != MlmHead.IGNORE) {
                    sum += unigram.loss(label);
                    masked++;
                    correct += label == likeliest ? 1 : 0;
                }
            }
            unigramTally.add(masked == 0 ? 0 : sum / masked, masked, correct);
        }
        return new Outcome(corpus, Math.min(sequences.size(), n * b), n, modelTally, unigramTally);
    }
    // end::run[]
}
