package minibert.model.checkpoint;

import minibert.config.ModelConfig;
import minibert.model.BertForMaskedLM;
import minibert.nn.Param;
import minibert.text.TokenizerException;
import minibert.text.Vocabulary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checkpoints in the layout transformers writes, loaded as a user would load one from the Hub. */
class HfCheckpointTest {

    @TempDir
    Path dir;

    static final List<String> WORDS = List.of("the", "movie", "was", "good", "bad", ".", "hello", "Hello", "world", "!");

    /** L=2, H=12, A=3, I=17, T=9 and the vocabulary size of {@code vocab}. */
    static BertForMaskedLM model(int vocabSize, long seed) {
        return new BertForMaskedLM(new ModelConfig(vocabSize, 12, 2, 3, 17, 9, 2, 1e-12, "gelu", 0.1, 0.1, 0.02), seed);
    }

    private static void assertLoadedAsWritten(Map<String, double[]> expected, BertForMaskedLM loaded) {
        for (Param p : loaded.parameters()) {
            assertArrayEquals(expected.get(p.name()), p.value().data, p.name());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"F32", "F16", "BF16", "F64"})
    void aBertForPreTrainingCheckpointLoadsInEveryFloatType(String dtype) throws IOException {
        List<String> vocab = HfCheckpoints.bertVocabulary(131, WORDS);
        Map<String, double[]> expected = HfCheckpoints.write(dir, model(vocab.size(), 3), vocab, dtype,
                HfCheckpoints.Layout.PRETRAINING, true);
        Checkpoint.Pretrained p = Checkpoint.loadPretrained(dir);
        assertLoadedAsWritten(expected, p.model());
        Vocabulary v = p.wordPiece().vocabulary();
        assertEquals(List.of(0, 100, 101, 102, 103), List.of(v.padId(), v.unkId(), v.clsId(), v.sepId(), v.maskId()));
        String notes = String.join("\n", p.notes());
        assertTrue(notes.contains("passed over 5 tensors") && notes.contains("bert.pooler.dense.weight")
                && notes.contains("cls.seq_relationship.bias") && notes.contains("bert.embeddings.position_ids"), notes);
        assertTrue(notes.contains("cls.predictions.decoder.weight equals bert.embeddings.word_embeddings.weight"), notes);
        assertTrue(notes.contains("cls.predictions.decoder.bias equals cls.predictions.bias"), notes);
        assertEquals(dtype.equals("F64"), !notes.contains("weights stored as [" + dtype + "]"), notes);
    }

    @Test
    void aVocabularyOf30522EntriesAndTheOldLayerNormNamesLoad() throws IOException {
        List<String> vocab = HfCheckpoints.bertVocabulary(30_522, WORDS);
        Map<String, double[]> expected = HfCheckpoints.write(dir, model(vocab.size(), 4), vocab, "F16",
                HfCheckpoints.Layout.OLD_NAMES, true);
        Checkpoint.Pretrained p = Checkpoint.loadPretrained(dir);
        assertEquals(30_522, p.wordPiece().vocabulary().size());
        assertLoadedAsWritten(expected, p.model());
        assertTrue(String.join("\n", p.notes()).contains("use the old names gamma/beta"), p.notes().toString());
        // BERT's own ids: [CLS] = 101, [SEP] = 102 around the pieces, [PAD] = 0 after them.
        int[] ids = minibert.text.ModelInputs.of(p.wordPiece(), "the movie", 5).inputIds();
        assertArrayEquals(new int[] {101, 104, 105, 102, 0}, ids);
    }

    @Test
    void aTiedCopyThatDiffersIsRefused() throws IOException {
        List<String> vocab = HfCheckpoints.bertVocabulary(120, WORDS);
        Map<String, double[]> expected = HfCheckpoints.write(dir, model(vocab.size(), 5), vocab, "F32",
                HfCheckpoints.Layout.PRETRAINING, true);
        double[] other = expected.get("bert.embeddings.word_embeddings.weight").clone();
        other[37] += 0.5;
        HfCheckpoints.replace(dir, "cls.predictions.decoder.weight", other);
        String m = assertThrows(CheckpointException.class, () -> Checkpoint.loadPretrained(dir)).getMessage();
        assertTrue(m.contains(dir.resolve("model.safetensors") + ": cls.predictions.decoder.weight differs from "
                + "bert.embeddings.word_embeddings.weight, to which BERT ties it (element 37"), m);
    }

