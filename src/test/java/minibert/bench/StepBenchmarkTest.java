package minibert.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import minibert.config.ModelConfig;
import minibert.model.Batch;
import minibert.model.GradientCheck;
import java.nio.file.Path;
import minibert.config.TrainConfig;
import minibert.train.Learner;
import org.junit.jupiter.api.Test;

/** The side-by-side step timing: rounds in order, and a measurement paired with each step of the first learner. */
class StepBenchmarkTest {

    private static TrainConfig train() {
        return new TrainConfig(Path.of("model.yaml"), "imdb", 1, 3, 7, 10, 1e-3, 2, 0.01, 0.9, 0.999, 1e-6, 1, 1.0, 0.15, 5, 1,
                5, 2, 2, "float64", "vector", 0);
    }

    @Test
    void theMeasurementBesideTheFirstLearnerRunsOnceAfterEachOfItsTimedSteps() {
        ModelConfig c = GradientCheck.smallConfig(0.1);
        Batch batch = GradientCheck.smallBatch(c, 7);
        List<Learner> learners = List.of(StepBenchmark.learner(c, train(), 3, "float32", "vector"),
                StepBenchmark.learner(c, train(), 3, "float64", "vector"),
                StepBenchmark.learner(c, train(), 3, "float32", "ejml"));
        List<Long> stepsWhenMeasured = new ArrayList<>();
        int steps = 5;
        List<StepBenchmark.Figures> figures = StepBenchmark.run(learners, List.of("vector", "vector", "ejml"), 2, batch, 2, steps,
                3, 1, 1e-3, () -> {
                    stepsWhenMeasured.add(learners.get(0).steps());
                    return 10.0 + stepsWhenMeasured.size();
                });
        assertArrayEquals(new double[] {11, 12, 13, 14, 15}, figures.get(0).beside());
        assertEquals(List.of(3L, 4L, 5L, 6L, 7L), stepsWhenMeasured, "after the 2 warm-up steps, right after each timed one");
        assertEquals(0, figures.get(1).beside().length);
        assertEquals(steps, figures.get(0).roundSeconds().length);
        assertEquals(3, figures.get(2).roundSeconds().length, "the slow learner takes part in the first rounds only");
        for (StepBenchmark.Figures f : figures) {
            double[] sorted = f.roundSeconds().clone();
            java.util.Arrays.sort(sorted);
            assertEquals(sorted[0], f.minSeconds());
            assertEquals(sorted[sorted.length - 1], f.maxSeconds());
            assertTrue(f.medianSeconds() > 0);
        }
    }

    @Test
    void theSteadyAllocationTakesTheCountedStepsAndNoneWhenAskedForNone() {
        ModelConfig c = GradientCheck.smallConfig(0.1);
        Batch batch = GradientCheck.smallBatch(c, 7);
        Learner l = StepBenchmark.learner(c, train(), 3, "float32", "vector");
        assertEquals(-1, StepBenchmark.steadyAllocation(l, batch, 0, 0, 1e-3, new minibert.train.Tally(),
                new minibert.train.UpdateReport()), "not counted");
        assertEquals(0L, l.steps());
        long bytes = StepBenchmark.steadyAllocation(l, batch, 0, 3, 1e-3, new minibert.train.Tally(), new minibert.train.UpdateReport());
        assertTrue(bytes >= 0, "bytes " + bytes);
        assertEquals(3L, l.steps(), "each counted step is a step of the learner");
        StepBenchmark.PoolUse use = StepBenchmark.poolUse(l, batch, 3, 1e-3);
        assertTrue(use.calls() >= 0 && use.wakeUps() >= 0 && use.wakeUps() <= use.calls() * Math.max(1, minibert.tensor.Pool.threads() - 1),
                use.toString());
        assertEquals(4L, l.steps(), "the counted step is a step of the learner");
    }
}
