package minibert.train;

import com.fasterxml.jackson.databind.JsonNode;
import minibert.config.TrainConfig;
import minibert.model.checkpoint.Safetensors;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The recorded reference run in {@code runs/reference} is one run of {@code configs/train/pretrain.yaml},
 * unedited: its settings are the config's, its checkpoint, log, provenance and kept weights agree with each
 * other (steps, settings hash, vocabulary checksum, file checksums), and its segments join end to end.
 */
class ReferenceRecordTest {

    static final Path PROJECT = Path.of(System.getProperty("minibert.project.dir", ".")).toAbsolutePath();
    static final RunDirectory RUN = new RunDirectory(PROJECT.resolve("runs/reference"));

    @Test
    void theRecordIsARunOfTheConfiguredScheduleUnchanged() throws IOException {
        assertTrue(RUN.exists(), RUN.path() + " holds no recorded run");
        TrainConfig config = TrainConfig.load(PROJECT.resolve("configs/train/pretrain.yaml"));
        assertEquals(List.of(), RUN.differences(config, config.modelConfig()), "the run's settings against the config's");
        JsonNode provenance = RunDirectory.json().readTree(RUN.provenance().toFile());
        assertEquals(Pretraining.settingsSha256(config, config.modelConfig()), provenance.path("config_sha256").asText());
        assertEquals(RunDirectory.sha256(RUN.vocabulary().resolve("vocab.txt")), provenance.path("vocabulary_sha256").asText());
    }

    @Test
    void theCheckpointTheLogAndTheSegmentsAgree() throws IOException {
        List<Long> steps = RUN.checkpointSteps();
        assertFalse(steps.isEmpty(), "the record keeps its newest checkpoint");
        long step = steps.get(steps.size() - 1);              // (a live run directory may hold more than the record)
        RunDirectory.Saved saved = RUN.loadCheckpoint(step);
        TrainConfig config = TrainConfig.load(PROJECT.resolve("configs/train/pretrain.yaml"));
        assertEquals(Pretraining.settingsSha256(config, config.modelConfig()), saved.state().settingsSha256());
        assertEquals(RunDirectory.sha256(RUN.vocabulary().resolve("vocab.txt")), saved.state().vocabularySha256());
        assertEquals(step * config.batchSize() * config.gradientAccumulation(), saved.state().sequencesSeen());
        assertEquals(config.modelConfig().parameterCount(),
                saved.weights().values().stream().mapToLong(t -> t.values().length).sum(), "every parameter, once");

        // The log: train lines on the log cadence and eval lines in increasing order, reaching the checkpoint. (A
        // run still going may have logged past its newest checkpoint; a resume cuts those lines off.)
        long last = -1, lastEval = -1;
        java.util.Set<Long> logged = new java.util.HashSet<>();
        for (String line : Files.readAllLines(RUN.metrics())) {
            JsonNode n = RunDirectory.json().readTree(line);
            long s = n.path("step").asLong();
            if (n.path("kind").asText().equals("train")) {
                assertTrue(s > last, "train lines in increasing step order: " + s + " after " + last);
                assertEquals(0, s % config.logEvery(), "a train line on the log cadence: " + s);
                last = s;
                logged.add(s);
            } else {
                assertTrue(s > lastEval, "eval lines in increasing step order");
                lastEval = s;
            }
        }
        assertTrue(last >= step / config.logEvery() * config.logEvery(), "the log reaches the checkpoint of step " + step);
        for (long s = config.logEvery(); s <= step; s += config.logEvery()) {
            assertTrue(logged.contains(s), "the log has its line of step " + s);
        }

        // The segments: in order, none overlapping another; steps between them (a segment killed before it could
        // write itself) are in the log, as the loop above checked for every step up to the checkpoint.
        JsonNode segments = RunDirectory.json().readTree(RUN.provenance().toFile()).path("segments");
        assertFalse(segments.isEmpty(), "provenance records the run's segments");
        long to = 0;
        for (JsonNode segment : segments) {
            long from = segment.path("from_step").asLong();
            assertTrue(from >= to, "segments in order, none overlapping: " + segment);
            assertTrue(segment.path("to_step").asLong() >= from, segment.toString());
            to = segment.path("to_step").asLong();
            assertFalse(segment.path("commit").asText().isBlank(), "each segment names its commit");
            assertTrue(segment.path("wall_seconds").asDouble() > 0, "each segment its wall time");
        }
        assertTrue(to <= Math.max(step, last), "no segment ends beyond the log");
    }

