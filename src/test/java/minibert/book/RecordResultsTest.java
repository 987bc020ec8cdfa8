package minibert.book;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import minibert.io.InputException;
import minibert.train.RunDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the Results chapter reads the record's milestones: every kept milestone's full evaluation (10K, and 100K once the
 * run has passed it), refused with the file named when it is missing, quick, or of another step; and the quoted
 * expectations, which must cover every milestone the trainer keeps.
 */
class RecordResultsTest {

    @TempDir
    Path dir;

    /** A full evaluation of {@code step} with the parts the book reads; the POS probe's layer 2 is best on dev. */
    private static String evaluation(long step, boolean quick) {
        return """
                {"step": %d, "quick": %b,
                 "masked_lm": {"IMDB held-out": {"model": {"accuracy": 0.41, "perplexity": 22.5}},
                               "WikiText-2 valid": {"model": {"accuracy": 0.3, "perplexity": 90}}},
                 "pos": {"pretrained": [{"layer": 1, "dev_accuracy": 0.80, "accuracy": 0.87},
                                        {"layer": 2, "dev_accuracy": 0.90, "accuracy": 0.88},
                                        {"layer": 3, "dev_accuracy": 0.85, "accuracy": 0.95}]},
                 "sst2": {"pretrained": {"dev_accuracy": 0.84}}}
                """.formatted(step, quick);
    }

    private RunDirectory runWith(long step, String json) throws IOException {
        RunDirectory run = new RunDirectory(dir);
        Path file = run.milestone(step).resolve("evaluation").resolve("evaluation.json");
        Files.createDirectories(file.getParent());
        Files.writeString(file, json);
        return run;
    }

    @Test
    void milestonesAreLabelledInThousands() {
        assertEquals("10k", RecordResults.label(10_000));
        assertEquals("100k", RecordResults.label(100_000));
        assertEquals("2500", RecordResults.label(2_500));
    }

    @Test
    void twoFiguresGetAsManyDecimalsAsItTakesToTellThemApart() {
        assertArrayEquals(new String[] {"70.1", "61.2"}, RecordResults.distinct(70.14, 61.2));
        assertArrayEquals(new String[] {"20.73", "20.68"}, RecordResults.distinct(20.7312, 20.6789));
        assertArrayEquals(new String[] {"20.7001", "20.7000"}, RecordResults.distinct(20.70012, 20.70004));
        assertArrayEquals(new String[] {"20.7", "20.7"}, RecordResults.distinct(20.700001, 20.700002));
        assertArrayEquals(new String[] {"NaN", "20.7"}, RecordResults.distinct(Double.NaN, 20.7));
    }

    @Test
    void aMilestonesEvaluationGivesTheFourMeasuresWithThePosLayerChosenOnDev() throws IOException {
        RecordResults.Evaluated ev = RecordResults.Evaluated.read(runWith(100_000, evaluation(100_000, false)), 100_000);
        assertEquals(0.41, ev.measure("masked_accuracy"));
        assertEquals(22.5, ev.measure("perplexity"));
        assertEquals(0.88, ev.measure("pos_accuracy"), "layer 2, the best on dev, not layer 3, the best on test");
        assertEquals(2, ev.best().path("layer").asInt());
        assertEquals(0.84, ev.measure("sst2_accuracy"));
    }

    @Test
    void aMissingQuickOrMisplacedEvaluationIsRefusedNamingTheFile() throws IOException {
        RunDirectory empty = new RunDirectory(dir);
        InputException missing = assertThrows(InputException.class, () -> RecordResults.Evaluated.read(empty, 100_000));
        assertTrue(missing.getMessage().contains("step-100000") && missing.getMessage().contains("minibert evaluate"),
                missing.getMessage());

        RunDirectory quick = runWith(100_000, evaluation(100_000, true));
        InputException q = assertThrows(InputException.class, () -> RecordResults.Evaluated.read(quick, 100_000));
        assertTrue(q.getMessage().contains("quick"), q.getMessage());

        RunDirectory misplaced = runWith(100_000, evaluation(10_000, false));   // the 10K evaluation copied into step-100000
        InputException m = assertThrows(InputException.class, () -> RecordResults.Evaluated.read(misplaced, 100_000));
        assertTrue(m.getMessage().contains("evaluates step 10000") && m.getMessage().contains("evaluation.json"), m.getMessage());
    }

