package minibert.config;

import java.nio.file.Path;

/**
 * The shape of a BERT model, with the key names Hugging Face's {@code config.json} uses.
 *
 * @param vocabSize             V, WordPiece vocabulary size
 * @param hiddenSize            H, width of every hidden state
 * @param numLayers             L, number of encoder layers
 * @param numHeads              A, attention heads; H must be divisible by A (head size d = H / A)
 * @param intermediateSize      I, width of the feed-forward layer
 * @param maxPositions          T, the longest sequence (position-embedding rows)
 * @param typeVocabSize         number of token types (segments A and B)
 * @param layerNormEps          ε inside LayerNorm's square root
 * @param hiddenAct             {@code gelu} (exact, erf form) or {@code gelu_tanh} (tanh approximation)
 * @param hiddenDropout         dropout probability on hidden states
 * @param attentionDropout      dropout probability on attention weights
 * @param initializerRange      standard deviation of the truncated-normal initialisation
 */
public record ModelConfig(int vocabSize, int hiddenSize, int numLayers, int numHeads, int intermediateSize,
                          int maxPositions, int typeVocabSize, double layerNormEps, String hiddenAct,
                          double hiddenDropout, double attentionDropout, double initializerRange) {

    /** The activation names accepted in {@code hidden_act}. */
    public static final String[] ACTIVATIONS = {"gelu", "gelu_tanh"};

    public ModelConfig {
        check(vocabSize >= 1, "vocab_size", "must be at least 1, found " + vocabSize);
        check(hiddenSize >= 1, "hidden_size", "must be at least 1, found " + hiddenSize);
        check(numLayers >= 1, "num_hidden_layers", "must be at least 1, found " + numLayers);
        check(numHeads >= 1, "num_attention_heads", "must be at least 1, found " + numHeads);
        check(hiddenSize % numHeads == 0, "num_attention_heads",
                "hidden_size " + hiddenSize + " is not divisible by num_attention_heads " + numHeads);
        check(intermediateSize >= 1, "intermediate_size", "must be at least 1, found " + intermediateSize);
        check(maxPositions >= 2, "max_position_embeddings", "must be at least 2 ([CLS] and [SEP]), found " + maxPositions);
        check(typeVocabSize >= 1, "type_vocab_size", "must be at least 1, found " + typeVocabSize);
        check(layerNormEps > 0 && layerNormEps < 1, "layer_norm_eps", "must be in (0, 1), found " + layerNormEps);
        check(java.util.List.of(ACTIVATIONS).contains(hiddenAct), "hidden_act",
                "must be gelu or gelu_tanh, found '" + hiddenAct + "'");
        check(hiddenDropout >= 0 && hiddenDropout < 1, "hidden_dropout_prob", "must be in [0, 1), found " + hiddenDropout);
        check(attentionDropout >= 0 && attentionDropout < 1, "attention_probs_dropout_prob",
                "must be in [0, 1), found " + attentionDropout);
        check(initializerRange > 0, "initializer_range", "must be positive, found " + initializerRange);
    }

    private static void check(boolean ok, String key, String reason) {
        if (!ok) {
            throw new IllegalArgumentException(key + " " + reason);
        }
    }

    /** d = H / A, the width of one attention head. */
    public int headSize() {
        return hiddenSize / numHeads;
    }

    /**
     * Loads and validates a model config; every problem is reported with the file and the key.
     */
    public static ModelConfig load(Path file) {
        return from(ConfigSource.load(file));
    }

    /** Reads a model config from an already parsed source and rejects unknown keys. */
    public static ModelConfig from(ConfigSource src) {
        ModelConfig config;
        int v = src.integer("vocab_size", 1, 1 << 24);
        int h = src.integer("hidden_size", 1, 1 << 16);
        int l = src.integer("num_hidden_layers", 1, 1024);
        int a = src.integer("num_attention_heads", 1, 1024);
        int i = src.integer("intermediate_size", 1, 1 << 18);
        int t = src.integer("max_position_embeddings", 2, 1 << 16);
        int types = src.integer("type_vocab_size", 1, 1024);
        double eps = src.real("layer_norm_eps", Double.MIN_VALUE, 0.5);
        String act = src.choice("hidden_act", ACTIVATIONS);
        double hd = src.real("hidden_dropout_prob", 0, 0.999);
        double ad = src.real("attention_probs_dropout_prob", 0, 0.999);
        double init = src.real("initializer_range", Double.MIN_VALUE, 10);
        src.finish();
        try {
            config = new ModelConfig(v, h, l, a, i, t, types, eps, act, hd, ad, init);
        } catch (IllegalArgumentException e) {
            String msg = e.getMessage();
            String key = msg.substring(0, msg.indexOf(' '));
            throw src.error(key, msg.substring(key.length() + 1));
        }
        return config;
    }

    /**
     * Number of trainable parameters: embeddings (word, position, type, LayerNorm), L encoder layers
     * (Q, K, V, output projections, two LayerNorms, the feed-forward pair) and the MLM head's transform and
     * output bias (its decoder matrix is the word-embedding table, tied, so not counted twice).
     */
    public long parameterCount() {
        // tag::parameter-count[]
        long hL = hiddenSize, iL = intermediateSize;
        long embeddings = (vocabSize + maxPositions + typeVocabSize) * hL + 2 * hL;
        long attention = 4 * (hL * hL + hL);
        long feedForward = hL * iL + iL + iL * hL + hL;
        long layer = attention + 2 * hL + feedForward + 2 * hL;
        long mlmHead = hL * hL + hL + 2 * hL + vocabSize;
        return embeddings + numLayers * layer + mlmHead;
        // end::parameter-count[]
    }
}
