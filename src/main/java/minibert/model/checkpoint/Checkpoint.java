package minibert.model.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minibert.config.ModelConfig;
import minibert.model.BertForMaskedLM;
import minibert.nn.Param;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A checkpoint directory in the Hugging Face layout, so that {@code BertForMaskedLM.from_pretrained(dir)}
 * and {@code BertTokenizer.from_pretrained(dir)} load it: {@code model.safetensors}, {@code config.json},
 * {@code vocab.txt} and {@code tokenizer_config.json}.
 *
 * <p>The decoder weight of the MLM head is tied to the word embeddings and stored once, under the word
 * embeddings' name, as transformers does; its bias is {@code cls.predictions.bias}.
 */
public final class Checkpoint {

    private Checkpoint() {
    }

    /** Hugging Face's shape of a parameter: biases and LayerNorm parameters are vectors. */
    public static long[] hfShape(Param p) {
        boolean vector = p.name().endsWith(".bias") || p.name().contains("LayerNorm");
        return vector ? new long[] {p.value().numCols} : new long[] {p.value().numRows, p.value().numCols};
    }

    /**
     * Writes the model (and the tokenizer files of {@code tokenizerDir}, if given) into {@code dir}. Everything
     * is written into a temporary sibling folder first and renamed into place, so a failed save leaves no
     * half-written checkpoint; an existing {@code dir} is replaced only once the new one is complete.
     */
    public static void save(Path dir, BertForMaskedLM model, Safetensors.DType dtype, Path tokenizerDir) throws IOException {
        Path target = dir.toAbsolutePath().normalize();
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".tmp-");
        try {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Param p : model.parameters()) {
                tensors.put(p.name(), new Tensor(hfShape(p), Arrays.copyOf(p.value().data, p.value().getNumElements())));
            }
            Safetensors.write(tmp.resolve("model.safetensors"), tensors, dtype, Map.of("format", "pt"));
            Files.writeString(tmp.resolve("config.json"), configJson(model.config(), dtype));
            if (tokenizerDir != null) {
                for (String f : List.of("vocab.txt", "tokenizer_config.json")) {
                    Path src = tokenizerDir.resolve(f);
                    if (!Files.isRegularFile(src)) {
                        throw new CheckpointException("tokenizer folder " + tokenizerDir + " has no " + f);
                    }
                    Files.copy(src, tmp.resolve(f));
                }
            }
            Path old = null;
            if (Files.exists(target)) {
                old = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".old-");
                Files.delete(old);
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            if (old != null) {
                deleteTree(old);
            }
        } finally {
            if (Files.exists(tmp)) {
                deleteTree(tmp);
            }
        }
    }

    /** {@code config.json} as transformers writes it for BertForMaskedLM. */
    public static String configJson(ModelConfig c, Safetensors.DType dtype) throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode o = json.createObjectNode();
        o.putArray("architectures").add("BertForMaskedLM");
        o.put("model_type", "bert");
        o.put("vocab_size", c.vocabSize());
        o.put("hidden_size", c.hiddenSize());
        o.put("num_hidden_layers", c.numLayers());
        o.put("num_attention_heads", c.numHeads());
        o.put("intermediate_size", c.intermediateSize());
        o.put("hidden_act", c.hiddenAct().equals("gelu") ? "gelu" : "gelu_pytorch_tanh");
        o.put("max_position_embeddings", c.maxPositions());
        o.put("type_vocab_size", c.typeVocabSize());
        o.put("layer_norm_eps", c.layerNormEps());
        o.put("hidden_dropout_prob", c.hiddenDropout());
        o.put("attention_probs_dropout_prob", c.attentionDropout());
        o.put("initializer_range", c.initializerRange());
        o.put("pad_token_id", 0);
        o.put("position_embedding_type", "absolute");
        o.put("torch_dtype", dtype == Safetensors.DType.F32 ? "float32" : "float64");
        return json.writeValueAsString(o) + "\n";
    }

    /** Reads {@code config.json} back into a model config; unknown activations and bad values are errors. */
    public static ModelConfig readConfig(Path file) {
        JsonNode o;
        try {
            o = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new CheckpointException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (!"bert".equals(o.path("model_type").asText())) {
            throw new CheckpointException(file + ": model_type must be \"bert\", found " + o.path("model_type"));
        }
        String act = switch (o.path("hidden_act").asText()) {
            case "gelu" -> "gelu";
            case "gelu_pytorch_tanh", "gelu_new" -> "gelu_tanh";
            default -> throw new CheckpointException(file + ": hidden_act " + o.path("hidden_act") + " is not supported (gelu, gelu_pytorch_tanh)");
        };
        try {
            return new ModelConfig(o.path("vocab_size").asInt(), o.path("hidden_size").asInt(), o.path("num_hidden_layers").asInt(),
                    o.path("num_attention_heads").asInt(), o.path("intermediate_size").asInt(),
                    o.path("max_position_embeddings").asInt(), o.path("type_vocab_size").asInt(),
                    o.path("layer_norm_eps").asDouble(), act, o.path("hidden_dropout_prob").asDouble(),
                    o.path("attention_probs_dropout_prob").asDouble(), o.path("initializer_range").asDouble(0.02));
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file + ": " + e.getMessage());
        }
    }

    /**
     * Loads a checkpoint directory into a new model. Missing, extra or misshapen tensors are rejected with
     * their names and shapes.
     */
    // tag::load[]
    public static BertForMaskedLM load(Path dir) {
        ModelConfig config = readConfig(dir.resolve("config.json"));
        Safetensors.Contents contents = Safetensors.read(dir.resolve("model.safetensors"));
        BertForMaskedLM model = new BertForMaskedLM(config, 0);
        Set<String> expected = new TreeSet<>();
        for (Param p : model.parameters()) {
            expected.add(p.name());
        }
        Set<String> extra = new TreeSet<>(contents.tensors().keySet());
        extra.removeAll(expected);
        if (!extra.isEmpty()) {
            throw new CheckpointException(dir.resolve("model.safetensors") + ": unexpected tensors " + extra);
        }
        for (Param p : model.parameters()) {
            Tensor t = contents.tensors().get(p.name());
            if (t == null) {
                throw new CheckpointException(dir.resolve("model.safetensors") + ": missing tensor " + p.name()
                        + " " + Arrays.toString(hfShape(p)));
            }
            if (!Arrays.equals(t.shape(), hfShape(p))) {
                throw new CheckpointException(dir.resolve("model.safetensors") + ": tensor " + p.name() + " has shape "
                        + t.shapeText() + ", the config needs " + Arrays.toString(hfShape(p)));
            }
            System.arraycopy(t.values(), 0, p.value().data, 0, t.values().length);
        }
        return model;
    }
    // end::load[]

    private static void deleteTree(Path p) throws IOException {
        try (var paths = Files.walk(p)) {
            for (Path q : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }
}
