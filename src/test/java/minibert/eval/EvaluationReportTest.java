package minibert.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import minibert.train.Tally;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EvaluationReportTest {

    private static Tally tally(double loss, int masked, int correct) {
        Tally t = new Tally();
        t.add(loss, masked, correct);
        return t;
    }

    /** A report of made-up figures, to test the forms it is written in. */
    static EvaluationReport report() {
        var imdb = new MaskedLmEvaluation.Outcome("IMDB held-out", 64, 2, tally(3.0, 100, 30), tally(6.0, 100, 5));
        var wiki = new MaskedLmEvaluation.Outcome("WikiText-2 valid", 64, 2, tally(4.0, 90, 18), tally(6.5, 90, 4));
        var fit = new ProbeTraining.Outcome(1e-4, 3, 0.9, 0.88);
        var ctl = new ProbeTraining.Outcome(0, 2, 0.7, 0.69);
        var layers = List.of(new PosProbing.Layer(0, fit, ctl), new PosProbing.Layer(1, new ProbeTraining.Outcome(0, 4, 0.93, 0.91), ctl));
        var pos = new EvaluationReport.Pos(1000, 300, 200, 210, 1, 3, layers, layers,
                new PosProbing.MostFrequent(0.85, 0.1, 0.9, "NOUN"), 1, 1);
        var tuned = new EvaluationReport.FineTuned(List.of(new Sst2FineTuning.Epoch(1, 0.5, 0.8)), 1, 10, 0.81,
                new int[][] {{40, 10}, {9, 41}});
        var sst2 = new EvaluationReport.Sst2(950, 50, 100, 0, 0.51, 1, new BagOfWords.Outcome(500, new double[] {0.7}, 1, 0.78),
                tuned, tuned);
        var bf16 = new EvaluationReport.Bf16Comparison(tally(3.001, 100, 30), tally(4.002, 90, 17), 0.8, 800, 400, 200);
        return new EvaluationReport("/ckpt/step-0000300", 300, true, 7, imdb, wiki, pos, sst2, bf16,
                new double[] {1, 2, 3, 4, 10}, 1L << 30, 3L << 30);
    }

    @Test
    void theTidyTableHasEveryMeasureWithItsBaselines() {
        var rows = report().tidyRows();
        assertEquals(6, rows.size());
        assertEquals(List.of("Masked accuracy, IMDB held-out", "30.0%", "unigram 5.0%"), rows.get(0));
        assertEquals("20.09", rows.get(1).get(1));                         // e³
        assertTrue(rows.get(4).get(0).contains("layer 1") && rows.get(4).get(2).contains("selectivity +22.0 pp"), rows.get(4).toString());
        assertTrue(rows.get(5).get(2).contains("majority class 51.0%") && rows.get(5).get(2).contains("bag of words 78.0%"));
        assertEquals("2.00× smaller than float32", report().bf16Rows().get(5).get(3));
    }

    @Test
    void writingReplacesBothFilesAtomicallyAndLeavesNoTemporaryFile(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("evaluation");
        Files.createDirectories(out);
        Files.writeString(out.resolve("evaluation.json"), "old");
        report().write(out);
        var json = new ObjectMapper().readTree(out.resolve("evaluation.json").toFile());
        assertEquals(300, json.path("step").asInt());
        assertEquals(0.3, json.path("masked_lm").path("IMDB held-out").path("model").path("accuracy").asDouble(), 1e-12);
        assertEquals(41, json.path("sst2").path("pretrained").path("confusion").get(1).get(1).asInt());
        assertEquals(3L << 30, json.path("max_heap_bytes").asLong());
        assertEquals(1L << 30, json.path("peak_heap_bytes").asLong());
        String md = Files.readString(out.resolve("evaluation.md"));
        assertTrue(md.startsWith("# Evaluation of /ckpt/step-0000300") && md.contains("| Measure | minibert | Baselines |"), md);
        assertTrue(md.contains("heap limit 3,072 MiB, never crossed (the heap pools' peaks sum to 1,024 MiB)"), md);
        try (var files = Files.list(out)) {
            assertEquals(List.of("evaluation.json", "evaluation.md"), files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        // a folder where the file should go: the write fails, and what was there is left as it was
        Path blocked = dir.resolve("blocked");
        Files.createDirectories(blocked.resolve("evaluation.json"));
        assertThrows(java.io.IOException.class, () -> report().write(blocked));
        assertTrue(Files.isDirectory(blocked.resolve("evaluation.json")));
    }

    @Test
    void aRunDirectoryMeansItsNewestCheckpoint(@TempDir Path dir) throws Exception {
        for (String step : List.of("step-0000100", "step-0000300", "step-0000020")) {
            Files.createDirectories(dir.resolve("checkpoints").resolve(step));
        }
        Files.createDirectories(dir.resolve("checkpoints/.tmp-step-0000400-x"));
        assertEquals(dir.resolve("checkpoints/step-0000300").toAbsolutePath(), Evaluation.resolveCheckpoint(dir).toAbsolutePath());
        Path ckpt = dir.resolve("ckpt");
        Files.createDirectories(ckpt);
        Files.writeString(ckpt.resolve("config.json"), "{}");
        Files.writeString(ckpt.resolve("model.safetensors"), "");
        assertEquals(ckpt, Evaluation.resolveCheckpoint(ckpt));
        var e = assertThrows(IllegalArgumentException.class, () -> Evaluation.resolveCheckpoint(dir.resolve("checkpoints/step-0000020")));
        assertTrue(e.getMessage().contains("neither a checkpoint folder"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Evaluation.resolveCheckpoint(dir.resolve("nothing")));
    }
}
