package minibert.bench;

import minibert.tensor.Gemm;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The goals are judged on the figures given: each threshold on both sides of it, with made-up rows. */
class GemmBenchmarkTest {

    private static GemmBenchmark.Row row(int m, int n, int k, boolean ta, boolean tb, int batch,
                                         double single, double multi, double floatSingle) {
        Sample none = Sample.of();
        return new GemmBenchmark.Row(new ProductShape("s", m, n, k, ta, tb, batch), Sample.of(1), Sample.of(single * 0.9, single, single * 1.1),
                Sample.of(multi), Sample.of(floatSingle), Sample.of(2 * floatSingle), none, none, none, none);
    }

    /** A row with OpenBLAS at {@code blas} times the kernel's rate everywhere but float on all threads, at {@code blasFloatMulti} times. */
    private static GemmBenchmark.Row withBlas(GemmBenchmark.Row r, double blas, double blasFloatMulti) {
        return new GemmBenchmark.Row(r.shape(), r.ejml(), r.single(), r.multi(), r.floatSingle(), r.floatMulti(),
                Sample.of(r.single().median() * blas), Sample.of(r.multi().median() * blas),
                Sample.of(r.floatSingle().median() * blas), Sample.of(r.floatMulti().median() * blasFloatMulti));
    }

    @Test
    void theRatioToOpenBlasIsTakenRoundByRoundWhenTheRoundsAreKept() {
        // rounds of 10, 20 and 30 ns for the kernel against 9, 22 and 27 for OpenBLAS: within each round the kernel
        // reached 0.9, 1.1 and 0.9 of OpenBLAS's rate (median 0.9), while the medians of each alone divide to 1.1
        double[] kernel = {10, 20, 30}, blas = {9, 22, 27};
        Sample paired = GemmBenchmark.paired(blas, kernel);
        assertEquals(0.9, paired.median(), 1e-12);
        Sample k = Sample.of(kernel).inverse(1), b = Sample.of(blas).inverse(1), none = Sample.of();
        ProductShape shape = new ProductShape("s", 7, 5, 3, false, true, 1);
        GemmBenchmark.Row unpaired = new GemmBenchmark.Row(shape, none, k, k, k, k, b, b, b, b);
        assertEquals(1.1, unpaired.ratios()[0], 1e-12);
        GemmBenchmark.Row row = new GemmBenchmark.Row(shape, none, k, k, k, k, b, b, b, b,
                new Sample[] {paired, paired, paired, paired});
        assertEquals(0.9, row.ratios()[0], 1e-12);
        assertEquals(0.9, row.ratios()[3], 1e-12);
    }

    @Test
    void theOpenBlasGoalTakesTheLowestRatioOfEveryShapeAndWay() {
        GemmBenchmark.Row a = row(2048, 192, 192, false, true, 1, 40, 72, 80), b = row(192, 192, 2048, true, false, 1, 30, 55, 70);
        List<GemmBenchmark.Goal> met = GemmBenchmark.goals(List.of(withBlas(a, 1.0, 1.0), withBlas(b, 1.1, 1.05)), 50, 100, 95);
        assertEquals(6, met.size());
        assertTrue(met.get(5).met(), met.get(5).toString());
        assertTrue(met.get(5).measured().startsWith("lowest 0.91×"), met.get(5).measured());
        List<GemmBenchmark.Goal> unmet = GemmBenchmark.goals(List.of(withBlas(a, 1.0, 1.0), withBlas(b, 1.0, 1.25)), 50, 100, 95);
        assertFalse(unmet.get(5).met(), unmet.get(5).toString());
        assertTrue(unmet.get(5).measured().startsWith("lowest 0.80×") && unmet.get(5).measured().contains("float, "),
                unmet.get(5).measured());
        assertEquals(1 / 1.25, withBlas(b, 1.0, 1.25).ratios()[3], 1e-12);
    }

    @Test
    void eachGoalIsJudgedAgainstItsThreshold() {
        double peak = 50, peakF = 100;
        List<GemmBenchmark.Row> good = List.of(
                row(2048, 192, 192, false, true, 1, 40, 72, 80),          // 80% of peak, 1.8× on two threads
                row(2048, 192, 768, false, false, 1, 31, 56, 61),         // 62%, 1.81×; float 61%
                row(192, 192, 2048, true, false, 1, 30, 55, 70),          // AᵀB: mean plain 35.5 / 30 = 1.18×
                row(8192, 192, 213, true, false, 1, 36, 40, 70),          // AᵀB with more rows: not the B·T ones
                row(64, 64, 48, false, true, 128, 25, 45, 40));           // batched: 45 / (50 · threads)
        List<GemmBenchmark.Goal> goals = GemmBenchmark.goals(good, peak, peakF, 95);
        assertEquals(5, goals.size());
        assertTrue(goals.get(0).met(), goals.get(0).toString());
        assertEquals("lowest 62%", goals.get(0).measured());
        assertTrue(goals.get(1).met(), goals.get(1).toString());
        assertEquals("worst 1.18×", goals.get(2).measured());
        assertTrue(goals.get(2).met());
        assertTrue(goals.get(3).met(), goals.get(3).toString());
        assertEquals("lowest 1.80× (the FMA loop: 1.90×)", goals.get(3).measured());
        assertTrue(goals.get(3).goal().contains("2048-row"), "the tallest shapes are named by their rows: " + goals.get(3).goal());
        assertEquals(45 / (50.0 * Gemm.threads()) >= 0.4, goals.get(4).met());
        assertEquals(0.2, good.get(0).spread(), 1e-12, "a row's spread is its widest figure's");

        List<GemmBenchmark.Row> poor = List.of(
                row(2048, 192, 192, false, true, 1, 29, 40, 59),          // 58%, 1.38×; float 59%
                row(192, 192, 2048, true, false, 1, 19, 30, 70),          // 29 / 19 = 1.53×
                row(64, 64, 48, false, true, 128, 10, 15, 20));
        goals = GemmBenchmark.goals(poor, peak, peakF, 95);
        for (int i = 0; i < 4; i++) {
            assertFalse(goals.get(i).met(), goals.get(i).toString());
        }
        assertFalse(goals.get(4).met());
    }
}
