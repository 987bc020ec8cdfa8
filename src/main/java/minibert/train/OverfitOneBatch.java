package minibert.train;

import minibert.model.Batch;

import java.util.ArrayList;
import java.util.List;

/**
 * The first check of any trainer (Karpathy's "overfit a single batch"): one fixed batch, masked once,
 * trained on again and again without dropout. A model and an optimiser that work drive its loss toward
 * zero within a few hundred steps; one that plateaus has a bug that no amount of data will fix.
 */
public final class OverfitOneBatch {

    /** The loss the check must reach. */
    public static final double TARGET = 0.1;

    /** The losses of each step, and whether (and when) the target was reached. */
    public record Result(List<Double> losses, int reachedAt) {
        public boolean reached() {
            return reachedAt >= 0;
        }
    }

    private OverfitOneBatch() {
    }

    /**
     * Trains {@code learner} on {@code batch} (already masked) for at most {@code maxSteps} steps at a
     * constant learning rate, stopping once the loss is below {@link #TARGET}.
     */
    // tag::overfit[]
    public static Result run(Learner learner, Batch batch, int maxSteps, double learningRate, double maxGradNorm) {
        List<Double> losses = new ArrayList<>();
        Tally tally = new Tally();
        UpdateReport report = new UpdateReport();
        for (int step = 0; step < maxSteps; step++) {
            tally.clear();
            learner.accumulate(new MicroBatch(batch, 0, 1, false), tally);     // no dropout: the same function each step
            losses.add(tally.loss());
            if (tally.loss() < TARGET) {
                return new Result(losses, step);
            }
            learner.update(new Update(learningRate, maxGradNorm), report);
        }
        return new Result(losses, -1);
    }
    // end::overfit[]
}
