package minibert.model.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minibert.config.ModelConfig;
import minibert.model.BertForMaskedLM;
import minibert.nn.Param;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes checkpoint folders in the layout Hugging Face {@code transformers} gives {@code BertForPreTraining}
 * and {@code BertForMaskedLM}, independently of the project's own writer: its tensor names (the pooler, the
 * next-sentence head, the {@code position_ids} buffer as I64, the tied decoder copies), its dtypes, its
 * {@code config.json} keys, a {@code vocab.txt} laid out as {@code bert-base-uncased}'s (specials at 0 and
 * 100–103 around {@code [unusedN]} slots) and a {@code tokenizer_config.json} as recent versions write it.
 */
public final class HfCheckpoints {

    /** Which of transformers' layouts to write. */
    public enum Layout {
        /** BertForPreTraining, saved by a recent transformers: every head, tied copies stored. */
        PRETRAINING,
        /** The same with the older LayerNorm names gamma/beta, and no decoder copies (as on the Hub for bert-base-uncased). */
        OLD_NAMES,
        /** BertModel: no "bert." prefix and no MLM head. */
        BARE_ENCODER
    }

    private HfCheckpoints() {
    }

    /** {@code [PAD]}, {@code [unused0]}…{@code [unused98]}, {@code [UNK] [CLS] [SEP] [MASK]}, then pieces up to {@code size}. */
    public static List<String> bertVocabulary(int size, List<String> words) {
        List<String> v = new ArrayList<>();
        v.add("[PAD]");
        for (int i = 0; i < 99; i++) {
            v.add("[unused" + i + "]");
        }
        v.addAll(List.of("[UNK]", "[CLS]", "[SEP]", "[MASK]"));
        v.addAll(words);
        for (int i = 0; v.size() < size; i++) {
            v.add("##p" + i);
        }
        return v;
    }

    /**
     * Writes the folder and returns the value each parameter of {@code source} must have after loading (its value
     * rounded to {@code dtype}), by this project's names.
     */
    public static Map<String, double[]> write(Path dir, BertForMaskedLM source, List<String> vocab, String dtype, Layout layout,
                                              boolean lowerCase) throws IOException {
        Files.createDirectories(dir);
        ModelConfig c = source.config();
        Map<String, double[]> expected = new LinkedHashMap<>();
        Map<String, Object[]> tensors = new LinkedHashMap<>();          // name -> {dtype, shape, values}
        int t = c.maxPositions(), h = c.hiddenSize();
        if (layout != Layout.BARE_ENCODER) {
            double[] positions = new double[t];
            for (int i = 0; i < t; i++) {
                positions[i] = i;
            }
            tensors.put("bert.embeddings.position_ids", new Object[] {"I64", new long[] {1, t}, positions});
        }
        for (Param p : source.parameters()) {
            double[] rounded = round(p.value().data, dtype);
            expected.put(p.name(), rounded);
            String name = p.name();
            if (layout == Layout.OLD_NAMES) {
                name = name.replaceAll("LayerNorm\\.weight$", "LayerNorm.gamma").replaceAll("LayerNorm\\.bias$", "LayerNorm.beta");
            }
            if (layout == Layout.BARE_ENCODER) {
                if (name.startsWith("cls.")) {
                    continue;
                }
                name = name.substring("bert.".length());
            }
            tensors.put(name, new Object[] {dtype, Checkpoint.hfShape(p), rounded});
        }
        if (layout != Layout.BARE_ENCODER) {
            tensors.put("bert.pooler.dense.weight", new Object[] {dtype, new long[] {h, h}, new double[h * h]});
            tensors.put("bert.pooler.dense.bias", new Object[] {dtype, new long[] {h}, new double[h]});
            tensors.put("cls.seq_relationship.weight", new Object[] {dtype, new long[] {2, h}, new double[2 * h]});
            tensors.put("cls.seq_relationship.bias", new Object[] {dtype, new long[] {2}, new double[2]});
        }
        if (layout == Layout.PRETRAINING) {
            tensors.put("cls.predictions.decoder.weight", new Object[] {dtype, new long[] {c.vocabSize(), h},
                    expected.get("bert.embeddings.word_embeddings.weight").clone()});
            tensors.put("cls.predictions.decoder.bias", new Object[] {dtype, new long[] {c.vocabSize()},
                    expected.get("cls.predictions.bias").clone()});
        }
        writeSafetensors(dir.resolve("model.safetensors"), tensors);
        Files.writeString(dir.resolve("config.json"), configJson(c, dtype, layout));
        Files.writeString(dir.resolve("vocab.txt"), String.join("\n", vocab) + "\n");
        Files.writeString(dir.resolve("tokenizer_config.json"), tokenizerConfig(vocab, lowerCase, t));
        return expected;
    }

    /** Replaces one tensor's values in a written folder (keeping its dtype). */
    public static void replace(Path dir, String name, double[] values) throws IOException {
        Path file = dir.resolve("model.safetensors");
        Safetensors.Header h = Safetensors.readHeader(file);
        Map<String, Object[]> tensors = new LinkedHashMap<>();
        for (Safetensors.Entry e : h.entries().values()) {
            double[] v = e.name().equals(name) ? values
                    : e.dtype().readable() ? Safetensors.values(h, e) : longs(file, h, e);
            tensors.put(e.name(), new Object[] {e.dtype().name(), e.shape(), v});
        }
        writeSafetensors(file, tensors);
    }

