package minibert.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import minibert.model.checkpoint.Checkpoint;
import minibert.model.checkpoint.CheckpointException;
import minibert.model.checkpoint.Safetensors;
import minibert.model.checkpoint.Tensor;
import minibert.nn.MlmHead;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A reference made by an independent implementation: {@code tools/reference/bert_reference.py} builds a small
 * BERT from the paper in PyTorch (float64), lets autograd differentiate it, and writes into one folder
 *
 * <pre>
 * config.json              the configuration, in the checkpoint format ({@link Checkpoint#configJson})
 * model.safetensors        the weights, F64, Hugging Face names ({@link Checkpoint#load} reads it)
 * gradients.safetensors    dL/dθ for every parameter θ, F64, under θ's own name and shape
 * fixture.json             versions, the batch [B][T], the loss, the logits at the masked rows [M][V],
 *                          and ten AdamW steps on that batch: the loss before each update and after the last
 * </pre>
 *
 * The script is run by hand, never by the build; this class only reads what it wrote, and rejects a folder
 * whose parts do not fit together, naming the file and what is wrong.
 */
public final class ReferenceFixture {

    /** The fixture of the gradient-check configuration, relative to the project folder. */
    public static final String SMALL = "src/test/resources/reference/small";

    /**
     * The optimizer run recorded by the script ({@code torch.optim.AdamW}, no clipping, no schedule, the same
     * batch every step).
     *
     * @param lr          learning rate
     * @param beta1       first-moment decay
     * @param beta2       second-moment decay
     * @param eps         added to √v̂
     * @param weightDecay decoupled weight decay of the {@code decay} group (the other group has none)
     * @param decay       parameters with weight decay: every matrix (Linear weights, the three embedding tables)
     * @param noDecay     parameters without: biases and LayerNorm gains and shifts
     * @param steps       number of updates
     * @param losses      the loss before each update, then after the last: {@code steps + 1} values
     */
    public record AdamW(double lr, double beta1, double beta2, double eps, double weightDecay, List<String> decay,
                        List<String> noDecay, int steps, double[] losses) {
    }

    private final Path dir;
    private final String script;
    private final int generatorVersion;
    private final String torch;
    private final String torchPackage;
    private final long seed;
    private final double weightStd;
    private final Batch batch;
    private final double loss;
    private final double[][] maskedLogits;
    private final Map<String, Tensor> gradients;
    private final AdamW adamw;

    private ReferenceFixture(Path dir, String script, int generatorVersion, String torch, String torchPackage, long seed,
                             double weightStd, Batch batch, double loss, double[][] maskedLogits, Map<String, Tensor> gradients, AdamW adamw) {
        this.dir = dir;
        this.script = script;
        this.generatorVersion = generatorVersion;
        this.torch = torch;
        this.torchPackage = torchPackage;
        this.seed = seed;
        this.weightStd = weightStd;
        this.batch = batch;
        this.loss = loss;
        this.maskedLogits = maskedLogits;
        this.gradients = gradients;
        this.adamw = adamw;
    }

    /** Reads {@code fixture.json} and {@code gradients.safetensors} of {@code dir}; the model is read by {@link #model()}. */
    public static ReferenceFixture load(Path dir) {
        Path file = dir.resolve("fixture.json");
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new CheckpointException("cannot read reference fixture " + file + ": " + e.getMessage(), e);
        }
        Reader r = new Reader(file);
        int[][] ids = r.intRows(root, "batch", "input_ids");
        int b = ids.length, t = ids[0].length;
        int[][] types = r.intRows(root, "batch", "token_type_ids");
        int[][] mask = r.intRows(root, "batch", "attention_mask");
        int[][] labels = r.intRows(root, "batch", "labels");
        for (var named : Map.of("token_type_ids", types, "attention_mask", mask, "labels", labels).entrySet()) {
            if (named.getValue().length != b || named.getValue()[0].length != t) {
                throw r.bad("batch." + named.getKey() + " is " + named.getValue().length + " × " + named.getValue()[0].length
                        + ", input_ids is " + b + " × " + t);
            }
        }
        Batch batch = new Batch(flatten(ids), flatten(types), flatten(mask), flatten(labels), b, t);

        // The logits are listed at the labelled positions, row-major: check that the file agrees.
        List<int[]> expected = new ArrayList<>();
        for (int s = 0; s < b; s++) {
            for (int i = 0; i < t; i++) {
                if (labels[s][i] != MlmHead.IGNORE) {
                    expected.add(new int[] {s, i});
                }
            }
        }
        int[][] positions = r.intRows(root, "masked_positions");
        double[][] logits = r.doubleRows(root, "masked_logits");
        if (positions.length != expected.size() || logits.length != expected.size()) {
            throw r.bad("the labels mark " + expected.size() + " positions; masked_positions lists " + positions.length
                    + " and masked_logits " + logits.length + " rows");
        }
        for (int m = 0; m < positions.length; m++) {
            if (positions[m].length != 2 || positions[m][0] != expected.get(m)[0] || positions[m][1] != expected.get(m)[1]) {
                throw r.bad("masked_positions[" + m + "] is " + java.util.Arrays.toString(positions[m]) + ", the labels give "
                        + java.util.Arrays.toString(expected.get(m)));
            }
        }

        JsonNode opt = r.field(root, "adamw");
        double[] betas = r.doubles(opt, "betas");
        if (betas.length != 2) {
            throw r.bad("adamw.betas needs two values, found " + betas.length);
        }
        int steps = r.field(opt, "steps").asInt();
        double[] losses = r.doubles(opt, "losses");
        if (losses.length != steps + 1) {
            throw r.bad("adamw.losses needs steps + 1 = " + (steps + 1) + " values, found " + losses.length);
        }
        AdamW adamw = new AdamW(r.number(opt, "lr"), betas[0], betas[1], r.number(opt, "eps"), r.number(opt, "weight_decay"),
                r.strings(opt, "decay"), r.strings(opt, "no_decay"), steps, losses);

        Safetensors.Contents grads = Safetensors.read(dir.resolve("gradients.safetensors"));
        for (var e : grads.dtypes().entrySet()) {
            if (e.getValue() != Safetensors.DType.F64) {
                throw new CheckpointException(dir.resolve("gradients.safetensors") + ": gradient " + e.getKey() + " is "
                        + e.getValue() + "; a reference needs F64");
            }
        }
        JsonNode generator = r.field(root, "generator");
        return new ReferenceFixture(dir, r.field(generator, "script").asText(), r.field(generator, "version").asInt(),
                r.field(root, "torch").asText(), root.path("torch_package").asText(""), r.field(root, "seed").asLong(),
                r.number(root, "weight_std"), batch, r.number(root, "loss"), logits, Map.copyOf(grads.tensors()), adamw);
    }

    /** A new model holding the fixture's weights, read by the project's own {@link Checkpoint#load}. */
    public BertForMaskedLM model() {
        return Checkpoint.load(dir);
    }

    public Path dir() {
        return dir;
    }

    /** The script that wrote the fixture, relative to the project folder. */
    public String script() {
        return script;
    }

    public int generatorVersion() {
        return generatorVersion;
    }

    /** PyTorch's own {@code torch.__version__}. */
    public String torch() {
        return torch;
    }

    /** The system package that provided torch (e.g. Debian's {@code python3-torch 1.13.1+dfsg-4}), or empty. */
    public String torchPackage() {
        return torchPackage;
    }

    /** The seed of the weights. */
    public long seed() {
        return seed;
    }

    /** The standard deviation of the fixture's weights and biases (LayerNorm gains are 1 plus a smaller noise). */
    public double weightStd() {
        return weightStd;
    }

    public Batch batch() {
        return batch;
    }

    /** PyTorch's loss: the mean cross-entropy over the labelled positions. */
    public double loss() {
        return loss;
    }

    /** PyTorch's logits z at the labelled positions, row-major: [M][V], a copy. */
    public double[][] maskedLogits() {
        double[][] copy = new double[maskedLogits.length][];
        for (int m = 0; m < copy.length; m++) {
            copy[m] = maskedLogits[m].clone();
        }
        return copy;
    }

    /** PyTorch's dL/dθ by parameter name, in Hugging Face's shapes. */
    public Map<String, Tensor> gradients() {
        return gradients;
    }

    public AdamW adamw() {
        return adamw;
    }

    private static int[] flatten(int[][] rows) {
        int[] flat = new int[rows.length * rows[0].length];
        for (int s = 0; s < rows.length; s++) {
            System.arraycopy(rows[s], 0, flat, s * rows[0].length, rows[0].length);
        }
        return flat;
    }

    /** Reads typed fields of one JSON file; every error names the file and the field. */
    private record Reader(Path file) {

        CheckpointException bad(String what) {
            return new CheckpointException("reference fixture " + file + ": " + what);
        }

        JsonNode field(JsonNode parent, String... path) {
            JsonNode n = parent;
            for (String p : path) {
                n = n.path(p);
            }
            if (n.isMissingNode() || n.isNull()) {
                throw bad("has no " + String.join(".", path));
            }
            return n;
        }

        double number(JsonNode parent, String name) {
            JsonNode n = field(parent, name);
            if (!n.isNumber()) {
                throw bad(name + " must be a number, found " + n);
            }
            return n.asDouble();
        }

        double[] doubles(JsonNode parent, String name) {
            return numbers(field(parent, name), name);
        }

        double[] numbers(JsonNode n, String name) {
            if (!n.isArray()) {
                throw bad(name + " must be an array of numbers");
            }
            double[] out = new double[n.size()];
            for (int i = 0; i < out.length; i++) {
                if (!n.get(i).isNumber()) {
                    throw bad(name + "[" + i + "] must be a number, found " + n.get(i));
                }
                out[i] = n.get(i).asDouble();
            }
            return out;
        }

        List<String> strings(JsonNode parent, String name) {
            JsonNode n = field(parent, name);
            if (!n.isArray()) {
                throw bad(name + " must be an array of names");
            }
            List<String> out = new ArrayList<>();
            n.forEach(s -> out.add(s.asText()));
            return List.copyOf(out);
        }

        /** A non-empty rectangular [rows][cols] array of integers. */
        int[][] intRows(JsonNode parent, String... path) {
            JsonNode n = field(parent, path);
            String name = String.join(".", path);
            if (!n.isArray() || n.isEmpty()) {
                throw bad(name + " must be a non-empty array of rows");
            }
            int[][] out = new int[n.size()][];
            for (int i = 0; i < out.length; i++) {
                JsonNode row = n.get(i);
                if (!row.isArray() || row.size() != n.get(0).size()) {
                    throw bad(name + "[" + i + "] must be a row of " + n.get(0).size() + " integers, found " + row);
                }
                out[i] = new int[row.size()];
                for (int j = 0; j < row.size(); j++) {
                    if (!row.get(j).isInt()) {
                        throw bad(name + "[" + i + "][" + j + "] must be an integer, found " + row.get(j));
                    }
                    out[i][j] = row.get(j).asInt();
                }
            }
            return out;
        }

        /** A rectangular [rows][cols] array of numbers (possibly no rows). */
        double[][] doubleRows(JsonNode parent, String name) {
            JsonNode n = field(parent, name);
            if (!n.isArray()) {
                throw bad(name + " must be an array of rows");
            }
            double[][] out = new double[n.size()][];
            for (int i = 0; i < out.length; i++) {
                out[i] = numbers(n.get(i), name + "[" + i + "]");
                if (out[i].length != out[0].length) {
                    throw bad(name + "[" + i + "] has " + out[i].length + " values, row 0 has " + out[0].length);
                }
            }
            return out;
        }
    }
}
