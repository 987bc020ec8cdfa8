package minibert.explore;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import minibert.io.InputException;
import minibert.io.InputFile;
import minibert.io.Json;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A training run's record, read back from its run directory: the settings of {@code run.json} that the analyses
 * need, and every line of {@code metrics.jsonl}.
 *
 * <pre>
 * {"kind":"train","step":…,"tokens":…,"loss":…,"accuracy":…,"grad_norm":…,"clip":…,"lr":…,
 *  "groups":{"embeddings":{"grad_norm":…,"update_ratio":…,"weight_norm":…},"layer.0":{…},…,"head":{…}}}
 * {"kind":"eval","step":…,"loss":…,"accuracy":…,"perplexity":…}
 * </pre>
 *
 * A value the trainer could not write as a number ({@code null}: the loss of a diverged step) is read as NaN.
 * A line that is not such an object is an error naming the file and the line, except a last line cut short
 * (a run being written, or killed mid-line), which is left out with a note.
 *
 * @param dir      the run directory
 * @param settings the settings the analyses read
 * @param train    the training log points, in file order
 * @param eval     the held-out evaluations, in file order
 * @param notes    what was passed over, for the reader
 */
public record RunLog(Path dir, Settings settings, List<TrainPoint> train, List<EvalPoint> eval, List<String> notes) {

    /** The most bytes of metrics.jsonl read (100K steps logged at every step take about 60 MB). */
    public static final long MAX_METRICS_BYTES = 512 * InputFile.MIB;

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The settings of a run that the analyses need.
     *
     * @param steps         the schedule's length
     * @param warmupSteps   steps of linear warm-up
     * @param learningRate  the peak learning rate
     * @param tokensPerStep tokens of one optimiser step: accumulation × B × T
     * @param vocabSize     V
     */
    public record Settings(long steps, long warmupSteps, double learningRate, long tokensPerStep, int vocabSize) {
    }

    /** One group's figures at a log point: gradient norm before clipping, ‖Δθ‖/‖θ‖, ‖θ‖. */
    public record Group(double gradNorm, double updateRatio, double weightNorm) {
    }

    /**
     * A training log point: the means over the steps since the last one.
     *
     * @param tokens tokens seen after {@code step} steps
     * @param clip   the clipping factor of the last step, 1 when the gradient was not clipped
     * @param seconds the trainer's clock at this point: seconds of steps, evaluations and checkpoints over every
     *               segment of the run (NaN when the line has none)
     * @param tokensPerSecond the training speed since the last point (NaN when the line has none)
     * @param groups by group name, in file order
     */
    public record TrainPoint(long step, long tokens, double loss, double accuracy, double gradNorm, double clip, double lr,
                             double seconds, double tokensPerSecond, Map<String, Group> groups) {
    }

    /** A held-out evaluation. */
    public record EvalPoint(long step, double loss, double accuracy, double perplexity) {
    }

    /** Reads {@code dir}/run.json and {@code dir}/metrics.jsonl. */
    public static RunLog read(Path dir) {
        InputFile.requireFolder(dir);
        Path runJson = dir.resolve("run.json");
        if (!java.nio.file.Files.isRegularFile(runJson)) {
            throw new InputException(dir, "is not a run directory: it has no run.json (minibert train writes one when it "
                    + "starts a run)");
        }
        Settings settings = settings(runJson, Json.readObject(runJson, "a run's settings", 4 * InputFile.MIB));
        Path metrics = dir.resolve("metrics.jsonl");
        String text = InputFile.text(metrics, "a metrics log", MAX_METRICS_BYTES, false);
        return parse(dir, metrics, text, settings);
    }

    /** The settings recorded in run.json ({@code {"format":1,"settings":{"train.steps":…,…}}}). */
    static Settings settings(Path file, JsonNode root) {
        JsonNode s = root.path("settings");
        if (!s.isObject()) {
            throw new InputException(file, "has no \"settings\" object");
        }
        long accumulation = integer(file, s, "train.gradientAccumulation");
        long batch = integer(file, s, "train.batchSize");
        long length = integer(file, s, "train.sequenceLength");
        return new Settings(integer(file, s, "train.steps"), integer(file, s, "train.warmupSteps"),
                number(file, s, "train.learningRate"), accumulation * batch * length, (int) integer(file, s, "model.vocabSize"));
    }

    private static long integer(Path file, JsonNode s, String key) {
        JsonNode n = s.get(key);
        if (n == null || !n.canConvertToLong() || !n.isIntegralNumber() || n.asLong() < 0) {
            throw new InputException(file, "setting \"" + key + "\" must be a whole number ≥ 0, found " + Json.kind(n));
        }
        return n.asLong();
    }

