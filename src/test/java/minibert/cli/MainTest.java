package minibert.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class MainTest {

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void helpListsTheCommands() {
        Run r = run("--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("data") && r.out().contains("config"), r.out());
    }

    @Test
    void versionNamesTheJdk() {
        Run r = run("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("minibert") && r.out().contains("JDK " + System.getProperty("java.version")), r.out());
    }

    @Test
    void anUnknownCommandIsAUsageError() {
        Run r = run("frobnicate");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("frobnicate"), r.err());
    }

    @Test
    void benchRefusesATrainingConfigItCannotUse(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path bad = dir.resolve("train/bad.yaml");
        java.nio.file.Files.createDirectories(bad.getParent());
        java.nio.file.Files.writeString(bad, "batch_size: 3\n");
        Run r = run("bench", "--config", bad.toString());
        assertEquals(2, r.code(), "the products are sized from the config: a bad one measures nothing");
        assertTrue(r.err().contains(bad.toString()), r.err());
        assertTrue(r.out().isEmpty(), r.out());
    }

    @Test
    void configCheckAcceptsTheProjectConfigsAndRejectsABadOne(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        String project = System.getProperty("minibert.project.dir", ".");
        assertEquals(0, run("config", "check", project + "/configs/model/mini-bert.yaml", project + "/configs/train/pretrain.yaml").code());
        java.nio.file.Path bad = dir.resolve("model/bad.yaml");
        java.nio.file.Files.createDirectories(bad.getParent());
        java.nio.file.Files.writeString(bad, "hidden_size: 12\n");
        Run r = run("config", "check", bad.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains(bad + ": key 'vocab_size': is missing"), r.err());
    }

    @Test
    void dataStatusReportsEveryFileVerifiedWhenTheMirrorIsThere() {
        String mirror = System.getProperty("minibert.data.mirror", "");
        assumeTrue(!mirror.isBlank() && !mirror.startsWith("${"), "no data mirror configured (MINIBERT_DATA_MIRROR)");
        Run r = run("data", "status");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("all files present and verified"), r.out());
        assertTrue(r.out().matches("(?s).*sst2\\s+dev.tsv\\s+ok.*"), r.out());
    }

    @Test
    void tokenizePrintsPiecesAndIds(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.util.List<String> tokens = new java.util.ArrayList<>(minibert.text.Vocabulary.SPECIALS);
        tokens.addAll(java.util.List.of("un", "##aff", "##able", "!"));
        new minibert.text.Vocabulary(tokens).save(dir, 7);
        Run r = run("tokenize", "--vocab", dir.toString(), "Unaffable!");
        assertEquals(0, r.code(), r.err());
        assertEquals("un ##aff ##able !\n[5, 6, 7, 8]\n", r.out().replace("\r", ""));
        Run missing = run("tokenize", "--vocab", dir.resolve("nope").toString(), "x");
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("tokenizer " + dir.resolve("nope") + " does not exist"), missing.err());
    }

    @Test
    void gradcheckPrintsEveryTensorAndPasses() {
        Run r = run("gradcheck", "--samples", "4");
        assertEquals(0, r.code(), r.out());
        assertTrue(r.out().contains("bert.encoder.layer.1.attention.self.key.bias"), r.out());
        assertTrue(r.out().contains("43 tensors, 0 failed"), r.out());
    }

    @Test
    void fillMaskLoadsACheckpointAndRanksCandidates(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.util.List<String> tokens = new java.util.ArrayList<>(minibert.text.Vocabulary.SPECIALS);
        for (String w : java.util.List.of("the", "movie", "was", "good", "bad", ".", "a", "##s", "it", "fun",
                "dull", "film", "is", "not", "very", "so", "and", "but", "plot", "acting", "great", "poor", "story", "!")) {
            tokens.add(w);
        }
        minibert.text.Vocabulary vocab = new minibert.text.Vocabulary(tokens);
        vocab.save(dir.resolve("tok"), 7);
        var config = new minibert.config.ModelConfig(tokens.size(), 12, 2, 3, 17, 7, 2, 1e-12, "gelu", 0.1, 0.1, 0.02);
        minibert.model.checkpoint.Checkpoint.save(dir.resolve("ckpt"), new minibert.model.BertForMaskedLM(config, 3),
                minibert.model.checkpoint.Safetensors.DType.F32, dir.resolve("tok"));
        Run r = run("fill-mask", "--checkpoint", dir.resolve("ckpt").toString(), "--top", "3", "the movie was [MASK] .");
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().split("\n");
        assertEquals("[MASK] 1:", lines[0]);
        assertEquals(4, lines.length, r.out());
        Run none = run("fill-mask", "--checkpoint", dir.resolve("ckpt").toString(), "no mask here");
        assertEquals(2, none.code());
        assertTrue(none.err().contains("has no [MASK]"), none.err());
    }

    @Test
    void fetchingAnUnknownDataSetFails() {
        Run r = run("data", "fetch", "no-such-set");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("unknown data set 'no-such-set'"), r.err());
    }
}