    private static double[] longs(Path file, Safetensors.Header h, Safetensors.Entry e) throws IOException {
        byte[] all = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        double[] v = new double[(int) ((e.end() - e.begin()) / 8)];
        for (int i = 0; i < v.length; i++) {
            v[i] = b.getLong((int) (h.dataStart() + e.begin() + 8L * i));
        }
        return v;
    }

    static double[] round(double[] values, String dtype) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            float f = (float) values[i];
            out[i] = switch (dtype) {
                case "F64" -> values[i];
                case "F32" -> f;
                case "F16" -> Float.float16ToFloat(Float.floatToFloat16(f));
                case "BF16" -> Float.intBitsToFloat((bf16(f) & 0xFFFF) << 16);
                case "I32" -> (int) values[i];
                default -> throw new IllegalArgumentException(dtype);
            };
        }
        return out;
    }

    /** Round to nearest even, as PyTorch converts float32 to bfloat16. */
    private static short bf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    private static void writeSafetensors(Path file, Map<String, Object[]> tensors) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        List<byte[]> blobs = new ArrayList<>();
        for (var e : tensors.entrySet()) {
            String dtype = (String) e.getValue()[0];
            long[] shape = (long[]) e.getValue()[1];
            double[] values = (double[]) e.getValue()[2];
            int width = switch (dtype) {
                case "F64", "I64" -> 8;
                case "F32", "I32" -> 4;
                default -> 2;
            };
            ByteBuffer b = ByteBuffer.allocate(values.length * width).order(ByteOrder.LITTLE_ENDIAN);
            for (double v : values) {
                switch (dtype) {
                    case "F64" -> b.putDouble(v);
                    case "I64" -> b.putLong((long) v);
                    case "F32" -> b.putFloat((float) v);
                    case "I32" -> b.putInt((int) v);
                    case "F16" -> b.putShort(Float.floatToFloat16((float) v));
                    case "BF16" -> b.putShort(bf16((float) v));
                    default -> throw new IllegalArgumentException(dtype);
                }
            }
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", dtype);
            var s = t.putArray("shape");
            for (long d : shape) {
                s.add(d);
            }
            t.putArray("data_offsets").add(offset).add(offset + b.capacity());
            offset += b.capacity();
            blobs.add(b.array());
        }
        byte[] text = json.writeValueAsBytes(header);
        int padded = (text.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(text);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        try (var out = Files.newOutputStream(file)) {
            out.write(head.array());
            for (byte[] b : blobs) {
                out.write(b);
            }
        }
    }

    private static String configJson(ModelConfig c, String dtype, Layout layout) {
        String arch = layout == Layout.BARE_ENCODER ? "BertModel" : "BertForPreTraining";
        return """
                {
                  "_name_or_path": "tiny-bert",
                  "architectures": ["%s"],
                  "attention_probs_dropout_prob": 0.1,
                  "classifier_dropout": null,
                  "gradient_checkpointing": false,
                  "hidden_act": "gelu",
                  "hidden_dropout_prob": 0.1,
                  "hidden_size": %d,
                  "initializer_range": 0.02,
                  "intermediate_size": %d,
                  "layer_norm_eps": 1e-12,
                  "max_position_embeddings": %d,
                  "model_type": "bert",
                  "num_attention_heads": %d,
                  "num_hidden_layers": %d,
                  "pad_token_id": 0,
                  "position_embedding_type": "absolute",
                  "torch_dtype": "%s",
                  "transformers_version": "4.46.3",
                  "type_vocab_size": %d,
                  "use_cache": true,
                  "vocab_size": %d
                }
                """.formatted(arch, c.hiddenSize(), c.intermediateSize(), c.maxPositions(), c.numHeads(), c.numLayers(),
                switch (dtype) {
                    case "F64" -> "float64";
                    case "F32" -> "float32";
                    case "F16" -> "float16";
                    default -> "bfloat16";
                }, c.typeVocabSize(), c.vocabSize());
    }

    private static String tokenizerConfig(List<String> vocab, boolean lowerCase, int maxLength) {
        StringBuilder added = new StringBuilder();
        for (String special : List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")) {
            int id = vocab.indexOf(special);
            added.append(added.isEmpty() ? "" : ",\n").append("""
                        "%d": {"content": "%s", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "special": true}\
                    """.formatted(id, special));
        }
        return """
                {
                  "added_tokens_decoder": {
                %s
                  },
                  "clean_up_tokenization_spaces": false,
                  "cls_token": "[CLS]",
                  "do_basic_tokenize": true,
                  "do_lower_case": %s,
                  "extra_special_tokens": {},
                  "mask_token": "[MASK]",
                  "model_max_length": %d,
                  "never_split": null,
                  "pad_token": "[PAD]",
                  "sep_token": "[SEP]",
                  "strip_accents": null,
                  "tokenize_chinese_chars": true,
                  "tokenizer_class": "BertTokenizer",
                  "unk_token": "[UNK]"
                }
                """.formatted(added, lowerCase, maxLength);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
