package minibert.book;

import minibert.config.ModelConfig;
import minibert.nn.StepProfile;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The profile's per-operation product work adds up to the step's counted work, less the MLM head's. */
class StepFlopsTest {

    @Test
    void theLayersProductsAndTheHeadMakeTheStepsWork() {
        // odd sizes: vocabulary 99, hidden 12, 3 layers, 3 heads of 4, intermediate 37; batch 3 × 7, 5 masked rows
        ModelConfig c = new ModelConfig(99, 12, 3, 3, 37, 9, 2, 1e-12, "gelu", 0.1, 0.1, 0.02);
        double[] f = TrainingResults.layerProductFlops(c, 3, 7);
        double head = 2.0 * 5 * 12 * 12 + 2.0 * 5 * 12 * 99;      // the transform and the decoder at the masked rows
        assertEquals(TrainingResults.stepFlops(c, 3, 7, 5), 3 * (Arrays.stream(f).sum() + head), 1e-6);
        assertEquals(3 * 2.0 * 21 * 37 * 12, f[StepProfile.Op.UP_PROJECTION.ordinal()], 1e-9);
        assertEquals(3 * 3 * 3 * 2.0 * 7 * 7 * 4, f[StepProfile.Op.SCORES.ordinal()], 1e-9, "3 layers × 3 sequences × 3 heads");
        assertEquals(0, f[StepProfile.Op.GELU.ordinal()]);
        assertEquals(0, f[StepProfile.Op.MLM_HEAD.ordinal()], "the head's lap mixes products with its softmax and loss");
        assertEquals(0, f[StepProfile.Op.HEADS.ordinal()], "the attention by head mixes products with its softmax and dropout");
    }
}
