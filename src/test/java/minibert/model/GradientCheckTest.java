package minibert.model;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every parameter tensor and the input embeddings, against fourth-order central differences, for several seeds. */
class GradientCheckTest {

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {3, 7, 11, 19, 2026})
    void everyGradientMatchesFiniteDifferences(long seed) {
        List<GradientCheck.Row> rows = GradientCheck.run(seed, 12);
        // 5 embedding tensors + 16 per layer × 2 layers + 5 in the head, and the input embeddings
        assertEquals(5 + 16 * 2 + 5 + 1, rows.size());
        for (GradientCheck.Row r : rows) {
            assertTrue(r.passed(), "seed " + seed + ": " + r);
            assertTrue(r.zero() || r.maxGradient() > 1e-4, "seed " + seed + ": a gradient that should not vanish does: " + r);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {3, 7, 2026})
    void theClassificationHeadsGradientsMatchToo(long seed) {
        List<GradientCheck.Row> rows = GradientCheck.runClassifier(seed, 12);
        assertEquals(5 + 16 * 2 + 4 + 1, rows.size());
        for (GradientCheck.Row r : rows) {
            assertTrue(r.passed(), "seed " + seed + ": " + r);
        }
        assertTrue(rows.stream().anyMatch(r -> r.name().equals("bert.pooler.dense.weight") && r.maxGradient() > 1e-4));
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {5, 13})
    void withDropoutHeldFixedByItsSeedEveryGradientStillMatches(long seed) {
        List<GradientCheck.Row> rows = GradientCheck.run(seed, 12, GradientCheck.DROPOUT);
        assertEquals(5 + 16 * 2 + 5 + 1, rows.size());
        for (GradientCheck.Row r : rows) {
            assertTrue(r.passed(), "seed " + seed + ", dropout " + GradientCheck.DROPOUT + ": " + r);
        }
        for (GradientCheck.Row r : GradientCheck.runClassifier(seed, 12, GradientCheck.DROPOUT)) {
            assertTrue(r.passed(), "classifier, seed " + seed + ", dropout " + GradientCheck.DROPOUT + ": " + r);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {3, 7})
    void theKeyBiasHasAZeroGradientBecauseSoftmaxIsShiftInvariant(long seed) {
        for (GradientCheck.Row r : GradientCheck.run(seed, 12)) {
            if (r.name().endsWith("attention.self.key.bias")) {
                assertTrue(r.zero() && r.maxGradient() < 1e-12, r.toString());
            }
        }
    }
}
