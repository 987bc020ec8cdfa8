package minibert.train;

import minibert.fuzz.TinyRun;
import minibert.model.checkpoint.Tensor;
import minibert.text.Vocabulary;
import minibert.text.WordPieceTrainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The trainer end to end on a small corpus and model (T = 13, H = 12, A = 3, I = 17, L = 2, batch 3): resume
 * is bit-exact in both precisions, other settings are refused, a stop request writes a checkpoint, a
 * diverging run stops naming its step and last good checkpoint.
 */
class TrainerTest {

    static final String[] WORDS = {"the", "movie", "was", "good", "bad", "plot", "actor", "scene", "funny", "long",
            "boring", "great", "story", "ending", "music", "film", "i", "liked", "hated", "it", "and", "but", "very"};

    /** Seeded texts of short sentences: enough for a few hundred packed sequences. */
    static List<String> texts(long seed, int documents) {
        Random r = new Random(seed);
        List<String> out = new ArrayList<>();
        for (int d = 0; d < documents; d++) {
            StringBuilder b = new StringBuilder();
            int sentences = 2 + r.nextInt(6);
            for (int s = 0; s < sentences; s++) {
                int words = 3 + r.nextInt(9);
                for (int w = 0; w < words; w++) {
                    b.append(w == 0 ? "" : " ").append(WORDS[r.nextInt(WORDS.length)]);
                }
                b.append(r.nextBoolean() ? ". " : "! ");
            }
            out.add(b.toString().strip());
        }
        return out;
    }

    /** Writes a vocabulary, a model config of its size and a training config into {@code dir}; returns the config. */
    static Path setUp(Path dir, String precision, int steps, String extra) throws IOException {
        List<String> texts = texts(1, 120);
        var counts = WordPieceTrainer.countWords(texts, n -> { });
        Vocabulary vocab = new WordPieceTrainer(60, 100).train(counts).vocabulary();
        vocab.save(dir.resolve("vocab"), 13);
        Files.writeString(dir.resolve("model.yaml"), TinyRun.modelYaml(vocab.size()));
        Path config = dir.resolve("train.yaml");
        Files.writeString(config, TinyRun.trainYaml(steps, 2, precision, extra));
        return config;
    }

    static Pretraining open(Path dir, Path config, String run) throws IOException {
        return Pretraining.open(new Pretraining.Options(config, dir.resolve(run), dir.resolve("cache"), dir.resolve("vocab"),
                PretrainingCorpus.of("test texts", texts(1, 120)), null, false, null, null), Progress.NONE);
    }

    static Map<String, Tensor> train(Path dir, Path config, String run, long stopAt) throws IOException {
        Pretraining p = open(dir, config, run);
        Trainer trainer = p.trainer(new Trainer.Listener() { });
        trainer.resume();
        trainer.run(stopAt);
        return p.learner().weights();
    }

    static void assertSameWeights(Map<String, Tensor> expected, Map<String, Tensor> actual, String what) {
        assertEquals(expected.keySet(), actual.keySet());
        for (String name : expected.keySet()) {
            assertArrayEquals(expected.get(name).values(), actual.get(name).values(), 0, what + ": " + name);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"float32", "float64"})
    void stepsStraightAndStepsWithAResumeGiveIdenticalWeights(String precision, @TempDir Path dir) throws IOException {
        Path config = setUp(dir, precision, 8, "");
        Map<String, Tensor> straight = train(dir, config, "straight", 8);
        train(dir, config, "resumed", 4);                              // stop after 4 …
        Map<String, Tensor> resumed = train(dir, config, "resumed", 8); // … and continue from the checkpoint of step 4
        assertSameWeights(straight, resumed, precision);
        RunDirectory run = new RunDirectory(dir.resolve("resumed"));
        assertEquals(List.of(6L, 8L), run.checkpointSteps(), "the newest two checkpoints are kept");
        List<String> a = losses(dir.resolve("straight")), b = losses(run.path());
        assertEquals(a, b, "the metrics log of the resumed run reads as one run");
    }

