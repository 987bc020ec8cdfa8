package minibert.nn;

import minibert.tensor.Fusion;
import minibert.tensor.Products;
import minibert.tensor.ProductsF;
import org.ejml.data.DMatrixRMaj;
import org.ejml.data.FMatrixRMaj;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The attention's scores, softmax, dropout and context one head at a time (the fused way) give exactly the bits of the
 * separate passes over every head, forward and backward, with dropout on the weights and padded keys, in both
 * precisions and on both backends that compute a block on the calling thread. Odd sizes: 3 heads of 4, lengths 7
 * and 13 (a T × T block that is not a whole number of vectors), and the model's 4 heads of 48 over 64 positions.
 */
class AttentionByHeadTest {

    @AfterEach
    void fused() {
        Fusion.separatePasses(false);
    }

    /** Sequence s has its first real(s) tokens real, the rest padding; at least one real token each. */
    private static int[] padding(int b, int t, Random r) {
        int[] mask = new int[b * t];
        for (int s = 0; s < b; s++) {
            int real = 1 + r.nextInt(t);
            for (int j = 0; j < t; j++) {
                mask[s * t + j] = j < real ? 1 : 0;
            }
        }
        return mask;
    }

    @ParameterizedTest(name = "B {0}, T {1}, H {2}, A {3}, dropout {4}, {5}")
    @CsvSource({"3, 7, 12, 3, 0.1, vector", "3, 7, 12, 3, 0.1, ejml", "2, 13, 12, 3, 0.3, vector", "3, 7, 12, 3, 0.0, vector",
            "2, 64, 192, 4, 0.1, vector"})
    void byHeadIsByPassBitForBitInDouble(int b, int t, int h, int heads, double p, String backend) {
        Random r = new Random(b * 1000L + t);
        SelfAttention att = new SelfAttention("attention", h, heads, new Dropout(3, p), Products.named(backend));
        Linear[] layers = {att.query(), att.key(), att.value(), att.output()};
        for (Linear l : layers) {
            fill(l.weight().value().data, 0.4, r);
            fill(l.bias().value().data, 0.2, r);
        }
        int n = b * t;
        DMatrixRMaj x = new DMatrixRMaj(n, h), dy = new DMatrixRMaj(n, h);
        fill(x.data, 1, r);
        fill(dy.data, 1, r);
        int[] mask = padding(b, t, r);
        List<List<double[]>> ways = new ArrayList<>();
        for (boolean separate : new boolean[] {true, false}) {
            Fusion.separatePasses(separate);
            var acts = new SelfAttention.Activations(b, t, h, heads);
            var g = new SelfAttention.Gradients(b, t, h, heads);
            DMatrixRMaj y = new DMatrixRMaj(n, h), dx = new DMatrixRMaj(n, h);
            for (Linear l : layers) {
                l.weight().grad().zero();
                l.bias().grad().zero();
            }
            StepProfile.start();
            att.forward(x, mask, Pass.training(17), acts, y);
            att.backward(x, acts, dy, dx, g);
            StepProfile.stop();
            // each way took its own path: the laps say which
            assertTrue((StepProfile.nanos(-1, StepProfile.Op.HEADS, false) > 0) != separate, "by head when fused only");
            assertTrue((StepProfile.nanos(-1, StepProfile.Op.SCORES, false) > 0) == separate, "by pass when separate only");
            List<double[]> out = new ArrayList<>(List.of(y.data.clone(), acts.probs.data.clone(), acts.dropped.data.clone(),
                    acts.dropMask.data.clone(), acts.context.data.clone(), dx.data.clone(), g.dqkv.data.clone()));
            for (Linear l : layers) {
                out.add(l.weight().grad().data.clone());
                out.add(l.bias().grad().data.clone());
            }
            ways.add(out);
        }
        for (int i = 0; i < ways.get(0).size(); i++) {
            assertArrayEquals(ways.get(0).get(i), ways.get(1).get(i), backend + ": array " + i);
        }
        if (p > 0) {
            double[] dropMask = ways.get(1).get(3);
            assertTrue(java.util.Arrays.stream(dropMask).anyMatch(v -> v == 0), "some weights were dropped");
        }
    }

