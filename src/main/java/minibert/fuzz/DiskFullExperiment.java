package minibert.fuzz;

import minibert.model.checkpoint.Tensor;
import minibert.train.Pretraining;
import minibert.train.PretrainingCorpus;
import minibert.train.Progress;
import minibert.train.RunDirectory;
import minibert.train.Trainer;
import minibert.train.WriteHook;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A full disk, simulated: one write of a run stops half-way with {@code IOException("No space left on
 * device")} ({@link WriteHook#diskFull}), a file of a checkpoint, a line of the metrics log, or provenance.json.
 * For each, the run must stop with one message naming what could not be written, the system's reason and the
 * last good checkpoint; the checkpoint before must be as it was and load; nothing half-written may stay; and
 * the next invocation must resume from that checkpoint and end with the weights of a run that never failed,
 * bit for bit. Runs in this JVM on a tiny model and a corpus of generated sentences (no data set needed).
 */
public final class DiskFullExperiment {

    /** Steps of each run; a checkpoint every two. */
    static final int STEPS = 8;
    static final int EVERY = 2;
    private static final List<String> CHECKPOINT_FILES = List.of("model.safetensors", "config.json", "vocab.txt",
            "tokenizer_config.json", "optimizer.safetensors", "trainer_state.json");

    /**
     * One failing write.
     *
     * @param what the write, in words
     * @param kind which kind of write fails
     * @param n    which of its kind (from 1, counted from the moment the run is open)
     */
    public record Case(String what, WriteHook.Kind kind, int n) {
    }

    /**
     * What happened.
     *
     * @param message        the run's message (the failure it stopped with)
     * @param named          whether the message names the file or folder, the reason and the last good checkpoint
     * @param previousIntact whether the newest checkpoint is byte for byte as it was written, and loads, and the metrics
     *                       log holds whole lines only (for provenance: whether the file is as it was)
     * @param leftovers      temporary files or folders left behind (must be none)
     * @param resumedFrom    the step the next invocation resumed from
     * @param identical      whether that invocation ended with the weights of an uninterrupted run, bit for bit
     */
    public record Outcome(Case failing, String message, boolean named, boolean previousIntact, List<String> leftovers,
                          long resumedFrom, boolean identical) {

        public boolean passed() {
            return message != null && named && previousIntact && leftovers.isEmpty() && identical;
        }
    }

    /** Every case: each file of the second checkpoint, a line of the metrics log, provenance.json at the end. */
    public static List<Case> cases() {
        List<Case> out = new ArrayList<>();
        for (int i = 0; i < CHECKPOINT_FILES.size(); i++) {
            out.add(new Case(CHECKPOINT_FILES.get(i) + " of the checkpoint of step " + 2 * EVERY, WriteHook.Kind.CHECKPOINT,
                    CHECKPOINT_FILES.size() + i + 1));
        }
        out.add(new Case("the fifth line of metrics.jsonl", WriteHook.Kind.METRICS, 5));
        out.add(new Case("provenance.json, at the end of the invocation", WriteHook.Kind.PROVENANCE, 1));
        return out;
    }

    private DiskFullExperiment() {
    }

    /** Runs every case in a temporary folder (deleted afterwards). */
    public static List<Outcome> run() throws IOException {
        Path work = Files.createTempDirectory("minibert-disk-full-");
        try {
            List<String> texts = TinyRun.texts(1, 120);
            Path config = TinyRun.write(work, texts, STEPS, EVERY, 0);
            PretrainingCorpus corpus = PretrainingCorpus.of("generated sentences", texts);
            Map<String, Tensor> reference = finish(open(work, config, corpus, "reference"));
            List<Outcome> out = new ArrayList<>();
            int i = 0;
            for (Case c : cases()) {
                out.add(run(work, config, corpus, "case-" + ++i, c, reference));
            }
            return out;
        } finally {
            try (Stream<Path> paths = Files.walk(work)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static Outcome run(Path work, Path config, PretrainingCorpus corpus, String name, Case c,
                               Map<String, Tensor> reference) throws IOException {
        Pretraining p = open(work, config, corpus, name);
        RunDirectory run = p.run();
        run.writeHook(WriteHook.diskFull(c.kind(), c.n()));
        Map<Long, Map<String, byte[]>> written = new LinkedHashMap<>();   // each checkpoint's bytes, as written
        Trainer trainer = p.trainer(new Trainer.Listener() {
            @Override
            public void checkpointed(long step, Path folder) {
                written.put(step, bytes(folder));
            }
        });
        trainer.resume();
        Path named = switch (c.kind()) {
            case PROVENANCE -> run.provenance();
            case METRICS -> run.metrics();
            default -> run.checkpoint(2 * EVERY);
        };
        byte[] provenanceBefore = null;
        String message = null;
        try {
            trainer.run(STEPS);
            if (c.kind() == WriteHook.Kind.PROVENANCE) {
                provenanceBefore = Files.readAllBytes(run.provenance());
                trainer.recordSegment(Pretraining.segment(Instant.now(), 0, STEPS, 0, "finished"));
            }
        } catch (RunDirectory.WriteFailure e) {
            message = e.getMessage();
        }
        List<Long> steps = run.checkpointSteps();
        long newest = steps.isEmpty() ? -1 : steps.get(steps.size() - 1);
        boolean intact;
        if (c.kind() == WriteHook.Kind.PROVENANCE) {
            intact = provenanceBefore != null && Arrays.equals(provenanceBefore, Files.readAllBytes(run.provenance()));
        } else {
            intact = newest >= 0 && written.containsKey(newest) && sameBytes(written.get(newest), bytes(run.checkpoint(newest)));
            try {
                run.loadCheckpoint(newest);
            } catch (RuntimeException e) {
                intact = false;
            }
            byte[] log = Files.readAllBytes(run.metrics());     // the log holds whole lines only
            intact &= log.length > 0 && log[log.length - 1] == '\n';
        }
        boolean isNamed = message != null && message.contains(named.toString()) && message.contains(WriteHook.DISK_FULL)
                && (newest < 0 || message.contains(run.checkpoint(newest).toString()));
        List<String> leftovers = leftovers(run);
        // the next invocation, on a disk with room again
        Pretraining again = open(work, config, corpus, name);
        Trainer next = again.trainer(new Trainer.Listener() { });
        long resumedFrom = next.resume();
        next.run(STEPS);
        boolean identical = same(reference, again.learner().weights());
        return new Outcome(c, message, isNamed, intact, leftovers, resumedFrom, identical);
    }

    private static Pretraining open(Path work, Path config, PretrainingCorpus corpus, String run) throws IOException {
        return Pretraining.open(new Pretraining.Options(config, work.resolve(run), work.resolve("cache"), work.resolve("vocab"),
                corpus, null, false, null, null), Progress.NONE);
    }

    private static Map<String, Tensor> finish(Pretraining p) throws IOException {
        Trainer t = p.trainer(new Trainer.Listener() { });
        t.resume();
        t.run(STEPS);
        return p.learner().weights();
    }

    private static boolean same(Map<String, Tensor> a, Map<String, Tensor> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        for (String k : a.keySet()) {
            if (!Arrays.equals(a.get(k).values(), b.get(k).values())) {
                return false;
            }
        }
        return true;
    }

    private static Map<String, byte[]> bytes(Path folder) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path f : files.sorted().toList()) {
                out.put(f.getFileName().toString(), Files.readAllBytes(f));
            }
        } catch (IOException e) {
            out.put("(unreadable: " + e.getMessage() + ")", new byte[0]);
        }
        return out;
    }

    private static boolean sameBytes(Map<String, byte[]> a, Map<String, byte[]> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        for (String k : a.keySet()) {
            if (!Arrays.equals(a.get(k), b.get(k))) {
                return false;
            }
        }
        return true;
    }

    /** Names starting with a dot (temporary files and folders) in the run directory and its checkpoints folder. */
    private static List<String> leftovers(RunDirectory run) throws IOException {
        List<String> out = new ArrayList<>();
        for (Path folder : List.of(run.path(), run.checkpoints())) {
            if (Files.isDirectory(folder)) {
                try (Stream<Path> list = Files.list(folder)) {
                    list.filter(p -> p.getFileName().toString().startsWith(".")).sorted()
                            .forEach(p -> out.add(run.path().relativize(p).toString()));
                }
            }
        }
        return out;
    }
}
