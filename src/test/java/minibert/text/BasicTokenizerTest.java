package minibert.text;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.strings;

/** One test per rule of BERT's basic tokenizer, then properties and bad input. */
class BasicTokenizerTest {

    @Test
    void dropsControlCharactersNulAndReplacementCharacter() {
        assertEquals("ab", BasicTokenizer.clean("a\u0000\u0007\uFFFD\u200Bb"));   // NUL, BEL, U+FFFD, zero-width space (Cf)
    }

    @Test
    void turnsTabsNewlinesAndUnicodeSpacesIntoSpaces() {
        assertEquals("a b c d e", BasicTokenizer.clean("a\tb\nc\rd\u00A0e"));
    }

    @Test
    void dropsUnpairedSurrogatesButKeepsPairs() {
        assertEquals("ab\uD83D\uDE00", BasicTokenizer.clean("a\uD800b\uDC00\uD83D\uDE00"));
    }

    @Test
    void spacesCjkIdeographsButNotKana() {
        // Kana are not CJK ideographs, so "ひらがな" stays one word; accent stripping also takes the voicing
        // mark (a combining mark after NFD) off が, exactly as BERT's uncased tokenizer does.
        assertEquals(List.of("我", "爱", "bert", "ひらかな"), BasicTokenizer.tokenize("我爱BERT ひらがな"));
    }

    @Test
    void lowerCasesInTheRootLocale() {
        assertEquals(List.of("istanbul"), BasicTokenizer.tokenize("ISTANBUL"));
    }

    @Test
    void stripsAccents() {
        assertEquals(List.of("cafe", "naive", "uber"), BasicTokenizer.tokenize("Café naïve Über"));
    }

    @Test
    void splitsUnicodePunctuation() {
        assertEquals(List.of("don", "'", "t", "—", "stop", "!", "«", "x", "»"), BasicTokenizer.tokenize("Don't—stop! «x»"));
    }

    @Test
    void treatsAsciiSymbolsAsPunctuationAsBertDoes() {
        assertEquals(List.of("a", "$", "b", "+", "c", "<", "d", "=", "e", "^", "f", "`", "g", "|", "h", "~", "i"),
                BasicTokenizer.tokenize("a$b+c<d=e^f`g|h~i"));
        assertFalse(BasicTokenizer.isPunctuation('€'));   // a currency symbol outside ASCII is not punctuation
    }

    @Test
    void splitsOnRunsOfWhitespace() {
        assertEquals(List.of("a", "b"), BasicTokenizer.tokenize("  a \t\n  b  "));
    }

    @Test
    void emptyWhitespaceOnlyAndControlOnlyTextGiveNoTokens() {
        assertEquals(List.of(), BasicTokenizer.tokenize(""));
        assertEquals(List.of(), BasicTokenizer.tokenize(" \t\n "));
        assertEquals(List.of(), BasicTokenizer.tokenize("\u0000\u0001\u0002\uFFFD"));
        assertEquals(List.of(), BasicTokenizer.tokenize("\uD800\uDFFF\uDBFF"));   // lone surrogates only
    }

    @Test
    void normalisationIsIdempotent() {
        qt().withFixedSeed(20261122L).withExamples(2000)
                .forAll(strings().betweenCodePoints(0, 0x3000).ofLengthBetween(0, 40))
                .checkAssert(s -> {
                    List<String> once = BasicTokenizer.tokenize(s);
                    assertEquals(once, BasicTokenizer.tokenize(String.join(" ", once)), "input: " + escape(s));
                });
    }

    @Test
    void noTokenIsEmptyOrHoldsWhitespace() {
        qt().withFixedSeed(7L).withExamples(2000)
                .forAll(strings().allPossible().ofLengthBetween(0, 30))
                .checkAssert(s -> {
                    for (String t : BasicTokenizer.tokenize(s)) {
                        assertFalse(t.isEmpty(), "input: " + escape(s));
                        assertTrue(t.codePoints().noneMatch(BasicTokenizer::isWhitespace), "input: " + escape(s));
                    }
                });
    }

    static String escape(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().forEach(cp -> b.append(cp < 128 && cp >= 32 ? Character.toString(cp) : String.format("\\u{%x}", cp)));
        return b.toString();
    }
}