    @ParameterizedTest(name = "B {0}, T {1}, H {2}, A {3}, dropout {4}")
    @CsvSource({"3, 7, 12, 3, 0.1", "2, 13, 12, 3, 0.3", "2, 64, 192, 4, 0.1"})
    void byHeadIsByPassBitForBitInFloat(int b, int t, int h, int heads, float p) {
        Random r = new Random(b * 1000L + t);
        var att = new minibert.nn.f32.SelfAttention("attention", h, heads, new minibert.nn.f32.Dropout(3, p), ProductsF.VECTOR);
        minibert.nn.f32.Linear[] layers = {att.query(), att.key(), att.value(), att.output()};
        for (var l : layers) {
            fill(l.weight().value().data, 0.4, r);
            fill(l.bias().value().data, 0.2, r);
        }
        int n = b * t;
        FMatrixRMaj x = new FMatrixRMaj(n, h), dy = new FMatrixRMaj(n, h);
        fill(x.data, 1, r);
        fill(dy.data, 1, r);
        int[] mask = padding(b, t, r);
        List<List<float[]>> ways = new ArrayList<>();
        for (boolean separate : new boolean[] {true, false}) {
            Fusion.separatePasses(separate);
            var acts = new minibert.nn.f32.SelfAttention.Activations(b, t, h, heads);
            var g = new minibert.nn.f32.SelfAttention.Gradients(b, t, h, heads);
            FMatrixRMaj y = new FMatrixRMaj(n, h), dx = new FMatrixRMaj(n, h);
            for (var l : layers) {
                l.weight().grad().zero();
                l.bias().grad().zero();
            }
            att.forward(x, mask, Pass.training(17), acts, y);
            att.backward(x, acts, dy, dx, g);
            List<float[]> out = new ArrayList<>(List.of(y.data.clone(), acts.context().data.clone(), dx.data.clone()));
            for (int s = 0; s < b; s++) {
                for (int hd = 0; hd < heads; hd++) {
                    out.add(acts.probabilities(s, hd).data);
                }
            }
            for (var l : layers) {
                out.add(l.weight().grad().data.clone());
                out.add(l.bias().grad().data.clone());
            }
            ways.add(out);
        }
        for (int i = 0; i < ways.get(0).size(); i++) {
            assertArrayEquals(ways.get(0).get(i), ways.get(1).get(i), "array " + i);
        }
    }

    /** A forward pass in inference drops nothing either way: P' is P. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"vector", "ejml"})
    void inferenceByHeadIsInferenceByPass(String backend) {
        Random r = new Random(5);
        int b = 3, t = 7, h = 12, heads = 3, n = b * t;
        SelfAttention att = new SelfAttention("attention", h, heads, new Dropout(3, 0.5), Products.named(backend));
        for (Linear l : new Linear[] {att.query(), att.key(), att.value(), att.output()}) {
            fill(l.weight().value().data, 0.4, r);
        }
        DMatrixRMaj x = new DMatrixRMaj(n, h);
        fill(x.data, 1, r);
        int[] mask = padding(b, t, r);
        double[][] y = new double[2][];
        for (int way = 0; way < 2; way++) {
            Fusion.separatePasses(way == 0);
            DMatrixRMaj out = new DMatrixRMaj(n, h);
            att.forward(x, mask, Pass.INFERENCE, new SelfAttention.Activations(b, t, h, heads), out);
            y[way] = out.data;
        }
        assertArrayEquals(y[0], y[1]);
    }

    /** A mask shorter than the batch is refused with its numbers, either way. */
    @ParameterizedTest(name = "separate passes: {0}")
    @CsvSource({"true", "false"})
    void aShortMaskIsRefusedEitherWay(boolean separate) {
        int b = 3, t = 7, h = 12, heads = 3;
        SelfAttention att = new SelfAttention("attention", h, heads, new Dropout(3, 0.1), Products.VECTOR);
        Fusion.separatePasses(separate);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () ->
                att.forward(new DMatrixRMaj(b * t, h), new int[b * t - 1], Pass.training(1),
                        new SelfAttention.Activations(b, t, h, heads), new DMatrixRMaj(b * t, h)));
        assertTrue(e.getMessage().contains("the mask has 20 entries"), e.getMessage());
    }

    private static void fill(double[] a, double scale, Random r) {
        for (int i = 0; i < a.length; i++) {
            a[i] = scale * r.nextGaussian();
        }
    }

    private static void fill(float[] a, double scale, Random r) {
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (scale * r.nextGaussian());
        }
    }
}
