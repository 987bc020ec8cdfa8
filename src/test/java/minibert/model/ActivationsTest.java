package minibert.model;

import minibert.config.ModelConfig;
import minibert.nn.Dropout;
import minibert.nn.Param;
import minibert.nn.Pass;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The model keeps nothing of a batch: what backward needs lives in an activation record the caller owns. On
 * the gradient check's odd sizes (B=3, T=7, H=12, A=3, I=17, V=29) with dropout on.
 */
class ActivationsTest {

    private static List<double[]> gradients(BertForMaskedLM model) {
        List<double[]> out = new ArrayList<>();
        for (Param p : model.parameters()) {
            out.add(p.grad().data.clone());
        }
        return out;
    }

    private static void assertSameGradients(List<double[]> expected, BertForMaskedLM model, String what) {
        List<Param> ps = model.parameters();
        for (int i = 0; i < ps.size(); i++) {
            assertArrayEquals(expected.get(i), ps.get(i).grad().data, 0, what + ": " + ps.get(i).name());
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void anEvaluationBetweenForwardAndBackwardChangesNoGradient(long seed) {
        ModelConfig c = GradientCheck.smallConfig(0.1);
        BertForMaskedLM model = new BertForMaskedLM(c, seed);
        Batch train = GradientCheck.smallBatch(c, seed), other = GradientCheck.smallBatch(c, seed + 100);
        Pass pass = Pass.training(seed);
        var acts = model.activations(3, 7);
        model.forward(train, acts, pass);
        model.backward(train, acts);
        List<double[]> plain = gradients(model);

        model.zeroGrad();
        model.forward(train, acts, pass);
        var evalActs = model.activations(3, 7);
        model.forward(other, evalActs, Pass.INFERENCE);           // the case that used to corrupt backward
        model.backward(train, acts);
        assertSameGradients(plain, model, "seed " + seed);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {4, 5})
    void checkpointedActivationsGiveBitIdenticalGradients(long seed) {
        ModelConfig c = GradientCheck.smallConfig(0.2);
        BertForMaskedLM model = new BertForMaskedLM(c, seed);
        Batch batch = GradientCheck.smallBatch(c, seed);
        Pass pass = Pass.training(seed * 31);
        var full = model.activations(3, 7);
        double loss = model.forward(batch, full, pass);
        model.backward(batch, full);
        List<double[]> expected = gradients(model);
        double[] dInput = full.inputGradient().data.clone();

        model.zeroGrad();
        var checkpointed = model.checkpointedActivations(3, 7);
        assertEquals(Double.doubleToRawLongBits(loss), Double.doubleToRawLongBits(model.forward(batch, checkpointed, pass)));
        model.backward(batch, checkpointed);
        assertSameGradients(expected, model, "seed " + seed);
        assertArrayEquals(dInput, checkpointed.inputGradient().data, 0);
        assertTrue(checkpointed.entries() < full.entries(), checkpointed.entries() + " vs " + full.entries());
    }

    @Test
    void dropoutFollowsItsSeedAndIsOffInInference() {
        ModelConfig c = GradientCheck.smallConfig(0.3);
        BertForMaskedLM model = new BertForMaskedLM(c, 9);
        Batch batch = GradientCheck.smallBatch(c, 9);
        var acts = model.activations(3, 7);
        double a = model.forward(batch, acts, Pass.training(1));
        double b = model.forward(batch, acts, Pass.training(1));
        double other = model.forward(batch, acts, Pass.training(2));
        double inference = model.forward(batch, acts, Pass.INFERENCE);
        assertEquals(Double.doubleToRawLongBits(a), Double.doubleToRawLongBits(b));
        assertNotEquals(a, other);
        assertNotEquals(a, inference);
        BertForMaskedLM noDropout = new BertForMaskedLM(GradientCheck.smallConfig(0), 9);
        assertEquals(inference, noDropout.forward(batch, noDropout.activations(3, 7), Pass.training(1)), 0,
                "inference with dropout 0.3 equals training with dropout 0");
    }

    @ParameterizedTest(name = "p = {0}")
    @ValueSource(doubles = {0.1, 0.25, 0.5})
    void dropoutDropsItsShareWithinBinomialBoundsAndKeepsTheMean(double p) {
        int n = 200_003;                                          // odd, not a multiple of the 4 elements per draw
        double[] mask = new double[n];
        new Dropout(7, p).mask(Pass.training(42), mask, n);
        int dropped = 0;
        double sum = 0;
        for (double m : mask) {
            dropped += m == 0 ? 1 : 0;
            sum += m;
        }
        double sd = Math.sqrt(n * p * (1 - p));
        assertTrue(Math.abs(dropped - n * p) < 5 * sd, "p = " + p + ": dropped " + dropped + " of " + n);
        assertEquals(1.0, sum / n, 5 * Math.sqrt(p / (1 - p) / n), "p = " + p + ": the mean multiplier");
        double[] again = new double[n];
        new Dropout(7, p).mask(Pass.training(42), again, n);
        assertArrayEquals(mask, again, 0);
        // the rule itself, written out: element i takes bits 16·(i mod 4)… of draw i / 4, dropped below p·2¹⁶
        Pass pass = Pass.training(42);
        int threshold = (int) Math.round(p * 65536);
        for (int i = 0; i < n; i++) {
            int u = (int) (pass.bits(7, i / 4) >>> (16 * (i % 4))) & 0xFFFF;
            assertEquals(u < threshold ? 0 : 65536.0 / (65536 - threshold), mask[i], 0, "element " + i);
        }
        double[] pieces = new double[n];                          // filled a range at a time, as the attention's heads fill it
        Dropout d = new Dropout(7, p);
        for (int from = 0; from < n; from += 49) {                // 7 × 7 blocks: most start inside a draw of four
            d.mask(Pass.training(42), pieces, from, Math.min(n, from + 49));
        }
        assertArrayEquals(mask, pieces, 0, "a range of the mask is that range of the whole mask");
        double[] otherSite = new double[n];
        new Dropout(8, p).mask(Pass.training(42), otherSite, n);
        int same = 0;
        for (int i = 0; i < n; i++) {
            same += (mask[i] == 0) == (otherSite[i] == 0) ? 1 : 0;
        }
        double agree = p * p + (1 - p) * (1 - p);                 // independent sites agree this often
        assertEquals(agree, (double) same / n, 0.01, "two sites' masks look independent");
    }

    /**
     * The float32 twin's mask follows the same rule, bit for bit (its multipliers come from vectors where the double
     * model's come from the scalar loop, on AVX2), whole, a range at a time, and over ranges longer than the chunk of
     * draws that a thread makes before turning them into multipliers.
     */
    @ParameterizedTest(name = "p = {0}")
    @ValueSource(doubles = {0.1, 0.5})
    void theFloat32MaskFollowsTheSameRule(double p) {
        int n = 200_003;
        double[] reference = new double[n];
        new Dropout(7, p).mask(Pass.training(42), reference, n);
        float[] whole = new float[n], pieces = new float[n], longRanges = new float[n];
        var d = new minibert.nn.f32.Dropout(7, (float) p);
        d.mask(Pass.training(42), whole, n);
        for (int from = 0; from < n; from += 49) {
            d.mask(Pass.training(42), pieces, from, Math.min(n, from + 49));
        }
        for (int from = 0; from < n; from += 4_099) {                 // 1,024 draws and a bit: past one chunk of 256
            d.mask(Pass.training(42), longRanges, from, Math.min(n, from + 4_099));
        }
        for (int i = 0; i < n; i++) {
            assertEquals((float) reference[i], whole[i], 0, "element " + i);
        }
        assertArrayEquals(whole, pieces, 0, "ranges of 49");
        assertArrayEquals(whole, longRanges, 0, "ranges of 4,099");
    }

    @Test
    void everyParameterHasTheKindItsLayerGaveIt() {
        BertForMaskedLM model = new BertForMaskedLM(GradientCheck.smallConfig(), 1);
        for (Param p : model.parameters()) {
            Param.Kind expected = p.name().contains("LayerNorm") ? (p.name().endsWith(".weight") ? Param.Kind.NORM_GAIN : Param.Kind.NORM_SHIFT)
                    : p.name().contains("embeddings") ? Param.Kind.EMBEDDING
                    : p.name().endsWith(".bias") ? Param.Kind.BIAS : Param.Kind.WEIGHT;
            assertEquals(expected, p.kind(), p.name());
            assertEquals(expected.decayed(), expected == Param.Kind.WEIGHT || expected == Param.Kind.EMBEDDING);
        }
    }

    @Test
    void aBatchOfAnotherShapeIsRefusedNamingBothShapes() {
        ModelConfig c = GradientCheck.smallConfig();
        BertForMaskedLM model = new BertForMaskedLM(c, 1);
        var acts = model.activations(2, 7);
        var e = assertThrows(IllegalArgumentException.class, () -> model.forward(GradientCheck.smallBatch(c, 1), acts, Pass.INFERENCE));
        assertEquals("a batch of 3 × 7 needs activations of that shape; these are for 2 × 7", e.getMessage());
    }

    @Test
    void theMlmHeadGrowsItsBuffersOnlyWhenMoreRowsAreMaskedThanEver() {
        ModelConfig c = GradientCheck.smallConfig();
        BertForMaskedLM model = new BertForMaskedLM(c, 1);
        Batch batch = GradientCheck.smallBatch(c, 1);
        var acts = model.activations(3, 7);
        Random r = new Random(3);
        for (int i = 0; i < batch.labels().length; i++) {
            batch.labels()[i] = batch.attentionMask()[i] == 1 ? r.nextInt(c.vocabSize()) : -100;   // every real token
        }
        model.forward(batch, acts, Pass.INFERENCE);
        long grown = acts.head().entries();
        assertEquals(15, acts.head().masked());
        model.forward(GradientCheck.smallBatch(c, 1), acts, Pass.INFERENCE);
        assertEquals(grown, acts.head().entries(), "fewer masked rows reuse the buffers");
    }
}
