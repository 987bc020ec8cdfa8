package minibert.train;

import minibert.model.Batch;

/**
 * One micro-batch of an optimiser step.
 *
 * @param batch       ids, types, mask and MLM labels
 * @param dropoutSeed the seed of its dropout masks
 * @param lossScale   its share of the step's masked tokens, M_k / Σ M: the step's gradient is then exactly the
 *                    gradient of the mean loss over all its masked tokens, whatever the micro-batches' sizes
 * @param dropout     whether dropout applies (off only for the overfit-one-batch check)
 */
public record MicroBatch(Batch batch, long dropoutSeed, double lossScale, boolean dropout) {
}
