package minibert.config;

import java.nio.file.Path;

/**
 * How to evaluate a pre-trained model ({@code minibert evaluate}): masked-language-model accuracy and
 * perplexity, the POS probe on UD English EWT, SST-2 fine-tuning and its baselines, and the quick subsets.
 *
 * @param seed               seed of every random choice in evaluation (masks, control task, orders, splits)
 * @param mlmBatches         batches of masked-LM evaluation per corpus
 * @param mlmBatchSize       sequences per masked-LM batch
 * @param probeEpochs        epochs of the logistic-regression probe on frozen features
 * @param probeLearningRate  the probe's AdamW learning rate
 * @param probeL2            the probe's L2 penalties, one probe trained per value, chosen on dev
 * @param probeBatchSize     words per probe step (and sentences per batch when features are computed)
 * @param sst2Epochs         fine-tuning epochs on SST-2
 * @param sst2LearningRate   fine-tuning peak learning rate
 * @param sst2BatchSize      fine-tuning batch size
 * @param sst2MaxLength      longest input in pieces, including [CLS] and [SEP]
 * @param sst2WarmupShare    share of the fine-tuning steps in linear warm-up
 * @param sst2WeightDecay    AdamW's decoupled weight decay in fine-tuning
 * @param sst2HeldOutShare   share of SST-2 train held out to choose the epoch
 * @param bowEpochs          epochs of the bag-of-words logistic regression
 * @param bowLearningRate    its SGD step
 * @param bowL2              its L2 penalty
 * @param quickMlmBatches    {@code --quick}: masked-LM batches per corpus
 * @param quickProbeTrain    {@code --quick}: EWT training sentences (the first ones)
 * @param quickProbeEval     {@code --quick}: EWT dev and test sentences each (the first ones)
 * @param quickProbeEpochs   {@code --quick}: probe epochs
 * @param quickSst2Train     {@code --quick}: SST-2 training sentences (a seeded sample)
 * @param quickSst2Epochs    {@code --quick}: fine-tuning epochs
 * @param quickSst2Dev       {@code --quick}: SST-2 dev sentences (the first ones; 872 is all of them)
 */
public record EvalConfig(long seed, int mlmBatches, int mlmBatchSize,
                         int probeEpochs, double probeLearningRate, double[] probeL2, int probeBatchSize,
                         int sst2Epochs, double sst2LearningRate, int sst2BatchSize, int sst2MaxLength,
                         double sst2WarmupShare, double sst2WeightDecay, double sst2HeldOutShare,
                         int bowEpochs, double bowLearningRate, double bowL2,
                         int quickMlmBatches, int quickProbeTrain, int quickProbeEval, int quickProbeEpochs,
                         int quickSst2Train, int quickSst2Epochs, int quickSst2Dev) {

    /** Loads and validates an evaluation config. */
    public static EvalConfig load(Path file) {
        return from(ConfigSource.load(file));
    }

    /** Validates a parsed evaluation config; every key is required, and an unknown key is an error. */
    public static EvalConfig from(ConfigSource src) {
        EvalConfig c = new EvalConfig(
                src.longValue("seed", 0, Long.MAX_VALUE),
                src.integer("mlm_batches", 1, 100_000),
                src.integer("mlm_batch_size", 1, 4096),
                src.integer("probe_epochs", 1, 10_000),
                src.real("probe_learning_rate", Double.MIN_VALUE, 100),
                src.reals("probe_l2", 0, 100),
                src.integer("probe_batch_size", 1, 1 << 16),
                src.integer("sst2_epochs", 1, 1_000),
                src.real("sst2_learning_rate", Double.MIN_VALUE, 1),
                src.integer("sst2_batch_size", 1, 1 << 16),
                src.integer("sst2_max_length", 3, 1 << 16),
                src.real("sst2_warmup_share", 0, 1),
                src.real("sst2_weight_decay", 0, 1),
                src.real("sst2_held_out_share", Double.MIN_VALUE, 0.5),
                src.integer("bow_epochs", 1, 1_000),
                src.real("bow_learning_rate", Double.MIN_VALUE, 100),
                src.real("bow_l2", 0, 100),
                src.integer("quick_mlm_batches", 1, 100_000),
                src.integer("quick_probe_train", 1, 1 << 20),
                src.integer("quick_probe_eval", 1, 1 << 20),
                src.integer("quick_probe_epochs", 1, 10_000),
                src.integer("quick_sst2_train", 1, 1 << 20),
                src.integer("quick_sst2_epochs", 1, 1_000),
                src.integer("quick_sst2_dev", 1, 1 << 20));
        src.finish();
        return c;
    }
}
