package minibert.text;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

class WordPieceTest {

    /** Letters, an accent, punctuation and spaces: the alphabet of the property tests. */
    private static final String CHARS = "abcdeéxyz.,'- ";
    private static final long SEED = 1234L;
    private static WordPiece trained;
    private static Map<String, Long> corpusCounts;

    @BeforeAll
    static void train() {
        Random random = new Random(SEED);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 301; i++) {
            StringBuilder b = new StringBuilder();
            for (int j = 0; j < 37; j++) {
                b.append(CHARS.charAt(random.nextInt(CHARS.length())));
            }
            texts.add(b.toString());
        }
        texts.add("aa bb cc dd ee xx yy zz");   // every letter also after itself, so each has a ## form
        corpusCounts = WordPieceTrainer.countWords(texts, n -> { });
        trained = new WordPiece(new WordPieceTrainer(61, 1000).train(corpusCounts).vocabulary());
    }

    private static WordPiece vocab(String... pieces) {
        List<String> tokens = new ArrayList<>(Vocabulary.SPECIALS);
        tokens.addAll(Arrays.asList(pieces));
        return new WordPiece(new Vocabulary(tokens));
    }

    @Test
    void bertsWorkedExample() {
        // The examples of google-research/bert's tokenization.py and its tests.
        WordPiece wp = vocab("un", "##aff", "##able", "runn", "##ing", "want", "##want", "##ed", "wa", ",");
        assertEquals(List.of("un", "##aff", "##able"), wp.pieces("unaffable"));
        assertEquals(List.of("un", "##want", "##ed", ",", "runn", "##ing"), wp.pieces("UNwantéd,running"));
        assertEquals(List.of("[UNK]", "runn", "##ing"), wp.pieces("unwantedX running"));   // no piece fits "x": the whole word
    }

    @Test
    void specialTokensWrittenInTheTextStayWhole() {
        WordPiece wp = vocab("the", "movie", "was", ".", "[", "mask", "]");
        assertEquals(List.of("the", "movie", "was", "[MASK]", "."), wp.pieces("The movie was [MASK]."));
        assertEquals(List.of("[", "mask", "]"), wp.pieces("[mask]"));    // lower case is ordinary text
    }

    @Test
    void aWordLongerThanAHundredCharactersIsUnknown() {
        WordPiece wp = vocab("a", "##a");
        assertEquals(100, wp.encode("a".repeat(100)).length);
        assertEquals(List.of("[UNK]"), wp.pieces("a".repeat(101)));
        int[] huge = wp.encode("a".repeat(1 << 20));                   // a 1 MB word: one [UNK], no exception
        assertArrayEquals(new int[] {wp.vocabulary().unkId()}, huge);
    }

    @Test
    void badInputNeverThrows() {
        WordPiece wp = vocab("a", "##a");
        assertEquals(0, wp.encode("").length);
        assertEquals(0, wp.encode(" \n\t ").length);
        assertEquals(0, wp.encode("\u0001\u0002").length);
        assertEquals(List.of("a", "[UNK]"), wp.pieces("a \uD800\uD83D\uDE00"));
    }

    @Test
    void piecesEndAfterACharacterBeyondTheBasicPlaneButNeverInsideIt() {
        // U+1F600 is one character in two chars (a surrogate pair): a piece may end after it, never between its halves
        String grin = "\uD83D\uDE00";
        WordPiece wp = vocab("a" + grin, "##b", "a", "##" + grin + "b", "x\uD83D");
        assertEquals(List.of("a" + grin), wp.pieces("a" + grin), "a word ending in the pair is one piece");
        assertEquals(List.of("a" + grin, "##b"), wp.pieces("a" + grin + "b"), "the longest piece ends after the pair");
        assertEquals(List.of("[UNK]"), wp.pieces("x" + grin), "no piece may end with the pair's first half alone");
    }

    @Test
    void everyIdIsInRange() {
        qt().withFixedSeed(SEED).withExamples(500)
                .forAll(lists().of(integers().between(0, 0x2FFF)).ofSizeBetween(0, 60))
                .checkAssert(cps -> {
                    String s = text(cps);
                    for (int id : trained.encode(s)) {
                        assertTrue(id >= 0 && id < trained.vocabulary().size(), "id " + id + " for " + BasicTokenizerTest.escape(s));
                    }
                });
    }

    @Test
    void decodeInvertsEncodeOverTheAlphabet() {
        qt().withFixedSeed(SEED).withExamples(1000)
                .forAll(lists().of(integers().between(0, CHARS.length() - 1)).ofSizeBetween(0, 60))
                .checkAssert(idx -> {
                    StringBuilder b = new StringBuilder();
                    idx.forEach(i -> b.append(CHARS.charAt(i)));
                    String x = b.toString();
                    String normalised = String.join(" ", BasicTokenizer.tokenize(x));
                    assertEquals(normalised, trained.decode(trained.encode(x)), "input '" + x + "'");
                });
    }

    @Test
    void encodingIsMaximalMunch() {
        Vocabulary v = trained.vocabulary();
        qt().withFixedSeed(SEED).withExamples(1000)
                .forAll(lists().of(integers().between(0, 9)).ofSizeBetween(1, 25))
                .checkAssert(idx -> {
                    StringBuilder b = new StringBuilder();
                    idx.forEach(i -> b.append("abcdexyzéa".charAt(i)));
                    String word = BasicTokenizer.tokenize(b.toString()).get(0);
                    int pos = 0;
                    for (int id : trained.encodeWord(word)) {
                        String piece = v.token(id);
                        int end = pos + (pos == 0 ? piece.length() : piece.length() - 2);
                        for (int longer = end + 1; longer <= word.length(); longer++) {
                            String candidate = (pos == 0 ? "" : "##") + word.substring(pos, longer);
                            assertEquals(-1, v.id(candidate), "'" + candidate + "' fits at " + pos + " of '" + word + "' but '" + piece + "' was taken");
                        }
                        pos = end;
                    }
                    assertEquals(word.length(), pos);
                });
    }

    @Test
    void trainingIsDeterministicToTheByte(@TempDir Path dir) throws IOException {
        Vocabulary again = new WordPieceTrainer(61, 1000).train(corpusCounts).vocabulary();
        trained.vocabulary().save(dir.resolve("a"), 7);
        again.save(dir.resolve("b"), 7);
        assertArrayEquals(Files.readAllBytes(dir.resolve("a/vocab.txt")), Files.readAllBytes(dir.resolve("b/vocab.txt")));
        assertEquals(61, again.size());
        assertEquals(Vocabulary.SPECIALS, again.tokens().subList(0, 5));
    }

    @Test
    void theGainPrefersFrequentPairsAndTheRatioRarities() {
        // "th" occurs 100 times; "qz" once, and q, z never apart.
        Map<String, Long> counts = new java.util.TreeMap<>(Map.of("the", 100L, "then", 40L, "to", 60L, "at", 50L, "qz", 1L));
        WordPieceTrainer.Result gain = new WordPieceTrainer(5 + 12 + 1, 1000).train(counts);
        WordPieceTrainer.Result ratio = new WordPieceTrainer(5 + 12 + 1, 1000, WordPieceTrainer.Criterion.RATIO).train(counts);
        assertEquals("qz", ratio.merges().get(0).merged(), "the ratio alone merges the pair seen once first");
        assertTrue(gain.merges().stream().noneMatch(m -> m.merged().equals("qz")), "the gain never spends a merge on it here");
        assertTrue(gain.merges().get(0).count() >= 100, gain.merges().get(0).toString());
    }

    @Test
    void vocabularyFilesRoundTripAndLoadAsHuggingFaceWritesThem(@TempDir Path dir) throws IOException {
        trained.vocabulary().save(dir, 64);
        Vocabulary loaded = Vocabulary.load(dir.resolve("vocab.txt"));
        assertEquals(trained.vocabulary().tokens(), loaded.tokens());
        String config = Files.readString(dir.resolve("tokenizer_config.json"));
        assertTrue(config.contains("\"do_lower_case\": true") && config.contains("\"model_max_length\": 64"), config);
    }

    @Test
    void malformedVocabularyFilesNameTheFileAndLine(@TempDir Path dir) throws IOException {
        String head = String.join("\n", Vocabulary.SPECIALS) + "\n";
        assertLoadFails(dir, head + "a\na\n", ":7: token 'a' repeats line 6");
        assertLoadFails(dir, head + "a\n\nb\n", ":7: empty line");
        assertLoadFails(dir, head + "a b\n", ":6: token 'a b' contains white space");
        assertLoadFails(dir, "[UNK]\n[PAD]\n", "no line holds [CLS]");
        assertLoadFails(dir, "", "the vocabulary is empty");
        Path bad = dir.resolve("utf8.txt");
        Files.write(bad, new byte[] {(byte) 0xC3, (byte) 0x28, '\n'});
        assertTrue(assertThrows(TokenizerException.class, () -> Vocabulary.load(bad)).getMessage()
                .contains(bad + " is not UTF-8 text: the byte 0xC3 at offset 0 (line 1)"));
        Path missing = dir.resolve("absent.txt");
        assertEquals("vocabulary " + missing + " does not exist",
                assertThrows(TokenizerException.class, () -> Vocabulary.load(missing)).getMessage());
    }

    @Test
    void specialTokensMayStandAnywhereAsInHuggingFacesVocabularies(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("vocab.txt");
        Files.writeString(f, "[PAD]\n[unused0]\nun\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n##aff\n##able\n");
        Vocabulary v = Vocabulary.load(f);
        assertArrayEquals(new int[] {0, 3, 4, 5, 6}, new int[] {v.padId(), v.unkId(), v.clsId(), v.sepId(), v.maskId()});
        assertTrue(v.isSpecial(6) && !v.isSpecial(1));
        WordPiece wp = new WordPiece(v);
        assertArrayEquals(new int[] {2, 7, 8, 3}, wp.encode("unaffable xyz"));
        assertEquals("unaffable [UNK]", wp.decode(new int[] {4, 2, 7, 8, 3, 5, 0}));
        assertLoadFails(dir, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nbad\u0001token\n", ":6: token contains the control character U+0001");
    }

    @Test
    void theTrainerRefusesAnAlphabetLargerThanTheVocabulary() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new WordPieceTrainer(61, 0)).getMessage()
                .contains("at least 1 character, found 0"));
        Map<String, Long> counts = Map.of("abcdefgh", 3L, "ijklmnop", 2L);
        String m = assertThrows(IllegalArgumentException.class, () -> new WordPieceTrainer(20, 1000).train(counts)).getMessage();
        assertTrue(m.contains("the alphabet alone gives 16 symbols") && m.contains("more than the vocabulary size 20"), m);
    }

    private static void assertLoadFails(Path dir, String content, String expected) throws IOException {
        Path f = dir.resolve("vocab.txt");
        Files.writeString(f, content, StandardCharsets.UTF_8);
        TokenizerException e = assertThrows(TokenizerException.class, () -> Vocabulary.load(f));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void modelInputsForAPairTruncateTheLongerSegmentFirst() {
        WordPiece wp = vocab("a", "b", "c", "d");
        ModelInputs in = ModelInputs.of(wp, "a a a a a", "b b", 7);
        // [CLS] a a [SEP] b b [SEP]: four pieces fit, the longer segment gives way until both have two
        assertArrayEquals(new int[] {2, 5, 5, 3, 6, 6, 3}, in.inputIds());
        assertArrayEquals(new int[] {0, 0, 0, 0, 1, 1, 1}, in.tokenTypeIds());
        assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1, 1}, in.attentionMask());
        ModelInputs padded = ModelInputs.of(wp, "c d", 7);
        assertArrayEquals(new int[] {2, 7, 8, 3, 0, 0, 0}, padded.inputIds());
        assertArrayEquals(new int[] {1, 1, 1, 1, 0, 0, 0}, padded.attentionMask());
        assertEquals(4, padded.realLength());
        assertThrows(IllegalArgumentException.class, () -> ModelInputs.of(wp, "a", "b", 2));
    }

    @Test
    void wordStartsPointAtEachWordsFirstPieceAndMarkTruncatedWords() {
        WordPiece wp = vocab("un", "##aff", "##able", "a", "'", "t");
        ModelInputs in = ModelInputs.ofWords(wp, List.of("a", "unaffable", "a't", "a", "a"), 9);
        // [CLS] a un ##aff ##able a ' t [SEP]: the last two words do not fit
        assertArrayEquals(new int[] {1, 2, 5, -1, -1}, in.wordStarts());
        assertEquals(3, in.inputIds()[8]);
    }

    private static String text(List<Integer> cps) {
        StringBuilder b = new StringBuilder();
        cps.forEach(b::appendCodePoint);
        return b.toString();
    }
}