    @Test
    void nonFiniteWeightsAreRefusedByName() throws IOException {
        List<String> vocab = HfCheckpoints.bertVocabulary(120, WORDS);
        Map<String, double[]> expected = HfCheckpoints.write(dir, model(vocab.size(), 6), vocab, "BF16",
                HfCheckpoints.Layout.PRETRAINING, true);
        double[] gamma = expected.get("bert.encoder.layer.1.output.LayerNorm.weight").clone();
        gamma[3] = Double.NaN;
        gamma[7] = Double.POSITIVE_INFINITY;
        HfCheckpoints.replace(dir, "bert.encoder.layer.1.output.LayerNorm.weight", gamma);
        String m = assertThrows(CheckpointException.class, () -> Checkpoint.loadPretrained(dir)).getMessage();
        assertTrue(m.contains("tensor bert.encoder.layer.1.output.LayerNorm.weight holds 2 non-finite values (NaN or ±∞), "
                + "the first NaN at element 3 of 12"), m);
    }

    @Test
    void anIntegerWeightAndABareEncoderAreRefusedClearly() throws IOException {
        List<String> vocab = HfCheckpoints.bertVocabulary(120, WORDS);
        HfCheckpoints.write(dir.resolve("ints"), model(vocab.size(), 7), vocab, "I32", HfCheckpoints.Layout.PRETRAINING, true);
        String m = assertThrows(CheckpointException.class, () -> Checkpoint.loadPretrained(dir.resolve("ints"))).getMessage();
        assertTrue(m.contains("tensor bert.embeddings.word_embeddings.weight has dtype I32; this reader accepts F64, F32, F16, BF16"), m);

        HfCheckpoints.write(dir.resolve("bare"), model(vocab.size(), 7), vocab, "F32", HfCheckpoints.Layout.BARE_ENCODER, true);
        m = assertThrows(CheckpointException.class, () -> Checkpoint.loadPretrained(dir.resolve("bare"))).getMessage();
        assertTrue(m.contains("unexpected tensors [embeddings.LayerNorm.bias") && m.contains("a BertModel checkpoint, which has no MLM head"), m);
    }

    @Test
    void vocabTxtAndConfigJsonMustAgreeAndNamesBothFiles() throws IOException {
        List<String> vocab = HfCheckpoints.bertVocabulary(120, WORDS);
        HfCheckpoints.write(dir, model(vocab.size(), 8), vocab, "F32", HfCheckpoints.Layout.PRETRAINING, true);
        Files.writeString(dir.resolve("vocab.txt"), String.join("\n", vocab) + "\nextra1\nextra2\n");
        String m = assertThrows(CheckpointException.class, () -> Checkpoint.loadPretrained(dir)).getMessage();
        assertEquals(dir.resolve("vocab.txt") + " has 122 tokens, but " + dir.resolve("config.json")
                + " gives vocab_size 120: the two files must agree (a line per row of the word embeddings)", m);
        Files.writeString(dir.resolve("vocab.txt"), String.join("\n", vocab.subList(0, 118)) + "\n");
        m = assertThrows(CheckpointException.class, () -> Checkpoint.loadPretrained(dir)).getMessage();
        assertTrue(m.contains("has 118 tokens, but"), m);
    }

