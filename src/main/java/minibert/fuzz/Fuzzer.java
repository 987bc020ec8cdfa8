package minibert.fuzz;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs every mutation of every target through its reader and sorts the outcomes. A case passes when the
 * reader accepts the file (some mutations leave it valid: a flipped bit in a comment, a weight changed) or
 * refuses it with its own exception whose message names the file; it fails on any other exception or error,
 * a refusal that does not name the file, or a reader still running after the time bound.
 */
public final class Fuzzer {

    /** How one case ended. */
    public enum Outcome {
        /** The file was still valid and was read. */
        ACCEPTED,
        /** The reader's own exception, naming the file. */
        REJECTED,
        /** Another exception or error escaped the reader. */
        FOREIGN,
        /** The reader's own exception, but its message does not name the file. */
        UNNAMED,
        /** Still running after the bound. */
        TIMEOUT;

        public boolean passed() {
            return this == ACCEPTED || this == REJECTED;
        }
    }

    /** Counts of one target and kind. */
    public record Tally(int tried, int accepted, int rejected, int failed) {
        Tally plus(Outcome o) {
            return new Tally(tried + 1, accepted + (o == Outcome.ACCEPTED ? 1 : 0), rejected + (o == Outcome.REJECTED ? 1 : 0),
                    failed + (o.passed() ? 0 : 1));
        }
    }

    /**
     * What fuzzing one target found.
     *
     * @param byKind   counts per kind of mutation
     * @param examples for each kind, the message of its first refusal (the folder replaced by {@code …/})
     * @param failures every failed case: seed, kind, label and what happened
     * @param slowest  the longest a single case took, in seconds
     */
    public record Report(FuzzTarget target, long seed, Map<Mutations.Kind, Tally> byKind, Map<Mutations.Kind, String> examples,
                         List<String> failures, double seconds, double slowest) {

        public Tally total() {
            Tally t = new Tally(0, 0, 0, 0);
            for (Tally k : byKind.values()) {
                t = new Tally(t.tried() + k.tried(), t.accepted() + k.accepted(), t.rejected() + k.rejected(), t.failed() + k.failed());
            }
            return t;
        }

        public boolean passed() {
            return failures.isEmpty();
        }
    }

    private Fuzzer() {
    }

    /** Fuzzes every target in turn, each in its own temporary folder. */
    public static List<Report> run(List<FuzzTarget> targets, long seed, Duration bound) throws IOException {
        List<Report> out = new ArrayList<>();
        for (FuzzTarget t : targets) {
            out.add(run(t, seed, bound));
        }
        return out;
    }

    /** Fuzzes one target with the cases of {@link Mutations#cases}, each with the time bound {@code bound}. */
    public static Report run(FuzzTarget target, long seed, Duration bound) throws IOException {
        Path dir = Files.createTempDirectory("minibert-fuzz-");
        Path file = dir.resolve(target.fileName()).toAbsolutePath();
        long start = System.nanoTime();
        double slowest = 0;
        Map<Mutations.Kind, Tally> byKind = new EnumMap<>(Mutations.Kind.class);
        Map<Mutations.Kind, String> examples = new EnumMap<>(Mutations.Kind.class);
        List<String> failures = new ArrayList<>();
        try (Attempts attempts = new Attempts(target, file, bound)) {
            Files.createDirectories(file.getParent());
            target.setup().prepare(file);
            // The unmutated sample must be read: mutations of a file the reader refuses anyway test nothing.
            Files.write(file, target.gzipped() ? Mutations.gzip(target.sample()) : target.sample());
            Attempt sample = attempts.run();
            if (sample.outcome() != Outcome.ACCEPTED) {
                failures.add(target.name() + ": the valid sample itself ends " + sample.outcome()
                        + (sample.thrown() == null ? "" : ": " + sample.thrown()));
            }
            for (Mutations.Case c : Mutations.cases(target, seed)) {
                if (!place(file, c)) {
                    continue;                                   // no /dev/zero on this system
                }
                Attempt a = attempts.run();
                slowest = Math.max(slowest, a.seconds());
                byKind.merge(c.kind(), new Tally(0, 0, 0, 0).plus(a.outcome()), (x, y) -> x.plus(a.outcome()));
                if (a.outcome() == Outcome.REJECTED && !examples.containsKey(c.kind())) {
                    examples.put(c.kind(), a.thrown().getMessage().replace(dir.toAbsolutePath() + "/", "…/"));
                }
                if (!a.outcome().passed()) {
                    failures.add(target.name() + ", seed " + seed + ", " + c.kind().label() + " '" + c.label() + "': "
                            + a.outcome() + (a.thrown() == null ? " after " + bound.toMillis() + " ms" : ": " + a.thrown()));
                }
            }
        } finally {
            deleteTree(dir);
        }
        return new Report(target, seed, byKind, examples, List.copyOf(failures), (System.nanoTime() - start) / 1e9, slowest);
    }

