package minibert.train;

import minibert.config.ModelConfig;
import minibert.model.Batch;
import minibert.model.GradientCheck;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sanity check every trainer must pass, in both precisions, on the odd sizes (B=3, T=7, H=12, V=29). */
class OverfitOneBatchTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"float32", "float64"})
    void oneFixedBatchIsLearnedByHeart(String precision) {
        ModelConfig c = GradientCheck.smallConfig(0.1);
        Batch batch = GradientCheck.smallBatch(c, 17);
        Learner learner = precision.equals("float32")
                ? new minibert.train.f32.BertLearner(new minibert.model.f32.BertForMaskedLM(c, 17), AdamWTest.trainConfig(), false)
                : new BertLearner(new minibert.model.BertForMaskedLM(c, 17), AdamWTest.trainConfig(), false);
        OverfitOneBatch.Result r = OverfitOneBatch.run(learner, batch, 400, 1e-2, 1.0);
        double first = r.losses().get(0), last = r.losses().get(r.losses().size() - 1);
        assertTrue(r.reached(), precision + ": the loss went from " + first + " to " + last + " in " + r.losses().size() + " steps");
        assertTrue(first > 2, precision + ": the loss starts near ln 29 = 3.4, found " + first);
    }
}
