package minibert.eval;

import minibert.config.ModelConfig;
import minibert.model.Batch;
import minibert.model.BertForMaskedLM;
import minibert.model.BertForSequenceClassification;
import minibert.model.GradientCheck;
import minibert.nn.Pass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class LayerByLayerTest {

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {4, 8})
    void withoutRoundingItIsTheModelsOwnForwardPassBitForBit(long seed) {
        ModelConfig c = GradientCheck.smallConfig();
        BertForMaskedLM model = new BertForMaskedLM(c, seed);
        Fixtures.perturb(model.parameters(), seed, 0.1);
        Batch batch = GradientCheck.smallBatch(c, seed);
        var acts = model.activations(batch.batch(), batch.length());
        double expected = model.forward(batch, acts, Pass.INFERENCE);
        LayerByLayer runner = new LayerByLayer(model, LayerByLayer.Rounding.NONE);
        assertEquals(expected, runner.maskedLm(batch), "seed " + seed);
        for (int l = 0; l <= c.numLayers(); l++) {
            assertArrayEquals(acts.hidden(l).data, runner.hidden(l).data, "seed " + seed + ", hidden state " + l);
        }
        assertArrayEquals(acts.head().probabilities().data, runner.head().probabilities().data);
        assertEquals(acts.head().correct(), runner.head().correct());

        BertForSequenceClassification classifier = new BertForSequenceClassification(model, 2, seed);
        int[] labels = {1, 0, 1};
        var cActs = classifier.activations(batch.batch(), batch.length());
        assertEquals(classifier.forward(batch, labels, cActs, Pass.INFERENCE, null), runner.classify(classifier, batch, labels));
        assertArrayEquals(cActs.head().probabilities().data, runner.classifierHead().probabilities().data);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {4, 8})
    void withBf16EveryHiddenStateIsABfloat16AndTheLossMovesALittle(long seed) {
        ModelConfig c = GradientCheck.smallConfig();
        BertForMaskedLM model = new BertForMaskedLM(c, seed);
        Fixtures.perturb(model.parameters(), seed, 0.1);
        Batch batch = GradientCheck.smallBatch(c, seed);
        double exact = new LayerByLayer(model, LayerByLayer.Rounding.NONE).maskedLm(batch);
        LayerByLayer.roundWeights(model.parameters());
        for (var p : model.parameters()) {
            for (double v : p.value().data) {
                assertEquals(Bf16.round(v), v, p.name());
            }
        }
        LayerByLayer runner = new LayerByLayer(model, LayerByLayer.Rounding.BF16);
        double rounded = runner.maskedLm(batch);
        for (int l = 0; l <= c.numLayers(); l++) {
            for (double v : runner.hidden(l).data) {
                assertEquals(Bf16.round(v), v, "seed " + seed + ", hidden state " + l);
            }
        }
        assertNotEquals(exact, rounded);
        assertEquals(exact, rounded, 0.05 * Math.abs(exact), "seed " + seed + ": bfloat16 keeps 2–3 digits");
    }
}
