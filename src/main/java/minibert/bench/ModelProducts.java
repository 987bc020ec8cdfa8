package minibert.bench;

import minibert.config.ModelConfig;
import minibert.config.TrainConfig;

import java.nio.file.Path;
import java.util.List;

/**
 * The matrix products of one training step, sized from the model and training configurations rather than typed
 * in: B·T rows of hidden states (batch × sequence length), hidden width H, feed-forward width I, vocabulary V,
 * A heads of width d = H / A, and M masked rows for the MLM head.
 *
 * @param batch           B, sequences per step
 * @param length          T, tokens per sequence
 * @param maskProbability the share of tokens the MLM objective selects
 */
public record ModelProducts(int batch, int length, int hidden, int intermediate, int vocab, int heads, int headSize,
                            double maskProbability) {

    /** The training configuration the book measures against, relative to the project folder. */
    public static final String TRAIN_CONFIG = "configs/train/pretrain.yaml";

    /** The products of {@code train}'s batches through {@code model}. */
    public static ModelProducts of(ModelConfig model, TrainConfig train) {
        return new ModelProducts(train.batchSize(), train.sequenceLength(), model.hiddenSize(), model.intermediateSize(),
                model.vocabSize(), model.numHeads(), model.headSize(), train.maskProbability());
    }

    /** The products of the book's training configuration ({@value #TRAIN_CONFIG}) and the model it names. */
    public static ModelProducts load(Path projectDir) {
        TrainConfig train = TrainConfig.load(projectDir.resolve(TRAIN_CONFIG));
        return of(train.modelConfig(), train);
    }

    /** B·T: the rows of the hidden states, one per token of the batch. */
    public int rows() {
        return batch * length;
    }

    /**
     * M: the rows the MLM head scores, the configured share of the batch's B·T tokens, rounded. (A real batch
     * masks a share of its real tokens only, a few fewer.)
     */
    public int masked() {
        return (int) Math.round(maskProbability * rows());
    }

    /** The query, key and value projections as the model runs them, one product x·[Wq; Wk; Wv]ᵀ: [B·T, H] by [3H, H]ᵀ. */
    public ProductShape queryKeyValue() {
        return new ProductShape("QKV projection  x·Wᵀ", rows(), 3 * hidden, hidden, false, true, 1);
    }

    /** The attention's output projection, x·Wᵀ: [B·T, H] by [H, H]ᵀ, the smallest product of a layer. */
    public ProductShape projection() {
        return new ProductShape("output projection  x·Wᵀ", rows(), hidden, hidden, false, true, 1);
    }

    /** The feed-forward network's first product, x·W1ᵀ: [B·T, H] by [I, H]ᵀ. */
    public ProductShape ffnUp() {
        return new ProductShape("FFN up  x·W1ᵀ", rows(), intermediate, hidden, false, true, 1);
    }

    /** The weight gradient of the feed-forward network's first layer, dyᵀ·x: [B·T, I]ᵀ by [B·T, H]. */
    public ProductShape ffnWeightGradient() {
        return new ProductShape("weight gradient  dyᵀ·x (I×H)", intermediate, hidden, rows(), true, false, 1);
    }

    /** The tied decoder's gradient for the word embeddings, dzᵀ·t: [M, V]ᵀ by [M, H], a sum over the M masked rows. */
    public ProductShape decoderWeightGradient() {
        return new ProductShape("MLM decoder gradient  dzᵀ·t (V×H)", vocab, hidden, masked(), true, false, 1);
    }

    /** The decoder's input gradient, dz·E: [M, V] by [V, H], a long sum (over the vocabulary) into a small result. */
    public ProductShape decoderInputGradient() {
        return new ProductShape("MLM decoder input gradient  dz·E", masked(), hidden, vocab, false, false, 1);
    }

    /**
     * Every product shape of a step: forward, the input and weight gradients (the MLM decoder's among them) and the
     * attention. (The MLM head's dense transform, M × H × H, and its gradients are left out: under 1% of the step's
     * work.)
     */
    public List<ProductShape> shapes() {
        return List.of(
                queryKeyValue(),
                projection(),
                ffnUp(),
                new ProductShape("FFN down  a·W2ᵀ", rows(), hidden, intermediate, false, true, 1),
                new ProductShape("MLM decoder  t·Eᵀ", masked(), vocab, hidden, false, true, 1),
                new ProductShape("weight gradient  dyᵀ·x (3H×H)", 3 * hidden, hidden, rows(), true, false, 1),
                new ProductShape("weight gradient  dyᵀ·x (H×H)", hidden, hidden, rows(), true, false, 1),
                ffnWeightGradient(),
                decoderWeightGradient(),
                new ProductShape("input gradient  dy·W (3H→H)", rows(), hidden, 3 * hidden, false, false, 1),
                new ProductShape("input gradient  dy·W (H→H)", rows(), hidden, hidden, false, false, 1),
                new ProductShape("input gradient  dy·W (I→H)", rows(), hidden, intermediate, false, false, 1),
                decoderInputGradient(),
                new ProductShape("attention  Q·Kᵀ, one per sequence and head", length, length, headSize, false, true,
                        batch * heads));
    }
}