    private static double number(Path file, JsonNode s, String key) {
        JsonNode n = s.get(key);
        if (n == null || !n.isNumber()) {
            throw new InputException(file, "setting \"" + key + "\" must be a number, found " + Json.kind(n));
        }
        return n.asDouble();
    }

    /** Parses the text of a metrics log read from {@code file}. */
    public static RunLog parse(Path dir, Path file, String text, Settings settings) {
        List<TrainPoint> train = new ArrayList<>();
        List<EvalPoint> eval = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        int last = lines.length - 1;
        while (last >= 0 && lines[last].isBlank()) {
            last--;
        }
        for (int i = 0; i <= last; i++) {
            String line = lines[i];
            if (line.isBlank()) {
                continue;
            }
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (JsonProcessingException e) {
                if (i == last && !text.endsWith("\n")) {
                    notes.add(file + " line " + (i + 1) + " is cut short (a run still writing, or killed mid-line): left out");
                    continue;
                }
                throw new InputException(file, "line " + (i + 1) + " is not JSON: " + Json.message(e));
            }
            if (node == null || !node.isObject()) {
                throw new InputException(file, "line " + (i + 1) + " must be a JSON object, found " + Json.kind(node));
            }
            String kind = node.path("kind").asText("");
            long step = whole(file, i, node, "step");
            switch (kind) {
                case "train" -> {
                    Map<String, Group> groups = new LinkedHashMap<>();
                    JsonNode g = node.path("groups");
                    if (!g.isMissingNode() && !g.isObject()) {
                        throw new InputException(file, "line " + (i + 1) + ": \"groups\" must be an object, found " + Json.kind(g));
                    }
                    for (var it = g.fields(); it.hasNext(); ) {
                        var e = it.next();
                        groups.put(e.getKey(), new Group(value(file, i, e.getValue(), "grad_norm"),
                                value(file, i, e.getValue(), "update_ratio"), value(file, i, e.getValue(), "weight_norm")));
                    }
                    long tokens = node.has("tokens") ? whole(file, i, node, "tokens") : step * settings.tokensPerStep();
                    train.add(new TrainPoint(step, tokens, value(file, i, node, "loss"), value(file, i, node, "accuracy"),
                            value(file, i, node, "grad_norm"), value(file, i, node, "clip"), value(file, i, node, "lr"),
                            optional(file, i, node, "seconds"), optional(file, i, node, "tokens_per_s"),
                            Collections.unmodifiableMap(groups)));
                }
                case "eval" -> eval.add(new EvalPoint(step, value(file, i, node, "loss"), value(file, i, node, "accuracy"),
                        value(file, i, node, "perplexity")));
                default -> throw new InputException(file, "line " + (i + 1) + ": \"kind\" must be \"train\" or \"eval\", found "
                        + Json.kind(node.get("kind")));
            }
        }
        for (int i = 1; i < train.size(); i++) {
            if (train.get(i).step() <= train.get(i - 1).step()) {
                throw new InputException(file, "training log steps must increase; step " + train.get(i).step()
                        + " follows step " + train.get(i - 1).step());
            }
        }
        return new RunLog(dir, settings, List.copyOf(train), List.copyOf(eval), List.copyOf(notes));
    }

    private static long whole(Path file, int line, JsonNode node, String key) {
        JsonNode n = node.get(key);
        if (n == null || !n.isIntegralNumber() || n.asLong() < 0) {
            throw new InputException(file, "line " + (line + 1) + ": \"" + key + "\" must be a whole number ≥ 0, found "
                    + Json.kind(n));
        }
        return n.asLong();
    }

    /** A number, or NaN when the line does not have it (a field a log may lack) or has {@code null}. */
    private static double optional(Path file, int line, JsonNode node, String key) {
        return node.has(key) ? value(file, line, node, key) : Double.NaN;
    }

    /** A number, or NaN for {@code null} (what the trainer writes for a value that is not finite). */
    private static double value(Path file, int line, JsonNode node, String key) {
        JsonNode n = node.get(key);
        if (n != null && n.isNull()) {
            return Double.NaN;
        }
        if (n == null || !n.isNumber()) {
            throw new InputException(file, "line " + (line + 1) + ": \"" + key + "\" must be a number or null, found "
                    + Json.kind(n));
        }
        return n.asDouble();
    }

    /** The names of the parameter groups, in the order of the first log point that has them. */
    public List<String> groups() {
        List<String> names = new ArrayList<>();
        for (TrainPoint p : train) {
            for (String g : p.groups().keySet()) {
                if (!names.contains(g)) {
                    names.add(g);
                }
            }
        }
        return names;
    }

    /** The run's name for people: its folder's name. */
    public String name() {
        Path f = dir.getFileName();
        return f == null ? dir.toString() : f.toString();
    }
}