    @Test
    void theExpectationsMustCoverEveryKeptMilestone() throws IOException {
        Path yaml = dir.resolve("expectations.yaml");
        String tenK = """
                source: "a summary"
                expectations:
                  10000: {masked_accuracy: [0.2, 0.3], perplexity: [50, 100], pos_accuracy: [0.8, 0.85], sst2_accuracy: [0.65, 0.7]}
                goals:
                  10000: {masked_accuracy: 0.3, perplexity: 50, pos_accuracy: 0.85, sst2_accuracy: 0.7}
                """;
        Files.writeString(yaml, tenK);
        InputException e = assertThrows(InputException.class, () -> RecordResults.Expectations.load(yaml));
        assertTrue(e.getMessage().contains("expectation for masked_accuracy at step 100000"), e.getMessage());

        Files.writeString(yaml, tenK.replace("goals:", """
                  100000: {masked_accuracy: [0.6, 0.7], perplexity: [15, 25], pos_accuracy: [0.9, 0.95], sst2_accuracy: [0.8, 0.85]}
                goals:"""));
        RecordResults.Expectations loaded = RecordResults.Expectations.load(yaml);
        assertEquals(RunDirectory.MILESTONES, loaded.expectations().keySet().stream().collect(java.util.stream.Collectors.toSet()));
        assertEquals(null, loaded.goals().get(100_000L), "goals are set for 10K steps only");
    }

    private static final double[] PPL = {15, 25}, ACC = {0.6, 0.7};

    private static java.util.List<minibert.explore.RunLog.EvalPoint> log(double[]... stepPplAcc) {
        return java.util.Arrays.stream(stepPplAcc)
                .map(e -> new minibert.explore.RunLog.EvalPoint((long) e[0], Math.log(e[1]), e[2], e[1])).toList();
    }

    @Test
    void thePairingCountsOnlyTheEvaluationsAtTheExpectedPerplexityUpToTheMilestone() {
        var eval = log(new double[] {3_000, 40.1, 0.31}, new double[] {7_000, 24.9, 0.413}, new double[] {9_000, 25.3, 0.55},
                new double[] {11_000, 23.0, 0.437}, new double[] {13_000, 19.0, 0.99});
        String s = RecordResults.pairing(eval, 11_000, PPL, ACC);
        assertTrue(s.startsWith("Up to step 11,000, 2 of the log's held-out evaluations had a perplexity at or below 25"), s);
        assertTrue(s.contains("(the first at step 7,000)"), s);
        assertTrue(s.contains("ranged from 41.3% to 43.7%"), "step 9,000 (25.3) is outside, step 13,000 after: " + s);
        assertTrue(s.contains("below the 60–70%") && s.contains("by 16.3 pp at best") && s.contains("ranks it first less often"), s);
    }

    @Test
    void thePairingSaysWhenTheAccuracyIsWithinOrAboveTheExpectation() {
        assertTrue(RecordResults.pairing(log(new double[] {5_000, 21, 0.65}), 5_000, PPL, ACC)
                .contains("one of the log's held-out evaluations had a perplexity at or below 25, the top of the summary's "
                        + "range of 15–25 (at step 5,000); its masked accuracy was 65.0%, within the 60–70%"));
        assertTrue(RecordResults.pairing(log(new double[] {5_000, 21, 0.72}, new double[] {6_000, 20, 0.75}), 6_000, PPL, ACC)
                .contains("ranged from 72.0% to 75.0%, above the 60–70%"));
        assertTrue(RecordResults.pairing(log(new double[] {5_000, 21, 0.62}, new double[] {6_000, 20, 0.71}), 6_000, PPL, ACC)
                .endsWith("ranged from 62.0% to 71.0%, against the 60–70% that the summary expects beside such a perplexity: "
                        + "within it at the lowest, above it at the highest."), "a range that overlaps is not 'above'");
    }

