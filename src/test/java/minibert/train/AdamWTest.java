package minibert.train;

import minibert.config.ModelConfig;
import minibert.config.TrainConfig;
import minibert.model.Batch;
import minibert.model.BertForMaskedLM;
import minibert.model.GradientCheck;
import minibert.model.ReferenceFixture;
import minibert.nn.MlmHead;
import minibert.nn.Param;
import minibert.nn.Pass;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** AdamW against its closed form, PyTorch, and gradient accumulation against one larger batch. */
class AdamWTest {

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void theFirstStepIsTheClosedForm(long seed) {
        // at t = 1, m̂ = g and v̂ = g², so p₁ = p₀(1 − lr·wd) − lr·g/(|g| + ε) (without decay: wd = 0)
        BertForMaskedLM model = new BertForMaskedLM(GradientCheck.smallConfig(), seed);
        Random r = new Random(seed);
        List<Param> params = model.parameters();
        double[][] before = new double[params.size()][];
        for (int i = 0; i < params.size(); i++) {
            Param p = params.get(i);
            for (int k = 0; k < p.size(); k++) {
                p.grad().data[k] = r.nextGaussian() * Math.pow(10, -r.nextInt(6));
            }
            before[i] = p.value().data.clone();
        }
        double lr = 3e-4, wd = 0.01, eps = 1e-6, scale = 0.7;
        new AdamW(params, 0.9, 0.999, eps, wd).step(lr, scale, null);
        for (int i = 0; i < params.size(); i++) {
            Param p = params.get(i);
            double decay = p.kind().decayed() ? wd : 0;
            for (int k = 0; k < p.size(); k++) {
                double g = scale * p.grad().data[k];
                double expected = before[i][k] * (1 - lr * decay) - lr * g / (Math.abs(g) + eps);
                assertEquals(expected, p.value().data[k], 1e-15 + 1e-12 * Math.abs(expected),
                        "seed " + seed + ", " + p.name() + "[" + k + "]");
            }
        }
    }

    @Test
    void tenStepsFollowTorchOptimAdamW() {
        Path project = Path.of(System.getProperty("minibert.project.dir", "."));
        OptimizerReference run = OptimizerReference.run(ReferenceFixture.load(project.resolve("src/test/resources/reference/small")));
        System.out.print(run.report());
        assertTrue(run.decayMismatches().isEmpty(), run.decayMismatches().toString());
        assertTrue(run.maxDifference() <= OptimizerReference.TOLERANCE, run.report());
    }

    /** k micro-batches, each weighted by its share of the masked tokens, give the gradient of one batch k times larger. */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {4, 5, 6})
    void accumulatedMicroBatchesEqualOneLargerBatch(long seed) {
        ModelConfig c = GradientCheck.smallConfig();
        TrainConfig tc = trainConfig();
        int k = 3, b = 3, t = 7;
        Batch[] micro = new Batch[k];
        for (int i = 0; i < k; i++) {
            micro[i] = GradientCheck.smallBatch(c, seed * 10 + i);
        }
        Batch big = concatenate(micro, t);
        int total = 0;
        int[] masked = new int[k];
        for (int i = 0; i < k; i++) {
            for (int label : micro[i].labels()) {
                masked[i] += label == MlmHead.IGNORE ? 0 : 1;
            }
            total += masked[i];
        }
        BertLearner accumulated = new BertLearner(new BertForMaskedLM(c, seed), tc, false);
        BertLearner whole = new BertLearner(new BertForMaskedLM(c, seed), tc, false);
        Tally ta = new Tally(), tw = new Tally();
        for (int i = 0; i < k; i++) {
            accumulated.accumulate(new MicroBatch(micro[i], 0, (double) masked[i] / total, false), ta);
        }
        whole.accumulate(new MicroBatch(big, 0, 1, false), tw);
        assertEquals(tw.loss(), ta.loss(), 1e-12, "seed " + seed + ": the loss per masked token");
        List<Param> pa = accumulated.model().parameters(), pw = whole.model().parameters();
        for (int i = 0; i < pa.size(); i++) {
            for (int e = 0; e < pa.get(i).size(); e++) {
                assertEquals(pw.get(i).grad().data[e], pa.get(i).grad().data[e], 1e-12,
                        "seed " + seed + ": " + pa.get(i).name() + "[" + e + "]");
            }
        }
        UpdateReport ra = new UpdateReport(), rw = new UpdateReport();
        accumulated.update(new Update(1e-3, 1.0), ra);
        whole.update(new Update(1e-3, 1.0), rw);
        assertEquals(rw.gradientNorm(), ra.gradientNorm(), 1e-12);
        for (int i = 0; i < pa.size(); i++) {
            for (int e = 0; e < pa.get(i).size(); e++) {
                assertEquals(pw.get(i).value().data[e], pa.get(i).value().data[e], 1e-12, pa.get(i).name());
            }
        }
    }

    @Test
    void clippingScalesTheGradientToTheMaximumNorm() {
        ModelConfig c = GradientCheck.smallConfig();
        BertLearner learner = new BertLearner(new BertForMaskedLM(c, 8), trainConfig(), false);
        Batch batch = GradientCheck.smallBatch(c, 8);
        learner.accumulate(new MicroBatch(batch, 0, 1, false), new Tally());
        UpdateReport report = new UpdateReport();
        learner.update(new Update(1e-3, 1e-3), report);
        assertTrue(report.gradientNorm() > 1e-3, "the test needs a gradient larger than the clip: " + report.gradientNorm());
        assertEquals(1e-3 / (report.gradientNorm() + 1e-6), report.clipFactor(), 1e-15);
        double sum = 0;
        for (UpdateReport.Group g : report.groups().values()) {
            sum += g.gradientNorm() * g.gradientNorm();
        }
        assertEquals(report.gradientNorm(), Math.sqrt(sum), 1e-12, "the groups' norms make up the global norm");
        assertEquals(List.of("embeddings", "layer.0", "layer.1", "head"), List.copyOf(report.groups().keySet()));
        for (Param p : learner.model().parameters()) {
            assertEquals(0, org.ejml.dense.row.CommonOps_DDRM.elementMaxAbs(p.grad()), p.name() + ": zeroed after the update");
        }
    }

    static TrainConfig trainConfig() {
        return new TrainConfig(Path.of("model.yaml"), "imdb", 1, 3, 7, 10, 1e-3, 2, 0.01, 0.9, 0.999, 1e-6, 1, 1.0, 0.15, 5, 1,
                5, 2, 2, "float64", "vector", 0);
    }

    static Batch concatenate(Batch[] parts, int t) {
        int n = 0;
        for (Batch p : parts) {
            n += p.batch();
        }
        int[] ids = new int[n * t], types = new int[n * t], mask = new int[n * t], labels = new int[n * t];
        int at = 0;
        for (Batch p : parts) {
            int len = p.batch() * t;
            System.arraycopy(p.inputIds(), 0, ids, at, len);
            System.arraycopy(p.tokenTypes(), 0, types, at, len);
            System.arraycopy(p.attentionMask(), 0, mask, at, len);
            System.arraycopy(p.labels(), 0, labels, at, len);
            at += len;
        }
        return new Batch(ids, types, mask, labels, n, t);
    }
}