    @Test
    void configJsonNumbersMustBeWholeAndInRange() throws IOException {
        List<String> vocab = HfCheckpoints.bertVocabulary(120, WORDS);
        HfCheckpoints.write(dir, model(vocab.size(), 9), vocab, "F32", HfCheckpoints.Layout.PRETRAINING, true);
        Path cfg = dir.resolve("config.json");
        String good = Files.readString(cfg);
        for (var bad : Map.of("\"vocab_size\": 1e12", "vocab_size must be a whole number between 1 and 16777216, found 1.0E12",
                "\"vocab_size\": 8192.5", "vocab_size must be a whole number, found 8192.5",
                "\"vocab_size\": 4294967296", "vocab_size must be between 1 and 16777216, found 4294967296",
                "\"vocab_size\": \"120\"", "vocab_size must be a whole number, found the text \"120\"").entrySet()) {
            Files.writeString(cfg, good.replace("\"vocab_size\": 120", bad.getKey()));
            String m = assertThrows(CheckpointException.class, () -> Checkpoint.loadPretrained(dir)).getMessage();
            assertEquals(cfg + ": " + bad.getValue(), m);
        }
        Files.writeString(cfg, good.replace("\"absolute\"", "\"relative_key\""));
        assertTrue(assertThrows(CheckpointException.class, () -> Checkpoint.loadPretrained(dir)).getMessage()
                .contains("position_embedding_type is the text \"relative_key\"; this loader supports only \"absolute\""));
        Files.writeString(cfg, "");
        assertEquals(cfg + " is empty: it must hold a JSON object { … }",
                assertThrows(CheckpointException.class, () -> Checkpoint.loadPretrained(dir)).getMessage());
        Files.writeString(cfg, "[1, 2]");
        assertEquals(cfg + " must hold a JSON object { … }, found an array",
                assertThrows(CheckpointException.class, () -> Checkpoint.loadPretrained(dir)).getMessage());
        Files.writeString(cfg, good.substring(0, good.length() / 2));
        String m = assertThrows(CheckpointException.class, () -> Checkpoint.loadPretrained(dir)).getMessage();
        assertTrue(m.startsWith(cfg + " is not valid JSON: ") && m.contains("(line ") && !m.contains("Source"), m);
    }

    @Test
    void theTokenizerConfigIsHonouredOrRefused() throws IOException {
        List<String> vocab = HfCheckpoints.bertVocabulary(120, WORDS);
        HfCheckpoints.write(dir, model(vocab.size(), 10), vocab, "F32", HfCheckpoints.Layout.PRETRAINING, false);
        Checkpoint.Pretrained cased = Checkpoint.loadPretrained(dir);
        assertFalse(cased.wordPiece().options().lowerCase());
        assertEquals(List.of("Hello", "hello", "!"), cased.wordPiece().pieces("Hello hello!"));
        Path tc = dir.resolve("tokenizer_config.json");
        String good = Files.readString(tc);
        Files.writeString(tc, good.replace("\"do_lower_case\": false", "\"do_lower_case\": true"));
        assertEquals(List.of("hello", "hello", "!"), Checkpoint.loadPretrained(dir).wordPiece().pieces("Hello hello!"));
        Files.writeString(tc, good.replace("\"BertTokenizer\"", "\"RobertaTokenizer\""));
        assertEquals(tc + ": tokenizer_class is the text \"RobertaTokenizer\"; only BertTokenizer and BertTokenizerFast are supported",
                assertThrows(TokenizerException.class, () -> Checkpoint.loadPretrained(dir)).getMessage());
        Files.writeString(tc, good.replace("\"mask_token\": \"[MASK]\"", "\"mask_token\": \"<mask>\""));
        assertTrue(assertThrows(TokenizerException.class, () -> Checkpoint.loadPretrained(dir)).getMessage()
                .contains("mask_token is '<mask>'; this tokenizer's mask_token is [MASK]"));
        Files.writeString(tc, good.replace("\"do_lower_case\": false", "\"do_lower_case\": \"no\""));
        assertTrue(assertThrows(TokenizerException.class, () -> Checkpoint.loadPretrained(dir)).getMessage()
                .contains("do_lower_case must be true or false, found the text \"no\""));
        Files.delete(tc);
        assertTrue(String.join("\n", Checkpoint.loadPretrained(dir).notes()).contains("no tokenizer_config.json beside"));
    }
}