    @Test
    void thePairingSaysWhenThePerplexityNeverReachedTheRange() {
        String s = RecordResults.pairing(log(new double[] {1_000, 80.2, 0.2}, new double[] {2_000, 61.7, 0.25},
                new double[] {3_000, 66.0, 0.26}), 3_000, PPL, ACC);
        assertEquals("The log's held-out perplexity had not come down into the summary's range of 15–25 by step 3,000 (its "
                + "lowest, 61.7, at step 2,000), so the log cannot say which masked accuracy comes with such a perplexity.", s);
        assertEquals("The log has no held-out evaluation up to step 500.", RecordResults.pairing(log(new double[] {1_000, 80, 0.2}),
                500, PPL, ACC));
    }

    private static com.fasterxml.jackson.databind.JsonNode segments(String json) throws IOException {
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
    }

    @Test
    void theStepsOfAModifiedTreesBuildAreMergedAndASecondSuchBuildIsRefused() throws IOException {
        String a = "\"uncommitted on b33372b49630 (built from a modified tree)\"";
        var segs = segments("[{\"from_step\": 0, \"to_step\": 4016, \"commit\": \"998532f7d16c\", \"ended_by\": \"interrupted\"},"
                + "{\"from_step\": 4016, \"to_step\": 5103, \"commit\": " + a + ", \"ended_by\": \"interrupted\"},"
                + "{\"from_step\": 5103, \"to_step\": 6007, \"commit\": " + a + ", \"ended_by\": \"interrupted\"},"
                + "{\"from_step\": 6007, \"to_step\": 7001, \"commit\": \"e7245ae00000\", \"ended_by\": \"interrupted\"},"
                + "{\"from_step\": 7001, \"to_step\": 7003, \"commit\": " + a + ", \"ended_by\": \"finished\"}]");
        assertEquals("4,016–6,007 and 7,001–7,003", RecordResults.uncommittedSteps(segs));
        assertEquals("the last segment ran to the end of the schedule (\"finished\")", RecordResults.newestSegment(segs));
        assertEquals("none", RecordResults.uncommittedSteps(segments("[{\"from_step\": 0, \"to_step\": 9, \"commit\": \"abc\"}]")));
        var two = segments("[{\"from_step\": 0, \"to_step\": 9, \"commit\": " + a + "},"
                + "{\"from_step\": 9, \"to_step\": 13, \"commit\": \"uncommitted on 0123456789ab\"}]");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> RecordResults.uncommittedSteps(two));
        assertTrue(e.getMessage().contains("uncommitted on 0123456789ab"), e.getMessage());
    }

    @Test
    void theNewestSegmentIsDescribedAsItsEndingSays() throws IOException {
        assertTrue(RecordResults.newestSegment(segments("[{\"ended_by\": \"running: recorded at the checkpoint of step 7\"}]"))
                .contains("still training when the record was committed"));
        assertEquals("the newest segment's end is recorded as \"stopped\"",
                RecordResults.newestSegment(segments("[{\"ended_by\": \"interrupted\"}, {\"ended_by\": \"stopped\"}]")));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> RecordResults.newestSegment(
                segments("[{\"ended_by\": \"interrupted\"}, {\"ended_by\": \"failed: disk full\"}, {\"ended_by\": \"finished\"}]")));
        assertTrue(e.getMessage().contains("segment 2 ended 'failed: disk full'"), e.getMessage());
    }
}
