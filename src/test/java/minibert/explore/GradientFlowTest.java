package minibert.explore;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The diagnosis's rules on made-up logs of 21 points: each rule fires on the case made for it, and only there. */
class GradientFlowTest {

    private static List<String> verdicts(MadeUpLogs.Groups groups, long warmup) {
        RunLog log = MadeUpLogs.parse(MadeUpLogs.log(21, 10, k -> 7, groups), warmup);
        return GradientFlow.diagnose(log).findings().stream().map(f -> f.subject() + " " + f.verdict()).toList();
    }

    @Test
    void aHealthyRunIsNotFlagged() {
        RunLog log = MadeUpLogs.parse(MadeUpLogs.log(21, 10, k -> 7, MadeUpLogs.HEALTHY), 50);
        GradientFlow.Diagnosis d = GradientFlow.diagnose(log);
        assertEquals(List.of(), d.findings());
        assertEquals(60, d.fromStep(), "the window starts after warm-up");
        assertEquals(210, d.toStep());
        assertEquals(16, d.points());
        assertEquals(5, d.groups().size());
        assertTrue(d.reference() > 0.19 && d.reference() < 0.25, "R = " + d.reference());
    }

    @Test
    void aLayerWithAHundredthOfTheGradientVanishes() {
        assertEquals(List.of("layer.0 vanishing"), verdicts((g, k) -> {
            double[] f = MadeUpLogs.HEALTHY.at(g, k);
            return g == 1 ? new double[] {f[0] / 100, f[1], f[2]} : f;
        }, 0));
    }

    @Test
    void aLayerWithTwentyTimesTheGradientExplodes() {
        List<String> v = verdicts((g, k) -> {
            double[] f = MadeUpLogs.HEALTHY.at(g, k);
            return g == 3 ? new double[] {f[0] * 20, f[1], f[2]} : f;
        }, 0);
        assertEquals(List.of("layer.2 exploding"), v);
    }

    @Test
    void theEmbeddingsAndTheHeadAreNotComparedWithTheLayers() {
        // the tied decoder gives the embeddings the output's gradient: fifty times the layers' is not a finding
        assertEquals(List.of(), verdicts((g, k) -> {
            double[] f = MadeUpLogs.HEALTHY.at(g, k);
            return g == 0 || g == 4 ? new double[] {f[0] * 50, f[1], f[2]} : f;
        }, 0));
    }

    @Test
    void aNormThatGrowsAHundredfoldAndASpikeAreFlagged() {
        List<String> v = verdicts((g, k) -> {
            double[] f = MadeUpLogs.HEALTHY.at(g, k);
            return g == 4 ? new double[] {f[0] * Math.pow(10, k / 10.0), f[1], f[2]} : f;
        }, 0);
        assertEquals(List.of("head growing"), v, "the head's norm ends a hundred times higher than it started");
        List<String> spike = verdicts((g, k) -> {
            double[] f = MadeUpLogs.HEALTHY.at(g, k);
            return k == 13 ? new double[] {f[0] * 50, f[1], f[2]} : f;
        }, 0);
        assertEquals(List.of("gradient spike"), spike);
    }

    @Test
    void updateRatiosFarFromATenThousandthAreFlagged() {
        List<String> v = verdicts((g, k) -> {
            double[] f = MadeUpLogs.HEALTHY.at(g, k);
            return g == 0 ? new double[] {f[0], 2e-5, f[2]} : g == 3 ? new double[] {f[0], 0.05, f[2]} : f;
        }, 0);
        assertEquals(List.of("embeddings barely moves", "layer.2 thrown about"), v);
    }

    @Test
    void warmUpIsLeftOutOfTheWindow() {
        // ratios of 10⁻⁵ during a warm-up of 100 steps, healthy after: nothing to flag
        assertEquals(List.of(), verdicts((g, k) -> {
            double[] f = MadeUpLogs.HEALTHY.at(g, k);
            return k < 10 ? new double[] {f[0], 1e-5, f[2]} : f;
        }, 100));
        // a warm-up longer than the log: the rules read every point
        RunLog log = MadeUpLogs.parse(MadeUpLogs.log(21, 10, k -> 7, MadeUpLogs.HEALTHY), 5000);
        assertEquals(21, GradientFlow.diagnose(log).points());
    }

    @Test
    void everyFindingStatesItsRuleAndMeasurement() {
        RunLog log = MadeUpLogs.parse(MadeUpLogs.log(21, 10, k -> 7, (g, k) -> {
            double[] f = MadeUpLogs.HEALTHY.at(g, k);
            return g == 1 ? new double[] {f[0] / 100, f[1], f[2]} : f;
        }), 0);
        Finding f = GradientFlow.diagnose(log).findings().get(0);
        assertEquals(GradientFlow.rules().get(0), f.rule());
        assertTrue(f.measurement().contains("steps 10–210") && f.measurement().contains("of the median layer's"), f.measurement());
        assertTrue(f.line().contains("rule: vanishing"), f.line());
    }
}
