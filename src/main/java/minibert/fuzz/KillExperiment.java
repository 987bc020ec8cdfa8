package minibert.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minibert.data.Corpora;
import minibert.data.DataStore;
import minibert.train.RunDirectory;
import minibert.train.WriteHook;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The promise of the run directory, tested the hard way: a child JVM runs {@code minibert train} on a tiny
 * model with a checkpoint every two steps, and is killed with {@code kill -9}
 * ({@link ProcessHandle#destroyForcibly()}) at a random moment, again and again, each time resumed by a new
 * child. After every kill every complete checkpoint must load, and the next child must resume from the
 * newest; at the end, the weights and the optimiser state must be identical, byte for byte, to those of a
 * run that was never interrupted, and the metrics log must read the same (its timings aside).
 *
 * <p>Kills land at seeded random moments, measured on each child's own clock so that they mean the same on a
 * fast machine and a loaded one: some between its launch and about its first checkpoint (start-up, while it
 * opens the run and writes its provenance; the first step; the first checkpoint write), the others in the
 * interval after its first checkpoint (a step, or the next checkpoint write), so that the run advances. Each
 * file of a checkpoint is followed by a pause ({@link WriteHook#SLOW_PROPERTY}) so that a checkpoint write
 * takes longer than the step before it and many kills land in the middle of one; such a kill is recognised by
 * the temporary folder it leaves in {@code checkpoints/}. The children run the real command line, in a folder of their own, on the
 * first documents of IMDB through the data store.
 */
public final class KillExperiment {

    /**
     * How the experiment is run.
     *
     * @param kills          kills to perform before the last children are let finish
     * @param chains         run directories killed side by side (each its own chain of children), sharing the kills
     * @param steps          the schedule's length (long enough that the kills come before its end)
     * @param checkpointEvery steps between checkpoints
     * @param seed           the seed of the kill moments (the training seed is fixed)
     * @param slowWriteMillis the pause after each file of a checkpoint
     * @param earlyShare     the share of kills at a random moment from the child's launch to about its first
     *                       checkpoint (start-up, the first step, the first checkpoint write), as long as the last
     *                       child took to get there; the others come at a random moment of the interval after the
     *                       child's first checkpoint, as long as the last child's interval (so each of them
     *                       advances the run by at least one checkpoint)
     * @param aimedShare     the share of kills aimed at a checkpoint write: once the child has written one
     *                       checkpoint, the parent waits for the next one's temporary folder to appear, then kills
     *                       (0 for purely random moments)
     */
    public record Settings(int kills, int chains, int steps, int checkpointEvery, long seed, long slowWriteMillis,
                           double earlyShare, double aimedShare) {

        /** The build's experiment: 20 kills at random moments, in two run directories side by side. */
        public static Settings standard(long seed) {
            return new Settings(20, 2, 24, 1, seed, 60, 0.35, 0);
        }
    }

    /** When a kill landed. */
    public enum Moment {
        /** During start-up (opening the run, writing its provenance), before training began. */
        STARTUP,
        /** During training (in a step, or in a checkpoint write). */
        TRAINING,
        /** Aimed: as soon as the temporary folder of a child's second checkpoint appeared. */
        AIMED
    }

    /**
     * One kill.
     *
     * @param moment       when it landed
     * @param afterSeconds seconds from the child's launch to the kill
     * @param resumedFrom  the step the child said it resumed from (-1: it did not get that far, or started afresh)
     * @param newest       the newest complete checkpoint after the kill (-1: none)
     * @param midWrite     whether a checkpoint's temporary folder was left behind: the kill landed while it was written
     * @param leftovers    what the kill left behind (temporary folders and files), by name
     */
    public record Kill(Moment moment, double afterSeconds, long resumedFrom, long newest, boolean midWrite, List<String> leftovers) {
    }

    /**
     * What the experiment found.
     *
     * @param kills          every kill, in order
     * @param resumes        children that resumed, each from the newest complete checkpoint (the last child included)
     * @param checkpointsLoaded checkpoints loaded after the kills (every complete one, after every kill)
     * @param unloadable     checkpoints that did not load (must be 0)
     * @param identical      whether the final weights and optimiser state equal those of the uninterrupted run, byte for byte
     * @param sameLog        whether the metrics log equals the uninterrupted run's, timings aside
     * @param steps          the schedule's length
     * @param seconds        wall time of the whole experiment
     * @param problems       everything that went wrong (empty when the promise held)
     */
    public record Report(Settings settings, List<Kill> kills, int resumes, int checkpointsLoaded, int unloadable,
                         boolean identical, boolean sameLog, int steps, double seconds, List<String> problems) {

        public int midWrite() {
            return (int) kills.stream().filter(Kill::midWrite).count();
        }

        public int of(Moment m) {
            return (int) kills.stream().filter(k -> k.moment() == m).count();
        }

        /** Whether no fault lost the run. */
        public boolean passed() {
            return problems.isEmpty() && unloadable == 0 && identical && sameLog;
        }
    }

    private static final Pattern RESUMED = Pattern.compile("resumed from .* \\(step (\\d+)\\)");
    private static final String TRAINING = "training steps ";
    private static final String CHECKPOINTED = "checkpoint ";
    private static final String WRITING = ".tmp-";

    private final Path work;
    private final Path projectDir;
    private final Settings settings;
    private final Consumer<String> log;
    private String classpath;                 // the children's, every entry a jar (class-data archives need jars)
    private boolean jars;
    private Path archive;                     // the class-data archive, once the uninterrupted run has written it
    private Child straight;

    private KillExperiment(Path work, Path projectDir, Settings settings, Consumer<String> log) {
        this.work = work;
        this.projectDir = projectDir;
        this.settings = settings;
        this.log = log;
    }

    /**
     * Runs the experiment in a temporary folder (deleted afterwards). The project folder is where the children
     * find the data manifest ({@code data/datasets.yaml}); the data mirror, if one is configured, is passed on.
     */
    public static Report run(Path projectDir, Settings settings, Consumer<String> log) throws IOException, InterruptedException {
        Path work = Files.createTempDirectory("minibert-kill-");
        try {
            return new KillExperiment(work, projectDir.toAbsolutePath().normalize(), settings, log).run();
        } finally {
            try (Stream<Path> paths = Files.walk(work)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private Report run() throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        setUp();
        // the uninterrupted run first: it builds the corpus cache the children share, and writes the class-data
        // archive that starts them faster
        straight = start("straight", false);
        int code = straight.process.waitFor();
        straight.reader.join();
        if (code != 0) {
            throw new IOException("the uninterrupted run ended with status " + code + ": " + straight.tail());
        }
        Path dumped = work.resolve("classes.jsa.part");
        if (Files.isRegularFile(dumped)) {
            archive = Files.move(dumped, work.resolve("classes.jsa"));
        }
        Chain[] chains = new Chain[settings.chains()];
        Thread[] threads = new Thread[chains.length];
        for (int c = 0; c < chains.length; c++) {
            int kills = settings.kills() / chains.length + (c < settings.kills() % chains.length ? 1 : 0);
            chains[c] = new Chain("killed-" + (c + 1), kills, new Random(settings.seed() + c));
            threads[c] = Thread.ofPlatform().start(chains[c]);
        }
        for (Thread t : threads) {
            t.join();
        }
        List<Kill> kills = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        int resumes = 0, loaded = 0, unloadable = 0;
        boolean identical = true, sameLog = true;
        RunDirectory reference = new RunDirectory(work.resolve("straight"));
        for (Chain chain : chains) {
            kills.addAll(chain.kills);
            problems.addAll(chain.problems);
            resumes += chain.resumes;
            loaded += chain.loaded;
            unloadable += chain.unloadable;
            RunDirectory run = chain.run;
            Path a = reference.checkpoint(settings.steps()), b = run.checkpoint(settings.steps());
            if (!Files.isDirectory(a) || !Files.isDirectory(b)) {
                identical = false;
                problems.add(chain.name + ": a final checkpoint of step " + settings.steps() + " is missing");
                continue;
            }
            for (String f : List.of("model.safetensors", "optimizer.safetensors")) {
                if (!Arrays.equals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f)))) {
                    identical = false;
                    problems.add(chain.name + ": the final " + f + " differs from the uninterrupted run's");
                }
            }
            if (!untimed(reference.metrics()).equals(untimed(run.metrics()))) {
                sameLog = false;
                problems.add(chain.name + ": the metrics log differs from the uninterrupted run's (timings aside)");
            }
        }
        return new Report(settings, List.copyOf(kills), resumes, loaded, unloadable, identical, sameLog, settings.steps(),
                (System.nanoTime() - t0) / 1e9, List.copyOf(problems));
    }

    /** One run directory, killed again and again, then let finish. Chains run side by side, each in its own folder. */
    private final class Chain implements Runnable {
        final String name;
        final int killsWanted;
        final Random random;
        final RunDirectory run;
        final List<Kill> kills = new ArrayList<>();
        final List<String> problems = new ArrayList<>();
        int resumes, loaded, unloadable;

        Chain(String name, int kills, Random random) {
            this.name = name;
            this.killsWanted = kills;
            this.random = random;
            this.run = new RunDirectory(work.resolve(name));
        }

        @Override
        public void run() {
            try {
                kill();
            } catch (IOException | RuntimeException e) {
                problems.add(name + ": the experiment itself failed: " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                problems.add(name + ": interrupted");
            }
        }

        private void kill() throws IOException, InterruptedException {
            double early = 4;          // seconds from launch to a child's first checkpoint, as the last one took
            double cycle = 1;          // seconds from one checkpoint to the next, as the last child took
            boolean finished = false;
            for (int i = 0; i < killsWanted && !finished; i++) {
                long newestBefore = newest(run);
                List<String> before = leftovers(run);
                boolean isEarly = random.nextDouble() < settings.earlyShare();
                boolean aimed = !isEarly && random.nextDouble() < settings.aimedShare();
                double delay = random.nextDouble() * (isEarly ? early : cycle);
                Child child = start(name, true);
                if (isEarly) {                               // start-up, the first step or the first checkpoint
                    child.sleepUntil(delay);
                } else if (!child.awaitCheckpoints(1)) {
                    finished = true;                         // it ended first: the run is complete, or it failed
                } else if (aimed) {
                    child.awaitCheckpointWrite(run, before, 30);
                } else {                                     // a random moment of the interval after its first checkpoint
                    child.sleepUntil(child.checkpoints.get(0) + delay);
                }
                if (!child.process.isAlive()) {              // it finished (or failed) before its moment
                    int status = child.process.waitFor();
                    child.reader.join();
                    if (status != 0) {
                        problems.add(name + ": child " + (i + 1) + " ended with status " + status + " before it was killed: " + child.tail());
                    }
                    finished = true;
                    continue;
                }
                double at = child.kill();
                if (!child.checkpoints.isEmpty()) {
                    early = child.checkpoints.get(0);
                }
                if (child.checkpoints.size() >= 2) {
                    cycle = child.checkpoints.get(1) - child.checkpoints.get(0);
                }
                Moment moment = aimed ? Moment.AIMED : child.trainingAt < 0 ? Moment.STARTUP : Moment.TRAINING;
                checkResume(child, newestBefore, "child " + (i + 1));
                List<String> left = new ArrayList<>(leftovers(run));
                left.removeAll(before);                      // an earlier kill's, which this child did not get to remove
                boolean midWrite = left.stream().anyMatch(n -> n.startsWith("checkpoints/" + WRITING));
                for (long step : run.checkpointSteps()) {
                    loaded++;
                    try {
                        run.loadCheckpoint(step);
                    } catch (RuntimeException e) {
                        unloadable++;
                        problems.add(name + ": after kill " + (i + 1) + ", the checkpoint of step " + step + " does not load: "
                                + e.getMessage());
                    }
                }
                Kill kill = new Kill(moment, at, child.resumedFrom, newest(run), midWrite, left);
                kills.add(kill);
                log.accept(String.format(Locale.ROOT, "%s, kill %2d (%s) after %.2f s: resumed from %d, newest checkpoint now %d%s",
                        name, i + 1, moment.name().toLowerCase(Locale.ROOT), at, kill.resumedFrom(), kill.newest(),
                        left.isEmpty() ? "" : ", left " + String.join(", ", left)));
            }
            // the last child runs to the end, without pauses
            long newestBefore = newest(run);
            Child last = start(name, false);
            int status = last.process.waitFor();
            last.reader.join();
            if (status != 0) {
                problems.add(name + ": the last child ended with status " + status + ": " + last.tail());
            }
            checkResume(last, newestBefore, "the last child");
        }

        /** A child that got as far as resuming must have resumed from the newest complete checkpoint. */
        private void checkResume(Child child, long newest, String which) {
            if (child.resumedFrom < 0 && child.trainingAt < 0) {
                return;                                      // killed before it got that far
            }
            if (newest >= 0 && child.resumedFrom == newest) {
                resumes++;
            } else if (child.resumedFrom != newest) {
                problems.add(name + ": " + which + " resumed from step " + child.resumedFrom + " (-1: none), the newest complete "
                        + "checkpoint was " + newest);
            }
        }
    }

    // ---------------------------------------------------------------- the run

    /** A vocabulary trained on the first IMDB documents, a model of its size (H = 12, L = 2, T = 13) and the config. */
    private void setUp() throws IOException {
        childClasspath();
        DataStore store = DataStore.fromEnvironment();
        List<String> texts;
        try (Stream<String> documents = Corpora.imdbDocuments(store)) {
            texts = documents.limit(200).toList();
        }
        TinyRun.write(work, texts, settings.steps(), settings.checkpointEvery(), 200);
    }

    /**
     * This JVM's class path for the children, with every folder of classes packed into a jar (uncompressed) and
     * a manifest-only jar (as surefire starts tests with) opened up: a class-data archive is made of jars only.
     * If that cannot be done, the class path as it is, and no archive.
     */
    private void childClasspath() {
        List<Path> entries = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            if (!e.isBlank()) {
                entries.add(Path.of(e));
            }
        }
        try {
            List<String> out = new ArrayList<>();
            for (Path e : entries) {
                for (Path p : manifestClassPath(e)) {
                    if (Files.isDirectory(p)) {
                        Path jar = work.resolve("classpath-" + out.size() + ".jar");
                        packJar(p, jar);
                        out.add(jar.toString());
                    } else if (Files.isRegularFile(p)) {
                        out.add(p.toString());
                    }
                }
            }
            classpath = String.join(java.io.File.pathSeparator, out);
            jars = true;
        } catch (IOException | RuntimeException e) {
            log.accept("the children run from the class path as it is, without a class-data archive: " + e.getMessage());
            classpath = System.getProperty("java.class.path");
            jars = false;
        }
    }

    /** The entry itself, or, for a jar whose manifest has a Class-Path and no classes of its own, that Class-Path. */
    private static List<Path> manifestClassPath(Path entry) throws IOException {
        if (!Files.isRegularFile(entry) || !entry.toString().endsWith(".jar")) {
            return List.of(entry);
        }
        try (java.util.jar.JarFile jar = new java.util.jar.JarFile(entry.toFile())) {
            java.util.jar.Manifest m = jar.getManifest();
            String cp = m == null ? null : m.getMainAttributes().getValue(java.util.jar.Attributes.Name.CLASS_PATH);
            if (cp == null || jar.stream().anyMatch(e -> e.getName().endsWith(".class"))) {
                return List.of(entry);
            }
            List<Path> out = new ArrayList<>();
            for (String url : cp.trim().split("\\s+")) {
                out.add(Path.of(entry.toAbsolutePath().getParent().toUri().resolve(url)));
            }
            return out;
        }
    }

    private static void packJar(Path folder, Path jar) throws IOException {
        try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar)); Stream<Path> files = Files.walk(folder)) {
            out.setLevel(java.util.zip.Deflater.NO_COMPRESSION);
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                out.putNextEntry(new java.util.jar.JarEntry(folder.relativize(f).toString().replace(java.io.File.separatorChar, '/')));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
    }

    /**
     * A child JVM running {@code minibert train} into {@code run}, its output read line by line. Its few steps of a
     * tiny model are over before C2 would have compiled much: the children compile with C1 alone
     * ({@code TieredStopAtLevel=1}), which took the experiment from 48 to 37 s (two children share the two cores).
     */
    private Child start(String run, boolean slow) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xss8m", "-Xmx256m",
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dminibert.project.dir=" + projectDir));
        if (archive != null) {
            command.addAll(List.of("-XX:SharedArchiveFile=" + archive, "-Xlog:cds=off"));
        } else if (straight == null && jars) {
            command.addAll(List.of("-XX:ArchiveClassesAtExit=" + work.resolve("classes.jsa.part"), "-Xlog:cds=off"));
        }
        String mirror = System.getProperty("minibert.data.mirror");
        if (mirror != null && !mirror.isBlank() && !mirror.startsWith("${")) {
            command.add("-Dminibert.data.mirror=" + mirror);
        }
        if (slow) {
            command.add("-D" + WriteHook.SLOW_PROPERTY + "=" + settings.slowWriteMillis());
        }
        command.addAll(List.of("-cp", classpath, "minibert.cli.Main", "train",
                "--config", "train.yaml", "--run-dir", run, "--cache-dir", "cache", "--vocab", "vocab"));
        ProcessBuilder pb = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true);
        pb.environment().remove("MINIBERT_DEBUG");
        return new Child(pb.start());
    }

    /** A running child: when it began training, which step it resumed from, its last lines. */
    private static final class Child {
        final Process process;
        final long launched = System.nanoTime();
        final Thread reader;

        final List<String> lines = new ArrayList<>();
        volatile double trainingAt = -1;
        final List<Double> checkpoints = new java.util.concurrent.CopyOnWriteArrayList<>();   // when each was said

        volatile long resumedFrom = -1;

        Child(Process process) {
            this.process = process;
            this.reader = Thread.ofPlatform().daemon().start(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null; ) {
                        Matcher m = RESUMED.matcher(line);
                        if (m.find()) {
                            resumedFrom = Long.parseLong(m.group(1));
                        }
                        if (line.startsWith(TRAINING)) {
                            trainingAt = seconds();
                        }
                        if (line.startsWith(CHECKPOINTED)) {
                            checkpoints.add(seconds());
                        }
                        synchronized (lines) {
                            lines.add(line);
                            if (lines.size() > 40) {
                                lines.remove(0);
                            }
                        }
                    }
                } catch (IOException e) {
                    // the child was killed while we read: its output ends here
                }
            });
        }

        double seconds() {
            return (System.nanoTime() - launched) / 1e9;
        }

        /** Waits until the child said it wrote {@code n} checkpoints; false if it ended first. */
        boolean awaitCheckpoints(int n) throws InterruptedException {
            while (checkpoints.size() < n) {
                if (!process.isAlive()) {
                    reader.join();
                    return checkpoints.size() >= n;
                }
                Thread.sleep(5);
            }
            return true;
        }

        void sleepUntil(double secondsAfterLaunch) throws InterruptedException {
            long millis = Math.round((secondsAfterLaunch - seconds()) * 1000);
            if (millis > 0) {
                process.waitFor(millis, TimeUnit.MILLISECONDS);
            }
        }

        /**
         * Waits until the child has written a checkpoint and is writing the next: its temporary folder exists (at
         * most {@code limit} seconds).
         */
        void awaitCheckpointWrite(RunDirectory run, List<String> old, double limit) throws IOException, InterruptedException {
            double until = seconds() + limit;
            while (process.isAlive() && seconds() < until) {
                try {
                    if (!checkpoints.isEmpty()
                            && leftovers(run).stream().anyMatch(n -> n.startsWith("checkpoints/" + WRITING) && !old.contains(n))) {
                        return;
                    }
                } catch (java.nio.file.NoSuchFileException e) {
                    // renamed while listed: look again
                }
                Thread.sleep(2);
            }
        }

        /** kill -9, and wait for the process to be gone; returns the seconds from launch to the kill. */
        double kill() throws InterruptedException {
            double at = seconds();
            process.destroyForcibly();
            process.waitFor();
            reader.join();
            return at;
        }

        String tail() {
            synchronized (lines) {
                return String.join(" | ", lines.subList(Math.max(0, lines.size() - 6), lines.size()));
            }
        }
    }

    // ---------------------------------------------------------------- what a kill left

    private static long newest(RunDirectory run) throws IOException {
        List<Long> steps = run.checkpointSteps();
        return steps.isEmpty() ? -1 : steps.get(steps.size() - 1);
    }

    /** Temporary folders and files in the run directory and its checkpoints folder, relative names. */
    private static List<String> leftovers(RunDirectory run) throws IOException {
        List<String> out = new ArrayList<>();
        for (Path folder : List.of(run.path(), run.checkpoints())) {
            if (!Files.isDirectory(folder)) {
                continue;
            }
            try (Stream<Path> list = Files.list(folder)) {
                for (Path p : list.sorted().toList()) {
                    String name = p.getFileName().toString();
                    if (name.startsWith(".")) {
                        out.add(run.path().relativize(p).toString());
                    }
                }
            }
        }
        return out;
    }

    /** The metrics log's lines without their timings (tokens per second, seconds of training so far). */
    private static List<String> untimed(Path metrics) throws IOException {
        List<String> out = new ArrayList<>();
        if (!Files.isRegularFile(metrics)) {
            return out;
        }
        for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
            JsonNode node = RunDirectory.json().readTree(line);
            if (node instanceof ObjectNode o) {
                o.remove(List.of("tokens_per_s", "seconds"));
            }
            out.add(node.toString());
        }
        return out;
    }
}
