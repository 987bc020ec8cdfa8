package minibert.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minibert.config.ModelConfig;
import minibert.config.TrainConfig;
import minibert.io.InputException;
import minibert.io.InputFile;
import minibert.io.Json;
import minibert.model.checkpoint.Checkpoint;
import minibert.model.checkpoint.CheckpointException;
import minibert.model.checkpoint.Safetensors;
import minibert.model.checkpoint.Tensor;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A training run's directory: everything needed to inspect it, evaluate its checkpoints, and resume it
 * exactly.
 *
 * <pre>
 * RUN/
 *   run.json                the settings of the run (training and model config, field by field): a resume
 *                           with other settings is refused, naming each difference
 *   config.yaml, model.yaml the config files as given, for people
 *   provenance.json         commit, config hash, data checksums, JDK, machine, backend, and one segment per
 *                           invocation (start, end, steps, wall time, how it ended)
 *   metrics.jsonl           one JSON object per log step ("train") and per evaluation ("eval")
 *   vocab/                  vocab.txt and tokenizer_config.json
 *   checkpoints/step-NNNNNNN/
 *       model.safetensors   the weights, Hugging Face layout, in the training precision
 *       config.json, vocab.txt, tokenizer_config.json       (Hugging Face loads the folder as it is)
 *       optimizer.safetensors                               AdamW's moments
 *       trainer_state.json                                  step, data position, seed, checksums, time
 *   step-10000/, step-100000/  the weights of the milestones kept for good, with SHA256SUMS
 * </pre>
 *
 * Every file is written to a temporary name, forced to disk and renamed into place; a checkpoint is written
 * as a whole temporary folder and renamed, and an old one is renamed away before it is deleted, so a folder
 * named {@code step-NNNNNNN} either is complete or does not exist. A stop at any moment (power,
 * {@code kill -9}) leaves the newest complete checkpoint loadable; a write that fails (a full disk) leaves
 * the previous checkpoint as it was and removes what it had written. Every reader here refuses a file that
 * is not as this class writes it with a {@link RunException} naming the file.
 */
public final class RunDirectory {

    /** The format of trainer_state.json and run.json; a run of another format is refused. */
    public static final int FORMAT = 1;

    /** The most run.json, trainer_state.json and provenance.json may hold. */
    public static final long MAX_JSON_BYTES = 16 * InputFile.MIB;
    /** The longest line of metrics.jsonl (a line of the largest model's groups is a few kilobytes). */
    public static final int MAX_METRICS_LINE = 1 << 20;

    private static final Pattern CHECKPOINT = Pattern.compile("step-(\\d{7,})");
    /** The prefix of a checkpoint being written; what starts with it is never read as a checkpoint. */
    static final String WRITING = ".tmp-";
    /** The prefix of a checkpoint being deleted. */
    static final String DELETING = ".del-";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    private final Path dir;
    private WriteHook hook = WriteHook.fromSystemProperties();

    public RunDirectory(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    public Path path() {
        return dir;
    }

    public Path vocabulary() {
        return dir.resolve("vocab");
    }

    public Path metrics() {
        return dir.resolve("metrics.jsonl");
    }

    public Path provenance() {
        return dir.resolve("provenance.json");
    }

    public Path settingsFile() {
        return dir.resolve("run.json");
    }

    public Path checkpoints() {
        return dir.resolve("checkpoints");
    }

    /** The folder of the checkpoint after {@code step} steps. */
    public Path checkpoint(long step) {
        return checkpoints().resolve(String.format("step-%07d", step));
    }

    /** Whether a run was started here (its settings are recorded). */
    public boolean exists() {
        return Files.isRegularFile(settingsFile());
    }

    /**
     * Replaces the hook that sees every write (by default, the one the system properties ask for, usually
     * none): tests slow writes down or make them fail through it.
     */
    public void writeHook(WriteHook hook) {
        this.hook = hook;
    }

    // ---------------------------------------------------------------- settings

    /** The settings of a run as a flat map: every training-config field but the model's path, then every model-config field. */
    public static Map<String, Object> settings(TrainConfig train, ModelConfig model) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (RecordComponent c : TrainConfig.class.getRecordComponents()) {
            if (!c.getName().equals("model")) {
                out.put("train." + c.getName(), value(c, train));
            }
        }
        for (RecordComponent c : ModelConfig.class.getRecordComponents()) {
            out.put("model." + c.getName(), value(c, model));
        }
        return out;
    }

