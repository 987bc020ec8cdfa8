package minibert.explore;

import minibert.io.InputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunLogTest {

    private static final RunLog.Settings SETTINGS = new RunLog.Settings(300, 30, 1e-3, 3 * 7 * 13, 29);

    private static RunLog parse(String text) {
        return RunLog.parse(Path.of("r"), Path.of("r/metrics.jsonl"), text, SETTINGS);
    }

    @Test
    void readsTrainAndEvalLinesAndNullAsNaN() {
        RunLog log = parse("""
                {"kind":"train","step":10,"loss":7.5,"accuracy":0.02,"grad_norm":1.5,"clip":0.6,"lr":0.0003,"tokens_per_s":9,"groups":{"embeddings":{"grad_norm":0.5,"update_ratio":0.001,"weight_norm":30},"layer.0":{"grad_norm":0.25,"update_ratio":0.002,"weight_norm":12}}}
                {"kind":"eval","step":10,"loss":7.4,"accuracy":0.03,"perplexity":1636}

                {"kind":"train","step":20,"tokens":5460,"loss":null,"accuracy":null,"grad_norm":null,"clip":1,"lr":0.0006,"seconds":12.5,"groups":{}}
                """);
        assertEquals(2, log.train().size());
        assertEquals(1, log.eval().size());
        assertEquals(10 * 273, log.train().get(0).tokens(), "tokens from the settings when the line has none");
        assertEquals(5460, log.train().get(1).tokens());
        assertTrue(Double.isNaN(log.train().get(1).loss()));
        assertEquals(9, log.train().get(0).tokensPerSecond());
        assertTrue(Double.isNaN(log.train().get(0).seconds()), "NaN when the line has no clock");
        assertEquals(12.5, log.train().get(1).seconds());
        assertTrue(Double.isNaN(log.train().get(1).tokensPerSecond()));
        assertEquals(0.25, log.train().get(0).groups().get("layer.0").gradNorm());
        assertEquals(java.util.List.of("embeddings", "layer.0"), log.groups());
        assertTrue(log.notes().isEmpty());
    }

    @Test
    void aLastLineCutShortIsLeftOutWithANote() {
        RunLog log = parse("{\"kind\":\"eval\",\"step\":10,\"loss\":7.4,\"accuracy\":0.03,\"perplexity\":1636}\n{\"kind\":\"train\",\"st");
        assertEquals(1, log.eval().size());
        assertEquals(1, log.notes().size());
        assertTrue(log.notes().get(0).contains("line 2 is cut short"), log.notes().get(0));
    }

    @Test
    void badLinesAreNamed() {
        var e = assertThrows(InputException.class, () -> parse("{\"kind\":\"eval\",\"step\":1,\"loss\":1,\"accuracy\":0,\"perplexity\":1}\nnot json\n"));
        assertTrue(e.getMessage().contains("r/metrics.jsonl") && e.getMessage().contains("line 2"), e.getMessage());
        e = assertThrows(InputException.class, () -> parse("{\"kind\":\"test\",\"step\":1}\n"));
        assertTrue(e.getMessage().contains("\"kind\" must be"), e.getMessage());
        e = assertThrows(InputException.class, () -> parse("{\"kind\":\"eval\",\"step\":-3,\"loss\":1}\n"));
        assertTrue(e.getMessage().contains("\"step\""), e.getMessage());
        e = assertThrows(InputException.class, () -> parse("{\"kind\":\"eval\",\"step\":3,\"loss\":\"low\",\"accuracy\":0,\"perplexity\":1}\n"));
        assertTrue(e.getMessage().contains("\"loss\" must be a number or null"), e.getMessage());
        e = assertThrows(InputException.class, () -> parse("""
                {"kind":"train","step":20,"loss":1,"accuracy":0,"grad_norm":1,"clip":1,"lr":0}
                {"kind":"train","step":10,"loss":1,"accuracy":0,"grad_norm":1,"clip":1,"lr":0}
                """));
        assertTrue(e.getMessage().contains("must increase"), e.getMessage());
    }

    @Test
    void aFolderWithoutRunJsonIsNotARun(@TempDir Path dir) throws Exception {
        var e = assertThrows(InputException.class, () -> RunLog.read(dir));
        assertTrue(e.getMessage().contains("run.json"), e.getMessage());
        Files.writeString(dir.resolve("run.json"), "{\"format\":1,\"settings\":{\"train.steps\":3}}");
        e = assertThrows(InputException.class, () -> RunLog.read(dir));
        assertTrue(e.getMessage().contains("train.gradientAccumulation"), e.getMessage());
        assertThrows(InputException.class, () -> RunLog.read(dir.resolve("missing")));
    }

    @Test
    void readsARunDirectory(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("run.json"), """
                {"format":1,"settings":{"train.steps":300,"train.warmupSteps":30,"train.learningRate":0.001,
                 "train.gradientAccumulation":1,"train.batchSize":32,"train.sequenceLength":64,"model.vocabSize":8192}}""");
        Files.writeString(dir.resolve("metrics.jsonl"), MadeUpLogs.log(7, 10, k -> 9 - k, MadeUpLogs.HEALTHY));
        RunLog log = RunLog.read(dir);
        assertEquals(new RunLog.Settings(300, 30, 1e-3, 2048, 8192), log.settings());
        assertEquals(7, log.train().size());
        assertEquals(5, log.groups().size());
    }
}
