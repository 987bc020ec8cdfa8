package minibert.cli;

import minibert.fuzz.TinyRun;
import minibert.train.RunDirectory;
import minibert.train.WriteHook;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code minibert train} as a user meets it: each option checked while the command line is parsed (before the
 * config is even looked at), and a disk that fills up in the middle of a run (simulated through
 * {@link WriteHook#DISK_FULL_PROPERTY}) ending in one message, a non-zero status, no stack trace, and a run the
 * same command resumes.
 */
class TrainCommandTest {

    @TempDir
    Path dir;

    /** A config that does not exist: a refusal that names another option was made at parse time. */
    private String missingConfig() {
        return dir.resolve("no-such.yaml").toString();
    }

    @Nested
    class OptionsCheckedWhenParsed {

        @Test
        void stepsMustBeAPositiveWholeNumber() {
            RobustnessTest.run("train", "--config", missingConfig(), "--steps", "0")
                    .refused("minibert train: --steps must be at least 1, found 0");
            RobustnessTest.run("train", "--config", missingConfig(), "--steps=-7").refused("--steps must be at least 1, found -7");
            RobustnessTest.run("train", "--config", missingConfig(), "--steps", "many").refused("--steps", "many");
            RobustnessTest.run("train", "--config", missingConfig(), "--steps", "99999999999")
                    .refused("--steps must be at least 1, found 99999999999");
        }

        @Test
        void theCheckpointsToKeepMustBeBetweenOneAndAThousand() {
            RobustnessTest.run("train", "--config", missingConfig(), "--keep-checkpoints", "0")
                    .refused("minibert train: --keep-checkpoints must be between 1 and 1000, found 0");
            RobustnessTest.run("train", "--config", missingConfig(), "--keep-checkpoints", "1001")
                    .refused("--keep-checkpoints must be between 1 and 1000, found 1001");
        }

        @Test
        void theRunDirectoryMustBeAFolderThatCanBeWritten() throws IOException {
            Path file = Files.writeString(dir.resolve("a-file"), "keep me");
            RobustnessTest.run("train", "--config", missingConfig(), "--run-dir", file.toString())
                    .refused("minibert train: --run-dir " + file + " is a file; it must name a folder");
            RobustnessTest.run("train", "--config", missingConfig(), "--run-dir", file.resolve("run").toString())
                    .refused("--run-dir", "cannot be created: " + file.toAbsolutePath() + " is a file");
            assertEquals("keep me", Files.readString(file));
        }

        @Test
        void theCacheFolderMustBeAFolderThatCanBeWritten() throws IOException {
            Path file = Files.writeString(dir.resolve("cache.bin"), "");
            RobustnessTest.run("train", "--config", missingConfig(), "--cache-dir", file.toString())
                    .refused("minibert train: --cache-dir " + file + " is a file; it must name a folder");
        }

        @Test
        void theVocabularyMustBeAVocabTxtOrAFolderHoldingOne() throws IOException {
            RobustnessTest.run("train", "--config", missingConfig(), "--vocab", dir.resolve("missing").toString())
                    .refused("minibert train: --vocab " + dir.resolve("missing") + " does not exist");
            Path empty = Files.createDirectories(dir.resolve("empty"));
            RobustnessTest.run("train", "--config", missingConfig(), "--vocab", empty.toString())
                    .refused("--vocab " + empty + " is a folder without a vocab.txt");
        }

        @Test
        void aCorpusTooSmallToHoldOutAnySequenceIsRefusedNamingTheKey() throws IOException {
            String mirror = System.getProperty("minibert.data.mirror", "");
            assumeTrue(!mirror.isBlank() && !mirror.startsWith("${"), "no data mirror configured (MINIBERT_DATA_MIRROR)");
            Path config = TinyRun.write(dir, TinyRun.texts(3, 80), 6, 1, 5);
            RobustnessTest.Run r = RobustnessTest.run("train", "--config", config.toString(), "--run-dir", dir.resolve("run").toString(),
                    "--cache-dir", dir.resolve("cache").toString(), "--vocab", dir.resolve("vocab").toString());
            assertEquals(Main.BAD_INPUT, r.code(), r.err());
            assertTrue(r.err().contains(config + ": key 'document_limit': the held-out split of the first 5 documents of IMDB"),
                    r.err());
        }

        @Test
        void aMissingConfigIsNamedOnceTheOptionsAreGood() {
            RobustnessTest.run("train", "--config", missingConfig(), "--run-dir", dir.resolve("run").toString(),
                    "--cache-dir", dir.resolve("cache").toString()).refused("--config: " + missingConfig() + " does not exist");
            assertFalse(Files.exists(dir.resolve("run")), "nothing created");
        }
    }

    /**
     * The number of rolling checkpoints is the config's {@code keep_checkpoints} (2 in the tiny run), and the
     * command line may change it for one invocation: retention is not one of the run's settings, so the run
     * resumes under another count and the next checkpoint prunes to it.
     */
    @Test
    void aResumedRunMayKeepFewerCheckpointsThanItsConfigSays() throws IOException {
        String mirror = System.getProperty("minibert.data.mirror", "");
        assumeTrue(!mirror.isBlank() && !mirror.startsWith("${"), "no data mirror configured (MINIBERT_DATA_MIRROR)");
        Path config = TinyRun.write(dir, TinyRun.texts(3, 80), 6, 1, 300);
        RunDirectory run = new RunDirectory(dir.resolve("run"));
        String[] common = {"train", "--config", config.toString(), "--run-dir", dir.resolve("run").toString(),
                "--cache-dir", dir.resolve("cache").toString(), "--vocab", dir.resolve("vocab").toString()};
        RobustnessTest.Run first = RobustnessTest.run(concat(common, "--steps", "3"));
        assertEquals(0, first.code(), first.err());
        assertEquals(List.of(2L, 3L), run.checkpointSteps(), "the config's two");
        RobustnessTest.Run second = RobustnessTest.run(concat(common, "--steps", "4", "--keep-checkpoints", "1"));
        assertEquals(0, second.code(), second.err());
        assertTrue(second.err().contains("resumed from " + run.checkpoint(3) + " (step 3)"), second.err());
        assertEquals(List.of(4L), run.checkpointSteps(), "the command line's one");
        RobustnessTest.Run third = RobustnessTest.run(common);
        assertEquals(0, third.code(), third.err());
        assertEquals(List.of(5L, 6L), run.checkpointSteps(), "the config's again, without the option");
    }

    private static String[] concat(String[] a, String... b) {
        return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
    }

    @Nested
    class AFullDisk {

        private Path config;

        private RobustnessTest.Run train(String diskFull) throws IOException {
            String mirror = System.getProperty("minibert.data.mirror", "");
            assumeTrue(!mirror.isBlank() && !mirror.startsWith("${"), "no data mirror configured (MINIBERT_DATA_MIRROR)");
            if (config == null) {
                config = TinyRun.write(dir, TinyRun.texts(3, 80), 6, 1, 300);
            }
            if (diskFull != null) {
                System.setProperty(WriteHook.DISK_FULL_PROPERTY, diskFull);
            }
            try {
                return RobustnessTest.run("train", "--config", config.toString(), "--run-dir", dir.resolve("run").toString(),
                        "--cache-dir", dir.resolve("cache").toString(), "--vocab", dir.resolve("vocab").toString());
            } finally {
                System.clearProperty(WriteHook.DISK_FULL_PROPERTY);
            }
        }

        private void failedOnce(RobustnessTest.Run r, String... expected) {
            assertEquals(Main.INTERNAL, r.code(), r.err());
            assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), "a stack trace or exception name: " + r.err());
            List<String> lines = r.err().strip().lines().toList();
            String last = lines.get(lines.size() - 1);
            assertTrue(last.startsWith("minibert: "), last);
            for (String e : expected) {
                assertTrue(last.contains(e), "expected '" + e + "' in: " + last);
            }
        }

        private List<String> temporary() throws IOException {
            try (Stream<Path> all = Files.walk(dir.resolve("run"))) {
                return all.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList();
            }
        }

        @Test
        void aCheckpointThatCannotBeWrittenStopsTheRunAndTheNextOneResumesFromTheLastGood() throws IOException {
            RunDirectory run = new RunDirectory(dir.resolve("run"));
            // the third file (vocab.txt) of the second checkpoint: the disk is full
            failedOnce(train("checkpoint:9"), "cannot write the checkpoint " + run.checkpoint(2) + ": " + WriteHook.DISK_FULL,
                    "its temporary folder is removed", "the last good checkpoint is " + run.checkpoint(1) + " (step 1)");
            assertEquals(List.of(1L), run.checkpointSteps());
            assertEquals(List.of(), temporary(), "nothing half-written stays");
            run.loadCheckpoint(1);
            RobustnessTest.Run again = train(null);
            assertEquals(0, again.code(), again.err());
            assertTrue(again.err().contains("resumed from " + run.checkpoint(1) + " (step 1)"), again.err());
            assertEquals(List.of(5L, 6L), run.checkpointSteps());
        }

        @Test
        void aMetricsLineThatCannotBeWrittenIsCutBackAndTheRunStops() throws IOException {
            RunDirectory run = new RunDirectory(dir.resolve("run"));
            failedOnce(train("metrics:3"), "cannot append to " + run.metrics() + ": " + WriteHook.DISK_FULL,
                    "the log is cut back to its last complete line", "the last good checkpoint is " + run.checkpoint(2));
            String log = Files.readString(run.metrics());
            assertTrue(log.endsWith("\n") && log.lines().count() == 2, log);
            assertEquals(0, train(null).code());
        }

        @Test
        void provenanceThatCannotBeWrittenStopsTheRunBeforeItTrains() throws IOException {
            RunDirectory run = new RunDirectory(dir.resolve("run"));
            failedOnce(train("provenance:1"), "cannot write " + run.provenance() + ": " + WriteHook.DISK_FULL,
                    "nothing was trained");
            assertFalse(Files.exists(run.provenance()));
            assertEquals(List.of(), temporary());
            assertEquals(0, train(null).code());
        }

        @Test
        void aSettingThatCannotBeRecordedStopsANewRun() throws IOException {
            RunDirectory run = new RunDirectory(dir.resolve("run"));
            failedOnce(train("settings:3"), "cannot record the settings of a new run in " + run.path() + ": " + WriteHook.DISK_FULL);
            assertFalse(run.exists(), "no run.json");
            assertEquals(List.of(), temporary());
            assertEquals(0, train(null).code());
        }
    }
}
