package minibert.model.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minibert.config.ModelConfig;
import minibert.io.InputException;
import minibert.io.InputFile;
import minibert.io.Json;
import minibert.model.BertForMaskedLM;
import minibert.nn.Param;
import minibert.text.TokenizerFiles;
import minibert.text.WordPiece;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
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
        o.put("torch_dtype", switch (dtype) {
            case F64 -> "float64";
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            default -> throw new IllegalArgumentException("no torch dtype for " + dtype);
        });
        return json.writeValueAsString(o) + "\n";
    }

    /** A model config read from {@code config.json}, with what was assumed or passed over. */
    public record ConfigJson(ModelConfig config, List<String> notes) {
    }

    /** Reads {@code config.json} back into a model config; see {@link #parseConfig}. */
    public static ModelConfig readConfig(Path file) {
        return parseConfig(file).config();
    }

    /**
     * Reads a {@code config.json} as transformers writes it for BERT. The sizes must be whole JSON numbers in
     * range (no {@code 8192.5}, no {@code 1e12}); keys transformers would default are defaulted with a note;
     * settings that change the architecture away from BERT's (relative positions, a decoder, an untied output
     * layer) are refused by name. At most {@value #MAX_CONFIG_BYTES} bytes are read.
     */
    public static ConfigJson parseConfig(Path file) {
        JsonNode o;
        try {
            o = Json.readObject(file, "a config.json", MAX_CONFIG_BYTES);
        } catch (InputException e) {
            throw new CheckpointException(e.getMessage());
        }
        List<String> notes = new ArrayList<>();
        JsonNode type = o.get("model_type");
        if (type == null) {
            notes.add(file + " has no model_type; read as \"bert\"");
        } else if (!"bert".equals(type.asText()) || !type.isTextual()) {
            throw new CheckpointException(file + ": model_type must be \"bert\", found " + Json.kind(type));
        }
        refuseUnless(file, o, "position_embedding_type", n -> n.isTextual() && n.asText().equals("absolute"),
                "\"absolute\" (the only position embedding this model has)");
        refuseUnless(file, o, "is_decoder", n -> n.isBoolean() && !n.asBoolean(), "false (this model is an encoder)");
        refuseUnless(file, o, "add_cross_attention", n -> n.isBoolean() && !n.asBoolean(), "false (this model has no cross-attention)");
        refuseUnless(file, o, "tie_word_embeddings", n -> n.isBoolean() && n.asBoolean(),
                "true (the MLM decoder here is the word-embedding matrix)");
        List<String> defaulted = new ArrayList<>();
        String act;
        JsonNode actNode = o.get("hidden_act");
        if (actNode == null || actNode.isNull()) {
            act = "gelu";
            defaulted.add("hidden_act gelu");
        } else {
            act = switch (actNode.isTextual() ? actNode.asText() : "") {
                case "gelu" -> "gelu";
                case "gelu_pytorch_tanh", "gelu_new" -> "gelu_tanh";
                default -> throw new CheckpointException(file + ": hidden_act " + actNode
                        + " is not supported (gelu, gelu_pytorch_tanh, gelu_new)");
            };
        }
        int v = whole(file, o, "vocab_size", 1, 1 << 24, -1, defaulted);
        int h = whole(file, o, "hidden_size", 1, 1 << 16, -1, defaulted);
        int l = whole(file, o, "num_hidden_layers", 1, 1024, -1, defaulted);
        int a = whole(file, o, "num_attention_heads", 1, 1024, -1, defaulted);
        int i = whole(file, o, "intermediate_size", 1, 1 << 18, -1, defaulted);
        int t = whole(file, o, "max_position_embeddings", 2, 1 << 16, -1, defaulted);
        int types = whole(file, o, "type_vocab_size", 1, 1024, 2, defaulted);
        double eps = real(file, o, "layer_norm_eps", Double.MIN_VALUE, 0.5, 1e-12, defaulted);
        double hd = real(file, o, "hidden_dropout_prob", 0, 0.999, 0.1, defaulted);
        double ad = real(file, o, "attention_probs_dropout_prob", 0, 0.999, 0.1, defaulted);
        double init = real(file, o, "initializer_range", Double.MIN_VALUE, 10, 0.02, defaulted);
        if (!defaulted.isEmpty()) {
            notes.add(file + " leaves out " + String.join(", ", defaulted).replaceAll(" [^,]+", "")
                    + "; using transformers' defaults: " + String.join(", ", defaulted));
        }
        List<String> unknown = new ArrayList<>();
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!CONFIG_KEYS.contains(key) && !CONFIG_INERT.contains(key)) {
                unknown.add(key);
            }
        }
        if (!unknown.isEmpty()) {
            notes.add(file + ": keys passed over (unknown to this loader): " + String.join(", ", unknown));
        }
        try {
            return new ConfigJson(new ModelConfig(v, h, l, a, i, t, types, eps, act, hd, ad, init), List.copyOf(notes));
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file + ": " + e.getMessage());
        }
    }

    /** The largest config.json read (transformers writes under 1 KB). */
    public static final long MAX_CONFIG_BYTES = InputFile.MIB;

    private static final Set<String> CONFIG_KEYS = Set.of("model_type", "position_embedding_type", "is_decoder",
            "add_cross_attention", "tie_word_embeddings", "hidden_act", "vocab_size", "hidden_size", "num_hidden_layers",
            "num_attention_heads", "intermediate_size", "max_position_embeddings", "type_vocab_size", "layer_norm_eps",
            "hidden_dropout_prob", "attention_probs_dropout_prob", "initializer_range");
    /** Keys that change nothing in masked-language-model inference. */
    private static final Set<String> CONFIG_INERT = Set.of("architectures", "transformers_version", "torch_dtype", "dtype",
            "pad_token_id", "bos_token_id", "eos_token_id", "gradient_checkpointing", "use_cache", "classifier_dropout",
            "_name_or_path", "id2label", "label2id", "directionality", "output_past", "problem_type", "finetuning_task",
            "pooler_fc_size", "pooler_num_attention_heads", "pooler_num_fc_layers", "pooler_size_per_head", "pooler_type",
            "chunk_size_feed_forward", "output_attentions", "output_hidden_states", "return_dict", "torchscript",
            "pruned_heads", "tokenizer_class");

    private static void refuseUnless(Path file, JsonNode o, String key, java.util.function.Predicate<JsonNode> ok, String allowed) {
        JsonNode n = o.get(key);
        if (n != null && !n.isNull() && !ok.test(n)) {
            throw new CheckpointException(file + ": " + key + " is " + Json.kind(n) + "; this loader supports only " + allowed);
        }
    }

    private static int whole(Path file, JsonNode o, String key, int min, int max, int absent, List<String> defaulted) {
        JsonNode n = o.get(key);
        if (n == null || n.isNull()) {
            if (absent < 0) {
                throw new CheckpointException(file + ": " + key + " is missing");
            }
            defaulted.add(key + " " + absent);
            return absent;
        }
        if (!n.isNumber()) {
            throw new CheckpointException(file + ": " + key + " must be a whole number, found " + Json.kind(n));
        }
        if (!n.isIntegralNumber()) {
            throw new CheckpointException(file + ": " + key + " must be a whole number" + (n.isFloatingPointNumber()
                    && n.asDouble() == Math.rint(n.asDouble()) ? " between " + min + " and " + max : "") + ", found " + n);
        }
        if (!n.canConvertToInt() || n.asInt() < min || n.asInt() > max) {
            throw new CheckpointException(file + ": " + key + " must be between " + min + " and " + max + ", found " + n);
        }
        return n.asInt();
    }

    private static double real(Path file, JsonNode o, String key, double min, double max, double absent, List<String> defaulted) {
        JsonNode n = o.get(key);
        if (n == null || n.isNull()) {
            defaulted.add(key + " " + absent);
            return absent;
        }
        if (!n.isNumber()) {
            throw new CheckpointException(file + ": " + key + " must be a number, found " + Json.kind(n));
        }
        double d = n.asDouble();
        if (!Double.isFinite(d) || d < min || d > max) {
            throw new CheckpointException(file + ": " + key + " must be between " + min + " and " + max + ", found " + n);
        }
        return d;
    }

    /** A model read from a checkpoint, with what was passed over or assumed on the way. */
    public record Loaded(BertForMaskedLM model, List<String> notes) {
    }

    /** A whole checkpoint: the model, its tokenizer, and every note from reading them. */
    public record Pretrained(BertForMaskedLM model, TokenizerFiles tokenizer, List<String> notes) {
        public WordPiece wordPiece() {
            return tokenizer.wordPiece();
        }
    }

    /** The model of a checkpoint directory, without its tokenizer; see {@link #loadModel}. */
    public static BertForMaskedLM load(Path dir) {
        return loadModel(dir).model();
    }

    /**
     * A checkpoint folder with its tokenizer: the model, {@code vocab.txt} and {@code tokenizer_config.json}.
     * The files must agree: {@code vocab.txt} has exactly {@code vocab_size} lines. They are checked before the
     * weights are read.
     */
    public static Pretrained loadPretrained(Path dir) {
        requireFolder(dir);
        Path configFile = dir.resolve("config.json");
        ConfigJson config = parseConfig(configFile);
        TokenizerFiles tokenizer = TokenizerFiles.load(dir);
        int lines = tokenizer.wordPiece().vocabulary().size();
        if (lines != config.config().vocabSize()) {
            throw new CheckpointException(tokenizer.vocabFile() + " has " + lines + " tokens, but " + configFile
                    + " gives vocab_size " + config.config().vocabSize() + ": the two files must agree (a line per row "
                    + "of the word embeddings)");
        }
        Loaded model = loadModel(dir, config);
        List<String> notes = new ArrayList<>(config.notes());
        notes.addAll(tokenizer.notes());
        notes.addAll(model.notes());
        return new Pretrained(model.model(), tokenizer, List.copyOf(notes));
    }

    /** The model of a checkpoint folder ({@code config.json} and {@code model.safetensors}), with notes. */
    public static Loaded loadModel(Path dir) {
        requireFolder(dir);
        ConfigJson config = parseConfig(dir.resolve("config.json"));
        Loaded loaded = loadModel(dir, config);
        List<String> notes = new ArrayList<>(config.notes());
        notes.addAll(loaded.notes());
        return new Loaded(loaded.model(), List.copyOf(notes));
    }

    /**
     * Loads the weights of {@code dir} into a new model of {@code config}. Tensors are matched by their Hugging
     * Face names ({@code LayerNorm.gamma}/{@code beta}, as older checkpoints write them, count as
     * {@code weight}/{@code bias}); what BERT's pre-training heads add and this model has no use for is passed
     * over with a note; the decoder's tied copies must equal what they are tied to. Missing, unexpected or
     * misshapen tensors, unreadable types and values that are not finite are refused by name.
     */
    // tag::load[]
    static Loaded loadModel(Path dir, ConfigJson config) {
        Path file = dir.resolve("model.safetensors");
        requireMemory(config.config(), dir.resolve("config.json"));
        Safetensors.Header header = Safetensors.readHeader(file);
        List<String> notes = new ArrayList<>();
        Map<String, Safetensors.Entry> stored = hfNames(file, header, notes);  // by this model's names
        BertForMaskedLM model = new BertForMaskedLM(config.config(), 0);
        Map<String, Param> params = new LinkedHashMap<>();
        for (Param p : model.parameters()) {
            params.put(p.name(), p);
        }
        Set<String> extra = new TreeSet<>(stored.keySet());
        extra.removeAll(params.keySet());
        extra.removeAll(TIED.keySet());
        if (!extra.isEmpty()) {
            throw new CheckpointException(file + ": unexpected tensors " + firstFew(extra) + bareEncoderHint(stored.keySet()));
        }
        List<String> missing = new ArrayList<>();
        for (Param p : params.values()) {
            Safetensors.Entry e = stored.get(p.name());
            if (e == null) {
                missing.add(p.name() + " " + Arrays.toString(hfShape(p)));
            } else if (!Arrays.equals(e.shape(), hfShape(p))) {
                throw new CheckpointException(file + ": tensor " + p.name() + " has shape " + e.shapeText()
                        + ", the config needs " + Arrays.toString(hfShape(p)));
            }
        }
        if (!missing.isEmpty()) {
            throw new CheckpointException(file + ": missing tensor" + (missing.size() > 1 ? "s " + firstFew(missing) : " " + missing.get(0))
                    + bareEncoderHint(stored.keySet()));
        }
        for (Param p : params.values()) {
            double[] values = finite(file, stored.get(p.name()), Safetensors.values(header, stored.get(p.name())));
            System.arraycopy(values, 0, p.value().data, 0, values.length);
        }
        for (var tie : TIED.entrySet()) {                // cls.predictions.decoder.*: stored twice by some writers
            Safetensors.Entry copy = stored.get(tie.getKey());
            if (copy != null) {
                requireEqual(file, copy, Safetensors.values(header, copy), params.get(tie.getValue()));
                notes.add(file + ": " + tie.getKey() + " equals " + tie.getValue() + ", to which it is tied (stored twice)");
            }
        }
        return new Loaded(model, List.copyOf(notes));
    }
    // end::load[]

    /** Tied copies some writers store as well: the decoder's weight and bias, and what they are tied to. */
    private static final Map<String, String> TIED = new LinkedHashMap<>(Map.of(
            "cls.predictions.decoder.weight", "bert.embeddings.word_embeddings.weight"));

    static {
        TIED.put("cls.predictions.decoder.bias", "cls.predictions.bias");
    }

    /**
     * The header's tensors under this model's names: {@code LayerNorm.gamma}/{@code beta} read as
     * {@code weight}/{@code bias}; the pooler, the next-sentence head and {@code position_ids} buffers set aside
     * with a note. A name that would arrive twice is an error.
     */
    private static Map<String, Safetensors.Entry> hfNames(Path file, Safetensors.Header header, List<String> notes) {
        Map<String, Safetensors.Entry> out = new LinkedHashMap<>();
        List<String> ignored = new ArrayList<>();
        int renamed = 0;
        Set<Safetensors.DType> dtypes = new TreeSet<>();
        for (Safetensors.Entry e : header.entries().values()) {
            String n = e.name();
            if (n.startsWith("bert.pooler.") || n.startsWith("cls.seq_relationship.") || n.endsWith(".position_ids")) {
                ignored.add(n);
                continue;
            }
            String name = n.replaceAll("\\.LayerNorm\\.gamma$", ".LayerNorm.weight").replaceAll("\\.LayerNorm\\.beta$", ".LayerNorm.bias");
            renamed += name.equals(n) ? 0 : 1;
            if (out.put(name, e) != null) {
                throw new CheckpointException(file + ": holds " + name + " twice (as " + name + " and as " + n + ")");
            }
            dtypes.add(e.dtype());
        }
        if (!out.containsKey("cls.predictions.bias") && out.containsKey("cls.predictions.decoder.bias")) {
            out.put("cls.predictions.bias", out.remove("cls.predictions.decoder.bias"));
            notes.add(file + ": the output bias is stored only as cls.predictions.decoder.bias; read as cls.predictions.bias");
        }
        if (!ignored.isEmpty()) {
            notes.add(file + ": passed over " + ignored.size() + " tensor" + (ignored.size() > 1 ? "s" : "")
                    + " this masked-language model does not use (BERT's pooler, next-sentence head, position_ids): "
                    + firstFew(ignored));
        }
        if (renamed > 0) {
            notes.add(file + ": " + renamed + " LayerNorm tensors use the old names gamma/beta; read as weight/bias");
        }
        if (!dtypes.isEmpty() && !dtypes.equals(Set.of(Safetensors.DType.F64))) {
            notes.add(file + ": weights stored as " + dtypes + ", computed in double precision");
        }
        return out;
    }

    /** Refuses a folder that is missing or a file, before any of its files is opened. */
    private static void requireFolder(Path dir) {
        try {
            InputFile.requireFolder(dir);
        } catch (InputException e) {
            throw new CheckpointException("checkpoint folder " + e.getMessage());
        }
    }

    /**
     * Refuses a config whose parameters (values and gradients, 16 bytes each) would not fit in what this JVM can
     * still allocate, instead of failing with OutOfMemoryError halfway through.
     */
    private static void requireMemory(ModelConfig c, Path configFile) {
        long need;
        try {
            need = Math.multiplyExact(c.parameterCount(), 16L);
        } catch (ArithmeticException e) {
            need = Long.MAX_VALUE;
        }
        Runtime rt = Runtime.getRuntime();
        long available = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (need > available * 0.9) {
            throw new CheckpointException(configFile + " describes a model of " + c.parameterCount() + " parameters, which takes "
                    + InputFile.size(need) + " in memory (values and gradients in double precision); this JVM can allocate "
                    + InputFile.size(available) + " more (raise -Xmx, or use a smaller model)");
        }
    }

    /** The values, or an error naming the tensor and the first entry that is NaN or infinite. */
    private static double[] finite(Path file, Safetensors.Entry e, double[] values) {
        int bad = 0, first = -1;
        for (int k = 0; k < values.length; k++) {
            if (!Double.isFinite(values[k])) {
                bad++;
                first = first < 0 ? k : first;
            }
        }
        if (bad > 0) {
            throw new CheckpointException(file + ": tensor " + e.name() + " holds " + bad + " non-finite value"
                    + (bad > 1 ? "s" : "") + " (NaN or ±∞), the first " + values[first] + " at element " + first + " of "
                    + values.length + "; a model with such weights predicts nothing");
        }
        return values;
    }

    private static void requireEqual(Path file, Safetensors.Entry copy, double[] values, Param tiedTo) {
        if (!Arrays.equals(copy.shape(), hfShape(tiedTo))) {
            throw new CheckpointException(file + ": " + copy.name() + " has shape " + copy.shapeText() + ", but "
                    + tiedTo.name() + ", to which it is tied, has " + Arrays.toString(hfShape(tiedTo)));
        }
        double[] tied = tiedTo.value().data;
        for (int k = 0; k < values.length; k++) {
            if (Double.compare(values[k], tied[k]) != 0) {
                throw new CheckpointException(file + ": " + copy.name() + " differs from " + tiedTo.name()
                        + ", to which BERT ties it (element " + k + ": " + values[k] + " against " + tied[k]
                        + "); this model has one matrix for both, so it cannot load an untied decoder");
            }
        }
    }

    private static String bareEncoderHint(Set<String> names) {
        boolean bare = names.stream().anyMatch(n -> n.startsWith("embeddings.") || n.startsWith("encoder."));
        boolean head = names.stream().anyMatch(n -> n.startsWith("cls.predictions."));
        if (bare) {
            return " (its names lack the prefix 'bert.': a BertModel checkpoint, which has no MLM head; save "
                    + "BertForMaskedLM or BertForPreTraining instead)";
        }
        return head ? "" : " (it has no MLM head, cls.predictions.*: save BertForMaskedLM or BertForPreTraining)";
    }

    private static String firstFew(java.util.Collection<String> names) {
        List<String> all = List.copyOf(names);
        return all.size() <= 8 ? all.toString()
                : all.subList(0, 8).toString().replace("]", ", … and " + (all.size() - 8) + " more]");
    }

    private static void deleteTree(Path p) throws IOException {
        try (var paths = Files.walk(p)) {
            for (Path q : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }
}