    private static Object value(RecordComponent c, Object record) {
        try {
            Object v = c.getAccessor().invoke(record);
            return v instanceof Number || v instanceof Boolean ? v : String.valueOf(v);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Records the settings of a new run, and its config files' text. */
    public void create(TrainConfig train, ModelConfig model, String trainText, String modelText) throws IOException {
        Files.createDirectories(dir);
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.set("settings", JSON.valueToTree(settings(train, model)));
        writeAtomically(WriteHook.Kind.SETTINGS, dir.resolve("config.yaml"), trainText.getBytes(StandardCharsets.UTF_8));
        writeAtomically(WriteHook.Kind.SETTINGS, dir.resolve("model.yaml"), modelText.getBytes(StandardCharsets.UTF_8));
        writeAtomically(WriteHook.Kind.SETTINGS, settingsFile(), JSON.writeValueAsBytes(root));
    }

    /**
     * The differences between the settings recorded in run.json and these, one line each ({@code train.batchSize:
     * the run has 32, this config 16}); empty when they agree. A run.json that is not as {@link #create} writes
     * it is refused.
     */
    public List<String> differences(TrainConfig train, ModelConfig model) {
        Path file = settingsFile();
        JsonNode root = readJson(file, "a run's settings");
        for (Iterator<String> keys = root.fieldNames(); keys.hasNext(); ) {
            String key = keys.next();
            if (!key.equals("format") && !key.equals("settings")) {
                throw new RunException(file + ": unknown key \"" + key + "\" (a run's settings hold \"format\" and \"settings\")");
            }
        }
        requireFormat(file, root.get("format"));
        JsonNode recorded = root.get("settings");
        if (recorded == null || !recorded.isObject()) {
            throw new RunException(file + ": \"settings\" must be an object of the run's settings, found " + Json.kind(recorded));
        }
        Map<String, Object> now = settings(train, model);
        List<String> out = new ArrayList<>();
        for (var e : now.entrySet()) {
            JsonNode was = recorded.get(e.getKey());
            String current = JSON.valueToTree(e.getValue()).toString();
            if (was == null) {
                out.add(e.getKey() + ": not recorded by the run, this config has " + current);
            } else if (!was.toString().equals(current)) {
                out.add(e.getKey() + ": the run has " + shorten(was.toString()) + ", this config " + current);
            }
        }
        recorded.fieldNames().forEachRemaining(k -> {
            if (!now.containsKey(k)) {
                out.add(shorten(k) + ": recorded by the run, unknown to this program");
            }
        });
        return out;
    }

    /**
     * Refuses to continue this run with settings other than those it was started with, naming run.json, the
     * config and each difference.
     */
    public void requireSettings(TrainConfig train, ModelConfig model, Path configFile) {
        List<String> differences = differences(train, model);
        if (!differences.isEmpty()) {
            throw new RunException(settingsFile() + " records the settings the run was started with; resuming with "
                    + configFile + " would not continue the same run:\n  " + String.join("\n  ", differences)
                    + "\n(use another --run-dir for a new run)");
        }
    }

    // ---------------------------------------------------------------- checkpoints

    /** The state beside a checkpoint's weights. */
    public record State(int format, long step, long sequencesSeen, long tokensSeen, long seed, String precision,
                        String backend, int threads, String settingsSha256, String vocabularySha256,
                        double trainingSeconds) {
    }

    /** The steps of the complete checkpoints, oldest first. Temporary folders of an interrupted write are ignored. */
    public List<Long> checkpointSteps() throws IOException {
        List<Long> steps = new ArrayList<>();
        if (!Files.isDirectory(checkpoints())) {
            return steps;
        }
        try (Stream<Path> list = Files.list(checkpoints())) {
            for (Path p : list.toList()) {
                Matcher m = CHECKPOINT.matcher(p.getFileName().toString());
                if (m.matches() && Files.isDirectory(p)) {
                    steps.add(Long.parseLong(m.group(1)));
                }
            }
        }
        steps.sort(Comparator.naturalOrder());
        return steps;
    }

    /**
     * Writes a checkpoint after {@code state.step()} steps: a temporary folder, each file forced to disk,
     * renamed into place; then all but the newest {@code keep} are deleted. If a write fails, the temporary
     * folder is removed and the checkpoints already there are left as they were.
     */
    // tag::save[]
    public Path saveCheckpoint(Learner learner, State state, int keep) throws IOException {
        Path target = checkpoint(state.step());
        Files.createDirectories(checkpoints());
        Path tmp = Files.createTempDirectory(checkpoints(), WRITING + target.getFileName() + "-");
        try {
            Safetensors.DType dtype = learner.bytesPerEntry() == 4 ? Safetensors.DType.F32 : Safetensors.DType.F64;
            put(tmp, "model.safetensors", f -> Safetensors.write(f, learner.weights(), dtype, Map.of("format", "pt")));
            put(tmp, "config.json", f -> Files.writeString(f, Checkpoint.configJson(learner.config(), dtype)));
            for (String name : List.of("vocab.txt", "tokenizer_config.json")) {
                put(tmp, name, f -> Files.copy(vocabulary().resolve(name), f));
            }
            put(tmp, "optimizer.safetensors", f -> Safetensors.write(f, learner.optimizerState(), dtype, Map.of()));
            put(tmp, "trainer_state.json", f -> Files.write(f, JSON.writeValueAsBytes(state)));
            force(tmp);                                       // the folder's entries are on disk before its name
            if (Files.exists(target)) {                       // a checkpoint of this step already (an earlier segment)
                discard(target);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            force(checkpoints());
        } finally {
            if (Files.exists(tmp)) {                          // the write failed part-way: nothing of it stays
                deleteTree(tmp);
            }
        }
        List<Long> steps = checkpointSteps();
        for (int i = 0; i < steps.size() - keep; i++) {
            discard(checkpoint(steps.get(i)));
        }
        return target;
    }
    // end::save[]

    /** Writes one file of a checkpoint, lets the hook see it, and forces it to disk. */
    private void put(Path folder, String name, FileWriter writer) throws IOException {
        Path file = folder.resolve(name);
        writer.write(file);
        hook.written(WriteHook.Kind.CHECKPOINT, file, 0);
        force(file);
    }

    @FunctionalInterface
    private interface FileWriter {
        void write(Path file) throws IOException;
    }

    /** Removes a checkpoint: renamed out of the way first (atomically), so that a kill mid-deletion leaves no half of it under its name. */
    private void discard(Path folder) throws IOException {
        Path away = checkpoints().resolve(DELETING + folder.getFileName() + "-" + System.nanoTime());
        Files.move(folder, away, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(away);
    }

    /**
     * Removes what an interrupted invocation left behind: checkpoint folders it was writing or deleting, and
     * the temporary files of atomic writes. Returns what it removed. Only the one process that trains in a run
     * directory may call this (another one's temporary folder would go too).
     */
    public List<Path> removeInterruptedWrites() throws IOException {
        List<Path> removed = new ArrayList<>();
        for (Path folder : List.of(checkpoints(), dir)) {
            if (!Files.isDirectory(folder)) {
                continue;
            }
            try (Stream<Path> list = Files.list(folder)) {
                for (Path p : list.sorted().toList()) {
                    String name = p.getFileName().toString();
                    boolean left = folder.equals(checkpoints()) ? name.startsWith(WRITING) || name.startsWith(DELETING)
                            : name.startsWith(WRITING) || name.startsWith(".") && name.endsWith(".tmp");
                    if (left) {
                        deleteTree(p);
                        removed.add(p);
                    }
                }
            }
        }
        return removed;
    }

    /**
     * The steps whose weights a run keeps for good, beside the rolling checkpoints: those of the project
     * summary's expected-results table (after 10K and 100K steps), which the evaluation compares with.
     */
    public static final Set<Long> MILESTONES = Set.of(10_000L, 100_000L);

    /**
     * The folder of the kept weights of milestone {@code step}: {@code RUN/step-10000/}, the step unpadded (as the
     * project summary counts them), which keeps it apart from the rolling {@code checkpoints/step-NNNNNNN}.
     */
    public Path milestone(long step) {
        return dir.resolve("step-" + step);
    }

    /**
     * Copies the weights of the checkpoint of {@code step} (model, config, tokenizer; not the optimiser state)
     * into {@link #milestone}, with a SHA256SUMS file, through a temporary folder renamed into place.
     */
    public Path keepMilestone(long step) throws IOException {
        Path from = checkpoint(step), target = milestone(step);
        Path tmp = Files.createTempDirectory(dir, WRITING + target.getFileName() + "-");
        try {
            StringBuilder sums = new StringBuilder();
            for (String f : List.of("model.safetensors", "config.json", "vocab.txt", "tokenizer_config.json")) {
                put(tmp, f, file -> Files.copy(from.resolve(f), file));
                sums.append(sha256(tmp.resolve(f))).append("  ").append(f).append('\n');
            }
            put(tmp, "SHA256SUMS", file -> Files.writeString(file, sums.toString()));
            force(tmp);
            if (Files.exists(target)) {
                deleteTree(target);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            if (Files.exists(tmp)) {
                deleteTree(tmp);
            }
        }
        return target;
    }

    /** A checkpoint read back: its state, weights and optimiser state. */
    public record Saved(Path folder, State state, Map<String, Tensor> weights, Map<String, Tensor> optimizer) {

        /**
         * Refuses a checkpoint that does not continue the run {@code expected} describes: the same step, data
         * position (sequences and tokens seen), seed, precision, settings and vocabulary. Backend, threads and
         * time may differ. The message names trainer_state.json and each disagreement.
         */
        public void requireContinues(State expected) {
            Path file = folder.resolve("trainer_state.json");
            State s = state;
            List<String> wrong = new ArrayList<>();
            if (!s.settingsSha256().equals(expected.settingsSha256())) {
                wrong.add("written with settings " + s.settingsSha256().substring(0, 12) + ", these are "
                        + expected.settingsSha256().substring(0, 12));
            }
            if (!s.vocabularySha256().equals(expected.vocabularySha256())) {
                wrong.add("written with vocabulary " + s.vocabularySha256().substring(0, 12) + ", the run's vocab/vocab.txt is now "
                        + expected.vocabularySha256().substring(0, 12));
            }
            if (!s.precision().equals(expected.precision())) {
                wrong.add("trained in " + s.precision() + ", resuming in " + expected.precision() + " would not continue the same run");
            }
            if (s.seed() != expected.seed()) {
                wrong.add("seed " + s.seed() + ", the run's is " + expected.seed());
            }
            if (s.sequencesSeen() != expected.sequencesSeen() || s.tokensSeen() != expected.tokensSeen()) {
                wrong.add("says " + s.sequencesSeen() + " sequences and " + s.tokensSeen() + " tokens seen; step " + s.step()
                        + " of this run's schedule has seen " + expected.sequencesSeen() + " and " + expected.tokensSeen());
            }
            if (!wrong.isEmpty()) {
                throw new RunException(file + ": " + String.join("; ", wrong));
            }
        }
    }

    /**
     * Reads the checkpoint after {@code step} steps: its trainer state (every field present and possible), its
     * weights and its optimiser state, checking that they agree with each other (the step, the element type of
     * the precision, one pair of finite moments of each weight's shape, finite weights). Every refusal is a
     * {@link RunException} naming the file.
     */
    public Saved loadCheckpoint(long step) {
        Path folder = checkpoint(step);
        if (!Files.isDirectory(folder)) {
            throw new RunException(folder + ": no such checkpoint" + (Files.exists(folder) ? " (it is a file, not a folder)" : ""));
        }
        Path stateFile = folder.resolve("trainer_state.json");
        State state = readState(stateFile);
        if (state.step() != step) {
            throw new RunException(stateFile + ": says step " + state.step() + " in the folder of step " + step);
        }
        Safetensors.DType dtype = state.precision().equals("float32") ? Safetensors.DType.F32 : Safetensors.DType.F64;
        Map<String, Tensor> weights = tensors(folder.resolve("model.safetensors"), dtype, state.precision());
        Path optimizerFile = folder.resolve("optimizer.safetensors");
        Map<String, Tensor> optimizer = tensors(optimizerFile, dtype, state.precision());
        requireMoments(optimizerFile, optimizer, weights);
        return new Saved(folder, state, weights, optimizer);
    }

    private static final List<String> STATE_KEYS = Arrays.stream(State.class.getRecordComponents())
            .map(RecordComponent::getName).toList();

    /** trainer_state.json, field by field: every key of {@link State}, of its type, possible, and nothing else. */
    private static State readState(Path file) {
        JsonNode root = readJson(file, "a trainer state");
        for (Iterator<String> keys = root.fieldNames(); keys.hasNext(); ) {
            String key = keys.next();
            if (!STATE_KEYS.contains(key)) {
                throw new RunException(file + ": unknown key \"" + shorten(key) + "\" (a trainer state holds " + String.join(", ", STATE_KEYS) + ")");
            }
        }
        requireFormat(file, root.get("format"));
        long step = whole(file, root, "step", 0, Long.MAX_VALUE);
        long sequences = whole(file, root, "sequencesSeen", 0, Long.MAX_VALUE);
        long tokens = whole(file, root, "tokensSeen", 0, Long.MAX_VALUE);
        long seed = whole(file, root, "seed", Long.MIN_VALUE, Long.MAX_VALUE);
        String precision = text(file, root, "precision");
        if (!precision.equals("float32") && !precision.equals("float64")) {
            throw new RunException(file + ": \"precision\" must be float32 or float64, found \"" + shorten(precision) + "\"");
        }
        String backend = text(file, root, "backend");
        int threads = (int) whole(file, root, "threads", 1, 1 << 16);
        String settings = text(file, root, "settingsSha256"), vocabulary = text(file, root, "vocabularySha256");
        for (var e : Map.of("settingsSha256", settings, "vocabularySha256", vocabulary).entrySet()) {
            if (!SHA256.matcher(e.getValue()).matches()) {
                throw new RunException(file + ": \"" + e.getKey() + "\" must be 64 lower-case hex digits (a SHA-256), found \""
                        + shorten(e.getValue()) + "\"");
            }
        }
        JsonNode seconds = root.get("trainingSeconds");
        if (seconds == null || !seconds.isNumber() || !Double.isFinite(seconds.doubleValue()) || seconds.doubleValue() < 0) {
            throw new RunException(file + ": \"trainingSeconds\" must be a number of seconds ≥ 0, found " + Json.kind(seconds));
        }
        return new State(FORMAT, step, sequences, tokens, seed, precision, backend, threads, settings, vocabulary,
                seconds.doubleValue());
    }

    private static void requireFormat(Path file, JsonNode format) {
        if (format == null || !format.isIntegralNumber() || !format.canConvertToInt() || format.intValue() != FORMAT) {
            throw new RunException(file + ": format " + Json.kind(format) + ", this program reads format " + FORMAT);
        }
    }

    private static long whole(Path file, JsonNode root, String key, long min, long max) {
        JsonNode v = root.get(key);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < min || v.longValue() > max) {
            throw new RunException(file + ": \"" + key + "\" must be a whole number" + (min == Long.MIN_VALUE ? "" : max == Long.MAX_VALUE
                    ? " ≥ " + min : " from " + min + " to " + max) + ", found " + Json.kind(v));
        }
        return v.longValue();
    }

    private static String text(Path file, JsonNode root, String key) {
        JsonNode v = root.get(key);
        if (v == null || !v.isTextual() || v.textValue().isBlank()) {
            throw new RunException(file + ": \"" + key + "\" must be a text, found " + Json.kind(v));
        }
        return v.textValue();
    }

    /** The tensors of a safetensors file of a checkpoint: all of the precision's element type, all finite. */
    private static Map<String, Tensor> tensors(Path file, Safetensors.DType dtype, String precision) {
        Safetensors.Contents contents;
        try {
            contents = Safetensors.read(file);
        } catch (CheckpointException e) {
            throw new RunException(e.getMessage().contains(file.toString()) ? e.getMessage() : file + ": " + e.getMessage());
        }
        for (var e : contents.dtypes().entrySet()) {
            if (e.getValue() != dtype) {
                throw new RunException(file + ": tensor " + shorten(e.getKey()) + " is " + e.getValue() + "; a " + precision
                        + " run saves " + dtype);
            }
        }
        for (var e : contents.tensors().entrySet()) {
            double[] values = e.getValue().values();
            for (int i = 0; i < values.length; i++) {
                if (!Double.isFinite(values[i])) {
                    throw new RunException(file + ": tensor " + shorten(e.getKey()) + " holds " + values[i] + " at element " + i
                            + "; a run saves only finite numbers");
                }
            }
        }
        return contents.tensors();
    }

    /** AdamW's state: exactly {@code exp_avg.NAME} and {@code exp_avg_sq.NAME} (≥ 0) of every weight NAME, of its shape. */
    private static void requireMoments(Path file, Map<String, Tensor> optimizer, Map<String, Tensor> weights) {
        for (var e : optimizer.entrySet()) {
            String key = e.getKey();
            String weight = key.startsWith("exp_avg.") ? key.substring(8) : key.startsWith("exp_avg_sq.") ? key.substring(11) : null;
            if (weight == null || !weights.containsKey(weight)) {
                throw new RunException(file + ": tensor " + shorten(key) + " is not a moment of a weight of model.safetensors "
                        + "(AdamW's state holds exp_avg.NAME and exp_avg_sq.NAME of each weight NAME)");
            }
            if (!Arrays.equals(e.getValue().shape(), weights.get(weight).shape())) {
                throw new RunException(file + ": tensor " + shorten(key) + " is " + e.getValue().shapeText() + ", its weight "
                        + weights.get(weight).shapeText());
            }
            if (key.startsWith("exp_avg_sq.")) {
                double[] v = e.getValue().values();
                for (int i = 0; i < v.length; i++) {
                    if (v[i] < 0) {
                        throw new RunException(file + ": tensor " + shorten(key) + " holds " + v[i] + " at element " + i
                                + "; a mean of squares is never negative");
                    }
                }
            }
        }
        for (String weight : weights.keySet()) {
            for (String moment : List.of("exp_avg.", "exp_avg_sq.")) {
                if (!optimizer.containsKey(moment + weight)) {
                    throw new RunException(file + ": no tensor " + moment + shorten(weight) + " for the weight " + shorten(weight)
                            + " of model.safetensors");
                }
            }
        }
    }

    // ---------------------------------------------------------------- metrics and provenance

    /**
     * What trimming the metrics log did.
     *
     * @param kept    lines kept (of a step up to the checkpoint's)
     * @param dropped complete lines of later steps, dropped
     * @param cut     whether the last line had been cut short (an append that a kill interrupted), and was dropped
     */
    public record Trim(int kept, int dropped, boolean cut) {
    }

    /**
     * Drops every metrics line of a step after {@code step}: a run resumed from an earlier checkpoint than its
     * last log line repeats those steps, and the log must read as one run. A last line without its line end
     * was cut short by a kill or a full disk and goes too. Anything else that is not a line this trainer writes
     * (a JSON object with "kind" train or eval, a whole "step" ≥ 0 that never goes back, numbers) is refused,
     * naming the file and the line: a log is never silently shortened.
     */
    public Trim truncateMetrics(long step) throws IOException {
        Path file = metrics();
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return new Trim(0, 0, false);
        }
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new RunException(file + ": " + (Files.isDirectory(file) ? "is a folder" : "is not a regular file")
                    + "; a run's metrics log is a file of JSON lines");
        }
        ByteArrayOutputStream kept = new ByteArrayOutputStream();
        int keptLines = 0, dropped = 0;
        boolean cut = false;
        long lastStep = -1, lineNo = 0;
        Map<String, Long> lastOfKind = new LinkedHashMap<>();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            while (true) {
                int b = in.read();
                if (b != '\n' && b >= 0) {
                    if (line.size() == MAX_METRICS_LINE) {
                        throw new RunException(file + ": line " + (lineNo + 1) + " is longer than " + InputFile.size(MAX_METRICS_LINE)
                                + "; the trainer writes lines of a few kilobytes");
                    }
                    line.write(b);
                    continue;
                }
                if (b < 0 && line.size() == 0) {
                    break;
                }
                lineNo++;
                if (b < 0) {                                  // no line end: an append cut short, of a step after the
                    cut = true;                               // last checkpoint (the log is written before it)
                    break;
                }
                long s = metricsStep(file, lineNo, line.toByteArray(), lastOfKind);
                if (s < lastStep) {
                    throw new RunException(file + ": line " + lineNo + " is of step " + s + ", after a line of step " + lastStep
                            + "; a run's log never goes back");
                }
                lastStep = s;
                if (s <= step) {
                    line.writeTo(kept);
                    kept.write('\n');
                    keptLines++;
                } else {
                    dropped++;
                }
                line.reset();
            }
        }
        if (dropped > 0 || cut) {
            writeAtomically(WriteHook.Kind.METRICS, file, kept.toByteArray());
        }
        return new Trim(keptLines, dropped, cut);
    }

    /** The step of one metrics line, after checking that it is one the trainer writes. */
    private static long metricsStep(Path file, long lineNo, byte[] bytes, Map<String, Long> lastOfKind) {
        String where = file + ": line " + lineNo;
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new RunException(where + " is not UTF-8 text");
        }
        JsonNode node;
        try {
            node = Json.parseObject(file, text);
        } catch (InputException e) {
            throw new RunException(where + " " + e.reason());
        }
        JsonNode kind = node.get("kind");
        if (kind == null || !kind.isTextual() || !METRICS_KEYS.containsKey(kind.textValue())) {
            throw new RunException(where + ": \"kind\" must be \"train\" or \"eval\", found " + Json.kind(kind));
        }
        List<String> keys = new ArrayList<>();
        node.fieldNames().forEachRemaining(keys::add);
        if (!Set.copyOf(keys).equals(Set.copyOf(METRICS_KEYS.get(kind.textValue())))) {
            throw new RunException(where + ": a \"" + kind.textValue() + "\" line holds " + String.join(", ",
                    METRICS_KEYS.get(kind.textValue())) + ", found " + shorten(String.join(", ", keys)));
        }
        JsonNode step = node.get("step");
        if (step == null || !step.isIntegralNumber() || !step.canConvertToLong() || step.longValue() < 0) {
            throw new RunException(where + ": \"step\" must be a whole number ≥ 0, found " + Json.kind(step));
        }
        Long before = lastOfKind.put(kind.textValue(), step.longValue());
        if (before != null && before >= step.longValue()) {
            throw new RunException(where + ": a second \"" + kind.textValue() + "\" line of step " + step.longValue());
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getKey().equals("kind")) {
                requireFigures(where, e.getKey(), e.getValue(), 0);
            }
        }
        return step.longValue();
    }

    /** The keys of each kind of metrics line (the trainer writes them in this order). */
    private static final Map<String, List<String>> METRICS_KEYS = Map.of(
            "train", List.of("kind", "step", "tokens", "loss", "accuracy", "grad_norm", "clip", "lr", "tokens_per_s", "seconds", "groups"),
            "eval", List.of("kind", "step", "loss", "accuracy", "perplexity", "masked"));
    private static final List<String> GROUP_KEYS = List.of("grad_norm", "update_ratio", "weight_norm");

    /**
     * A metrics value: a finite number, or null (for a figure that was not finite); "groups" is an object of
     * groups, each an object of {@link #GROUP_KEYS}.
     */
    private static void requireFigures(String where, String key, JsonNode v, int depth) {
        if (key.equals("groups") && depth == 0) {
            if (!v.isObject()) {
                throw new RunException(where + ": \"groups\" must be an object of parameter groups, found " + Json.kind(v));
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
                var e = it.next();
                List<String> keys = new ArrayList<>();
                e.getValue().fieldNames().forEachRemaining(keys::add);
                if (!e.getValue().isObject() || !Set.copyOf(keys).equals(Set.copyOf(GROUP_KEYS))) {
                    throw new RunException(where + ": the group \"" + shorten(e.getKey()) + "\" must hold " + String.join(", ", GROUP_KEYS));
                }
                for (String k : GROUP_KEYS) {
                    requireFigures(where, "groups." + shorten(e.getKey()) + "." + k, e.getValue().get(k), 1);
                }
            }
        } else if (!(v.isNull() || v.isNumber() && Double.isFinite(v.doubleValue()))) {
            throw new RunException(where + ": \"" + shorten(key) + "\" must be a finite number or null, found " + Json.kind(v));
        }
    }

    /**
     * Appends one line to the metrics log. A write that fails part-way is undone (the log is cut back to its
     * length before) and rethrown.
     */
    public void appendMetrics(String line) throws IOException {
        Path file = metrics();
        long before = WriteHook.lengthOf(file);
        try {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND)) {
                ByteBuffer bytes = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
                while (bytes.hasRemaining()) {
                    ch.write(bytes);
                }
            }
            hook.written(WriteHook.Kind.METRICS, file, before);
        } catch (IOException e) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.truncate(before);
            } catch (IOException second) {
                e.addSuppressed(second);
            }
            throw e;
        }
    }

    /** Reads provenance.json, or an empty object for a new run. */
    public ObjectNode readProvenance() {
        if (!Files.exists(provenance(), LinkOption.NOFOLLOW_LINKS)) {
            return JSON.createObjectNode();
        }
        return (ObjectNode) readJson(provenance(), "a run's provenance");
    }

    public void writeProvenance(ObjectNode provenance) throws IOException {
        writeAtomically(WriteHook.Kind.PROVENANCE, provenance(), JSON.writeValueAsBytes(provenance));
    }

    public static ObjectMapper json() {
        return JSON;
    }

    // ---------------------------------------------------------------- files

    /** Writes {@code bytes} to a temporary sibling, forces it to disk, and renames it over {@code file}. */
    public static void writeAtomically(Path file, byte[] bytes) throws IOException {
        write(WriteHook.NONE, null, file, bytes);
    }

    /** As {@link #writeAtomically(Path, byte[])}, through this run's hook; a failed write leaves no temporary file. */
    private void writeAtomically(WriteHook.Kind kind, Path file, byte[] bytes) throws IOException {
        write(hook, kind, file, bytes);
    }

    private static void write(WriteHook hook, WriteHook.Kind kind, Path file, byte[] bytes) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            if (kind != null) {
                hook.written(kind, tmp, 0);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Forces a file, or a folder's entries, to disk (a folder cannot be opened for that on some systems: then nothing). */
    static void force(Path p) throws IOException {
        boolean folder = Files.isDirectory(p);
        try (FileChannel ch = FileChannel.open(p, folder ? StandardOpenOption.READ : StandardOpenOption.WRITE)) {
            ch.force(true);
        } catch (IOException e) {
            if (!folder) {
                throw e;
            }
        }
    }

    /** One JSON object of a run's files, at most {@link #MAX_JSON_BYTES}, strict UTF-8; refusals are {@link RunException}s. */
    private static JsonNode readJson(Path file, String what) {
        try {
            return Json.readObject(file, what, MAX_JSON_BYTES);
        } catch (InputException e) {
            throw new RunException(e.getMessage());
        }
    }

    /** A key or value quoted in a message: at most 80 characters, control characters shown as escapes. */
    static String shorten(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().limit(81).forEach(c -> b.append(c < 0x20 || c == 0x7F
                ? String.format(Locale.ROOT, "\\u%04X", c) : new String(Character.toChars(c))));
        return b.length() > 80 ? b.substring(0, 80) + "…" : b.toString();
    }

    /** The words of an I/O failure: the system's reason ({@code No space left on device}), without Java's class names. */
    public static String cause(IOException e) {
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        if (e instanceof java.nio.file.NoSuchFileException f) {
            return f.getFile() + " does not exist";
        }
        return String.valueOf(e.getMessage());
    }

    /** Lower-case hex SHA-256 of a file's bytes. */
    public static String sha256(Path file) {
        try (var in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Lower-case hex SHA-256 of a text's UTF-8 bytes. */
    public static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(p)) {
            for (Path q : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }

    /** A run directory that cannot be used as it is: the message names the file and what is wrong. */
    public static class RunException extends RuntimeException {
        public RunException(String message) {
            super(message);
        }
    }

    /**
     * A write into the run directory that failed (a full disk, a read-only file system): the message names the
     * file or folder, the system's reason, what was cleaned up and the newest checkpoint to resume from.
     */
    public static final class WriteFailure extends RunException {
        public WriteFailure(String message, IOException cause) {
            super(message);
            initCause(cause);
        }
    }
}