    @Test
    void aKillBetweenCheckpointsResumesFromTheLastOneAndTheLogIsTrimmed(@TempDir Path dir) throws IOException {
        Path config = setUp(dir, "float32", 8, "");
        Map<String, Tensor> straight = train(dir, config, "straight", 8);
        train(dir, config, "killed", 5);                               // checkpoints at 4 and 5 (the stopping step) kept
        RunDirectory run = new RunDirectory(dir.resolve("killed"));
        RunDirectory.deleteTree(run.checkpoint(5));                    // as if killed after step 5's log line, before its checkpoint
        Files.createDirectories(run.checkpoints().resolve(".tmp-step-0000006-123"));   // and a half-written one
        assertEquals(List.of(4L), run.checkpointSteps());
        Map<String, Tensor> resumed = train(dir, config, "killed", 8);
        assertSameWeights(straight, resumed, "after the kill");
        assertEquals(losses(dir.resolve("straight")), losses(run.path()));
    }

    @Test
    void aSegmentIsRecordedAtEachCheckpointSoThatAKillCannotLoseIt(@TempDir Path dir) throws IOException {
        Path config = setUp(dir, "float32", 4, "");
        Pretraining p = open(dir, config, "run");
        Trainer trainer = p.trainer(new Trainer.Listener() { });
        long from = trainer.resume();
        int before = p.run().readProvenance().withArray("segments").size();
        trainer.beginSegment(java.time.Instant.now(), from);
        trainer.run(3);
        var segments = p.run().readProvenance().withArray("segments");
        assertEquals(before + 1, segments.size(), "one segment, rewritten at each checkpoint: " + segments);
        var running = segments.get(segments.size() - 1);
        assertTrue(running.path("ended_by").asText().startsWith("running"), running.toString());
        assertEquals(3, running.path("to_step").asLong(), "the segment reaches the newest checkpoint");
        assertEquals(from, running.path("from_step").asLong());
        trainer.recordSegment(Pretraining.segment(java.time.Instant.now(), from, 3, 1.0, "stopped"));
        segments = p.run().readProvenance().withArray("segments");
        assertEquals(before + 1, segments.size(), "the finished segment replaces the running one: " + segments);
        assertEquals("stopped", segments.get(segments.size() - 1).path("ended_by").asText());
    }

    @Test
    void aMilestoneKeepsTheCheckpointsWeightsWithTheirChecksums(@TempDir Path dir) throws IOException {
        Path config = setUp(dir, "float32", 4, "");
        train(dir, config, "run", 4);
        RunDirectory run = new RunDirectory(dir.resolve("run"));
        Path kept = run.keepMilestone(4);
        assertEquals(run.path().resolve("step-4"), kept);
        for (String line : Files.readAllLines(kept.resolve("SHA256SUMS"))) {
            String[] parts = line.split("  ");
            assertEquals(parts[0], RunDirectory.sha256(kept.resolve(parts[1])), parts[1]);
            assertEquals(RunDirectory.sha256(run.checkpoint(4).resolve(parts[1])), parts[0], "a copy of the checkpoint's " + parts[1]);
        }
        assertTrue(!Files.exists(kept.resolve("optimizer.safetensors")), "weights only");
        assertTrue(RunDirectory.MILESTONES.containsAll(List.of(10_000L, 100_000L)));
    }

    @Test
    void resumingWithOtherSettingsIsRefusedNamingEachDifference(@TempDir Path dir) throws IOException {
        Path config = setUp(dir, "float32", 8, "");
        train(dir, config, "run", 2);
        Files.writeString(config, Files.readString(config).replace("batch_size: 3", "batch_size: 2")
                .replace("learning_rate: 3.0e-3", "learning_rate: 1.0e-3"));
        var e = assertThrows(RunDirectory.RunException.class, () -> open(dir, config, "run"));
        assertTrue(e.getMessage().contains("train.batchSize: the run has 3, this config 2"), e.getMessage());
        assertTrue(e.getMessage().contains("train.learningRate: the run has 0.003, this config 0.001"), e.getMessage());
        assertTrue(e.getMessage().contains(dir.resolve("run").toString()), e.getMessage());
    }

