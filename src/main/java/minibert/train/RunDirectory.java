package minibert.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minibert.config.ModelConfig;
import minibert.config.TrainConfig;
import minibert.model.checkpoint.Checkpoint;
import minibert.model.checkpoint.Safetensors;
import minibert.model.checkpoint.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * </pre>
 *
 * Every file is written to a temporary name and renamed into place; a checkpoint is written as a whole
 * temporary folder and renamed, so a checkpoint folder either is complete or does not exist. A stop at any
 * moment (power, {@code kill -9}) leaves the newest complete checkpoint loadable.
 */
public final class RunDirectory {

    /** The format of trainer_state.json and run.json; a run of another format is refused. */
    public static final int FORMAT = 1;

    private static final Pattern CHECKPOINT = Pattern.compile("step-(\\d{7,})");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path dir;

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

    public Path checkpoints() {
        return dir.resolve("checkpoints");
    }

    /** The folder of the checkpoint after {@code step} steps. */
    public Path checkpoint(long step) {
        return checkpoints().resolve(String.format("step-%07d", step));
    }

    /** Whether a run was started here (its settings are recorded). */
    public boolean exists() {
        return Files.isRegularFile(dir.resolve("run.json"));
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
        writeAtomically(dir.resolve("config.yaml"), trainText.getBytes(StandardCharsets.UTF_8));
        writeAtomically(dir.resolve("model.yaml"), modelText.getBytes(StandardCharsets.UTF_8));
        writeAtomically(dir.resolve("run.json"), JSON.writeValueAsBytes(root));
    }

