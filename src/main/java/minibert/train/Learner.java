package minibert.train;

import minibert.config.ModelConfig;
import minibert.model.Batch;
import minibert.model.checkpoint.Tensor;

import java.util.Map;

/**
 * A model with its optimiser, as the trainer drives it, whatever its precision. The double implementation is
 * {@link BertLearner}; the float32 one, {@code minibert.train.f32.BertLearner}, is its generated twin. The
 * trainer itself holds no numbers of either precision: it passes batches in and reads tallies and reports
 * out, so one loop trains both.
 */
public interface Learner {

    /** {@code float32} or {@code float64}. */
    String precision();

    ModelConfig config();

    /** A training forward pass (dropout on) and its backward pass, adding the gradient of lossScale·L to the gradients. */
    void accumulate(MicroBatch micro, Tally tally);

    /** An inference forward pass (no dropout), on its own activation record; gradients untouched. */
    void evaluate(Batch batch, Tally tally);

    /** Clips the accumulated gradient, takes one AdamW step, and zeroes the gradient; fills {@code report}. */
    void update(Update update, UpdateReport report);

    /** Optimiser steps taken so far. */
    long steps();

    /** Every parameter, Hugging Face names and shapes, values copied (exactly, widened to double). */
    Map<String, Tensor> weights();

    /** AdamW's moments: {@code exp_avg.NAME} and {@code exp_avg_sq.NAME} for every parameter. */
    Map<String, Tensor> optimizerState();

    /** Restores weights and optimiser state saved by {@link #weights} and {@link #optimizerState} after {@code steps} steps. */
    void restore(Map<String, Tensor> weights, Map<String, Tensor> optimizerState, long steps);

    /** Entries held in activation records and optimiser state, for memory accounting (bytes = entries × {@link #bytesPerEntry}). */
    long bufferEntries();

    /** 4 for float32, 8 for float64. */
    int bytesPerEntry();
}
