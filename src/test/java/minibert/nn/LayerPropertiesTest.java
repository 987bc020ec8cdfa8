package minibert.nn;

import minibert.config.ModelConfig;
import minibert.model.Batch;
import minibert.model.BertForMaskedLM;
import minibert.model.GradientCheck;
import minibert.tensor.Products;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Properties of the layers and the model, on odd sizes with seeded random inputs (the seed is in each message). */
class LayerPropertiesTest {

    private static DMatrixRMaj random(int rows, int cols, double scale, Random r) {
        DMatrixRMaj m = new DMatrixRMaj(rows, cols);
        for (int i = 0; i < m.getNumElements(); i++) {
            m.data[i] = scale * r.nextGaussian();
        }
        return m;
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void softmaxRowsSumToOneAndStayFiniteForHugeLogits(long seed) {
        Random r = new Random(seed);
        DMatrixRMaj s = random(7, 13, 1e4, r);            // logits up to about ±4·10⁴
        s.data[0] = 1e4;
        s.data[1] = -1e4;
        Softmax.rows(s);
        for (int i = 0; i < 7; i++) {
            double sum = 0;
            for (int j = 0; j < 13; j++) {
                double p = s.data[i * 13 + j];
                assertTrue(Double.isFinite(p) && p >= 0, "seed " + seed + ": p = " + p);
                sum += p;
            }
            assertEquals(1.0, sum, 1e-12, "seed " + seed + ", row " + i);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void layerNormRowsHaveMeanZeroAndVarianceOne(long seed) {
        Random r = new Random(seed);
        LayerNorm ln = new LayerNorm("test", 12, 1e-12);
        DMatrixRMaj y = new DMatrixRMaj(7, 12);
        ln.forward(random(7, 12, 3.0, r), new LayerNorm.Activations(7, 12), y);
        for (int i = 0; i < 7; i++) {
            double mean = 0, var = 0;
            for (int j = 0; j < 12; j++) {
                mean += y.data[i * 12 + j] / 12;
            }
            for (int j = 0; j < 12; j++) {
                var += Math.pow(y.data[i * 12 + j] - mean, 2) / 12;
            }
            assertEquals(0, mean, 1e-12, "seed " + seed);
            assertEquals(1, var, 1e-9, "seed " + seed);
        }
    }

    @Test
    void aQueryWhoseKeysAreAllMaskedButOneAttendsOnlyToThatOne() {
        Random r = new Random(9);
        SelfAttention att = new SelfAttention("test", 12, 3, new Dropout(1, 0), Products.standard());
        for (Linear l : new Linear[] {att.query(), att.key(), att.value(), att.output()}) {
            l.weight().value().setTo(random(12, 12, 0.5, r));
        }
        int[] mask = {0, 0, 1, 0, 0, 0, 0};                 // only key 2 is real
        SelfAttention.Activations acts = new SelfAttention.Activations(1, 7, 12, 3);
        att.forward(random(7, 12, 1.0, r), mask, Pass.INFERENCE, acts, new DMatrixRMaj(7, 12));
        for (int h = 0; h < 3; h++) {
            DMatrixRMaj p = acts.probabilities(0, h);
            for (int i = 0; i < 7; i++) {
                assertEquals(1.0, p.get(i, 2), 1e-15);
                for (int j = 0; j < 7; j++) {
                    if (j != 2) {
                        assertEquals(0.0, p.get(i, j), "head " + h + ", query " + i + ", key " + j);
                    }
                }
            }
        }
    }

    private static Batch batchOf(int[] ids, int[] mask, int b, int t) {
        int[] labels = new int[ids.length];
        Arrays.fill(labels, MlmHead.IGNORE);
        return new Batch(ids, new int[ids.length], mask, labels, b, t);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {5, 6, 7})
    void addingPaddingLeavesRealPositionsUnchanged(long seed) {
        ModelConfig c = GradientCheck.smallConfig();
        BertForMaskedLM model = new BertForMaskedLM(c, seed);
        Random r = new Random(seed);
        int[] ids5 = new int[5];
        for (int i = 0; i < 5; i++) {
            ids5[i] = 5 + r.nextInt(c.vocabSize() - 5);
        }
        var acts5 = model.activations(1, 5);
        model.forward(batchOf(ids5, new int[] {1, 1, 1, 1, 1}, 1, 5), acts5, Pass.INFERENCE);
        DMatrixRMaj short5 = acts5.hidden(c.numLayers());
        int[] ids7 = Arrays.copyOf(ids5, 7);               // two [PAD] tokens (id 0) appended
        var acts7 = model.activations(1, 7);
        model.forward(batchOf(ids7, new int[] {1, 1, 1, 1, 1, 0, 0}, 1, 7), acts7, Pass.INFERENCE);
        DMatrixRMaj long7 = acts7.hidden(c.numLayers());
        for (int i = 0; i < 5 * c.hiddenSize(); i++) {
            assertEquals(short5.data[i], long7.data[i], 1e-12, "seed " + seed + ", entry " + i);
        }
    }

    /**
     * Q, K and V run as one product over the packed [Wq; Wk; Wv]: each third equals its own projection x·Wᵀ + b
     * (EJML), and the backward pass adds each third of the packed gradients onto its own parameter's gradient, so two
     * backward passes leave twice one pass's gradients. Batch 3, length 7, hidden 12, heads 3.
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {11, 12})
    void thePackedProjectionsAreTheThreeProjections(long seed) {
        Random r = new Random(seed);
        int b = 3, t = 7, h = 12, heads = 3, n = b * t;
        SelfAttention attention = new SelfAttention("attention", h, heads, new Dropout(0, 0.0), Products.VECTOR);
        Linear[] projections = {attention.query(), attention.key(), attention.value()};
        attention.output().weight().value().setTo(random(h, h, 0.5, r));
        for (Linear l : projections) {
            l.weight().value().setTo(random(h, h, 0.5, r));
            l.bias().value().setTo(random(1, h, 0.5, r));
        }
        DMatrixRMaj x = random(n, h, 1, r), dy = random(n, h, 1, r), y = new DMatrixRMaj(n, h);
        int[] mask = new int[n];
        Arrays.fill(mask, 1);
        var acts = new SelfAttention.Activations(b, t, h, heads);
        attention.forward(x, mask, Pass.INFERENCE, acts, y);
        DMatrixRMaj[] thirds = {acts.query(), acts.key(), acts.value()};
        for (int i = 0; i < 3; i++) {
            DMatrixRMaj expected = new DMatrixRMaj(n, h);
            org.ejml.dense.row.CommonOps_DDRM.multTransB(x, projections[i].weight().value(), expected);
            for (int row = 0; row < n; row++) {
                for (int col = 0; col < h; col++) {
                    expected.add(row, col, projections[i].bias().value().get(0, col));
                }
            }
            for (int k = 0; k < n * h; k++) {
                assertEquals(expected.data[k], thirds[i].data[k], 1e-12, "seed " + seed + ", projection " + i + ", entry " + k);
            }
        }
        var g = new SelfAttention.Gradients(b, t, h, heads);
        DMatrixRMaj dx = new DMatrixRMaj(n, h);
        attention.backward(x, acts, dy, dx, g);
        double[][] once = new double[6][];
        for (int i = 0; i < 3; i++) {
            once[2 * i] = projections[i].weight().grad().data.clone();
            once[2 * i + 1] = projections[i].bias().grad().data.clone();
            assertTrue(Arrays.stream(once[2 * i]).anyMatch(v -> v != 0), "seed " + seed + ": projection " + i + " got a gradient");
        }
        DMatrixRMaj dxOnce = dx.copy();
        dx.zero();
        attention.backward(x, acts, dy, dx, g);
        assertArrayEquals(dxOnce.data, dx.data, "seed " + seed + ": dx is written the same way each pass");
        for (int i = 0; i < 3; i++) {
            for (int k = 0; k < once[2 * i].length; k++) {
                assertEquals(2 * once[2 * i][k], projections[i].weight().grad().data[k], 1e-12, "seed " + seed + ", weight " + i + ", entry " + k);
            }
            for (int k = 0; k < once[2 * i + 1].length; k++) {
                assertEquals(2 * once[2 * i + 1][k], projections[i].bias().grad().data[k], 1e-12, "seed " + seed + ", bias " + i + ", entry " + k);
            }
        }
    }

    /** backwardWritten writes dx whatever it held, and adds the same parameter gradients as backward into a zeroed dx. */
    @Test
    void aWrittenInputGradientIsTheAddedOneIntoZeros() {
        Random r = new Random(13);
        int n = 7, in = 12, out = 5;
        Linear a = new Linear("a", in, out, Products.VECTOR), b = new Linear("b", in, out, Products.VECTOR);
        DMatrixRMaj w = random(out, in, 1, r);
        a.weight().value().setTo(w);
        b.weight().value().setTo(w);
        DMatrixRMaj x = random(n, in, 1, r), dy = random(n, out, 1, r);
        DMatrixRMaj added = new DMatrixRMaj(n, in), written = random(n, in, 100, r);   // garbage to be overwritten
        a.backward(x, dy, added);
        b.backwardWritten(x, dy, written);
        assertArrayEquals(added.data, written.data);
        assertArrayEquals(a.weight().grad().data, b.weight().grad().data);
        assertArrayEquals(a.bias().grad().data, b.bias().grad().data);
    }

    @Test
    void theSameSeedGivesBitIdenticalOutputs() {
        ModelConfig c = GradientCheck.smallConfig();
        Batch batch = GradientCheck.smallBatch(c, 4);
        BertForMaskedLM a = new BertForMaskedLM(c, 99), b = new BertForMaskedLM(c, 99);
        var actsA = a.activations(3, 7);
        var actsB = b.activations(3, 7);
        assertEquals(Double.doubleToRawLongBits(a.forward(batch, actsA, Pass.INFERENCE)),
                Double.doubleToRawLongBits(b.forward(batch, actsB, Pass.INFERENCE)));
        assertArrayEquals(actsA.hidden(2).data, actsB.hidden(2).data);
    }

    @Test
    void permutingPositionsPermutesOutputsWhenPositionEmbeddingsAreZero() {
        ModelConfig c = GradientCheck.smallConfig();
        BertForMaskedLM model = new BertForMaskedLM(c, 8);
        model.embeddings().position().value().zero();
        int[] ids = {7, 12, 9, 20, 5, 28, 13};
        int[] perm = {3, 0, 6, 1, 5, 2, 4};
        int[] permuted = new int[7];
        for (int i = 0; i < 7; i++) {
            permuted[i] = ids[perm[i]];
        }
        int[] mask = {1, 1, 1, 1, 1, 1, 1};
        var acts = model.activations(1, 7);
        model.forward(batchOf(ids, mask, 1, 7), acts, Pass.INFERENCE);
        DMatrixRMaj out = acts.hidden(c.numLayers()).copy();
        model.forward(batchOf(permuted, mask, 1, 7), acts, Pass.INFERENCE);
        DMatrixRMaj outPermuted = acts.hidden(c.numLayers());
        for (int i = 0; i < 7; i++) {
            for (int j = 0; j < c.hiddenSize(); j++) {
                assertEquals(out.get(perm[i], j), outPermuted.get(i, j), 1e-12);
            }
        }
    }

    @Test
    void nothingMaskedGivesZeroLossNotNaN() {
        ModelConfig c = GradientCheck.smallConfig();
        BertForMaskedLM model = new BertForMaskedLM(c, 1);
        Batch batch = batchOf(new int[] {5, 6, 7}, new int[] {1, 1, 1}, 1, 3);
        var acts = model.activations(1, 3);
        double loss = model.forward(batch, acts, Pass.INFERENCE);
        assertEquals(0.0, loss);
        model.zeroGrad();
        model.backward(batch, acts);
        assertEquals(0.0, model.head().decoderBias().grad().data[0]);
    }

    @Test
    void shapeErrorsNameTheLayerAndBothShapes() {
        Linear l = new Linear("bert.encoder.layer.0.intermediate.dense", 12, 17, Products.standard());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> l.forward(new DMatrixRMaj(3, 11), new DMatrixRMaj(3, 17)));
        assertEquals("bert.encoder.layer.0.intermediate.dense: input must be [N, 12], found [3, 11]", e.getMessage());
        SelfAttention a = new SelfAttention("bert.encoder.layer.1.attention", 12, 3, new Dropout(1, 0), Products.standard());
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> a.forward(new DMatrixRMaj(20, 12), new int[21], Pass.INFERENCE,
                        new SelfAttention.Activations(3, 7, 12, 3), new DMatrixRMaj(21, 12)));
        assertEquals("bert.encoder.layer.1.attention: input must be [21, 12], found [20, 12]", e2.getMessage());
    }

    @Test
    void erfIsAccurateToAFewUlps() {
        // Reference values (Abramowitz & Stegun table 7.1, extended precision): x, erf(x)
        double[][] ref = {{0.1, 0.1124629160182848922}, {0.5, 0.5204998778130465377}, {1.0, 0.8427007929497148693},
                {1.5, 0.9661051464753107271}, {2.0, 0.9953222650189527342}, {2.5, 0.9995930479825550411},
                {3.0, 0.9999779095030014146}, {3.5, 0.9999992569016276586}};
        for (double[] r : ref) {
            // below 1: within 4 units in the last place; above: absolute error below 10⁻¹⁵ (under 10 ulp near 1)
            double tolerance = r[0] <= 1 ? 4 * Math.ulp(r[1]) : 1e-15;
            assertEquals(r[1], minibert.tensor.Erf.erf(r[0]), tolerance, "erf(" + r[0] + ")");
            assertEquals(-r[1], minibert.tensor.Erf.erf(-r[0]), tolerance, "erf(" + -r[0] + ")");
        }
        // erfc(3) = 2.209049699858544137e-5: the continued fraction gets the complement to relative 1e-14
        assertEquals(2.209049699858544137e-5, minibert.tensor.Erf.erfcLarge(3.0), 2.209049699858544137e-5 * 1e-14);
        assertEquals(0.0, minibert.tensor.Erf.erf(0.0));
        assertEquals(1.0, minibert.tensor.Erf.erf(10.0));
    }

    @Test
    void geluMatchesItsDefinitionAndItsTanhApproximationIsClose() {
        for (double x = -5; x <= 5; x += 0.25) {
            double exact = minibert.tensor.Kernels.geluScalar(x, false);
            assertEquals(0.5 * x * (1 + minibert.tensor.Erf.erf(x / Math.sqrt(2))), exact, 1e-15);
            assertEquals(exact, minibert.tensor.Kernels.geluScalar(x, true), 1e-3, "tanh form at " + x);
        }
    }
}
