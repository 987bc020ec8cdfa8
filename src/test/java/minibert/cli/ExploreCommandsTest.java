package minibert.cli;

import minibert.model.BertForMaskedLM;
import minibert.model.GradientCheck;
import minibert.model.checkpoint.Checkpoint;
import minibert.model.checkpoint.Safetensors;
import minibert.text.Vocabulary;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The argument checks of attention, trace and analyze, and one real run of each on a small checkpoint and a made-up run. */
class ExploreCommandsTest {

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

    @TempDir
    static Path dir;
    static Path checkpoint;
    static Path runA;
    static Path runB;

    @BeforeAll
    static void files() throws Exception {
        List<String> tokens = new ArrayList<>(Vocabulary.SPECIALS);
        tokens.addAll(List.of("the", "movie", "was", "great", "bad", "a", "film", "it", "is", "not", "good", "and", "un",
                "##aff", "##able", "plot", "actor", ".", ",", "!", "very", "fun", "##ny", "boring"));
        Path vocab = dir.resolve("vocab");
        new Vocabulary(tokens).save(vocab, 7);
        checkpoint = dir.resolve("checkpoint");
        Checkpoint.save(checkpoint, new BertForMaskedLM(GradientCheck.smallConfig(), 3), Safetensors.DType.F64, vocab);
        runA = run("run-a", 9.0, 0.4);
        runB = run("run-b", 9.0, 0.1);
    }

    /** A run directory with run.json and a metrics log whose loss falls by {@code drop} per log point from {@code start}. */
    private static Path run(String name, double start, double drop) throws Exception {
        Path r = dir.resolve(name);
        Files.createDirectories(r);
        Files.writeString(r.resolve("run.json"), """
                {"format":1,"settings":{"train.steps":200,"train.warmupSteps":20,"train.learningRate":0.001,
                 "train.gradientAccumulation":1,"train.batchSize":3,"train.sequenceLength":7,"model.vocabSize":29}}""");
        StringBuilder log = new StringBuilder();
        for (int k = 1; k <= 20; k++) {
            log.append(String.format(Locale.ROOT, "{\"kind\":\"train\",\"step\":%d,\"loss\":%.3f,\"accuracy\":0.1,\"grad_norm\":1,"
                    + "\"clip\":1,\"lr\":0.001,\"groups\":{\"layer.0\":{\"grad_norm\":0.2,\"update_ratio\":0.001,\"weight_norm\":3},"
                    + "\"layer.1\":{\"grad_norm\":0.25,\"update_ratio\":0.001,\"weight_norm\":3}}}%n", 10 * k, Math.max(3, start - drop * k)));
        }
        log.append("{\"kind\":\"eval\",\"step\":200,\"loss\":3.5,\"accuracy\":0.2,\"perplexity\":33}\n");
        Files.writeString(r.resolve("metrics.jsonl"), log.toString());
        return r;
    }

    @Test
    void attentionDrawsAHeadAndRefusesOnesThatDoNotExist() {
        Run ok = run("attention", "--checkpoint", checkpoint.toString(), "--layer", "1", "--head", "2", "the", "movie", "was", "great");
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.out().startsWith("layer 1, head 2 of " + checkpoint) && ok.out().contains("Most attended token"), ok.out());
        Run pair = run("attention", "--checkpoint", checkpoint.toString(), "--pair", "fun", "it", "is");
        assertEquals(0, pair.code(), pair.err());
        assertTrue(pair.out().contains("[SEP]"), pair.out());

