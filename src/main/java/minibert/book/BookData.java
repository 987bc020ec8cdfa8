package minibert.book;

import minibert.data.DataStore;
import minibert.model.Batch;
import minibert.train.BatchStream;
import minibert.train.Pretraining;
import minibert.train.Progress;
import minibert.train.Seeds;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The data every producer of the build shares: the short pre-training run of {@code configs/train/short.yaml}
 * (its vocabulary is the one the tokenization producer wrote to {@code target/vocab}, its corpus caches are in
 * {@code target/cache}, its run directory {@code target/short-run}), and the one measured batch of the book:
 * the run's first training batch, real text masked as in training. Every chapter that quotes M, the masked
 * rows of a batch, quotes this batch's.
 */
public final class BookData {

    public static final String SHORT_CONFIG = "configs/train/short.yaml";

    private static Pretraining shortRun;
    private static Batch measured;
    private static int measuredMasked;

    private BookData() {
    }

    /** The short run, opened (a fresh run directory) on first use. */
    public static synchronized Pretraining shortRun() throws IOException {
        if (shortRun == null) {
            Path project = ProjectFiles.projectDir();
            Path vocab = project.resolve("target/vocab");
            if (!Files.isRegularFile(vocab.resolve("vocab.txt"))) {
                throw new IllegalStateException(vocab.resolve("vocab.txt") + " is missing: the tokenization producer "
                        + "writes it, and must run before the short training run");
            }
            Path runDir = project.resolve("target/short-run");
            deleteTree(runDir);
            shortRun = Pretraining.open(new Pretraining.Options(project.resolve(SHORT_CONFIG), runDir,
                    project.resolve("target/cache"), vocab, null, DataStore.fromEnvironment(), false, null, null),
                    Progress.NONE);
        }
        return shortRun;
    }

    /** The system property naming a recorded run directory for the book (the build passes {@code -Dbook.run=DIR}). */
    public static final String RECORDED_RUN = "minibert.book.run";

    /**
     * A recorded run the book is given besides the short run (e.g. {@code mvn verify -Dbook.run=runs/pretrain}, a run of
     * {@code minibert train}), or empty. The folder must be a run directory with at least one checkpoint.
     */
    public static java.util.Optional<Path> recordedRun() {
        String dir = System.getProperty(RECORDED_RUN, "").strip();
        if (dir.isEmpty()) {
            return java.util.Optional.empty();
        }
        Path run = Path.of(dir);
        if (!run.isAbsolute()) {
            run = ProjectFiles.projectDir().resolve(run);
        }
        if (!Files.isRegularFile(run.resolve("run.json"))) {
            throw new IllegalStateException("-Dbook.run=" + dir + ": " + run + " is not a run directory (it has no run.json)");
        }
        return java.util.Optional.of(run.normalize());
    }

    /** The book's measured batch: B × T of real text, masked as training masks its first batch. */
    public static synchronized Batch measuredBatch() throws IOException {
        if (measured == null) {
            Pretraining p = shortRun();
            int b = p.config().batchSize(), t = p.config().sequenceLength();
            measured = new Batch(new int[b * t], new int[b * t], new int[b * t], new int[b * t], b, t);
            new BatchStream(p.trainCache(), Seeds.of(p.config().seed(), Seeds.SHUFFLE, 0)).fill(0, measured);
            measuredMasked = p.masking().apply(Seeds.of(p.config().seed(), Seeds.MASKING, 0), measured);
        }
        return measured;
    }

    /** M of the measured batch. */
    public static synchronized int measuredMasked() throws IOException {
        measuredBatch();
        return measuredMasked;
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var paths = Files.walk(p)) {
            for (Path q : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }
}
