package minibert.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelConfigTest {

    static final String VALID = """
            vocab_size: 29
            hidden_size: 12
            num_hidden_layers: 2
            num_attention_heads: 3
            intermediate_size: 17
            max_position_embeddings: 7
            type_vocab_size: 2
            layer_norm_eps: 1.0e-12
            hidden_act: gelu
            hidden_dropout_prob: 0.1
            attention_probs_dropout_prob: 0.1
            initializer_range: 0.02
            """;

    @TempDir
    Path dir;

    private Path write(String text) throws IOException {
        Path f = dir.resolve("model.yaml");
        Files.writeString(f, text);
        return f;
    }

    @Test
    void readsTheProjectsModelConfig() {
        Path file = Path.of(System.getProperty("minibert.project.dir", ".")).resolve("configs/model/mini-bert.yaml");
        ModelConfig c = ModelConfig.load(file);
        assertEquals(3, c.numLayers());
        assertEquals(192, c.hiddenSize());
        assertEquals(4, c.numHeads());
        assertEquals(48, c.headSize());
        assertEquals(768, c.intermediateSize());
        assertEquals(64, c.maxPositions());
        assertEquals(8192, c.vocabSize());
        assertEquals(2, c.typeVocabSize());
        assertEquals(1e-12, c.layerNormEps());
        assertEquals("gelu", c.hiddenAct());
    }

    @Test
    void readsAValidOddConfig() throws IOException {
        ModelConfig c = ModelConfig.load(write(VALID));
        assertEquals(4, c.headSize());
        assertEquals(29, c.vocabSize());
    }

    @Test
    void parameterCountMatchesAHandCountForATinyModel() {
        // V=5, H=2, L=1, A=1, I=3, T=4, types=2:
        // embeddings (5+4+2)*2 + LN 4 = 26; attention 4*(4+2) = 24; LN 4; FFN 2*3+3+3*2+2 = 17; LN 4
        // layer = 49; MLM head: dense 4+2, LN 4, bias 5 = 15. Total 26 + 49 + 15 = 90.
        ModelConfig c = new ModelConfig(5, 2, 1, 1, 3, 4, 2, 1e-12, "gelu", 0, 0, 0.02);
        assertEquals(90, c.parameterCount());
    }

    @ParameterizedTest(name = "{1} is rejected: {2}")
    @CsvSource(delimiter = '|', textBlock = """
            num_attention_heads      | 'hidden_size: 13'        | not divisible by num_attention_heads
            num_attention_heads      | 'num_attention_heads: 5' | not divisible by num_attention_heads
            hidden_size              | 'hidden_size: twelve'    | must be a whole number, found text 'twelve'
            hidden_size              | 'hidden_size: 0'         | must be between 1
            layer_norm_eps           | 'layer_norm_eps: -1.0'   | must be between
            hidden_act               | 'hidden_act: relu'       | must be one of gelu, gelu_tanh
            hidden_dropout_prob      | 'hidden_dropout_prob: 1.5' | must be between
            vocab_size               | 'vocab_size: 2.5'        | must be a whole number
            """)
    void rejectsInvalidValuesNamingFileKeyAndReason(String key, String replacement, String reason) throws IOException {
        String replacedKey = replacement.substring(0, replacement.indexOf(':'));
        String text = VALID.replaceAll("(?m)^" + replacedKey + ":.*$", replacement);
        Path f = write(text);
        ConfigException e = assertThrows(ConfigException.class, () -> ModelConfig.load(f));
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        assertEquals(key, e.key(), e.getMessage());
        assertTrue(e.getMessage().contains("key '" + key + "'"), e.getMessage());
    }

    @Test
    void rejectsAnUnknownKey() throws IOException {
        Path f = write(VALID + "hiden_size: 12\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ModelConfig.load(f));
        assertEquals("hiden_size", e.key());
        assertTrue(e.getMessage().contains("unknown key"), e.getMessage());
    }

    @Test
    void rejectsAMissingKey() throws IOException {
        Path f = write(VALID.replaceAll("(?m)^intermediate_size:.*\\n", ""));
        ConfigException e = assertThrows(ConfigException.class, () -> ModelConfig.load(f));
        assertEquals("intermediate_size", e.key());
        assertTrue(e.getMessage().contains("is missing"), e.getMessage());
    }

    @Test
    void rejectsADuplicatedKey() throws IOException {
        Path f = write(VALID + "hidden_size: 24\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ModelConfig.load(f));
        assertTrue(e.getMessage().contains("not valid YAML"), e.getMessage());
    }

    @Test
    void rejectsEmptyAndNonMappingFilesAndMissingFiles() throws IOException {
        Path empty = write("");
        assertTrue(assertThrows(ConfigException.class, () -> ModelConfig.load(empty)).getMessage().endsWith("is empty"));
        Path list = write("- 1\n- 2\n");
        assertTrue(assertThrows(ConfigException.class, () -> ModelConfig.load(list)).getMessage().contains("must be a mapping"));
        Path missing = dir.resolve("nope.yaml");
        assertTrue(assertThrows(ConfigException.class, () -> ModelConfig.load(missing)).getMessage().endsWith("does not exist"));
        Path broken = write("hidden_size: [1, 2\n");
        assertTrue(assertThrows(ConfigException.class, () -> ModelConfig.load(broken)).getMessage().contains("not valid YAML"));
    }

    @Test
    void hugeAndFractionalSizesAreRefusedAsSuch() throws IOException {
        for (var c : java.util.Map.of(
                "vocab_size: 99999999999999999999", "must be between 1 and 16777216, found 99999999999999999999",
                "vocab_size: 4294967296", "must be between 1 and 16777216, found 4294967296",
                "vocab_size: 1e12", "must be a whole number between 1 and 16777216, found 1.0E12",
                "vocab_size: 8192.0", "must be a whole number written without a decimal point or exponent, found 8192.0",
                "vocab_size: 8192.5", "must be a whole number, found double 8192.5").entrySet()) {
            Path f = write(VALID.replace("vocab_size: 29", c.getKey()));
            ConfigException e = assertThrows(ConfigException.class, () -> ModelConfig.load(f));
            assertEquals(f + ": key 'vocab_size': " + c.getValue(), e.getMessage());
        }
    }

    @Test
    void acceptsScientificNotationWithoutADot() throws IOException {
        ModelConfig c = ModelConfig.load(write(VALID.replace("layer_norm_eps: 1.0e-12", "layer_norm_eps: 1e-12")));
        assertEquals(1e-12, c.layerNormEps());
    }
}