    /** How one reading ended, what it threw (null when accepted or stopped), and how long it took. */
    private record Attempt(Outcome outcome, Throwable thrown, double seconds) {
    }

    /** Reads the file in a thread of its own, with the time bound; a reader still running is abandoned. */
    private static final class Attempts implements AutoCloseable {
        private final FuzzTarget target;
        private final Path file;
        private final Duration bound;
        private ExecutorService pool = newPool();

        Attempts(FuzzTarget target, Path file, Duration bound) {
            this.target = target;
            this.file = file;
            this.bound = bound;
        }

        Attempt run() throws IOException {
            long t0 = System.nanoTime();
            Future<Throwable> run = pool.submit(() -> {
                try {
                    target.reader().read(file);
                    return null;
                } catch (Throwable e) {
                    return e;
                }
            });
            try {
                Throwable thrown = run.get(bound.toMillis(), TimeUnit.MILLISECONDS);
                return new Attempt(classify(target, file, thrown), thrown, (System.nanoTime() - t0) / 1e9);
            } catch (TimeoutException e) {
                run.cancel(true);
                pool.shutdownNow();                             // the stuck thread is a daemon; start afresh
                pool = newPool();
                return new Attempt(Outcome.TIMEOUT, null, (System.nanoTime() - t0) / 1e9);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while fuzzing " + target.name(), e);
            } catch (ExecutionException e) {
                return new Attempt(Outcome.FOREIGN, e.getCause(), (System.nanoTime() - t0) / 1e9);
            }
        }

        @Override
        public void close() {
            pool.shutdownNow();
        }
    }

    // tag::outcome[]
    private static Outcome classify(FuzzTarget target, Path file, Throwable thrown) {
        if (thrown == null) {
            return Outcome.ACCEPTED;
        }
        if (!target.error().isInstance(thrown)) {
            return Outcome.FOREIGN;
        }
        String m = thrown.getMessage();
        return m != null && m.contains(file.toString()) ? Outcome.REJECTED : Outcome.UNNAMED;
    }
    // end::outcome[]

    /** Puts the case where the reader looks; false when the case cannot be made here. */
    private static boolean place(Path file, Mutations.Case c) throws IOException {
        deleteTree(file);
        switch (c.special()) {
            case BYTES -> Files.write(file, c.bytes());
            case FOLDER -> Files.createDirectory(file);
            case MISSING -> {
            }
            case SPARSE -> {
                try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                    f.setLength(Mutations.SPARSE_BYTES);
                }
            }
            case DEV_ZERO -> {
                Path zero = Path.of("/dev/zero");
                if (!Files.exists(zero)) {
                    return false;
                }
                Files.createSymbolicLink(file, zero);
            }
        }
        return true;
    }

    private static ExecutorService newPool() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "fuzz-reader");
            t.setDaemon(true);
            return t;
        });
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try (var paths = Files.walk(p)) {
                for (Path q : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(q);
                }
            }
        } else {
            Files.delete(p);
        }
    }

    /** Every failure of the reports, in order. */
    public static List<String> failures(List<Report> reports) {
        List<String> all = new ArrayList<>();
        reports.forEach(r -> all.addAll(r.failures()));
        return all;
    }

    /** Cases tried per kind over all reports. */
    public static Map<Mutations.Kind, Integer> triedByKind(List<Report> reports) {
        Map<Mutations.Kind, Integer> out = new LinkedHashMap<>();
        for (Mutations.Kind k : Mutations.Kind.values()) {
            int n = 0;
            for (Report r : reports) {
                n += r.byKind().getOrDefault(k, new Tally(0, 0, 0, 0)).tried();
            }
            out.put(k, n);
        }
        return out;
    }
}
