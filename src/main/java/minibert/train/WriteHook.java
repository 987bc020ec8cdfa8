package minibert.train;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * Where a test reaches into the run directory's writes: called after each file of a run is written and
 * before it is put in place, it may slow the write (so that a {@code kill -9} is likely to land in the middle
 * of it) or fail it as a full disk does. A training run never sets one; a test sets one directly
 * ({@link RunDirectory#writeHook(WriteHook)}) or, in a child JVM, through a system property:
 *
 * <pre>
 *   -Dminibert.test.slowCheckpoint=MILLIS   sleep this long after each file of a checkpoint
 *   -Dminibert.test.diskFull=KIND:N         the N-th write of KIND (checkpoint, metrics, provenance, settings)
 *                                           stops half-way with IOException("No space left on device")
 * </pre>
 */
@FunctionalInterface
public interface WriteHook {

    /** What is being written. */
    enum Kind {
        /** A file of a checkpoint folder (weights, config, tokenizer, optimiser state, trainer state). */
        CHECKPOINT,
        /** A line appended to metrics.jsonl, or the log rewritten when it is trimmed. */
        METRICS,
        /** provenance.json. */
        PROVENANCE,
        /** run.json and the config files of a new run. */
        SETTINGS
    }

    /** The message of a full disk, as Linux gives it. */
    String DISK_FULL = "No space left on device";

    String SLOW_PROPERTY = "minibert.test.slowCheckpoint";
    String DISK_FULL_PROPERTY = "minibert.test.diskFull";

    /**
     * Called once a write has reached {@code file} (its temporary name, before the rename), bytes {@code from}
     * to the file's end being the ones just written.
     */
    void written(Kind kind, Path file, long from) throws IOException;

    /** Does nothing: every run's hook. */
    WriteHook NONE = (kind, file, from) -> { };

    /** Sleeps {@code millis} after each file of a checkpoint: widens the window a kill can land in. */
    static WriteHook slowCheckpoints(long millis) {
        return (kind, file, from) -> {
            if (kind == Kind.CHECKPOINT) {
                try {
                    Thread.sleep(millis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while slowing a checkpoint write down", e);
                }
            }
        };
    }

    /**
     * The {@code n}-th write of {@code kind} (from 1) fails part-way, as on a full disk: the file keeps half of
     * the bytes just written, and the write throws {@code IOException("No space left on device")}. Every
     * other write succeeds. Not thread-safe (a run writes from one thread).
     */
    static WriteHook diskFull(Kind kind, int n) {
        if (n < 1) {
            throw new IllegalArgumentException("the failing write is counted from 1, found " + n);
        }
        int[] seen = {0};
        return (k, file, from) -> {
            if (k == kind && ++seen[0] == n) {
                try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                    f.setLength(from + (f.length() - from) / 2);
                }
                throw new IOException(DISK_FULL);
            }
        };
    }

    /** This hook, then {@code next}. */
    default WriteHook then(WriteHook next) {
        return (kind, file, from) -> {
            written(kind, file, from);
            next.written(kind, file, from);
        };
    }

    /**
     * The hook the system properties ask for ({@link #SLOW_PROPERTY}, {@link #DISK_FULL_PROPERTY}), or
     * {@link #NONE}; a property that does not parse is an error naming it, never ignored.
     */
    static WriteHook fromSystemProperties() {
        WriteHook hook = NONE;
        String slow = System.getProperty(SLOW_PROPERTY);
        if (slow != null) {
            try {
                long millis = Long.parseLong(slow.strip());
                if (millis < 0) {
                    throw new NumberFormatException();
                }
                hook = hook.then(slowCheckpoints(millis));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("-D" + SLOW_PROPERTY + " must be a number of milliseconds ≥ 0, found '" + slow + "'");
            }
        }
        String full = System.getProperty(DISK_FULL_PROPERTY);
        if (full != null) {
            Map<Kind, String> kinds = new EnumMap<>(Kind.class);
            for (Kind k : Kind.values()) {
                kinds.put(k, k.name().toLowerCase(Locale.ROOT));
            }
            String[] parts = full.strip().split(":");
            Kind kind = null;
            for (var e : kinds.entrySet()) {
                if (parts.length == 2 && e.getValue().equals(parts[0])) {
                    kind = e.getKey();
                }
            }
            int n;
            try {
                n = parts.length == 2 ? Integer.parseInt(parts[1]) : 0;
            } catch (NumberFormatException e) {
                n = 0;
            }
            if (kind == null || n < 1) {
                throw new IllegalArgumentException("-D" + DISK_FULL_PROPERTY + " must be KIND:N with KIND one of "
                        + String.join(", ", kinds.values()) + " and N ≥ 1, found '" + full + "'");
            }
            hook = hook.then(diskFull(kind, n));
        }
        return hook;
    }

    /** The length of {@code file}, or 0 when it does not exist yet: where an append starts. */
    static long lengthOf(Path file) throws IOException {
        return Files.exists(file) ? Files.size(file) : 0;
    }
}
