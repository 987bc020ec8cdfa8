package minibert.cli;

import minibert.config.ModelConfig;
import minibert.model.BertForMaskedLM;
import minibert.model.checkpoint.HfCheckpoints;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every malformed input of the robustness issue, through the command line as a user meets it: one clear
 * message on standard error, a non-zero status, nothing that looks like a result on standard output, and
 * never a stack trace.
 */
class RobustnessTest {

    record Run(int code, String out, String err) {
        /** The failure as a user sees it: non-zero, no output, a short message without a stack trace. */
        Run refused(String... expected) {
            assertTrue(code != 0, "exit status 0; out: " + out + " err: " + err);
            assertEquals("", out, "standard output of a failed command");
            assertFalse(err.contains("\tat ") || err.contains("Exception:"), "a stack trace or exception name: " + err);
            // Notes about what was read may come first; the failure itself is one line (and, for usage errors, a pointer to --help).
            assertTrue(err.strip().lines().filter(l -> !l.startsWith("note: ")).count() <= 2, "more than one message: " + err);
            for (String e : expected) {
                assertTrue(err.contains(e), "expected '" + e + "' in: " + err);
            }
            return this;
        }
    }

    static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString().replace("\r", ""));
    }

    static void sparse(Path file, long bytes) throws IOException {
        Files.createDirectories(file.getParent());
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(bytes);
        }
    }

    static final String MODEL = """
            vocab_size: 100
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

    static final List<String> WORDS = List.of("the", "movie", "was", "good", "bad", ".", "it", "fun", "Hello", "hello", "!");

    /** A checkpoint in transformers' layout: T = 9, the vocabulary laid out as bert-base-uncased's. */
    static Path checkpoint(Path dir, String dtype, boolean lowerCase) throws IOException {
        List<String> vocab = HfCheckpoints.bertVocabulary(121, WORDS);
        BertForMaskedLM model = new BertForMaskedLM(new ModelConfig(vocab.size(), 12, 2, 3, 17, 9, 2, 1e-12, "gelu", 0.1, 0.1, 0.02), 3);
        Path ckpt = dir.resolve("ckpt-" + dtype);
        HfCheckpoints.write(ckpt, model, vocab, dtype, HfCheckpoints.Layout.PRETRAINING, lowerCase);
        return ckpt;
    }

    @Nested
    class InputLimits {
        @TempDir
        Path dir;

        @Test
        void aThreeGigabyteConfigOrVocabularyIsRefusedAtOnceWithItsLimit() throws IOException {
            Path config = dir.resolve("model/huge.yaml");
            sparse(config, 3L << 30);
            run("config", "check", config.toString()).refused(config + ": is 3 GiB, more than 1 MiB, the limit for a config file");
            Path vocab = dir.resolve("tok/vocab.txt");
            sparse(vocab, 3L << 30);
            run("tokenize", "--vocab", vocab.toString(), "x").refused("vocabulary " + vocab + " is 3 GiB, more than 16 MiB, the limit for a vocab.txt");
        }

        @Test
        void devZeroAsAConfigOrAVocabularyIsRefused() throws IOException {
            Path zero = Path.of("/dev/zero");
            assumeTrue(Files.exists(zero), "no /dev/zero here");
            Path link = dir.resolve("model/zero.yaml");
            Files.createDirectories(link.getParent());
            Files.createSymbolicLink(link, zero);
            run("config", "check", link.toString()).refused(link + ": holds more than 1 MiB, the limit for a config file (reading stopped there)");
            run("tokenize", "--vocab", "/dev/zero", "x").refused("vocabulary /dev/zero holds more than 16 MiB");
        }

        @Test
        void aConfigWithA50MegabyteCommentIsRefusedWithoutParsingIt() throws IOException {
            Path config = dir.resolve("model/comment.yaml");
            Files.createDirectories(config.getParent());
            Files.writeString(config, MODEL + "# " + "x".repeat(50 << 20) + "\n");
            run("config", "check", config.toString()).refused("is 50.0 MiB, more than 1 MiB, the limit for a config file");
        }
    }

    @Nested
    class OptionsCheckedWhenParsed {
        @TempDir
        Path dir;

        @Test
        void vocabTrainRefusesAnOutputFileAndABadAlphabetBeforeReadingAnything() throws IOException {
            Path file = Files.writeString(dir.resolve("existing.txt"), "keep me");
            run("vocab", "train", "--out=" + file).refused("minibert vocab train: --out " + file + " is a file; it must name a folder");
            assertEquals("keep me", Files.readString(file));
            run("vocab", "train", "--out=" + file.resolve("sub")).refused("cannot be created: " + file.toAbsolutePath() + " is a file");
            run("vocab", "train", "--alphabet=0").refused("--alphabet must be between 1 and 1000000, found 0");
            run("vocab", "train", "--alphabet=-5").refused("--alphabet must be between 1 and 1000000, found -5");
        }

        @Test
        void vocabTrainRefusesAnAlphabetThatCannotFitTheModelsVocabulary() throws IOException {
            Path model = Files.writeString(dir.resolve("small.yaml"), MODEL);
            run("vocab", "train", "--model-config", model.toString(), "--out", dir.resolve("v").toString())
                    .refused("--alphabet 1000 may give 2005 symbols", "more than vocab_size 100 of " + model, "use --alphabet 47 or less");
            assertFalse(Files.exists(dir.resolve("v")), "nothing written");
        }

        @Test
        void numericOptionsOfEveryCommandAreChecked() {
            run("bench", "--reps=0").refused("minibert bench: --reps must be between 1 and 1000, found 0");
            run("fill-mask", "--checkpoint", "x", "--top", "-1", "a [MASK]").refused("--top must be at least 1, found -1");
            run("gradcheck", "--samples=-1").refused("--samples must be between 0 and 10000, found -1");
            run("bench", "--reps=many").refused("--reps");
        }
    }

    @Nested
    class FilesThatMustAgree {
        @TempDir
        Path dir;

        @Test
        void fillMaskRefusesAVocabularyOfTheWrongLengthNamingBothFiles() throws IOException {
            Path ckpt = checkpoint(dir, "F32", true);
            Files.writeString(ckpt.resolve("vocab.txt"), Files.readString(ckpt.resolve("vocab.txt")) + "one\nmore\n");
            run("fill-mask", "--checkpoint", ckpt.toString(), "the [MASK] .")
                    .refused(ckpt.resolve("vocab.txt") + " has 123 tokens, but " + ckpt.resolve("config.json") + " gives vocab_size 121");
        }

        @Test
        void fillMaskRefusesOverflowingAndFractionalSizes() throws IOException {
            Path ckpt = checkpoint(dir, "F32", true);
            Path cfg = ckpt.resolve("config.json");
            String good = Files.readString(cfg);
            Files.writeString(cfg, good.replace("\"vocab_size\": 121", "\"vocab_size\": 1e12"));
            run("fill-mask", "--checkpoint", ckpt.toString(), "the [MASK] .").refused(cfg + ": vocab_size must be a whole number between 1 and 16777216, found 1.0E12");
            Files.writeString(cfg, good.replace("\"vocab_size\": 121", "\"vocab_size\": 8192.5"));
            run("fill-mask", "--checkpoint", ckpt.toString(), "the [MASK] .").refused(cfg + ": vocab_size must be a whole number, found 8192.5");
        }

        @Test
        void fillMaskRefusesNonFiniteWeightsInsteadOfPrintingNaN() throws IOException {
            Path ckpt = checkpoint(dir, "F16", true);
            double[] bias = new double[121];
            bias[7] = Double.NaN;
            HfCheckpoints.replace(ckpt, "cls.predictions.bias", bias);
            HfCheckpoints.replace(ckpt, "cls.predictions.decoder.bias", bias);
            run("fill-mask", "--checkpoint", ckpt.toString(), "the [MASK] .")
                    .refused("tensor cls.predictions.bias holds 1 non-finite value (NaN or ±∞)");
        }

        @Test
        void doLowerCaseFalseIsHonoured() throws IOException {
            Path cased = checkpoint(dir, "F32", false);
            Run r = run("tokenize", "--vocab", cased.toString(), "Hello hello !");
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().startsWith("Hello hello !\n"), r.out());
            Run uncased = run("tokenize", "--vocab", checkpoint(dir.resolve("u"), "F32", true).toString(), "Hello hello !");
            assertTrue(uncased.out().startsWith("hello hello !\n"), uncased.out());
        }
    }

    @Nested
    class MessagesThatSayWhatIsWrong {
        @TempDir
        Path dir;

        @Test
        void aMissingFolderSaysItDoesNotExist() {
            Path missing = dir.resolve("x");
            run("tokenize", "--vocab", missing.resolve("vocab.txt").toString(), "a")
                    .refused("tokenizer " + missing.resolve("vocab.txt") + " does not exist (there is no folder " + missing + ")");
            run("fill-mask", "--checkpoint", missing.toString(), "a [MASK]").refused("checkpoint folder " + missing + " does not exist");
        }

        @Test
        void aByteOrderMarkAtTheStartOfVocabTxtIsHandled() throws IOException {
            Path vocab = dir.resolve("vocab.txt");
            Files.write(vocab, ("\uFEFF[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nun\n##aff\n##able\n").getBytes(StandardCharsets.UTF_8));
            Run r = run("tokenize", "--vocab", vocab.toString(), "unaffable");
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().startsWith("un ##aff ##able\n[5, 6, 7]"), r.out());
        }

        @Test
        void binaryGarbageInAConfigIsNamedNotUtf8() throws IOException {
            Path config = dir.resolve("model/garbage.yaml");
            Files.createDirectories(config.getParent());
            Files.write(config, new byte[] {'v', 'o', (byte) 0xFF, (byte) 0xFE, 0x13, 0x00, (byte) 0x9C});
            run("config", "check", config.toString()).refused(config + ": is not UTF-8 text: the byte 0xFF at offset 2 (line 1) does not decode");
            Files.write(config, new byte[] {'a', ':', ' ', 1, 2, 3});
            run("config", "check", config.toString()).refused("is not text: it holds the control character U+0001 at line 1, column 4");
        }

        @Test
        void anEmptyOrArrayConfigJsonSaysSoWithoutJacksonsBoilerplate() throws IOException {
            Path ckpt = checkpoint(dir, "F32", true);
            Path cfg = ckpt.resolve("config.json");
            Files.writeString(cfg, "");
            run("fill-mask", "--checkpoint", ckpt.toString(), "a [MASK]").refused(cfg + " is empty: it must hold a JSON object { … }");
            Files.writeString(cfg, "[]");
            run("fill-mask", "--checkpoint", ckpt.toString(), "a [MASK]").refused(cfg + " must hold a JSON object { … }, found an array");
            Files.writeString(cfg, "{\"vocab_size\": [1, 2, ");
            Run r = run("fill-mask", "--checkpoint", ckpt.toString(), "a [MASK]").refused(cfg + " is not valid JSON:", "(line 1, column");
            assertFalse(r.err().contains("Source") || r.err().contains("REDACTED"), r.err());
        }

        @Test
        void aMirrorThatDoesNotExistOrIsAFileIsReportedAsSuch() throws IOException {
            String before = System.getProperty("minibert.data.mirror");
            try {
                Path missing = dir.resolve("no-mirror");
                System.setProperty("minibert.data.mirror", missing.toString());
                run("data", "status").refused("the data mirror " + missing + " named by -Dminibert.data.mirror does not exist");
                Path file = Files.writeString(dir.resolve("mirror.txt"), "");
                System.setProperty("minibert.data.mirror", file.toString());
                run("data", "status").refused("the data mirror " + file + " named by -Dminibert.data.mirror is a file, not a folder");
            } finally {
                if (before == null) {
                    System.clearProperty("minibert.data.mirror");
                } else {
                    System.setProperty("minibert.data.mirror", before);
                }
            }
        }

        @Test
        void fillMaskSaysHowManyPiecesAndMasksWereDropped() throws IOException {
            Path ckpt = checkpoint(dir, "BF16", true);
            // T = 9 holds 7 pieces besides [CLS] and [SEP]; the text has 10, two of its three [MASK]s among those dropped.
            Run r = run("fill-mask", "--checkpoint", ckpt.toString(), "--top", "2", "the [MASK] was good . it was [MASK] fun [MASK]");
            assertEquals(0, r.code(), r.err());
            assertTrue(r.err().contains("note: the text has 10 pieces, but T = 9 positions hold 7 besides [CLS] and [SEP]: "
                    + "the last 3 were dropped, 2 of the 3 [MASK]s among them"), r.err());
            assertTrue(r.out().startsWith("[MASK] 1:\n"), r.out());
            run("fill-mask", "--checkpoint", ckpt.toString(), "the movie was good . it was fun [MASK]")
                    .refused("every [MASK] of the text lies beyond the first 7 pieces that fit in T = 9 positions");
        }

        @Test
        void tokenizeCountsWhatBertsCleaningRemoved() throws IOException {
            Path vocab = dir.resolve("vocab.txt");
            Files.writeString(vocab, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\nb\n");
            Run r = run("tokenize", "--vocab", vocab.toString(), "a\u0000b\u0007\uFFFD");
            assertEquals(0, r.code(), r.err());
            assertTrue(r.err().contains("note: BERT's cleaning removed 3 invalid or control characters from the text"), r.err());
            assertTrue(r.err().contains("no tokenizer_config.json beside"), r.err());
        }
    }

    @Nested
    class HuggingFaceCheckpoints {
        @TempDir
        Path dir;

        @Test
        void fillMaskReadsABertForPreTrainingCheckpointInEachFloatType() throws IOException {
            for (String dtype : List.of("F32", "F16", "BF16")) {
                Path ckpt = checkpoint(dir, dtype, true);
                Run r = run("fill-mask", "--checkpoint", ckpt.toString(), "--top", "3", "the movie was [MASK] .");
                assertEquals(0, r.code(), dtype + ": " + r.err());
                assertEquals(4, r.out().strip().lines().count(), r.out());
                assertTrue(r.err().contains("passed over 5 tensors") && r.err().contains("cls.predictions.decoder.weight equals"), r.err());
                for (String line : r.out().strip().lines().skip(1).toList()) {
                    double p = Double.parseDouble(line.strip().split("\\s+")[1]);
                    assertTrue(p >= 0 && p <= 1, line);
                }
            }
        }

        @Test
        void anUnsupportedDtypeIsRefusedByName() throws IOException {
            List<String> vocab = HfCheckpoints.bertVocabulary(121, WORDS);
            Path ckpt = dir.resolve("ints");
            HfCheckpoints.write(ckpt, new BertForMaskedLM(new ModelConfig(121, 12, 2, 3, 17, 9, 2, 1e-12, "gelu", 0.1, 0.1, 0.02), 1),
                    vocab, "I32", HfCheckpoints.Layout.PRETRAINING, true);
            run("fill-mask", "--checkpoint", ckpt.toString(), "a [MASK]").refused("has dtype I32; this reader accepts F64, F32, F16, BF16");
        }

        @Test
        void tokenizeTakesAVocabTxtFileAsWellAsAFolder() throws IOException {
            Path ckpt = checkpoint(dir, "F32", true);
            Map<String, Run> runs = Map.of("folder", run("tokenize", "--vocab", ckpt.toString(), "the movie!"),
                    "file", run("tokenize", "--vocab", ckpt.resolve("vocab.txt").toString(), "the movie!"));
            for (var e : runs.entrySet()) {
                assertEquals(0, e.getValue().code(), e.getKey() + ": " + e.getValue().err());
                assertEquals("the movie !\n[104, 105, 114]\n", e.getValue().out(), e.getKey());
            }
        }
    }
}