    @Test
    void aStopRequestWritesACheckpointAndTheRunContinuesExactly(@TempDir Path dir) throws IOException {
        Path config = setUp(dir, "float64", 8, "");
        Map<String, Tensor> straight = train(dir, config, "straight", 8);
        Pretraining p = open(dir, config, "stopped");
        Trainer[] holder = new Trainer[1];
        holder[0] = p.trainer(new Trainer.Listener() {
            @Override
            public void step(Trainer.StepReport r) {
                if (r.step() == 3) {
                    holder[0].requestStop();                           // as Ctrl-C does, during step 3
                }
            }
        });
        holder[0].resume();
        assertEquals(Trainer.Outcome.INTERRUPTED, holder[0].run(8));
        assertEquals(List.of(2L, 3L), new RunDirectory(dir.resolve("stopped")).checkpointSteps());
        assertSameWeights(straight, train(dir, config, "stopped", 8), "after the stop");
    }

    @Test
    void aLossThatIsNotANumberStopsTheRunNamingTheStepAndTheLastCheckpoint(@TempDir Path dir) throws IOException {
        Path config = setUp(dir, "float32", 8, "");
        train(dir, config, "run", 2);
        Pretraining p = open(dir, config, "run");
        List<String> messages = new ArrayList<>();
        Trainer trainer = p.trainer(new Trainer.Listener() {
            @Override
            public void message(String text) {
                messages.add(text);
            }
        });
        trainer.resume();
        Map<String, Tensor> weights = p.learner().weights();
        double[] poisoned = weights.get("bert.encoder.layer.0.output.dense.weight").values();
        poisoned[0] = Double.NaN;
        p.learner().restore(weights, p.learner().optimizerState(), p.learner().steps());
        assertEquals(Trainer.Outcome.DIVERGED, trainer.run(8));
        String last = messages.get(messages.size() - 1);
        assertTrue(last.startsWith("stopped: at step 3 the loss is null"), last);
        assertTrue(last.contains("stream positions 12…17"), last);
        assertTrue(last.contains(new RunDirectory(dir.resolve("run")).checkpoint(2).toString()), last);
        assertEquals(List.of(2L), new RunDirectory(dir.resolve("run")).checkpointSteps(), "nothing saved after divergence");
    }

    @Test
    void floatAndDoubleTrainingAgreeWithinFloatTolerance(@TempDir Path dir) throws IOException {
        Path f = setUp(dir.resolve("f"), "float32", 6, ""), d = setUp(dir.resolve("d"), "float64", 6, "");
        Pretraining pf = open(dir.resolve("f"), f, "run"), pd = open(dir.resolve("d"), d, "run");
        // the same starting weights: the float model's, widened exactly to double
        pd.learner().restore(pf.learner().weights(), pd.learner().optimizerState(), 0);
        pf.trainer(new Trainer.Listener() { }).run(6);
        pd.trainer(new Trainer.Listener() { }).run(6);
        Map<String, Tensor> wf = pf.learner().weights(), wd = pd.learner().weights();
        double worst = 0;
        for (String name : wd.keySet()) {
            double[] a = wd.get(name).values(), b = wf.get(name).values();
            double scale = 0, diff = 0;
            for (int i = 0; i < a.length; i++) {
                scale = Math.max(scale, Math.abs(a[i]));
                diff = Math.max(diff, Math.abs(a[i] - b[i]));
            }
            worst = Math.max(worst, diff / Math.max(scale, 1e-3));
        }
        // six AdamW steps in float32 from the same start: the weights differ by rounding only (u = 6e-8), which
        // Adam's normalised steps can amplify where a gradient entry is near zero; 1e-3 of the scale is far above
        // rounding and far below one step's change (lr = 3e-3)
        assertTrue(worst < 1e-3, "largest normwise difference " + worst);
        assertTrue(worst > 0, "the two precisions cannot agree exactly");
    }

    /** The loss column of every train line of a run's metrics log. */
    static List<String> losses(Path run) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            var node = RunDirectory.json().readTree(line);
            out.add(node.path("kind").asText() + " " + node.path("step").asLong() + " " + node.path("loss").asText()
                    + " " + node.path("accuracy").asText());
        }
        return out;
    }
}
