package minibert.explore;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.OptionalDouble;
import java.util.function.IntToDoubleFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The phase rules on made-up loss curves logged every 10 steps (point k at step 10·(k + 1)), with the unigram loss
 * U = 7 and ln V = ln 8192 ≈ 9.01.
 */
class TrainingDynamicsTest {

    private static final double U = 7;

    private static TrainingDynamics.Analysis analyse(int points, IntToDoubleFunction loss, long warmup, OptionalDouble u) {
        return TrainingDynamics.analyse(MadeUpLogs.parse(MadeUpLogs.log(points, 10, loss, MadeUpLogs.HEALTHY), warmup), u);
    }

    private static List<String> verdicts(TrainingDynamics.Analysis a) {
        return a.findings().stream().map(Finding::verdict).toList();
    }

    /** ln V down to U + 0.05 in 5 points, flat until point p, then down by 0.1 a point. */
    private static IntToDoubleFunction plateauUntil(int p) {
        return k -> k < 5 ? 9 - k * (2 - 0.05) / 5 + (k == 4 ? 0 : 0) : k < p ? U + 0.05 * Math.cos(k) : U - 0.1 * (k - p + 2);
    }

    @Test
    void aPlateauThenContext() {
        TrainingDynamics.Analysis a = analyse(40, plateauUntil(20), 50, OptionalDouble.of(U));
        // point 4 is the first within U + 0.15 (loss 7.44? no: 9 − 4·0.39 = 7.44 > 7.15), point 5 is on the plateau
        assertEquals(60, a.plateauStart());
        // from point 20: U − 0.2, U − 0.3, …: all below U − 0.15
        assertEquals(210, a.contextStep());
        assertEquals(List.of(new TrainingDynamics.Phase("frequencies", 10, 50), new TrainingDynamics.Phase("plateau", 60, 200),
                new TrainingDynamics.Phase("context", 210, 400)), a.phases());
        assertEquals(List.of("plateau outlasts warm-up"), verdicts(a), "200 − 60 = 140 steps after warm-up, which lasted 50");
        assertTrue(a.findings().get(0).measurement().contains("from step 60 to step 200"), a.findings().get(0).measurement());
        assertTrue(a.findings().get(0).suggestion().startsWith("the model was slow to start using context (it did from step 210)"),
                "context was found, so the suggestion may not say it is not used: " + a.findings().get(0).suggestion());
        assertEquals(Math.log(8192), a.lnV(), 1e-12);
    }

    @Test
    void aShortPlateauIsNotFlagged() {
        TrainingDynamics.Analysis a = analyse(40, plateauUntil(9), 50, OptionalDouble.of(U));
        assertEquals(100, a.contextStep());
        assertEquals(List.of(), verdicts(a), "the plateau ends at step 90, 30 steps after a 50-step warm-up");
    }

    @Test
    void oneLuckyPointDoesNotEndThePlateau() {
        IntToDoubleFunction loss = k -> k == 12 ? U - 0.5 : plateauUntil(25).applyAsDouble(k);
        TrainingDynamics.Analysis a = analyse(40, loss, 50, OptionalDouble.of(U));
        assertEquals(260, a.contextStep(), "point 12 alone is below U − b, not the two after it");
    }

    @Test
    void aRunThatEndsOnThePlateauAndOneThatNeverReachesIt() {
        TrainingDynamics.Analysis on = analyse(30, plateauUntil(1000), 20, OptionalDouble.of(U));
        assertEquals(-1, on.contextStep());
        assertEquals("plateau", on.phases().get(on.phases().size() - 1).name());
        assertEquals(300, on.phases().get(1).toStep());
        assertTrue(on.findings().get(0).measurement().contains("(the end of the log)"), on.findings().get(0).measurement());

        TrainingDynamics.Analysis above = analyse(9, k -> 9 - 0.1 * k, 20, OptionalDouble.of(U));
        assertEquals(-1, above.plateauStart());
        assertEquals(List.of(new TrainingDynamics.Phase("frequencies", 10, 90)), above.phases());
    }

    @Test
    void aLossThatFallsStraightThroughHasNoPlateau() {
        TrainingDynamics.Analysis a = analyse(20, k -> 9 - 0.75 * k, 20, OptionalDouble.of(U));
        assertEquals(40, a.plateauStart(), "7.5 at step 30 is above U + b, 6.75 at step 40 already below U − b");
        assertEquals(a.plateauStart(), a.contextStep(), "the first point within U + b is already below U − b");
        assertEquals(List.of("frequencies", "context"), a.phases().stream().map(TrainingDynamics.Phase::name).toList());
    }

    @Test
    void withoutTheUnigramLossNoPhasesAreDetected() {
        TrainingDynamics.Analysis a = analyse(40, plateauUntil(20), 50, OptionalDouble.empty());
        assertEquals(List.of(), a.phases());
        assertEquals(-1, a.plateauStart());
        assertEquals(List.of(), verdicts(a));
    }

    @Test
    void aLossThatDivergesAfterWarmUp() {
        // falls to 6.0 at point 15 (step 160), then climbs by 0.3 a point: 6.3, 6.6 (> 6.5), 6.9, 7.2 → three in a row
        // from point 17 (step 180)
        TrainingDynamics.Analysis a = analyse(25, k -> k <= 15 ? 9 - 0.2 * k : 6 + 0.3 * (k - 15), 50, OptionalDouble.of(U));
        Finding d = a.findings().stream().filter(f -> f.verdict().equals("diverges")).findFirst().orElseThrow();
        assertTrue(d.measurement().startsWith("from step 180"), d.measurement());
        assertTrue(d.measurement().contains("lowest value 6.00 at step 160"), d.measurement());

        TrainingDynamics.Analysis nan = analyse(25, k -> k == 18 ? Double.NaN : 9 - 0.1 * k, 50, OptionalDouble.of(U));
        assertTrue(nan.findings().stream().anyMatch(f -> f.measurement().equals(
                "the loss at step 190 is not a number (warm-up ended at step 50)")), nan.findings().toString());
    }

    @Test
    void aRiseDuringWarmUpIsNotADivergence() {
        TrainingDynamics.Analysis a = analyse(25, k -> k < 3 ? 7 : k < 8 ? 8 : 7 - 0.01 * k, 100, OptionalDouble.of(U));
        assertTrue(a.findings().stream().noneMatch(f -> f.verdict().equals("diverges")), a.findings().toString());
    }
}