    @Test
    void keptWeightsMatchTheirChecksumsAndTheModel() throws IOException {
        for (long milestone : RunDirectory.MILESTONES) {
            Path kept = RUN.milestone(milestone);
            if (!Files.isDirectory(kept)) {
                continue;                                 // not reached yet
            }
            for (String line : Files.readAllLines(kept.resolve("SHA256SUMS"))) {
                String[] parts = line.split("  ");
                assertEquals(parts[0], RunDirectory.sha256(kept.resolve(parts[1])), kept.resolve(parts[1]).toString());
            }
            assertEquals(RunDirectory.sha256(RUN.vocabulary().resolve("vocab.txt")), RunDirectory.sha256(kept.resolve("vocab.txt")));
            TrainConfig config = TrainConfig.load(PROJECT.resolve("configs/train/pretrain.yaml"));
            long entries = Safetensors.read(kept.resolve("model.safetensors")).tensors().values().stream()
                    .mapToLong(t -> t.values().length).sum();
            assertEquals(config.modelConfig().parameterCount(), entries, kept + ": every parameter");
            JsonNode evaluation = RunDirectory.json().readTree(kept.resolve("evaluation/evaluation.json").toFile());
            assertEquals(milestone, evaluation.path("step").asLong(), "the kept weights' evaluation is of their step");
            assertFalse(evaluation.path("quick").asBoolean(true), "the kept weights' evaluation is the full one");
        }
        List<Long> steps = RUN.checkpointSteps();
        long newest = steps.isEmpty() ? 0 : steps.get(steps.size() - 1);
        for (long milestone : RunDirectory.MILESTONES) {
            assertEquals(newest >= milestone, Files.isDirectory(RUN.milestone(milestone)),
                    "the weights of step " + milestone + " are kept once the run has passed it");
        }
    }

    /**
     * The record in the repository: the files git tracks under {@code runs/reference} (its index, which is what a
     * commit holds and what a clone gets): one checkpoint, its newest, and everything within 60 MB (10⁶ bytes each),
     * counting each content once, as the repository stores it (the weights kept at the last step are the same bytes as
     * the last checkpoint's). A live run beside it keeps more checkpoints on disk, which are not the record;
     * {@code tools/reference/stage-record} stages the newest in place of the committed one. Outside a git work tree,
     * the directory as it stands, every file counted.
     */
    @Test
    void theRecordFitsIn60Megabytes() throws IOException, InterruptedException {
        Map<String, String> blobs = new TreeMap<>();
        Map<String, Long> files = trackedSizes("runs/reference", blobs);
        if (files == null) {                                  // not a git work tree: the directory is the record
            files = new TreeMap<>();
            try (var walk = Files.walk(RUN.path())) {
                for (Path f : walk.filter(Files::isRegularFile).toList()) {
                    String name = PROJECT.relativize(f).toString().replace('\\', '/');
                    files.put(name, Files.size(f));
                    blobs.put(name, name);                    // every file its own content: nothing shared
                }
            }
        }
        Set<String> checkpoints = new TreeSet<>();
        for (String f : files.keySet()) {
            if (f.startsWith("runs/reference/checkpoints/")) {
                checkpoints.add(f.split("/")[3]);
            }
        }
        assertEquals(1, checkpoints.size(), "the record keeps one checkpoint: " + checkpoints);
        String checkpoint = "runs/reference/checkpoints/" + checkpoints.iterator().next() + "/";
        for (String part : List.of("model.safetensors", "optimizer.safetensors", "trainer_state.json", "config.json", "vocab.txt")) {
            assertTrue(files.containsKey(checkpoint + part), "the record's checkpoint is whole: " + checkpoint + part);
        }
        Map<String, Long> contents = new TreeMap<>();          // each content once, by its blob
        for (Map.Entry<String, Long> f : files.entrySet()) {
            contents.put(blobs.get(f.getKey()), f.getValue());
        }
        long bytes = contents.values().stream().mapToLong(Long::longValue).sum();
        assertTrue(bytes <= 60_000_000L, "the record holds " + bytes + " bytes");
    }

    /**
     * Sizes of the files git's index holds under {@code folder}, or null when the project is not a git work tree; each
     * file's blob (its content's id) goes into {@code blobs}.
     */
    static Map<String, Long> trackedSizes(String folder, Map<String, String> blobs) throws IOException, InterruptedException {
        List<String> listing = git(null, "ls-files", "-s", "--", folder);
        if (listing == null) {
            return null;
        }
        for (String line : listing) {                        // "<mode> <blob> <stage>\t<path>"
            String[] tab = line.split("\t", 2);
            blobs.put(tab[1], tab[0].split(" ")[1]);
        }
        List<String> sizes = git(String.join("\n", blobs.values()) + "\n", "cat-file", "--batch-check=%(objectsize)");
        assertEquals(blobs.size(), sizes == null ? -1 : sizes.size(), "a size for every tracked file");
        Map<String, Long> out = new TreeMap<>();
        int i = 0;
        for (String path : blobs.keySet()) {
            out.put(path, Long.parseLong(sizes.get(i++).trim()));
        }
        return out;
    }

    private static List<String> git(String input, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("git", "-C", PROJECT.toString()));
        command.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException noGit) {
            return null;
        }
        if (input != null) {
            try (var in = p.getOutputStream()) {
                in.write(input.getBytes(StandardCharsets.UTF_8));
            }
        } else {
            p.getOutputStream().close();
        }
        List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        return p.waitFor() == 0 ? lines : null;
    }
}