        Run layer = run("attention", "--checkpoint", checkpoint.toString(), "--layer", "2", "fun");
        assertEquals(2, layer.code());
        assertTrue(layer.err().contains("--layer 2: the model of " + checkpoint + " has layers 0 to 1"), layer.err());
        Run head = run("attention", "--checkpoint", checkpoint.toString(), "--head", "3", "fun");
        assertEquals(2, head.code());
        assertTrue(head.err().contains("has heads 0 to 2"), head.err());
        Run negative = run("attention", "--checkpoint", checkpoint.toString(), "--head", "-1", "fun");
        assertEquals(2, negative.code());
        assertTrue(negative.err().contains("--head must be at least 0, found -1"), negative.err());
        Run missing = run("attention", "fun");
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("--checkpoint"), missing.err());
        Run noText = run("attention", "--checkpoint", checkpoint.toString());
        assertEquals(2, noText.code());
        Run noFolder = run("attention", "--checkpoint", dir.resolve("nothing").toString(), "fun");
        assertEquals(2, noFolder.code());
        assertTrue(noFolder.err().contains(dir.resolve("nothing").toString()), noFolder.err());
    }

    @Test
    void traceStepsThroughThePassAndChecksItsOptions() {
        Run ok = run("trace", "--checkpoint", checkpoint.toString(), "--length", "7", "--head", "1", "it", "is", "fun");
        assertEquals(0, ok.code(), ok.err());
        for (String expected : List.of("L = 2, H = 12, A = 3 heads of d = 4", "E_word[ids]   [7, 12]", "== layer 1",
                "head 1: S = Q·Kᵀ/√4 + M   [7, 7]", "M = −10000 at the padded keys (columns 5 … 6)", "z = t·E_wordᵀ + b, the logits   [5, 29]",
                "Most likely pieces at each position")) {
            assertTrue(ok.out().contains(expected), expected + " in\n" + ok.out());
        }
        Run cut = run("trace", "--checkpoint", checkpoint.toString(), "the movie was great and very fun");
        assertEquals(0, cut.code(), cut.err());
        assertTrue(cut.err().contains("the last 2 were dropped"), cut.err());

        assertEquals(2, run("trace", "--checkpoint", checkpoint.toString(), "--length", "1", "fun").code());
        assertEquals(2, run("trace", "--checkpoint", checkpoint.toString(), "--rows", "0", "fun").code());
        assertEquals(2, run("trace", "--checkpoint", checkpoint.toString(), "--values", "-2", "fun").code());
        Run longer = run("trace", "--checkpoint", checkpoint.toString(), "--length", "8", "fun");
        assertEquals(2, longer.code());
        assertTrue(longer.err().contains("has 7 positions"), longer.err());
        Run head = run("trace", "--checkpoint", checkpoint.toString(), "--head", "3", "fun");
        assertEquals(2, head.code());
        assertTrue(head.err().contains("has heads 0 to 2"), head.err());
    }

    @Test
    void analyzeReadsOneOrTwoRuns() throws Exception {
        Run one = run("analyze", "--no-unigram", runA.toString());
        assertEquals(0, one.code(), one.err());
        assertTrue(one.out().contains("20 training log points (steps 10–200 of 200"), one.out());
        assertTrue(one.out().contains("unigram loss unknown (--no-unigram): the phase rules are not applied"), one.out());
        assertTrue(one.out().contains("Gradient flow over steps 30–200 (18 log points after warm-up)"), one.out());

        Path svg = dir.resolve("plots/compare.svg");
        Run two = run("analyze", "--no-unigram", "--plot", svg.toString(), "--tokens", runA.toString(), runB.toString());
        assertEquals(0, two.code(), two.err());
        assertTrue(two.out().contains("Comparison") && two.out().contains("run-a") && two.out().contains("run-b"), two.out());
        String picture = Files.readString(svg);
        assertTrue(picture.startsWith("<svg") && picture.contains("run-a: training loss") && picture.contains("tokens seen"), picture);

        Run three = run("analyze", runA.toString(), runB.toString(), runA.toString());
        assertEquals(2, three.code());
        Run notARun = run("analyze", "--no-unigram", dir.toString());
        assertEquals(2, notARun.code());
        assertTrue(notARun.err().contains(dir + " is not a run directory"), notARun.err());
        Run text = run("analyze", "--plot", dir.resolve("x.txt").toString(), runA.toString());
        assertEquals(2, text.code());
        assertTrue(text.err().contains("must name an .svg file"), text.err());
        Files.writeString(dir.resolve("afile"), "x");
        Run underFile = run("analyze", "--plot", dir.resolve("afile/x.svg").toString(), runA.toString());
        assertEquals(2, underFile.code());
        assertTrue(underFile.err().contains("afile"), underFile.err());
    }

    @Test
    void analyzeSaysWhyTheUnigramLossIsUnknownWhenTheCachesAreMissing() {
        // the made-up run records no corpus (and has no vocabulary): its caches can be neither found nor built, and the
        // analysis goes on without U and says why
        Run r = run("analyze", "--cache-dir", dir.resolve("no-cache").toString(), runA.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("unigram loss unknown (its caches could not be read or built: "), r.out());
    }
}