    /**
     * The differences between the recorded settings and these, one line each ({@code train.batchSize: the run
     * has 32, this config 16}); empty when they agree.
     */
    public List<String> differences(TrainConfig train, ModelConfig model) throws IOException {
        JsonNode root = readJson(dir.resolve("run.json"));
        if (root.path("format").asInt(-1) != FORMAT) {
            throw new RunException(dir.resolve("run.json") + ": format " + root.path("format") + ", this program reads " + FORMAT);
        }
        JsonNode recorded = root.path("settings");
        Map<String, Object> now = settings(train, model);
        List<String> out = new ArrayList<>();
        for (var e : now.entrySet()) {
            JsonNode was = recorded.get(e.getKey());
            String current = JSON.valueToTree(e.getValue()).toString();
            if (was == null) {
                out.add(e.getKey() + ": not recorded by the run, this config has " + current);
            } else if (!was.toString().equals(current)) {
                out.add(e.getKey() + ": the run has " + was + ", this config " + current);
            }
        }
        recorded.fieldNames().forEachRemaining(k -> {
            if (!now.containsKey(k)) {
                out.add(k + ": recorded by the run, unknown to this program");
            }
        });
        return out;
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
     * Writes a checkpoint after {@code state.step()} steps: a temporary folder, completely written and flushed,
     * renamed into place; then all but the newest {@code keep} are deleted.
     */
    // tag::save[]
    public Path saveCheckpoint(Learner learner, State state, int keep) throws IOException {
        Path target = checkpoint(state.step());
        Files.createDirectories(checkpoints());
        Path tmp = Files.createTempDirectory(checkpoints(), ".tmp-" + target.getFileName() + "-");
        try {
            Safetensors.DType dtype = learner.bytesPerEntry() == 4 ? Safetensors.DType.F32 : Safetensors.DType.F64;
            Safetensors.write(tmp.resolve("model.safetensors"), learner.weights(), dtype, Map.of("format", "pt"));
            Files.writeString(tmp.resolve("config.json"), Checkpoint.configJson(learner.config(), dtype));
            for (String f : List.of("vocab.txt", "tokenizer_config.json")) {
                Files.copy(vocabulary().resolve(f), tmp.resolve(f));
            }
            Safetensors.write(tmp.resolve("optimizer.safetensors"), learner.optimizerState(), dtype, Map.of());
            Files.write(tmp.resolve("trainer_state.json"), JSON.writeValueAsBytes(state));
            if (Files.exists(target)) {                    // a checkpoint of this step already (an earlier segment)
                deleteTree(target);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            if (Files.exists(tmp)) {
                deleteTree(tmp);
            }
        }
        List<Long> steps = checkpointSteps();
        for (int i = 0; i < steps.size() - keep; i++) {
            deleteTree(checkpoint(steps.get(i)));
        }
        return target;
    }
    // end::save[]

    /** A checkpoint read back: its state, weights and optimiser state. */
    public record Saved(Path folder, State state, Map<String, Tensor> weights, Map<String, Tensor> optimizer) {
    }

    /** Reads the checkpoint after {@code step} steps, checking that its files agree with each other. */
    public Saved loadCheckpoint(long step) {
        Path folder = checkpoint(step);
        Path stateFile = folder.resolve("trainer_state.json");
        State state;
        try {
            state = JSON.treeToValue(readJson(stateFile), State.class);
        } catch (IOException e) {
            throw new RunException(stateFile + ": not a trainer state (" + firstLine(e) + ")");
        }
        if (state.format() != FORMAT) {
            throw new RunException(stateFile + ": format " + state.format() + ", this program reads " + FORMAT);
        }
        if (state.step() != step) {
            throw new RunException(stateFile + ": says step " + state.step() + " in the folder of step " + step);
        }
        var weights = Safetensors.read(folder.resolve("model.safetensors")).tensors();
        var optimizer = Safetensors.read(folder.resolve("optimizer.safetensors")).tensors();
        return new Saved(folder, state, weights, optimizer);
    }

    // ---------------------------------------------------------------- metrics and provenance

    /**
     * Drops every metrics line of a step after {@code step}: a run resumed from an earlier checkpoint than its
     * last log line repeats those steps, and the log must read as one run.
     */
    public void truncateMetrics(long step) throws IOException {
        if (!Files.isRegularFile(metrics())) {
            return;
        }
        List<String> kept = new ArrayList<>();
        for (String line : Files.readAllLines(metrics(), StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (IOException e) {
                break;                                    // a line cut short by a kill: it and what follows go
            }
            if (node.path("step").asLong(Long.MAX_VALUE) <= step) {
                kept.add(line);
            }
        }
        writeAtomically(metrics(), (String.join("\n", kept) + (kept.isEmpty() ? "" : "\n")).getBytes(StandardCharsets.UTF_8));
    }

    /** Reads provenance.json, or an empty object for a new run. */
    public ObjectNode readProvenance() throws IOException {
        if (!Files.isRegularFile(provenance())) {
            return JSON.createObjectNode();
        }
        JsonNode node = readJson(provenance());
        if (!(node instanceof ObjectNode o)) {
            throw new RunException(provenance() + ": not a JSON object");
        }
        return o;
    }

    public void writeProvenance(ObjectNode provenance) throws IOException {
        writeAtomically(provenance(), JSON.writeValueAsBytes(provenance));
    }

    public static ObjectMapper json() {
        return JSON;
    }

    // ---------------------------------------------------------------- files

    /** Writes {@code bytes} to a temporary sibling, forces it to disk, and renames it over {@code file}. */
    public static void writeAtomically(Path file, byte[] bytes) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.TRUNCATE_EXISTING, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(bytes));
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static JsonNode readJson(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new RunException(file + ": does not exist");
        }
        if (Files.size(file) > 16 << 20) {
            throw new RunException(file + ": larger than 16 MB, not a file this program wrote");
        }
        try {
            return JSON.readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new RunException(file + ": not valid JSON (" + firstLine(e) + ")");
        }
    }

    private static String firstLine(Exception e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
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
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(p)) {
            for (Path q : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }

    /** A run directory that cannot be used as it is: the message names the file and what is wrong. */
    public static final class RunException extends RuntimeException {
        public RunException(String message) {
            super(message);
        }
    }
}
