package minibert.config;

import java.nio.file.Path;

/**
 * How to evaluate a pre-trained model: the POS probe on UD English EWT and SST-2 fine-tuning.
 *
 * @param seed               seed of every random choice in evaluation
 * @param probeEpochs        epochs of the logistic-regression probe on frozen features
 * @param probeLearningRate  the probe's learning rate
 * @param probeL2            the probe's L2 penalty
 * @param sst2Epochs         fine-tuning epochs on SST-2
 * @param sst2LearningRate   fine-tuning peak learning rate
 * @param sst2BatchSize      fine-tuning batch size
 * @param sst2MaxLength      longest input in pieces, including [CLS] and [SEP]
 */
public record EvalConfig(long seed, int probeEpochs, double probeLearningRate, double probeL2,
                         int sst2Epochs, double sst2LearningRate, int sst2BatchSize, int sst2MaxLength) {

    /** Loads and validates an evaluation config. */
    public static EvalConfig load(Path file) {
        ConfigSource src = ConfigSource.load(file);
        EvalConfig c = new EvalConfig(
                src.longValue("seed", 0, Long.MAX_VALUE),
                src.integer("probe_epochs", 1, 10_000),
                src.real("probe_learning_rate", Double.MIN_VALUE, 100),
                src.real("probe_l2", 0, 100),
                src.integer("sst2_epochs", 1, 1_000),
                src.real("sst2_learning_rate", Double.MIN_VALUE, 1),
                src.integer("sst2_batch_size", 1, 1 << 16),
                src.integer("sst2_max_length", 3, 1 << 16));
        src.finish();
        return c;
    }
}
