package minibert.text;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;

/**
 * BERT's basic tokenization, rule for rule as in google-research/bert {@code tokenization.py} (uncased unless
 * {@link Options} say otherwise):
 * clean the text, put spaces around CJK ideographs, split on white space, lower-case and strip accents,
 * then split every punctuation character into a token of its own.
 *
 * <pre>
 * "Héllo, WORLD!"  →  [hello, ",", world, "!"]
 * </pre>
 */
public final class BasicTokenizer {

    private BasicTokenizer() {
    }

    /**
     * The switches of Hugging Face's {@code BertTokenizer} that change the basic tokenizer, as a checkpoint's
     * {@code tokenizer_config.json} sets them.
     *
     * @param lowerCase    {@code do_lower_case}: lower-case every word
     * @param stripAccents {@code strip_accents}: drop combining marks after NFD (by default, when lower-casing)
     * @param spaceCjk     {@code tokenize_chinese_chars}: make each CJK ideograph a word of its own
     */
    public record Options(boolean lowerCase, boolean stripAccents, boolean spaceCjk) {
        /** BERT's uncased model, the one this project trains. */
        public static final Options UNCASED = new Options(true, true, true);
    }

    /** The uncased pipeline: {@code "Don't!"} → {@code [don, ', t, !]}. Never throws; empty text gives no tokens. */
    public static List<String> tokenize(String text) {
        return tokenize(text, Options.UNCASED);
    }

    /** The whole pipeline, with the switches of {@code options}. */
    // tag::tokenize[]
    public static List<String> tokenize(String text, Options options) {
        String cleaned = options.spaceCjk() ? spaceCjk(clean(text)) : clean(text);
        List<String> out = new ArrayList<>();
        for (String word : splitWhitespace(cleaned)) {
            String w = options.lowerCase() ? lowerCase(word) : word;
            splitPunctuation(options.stripAccents() ? stripAccents(w) : w, out);
        }
        return out;
    }
    // end::tokenize[]

    /**
     * Drops U+0000, U+FFFD, unpaired surrogates and control characters (Unicode category C*, except tab,
     * newline and carriage return) and turns every white-space character into a plain space.
     */
    // tag::clean[]
    public static String clean(String text) {
        StringBuilder b = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (isDropped(cp)) {
                continue;
            }
            if (isWhitespace(cp)) {
                b.append(' ');
            } else {
                b.appendCodePoint(cp);
            }
        }
        return b.toString();
    }

    /** What {@link #clean} drops: U+0000, U+FFFD (an invalid byte, decoded), lone surrogates, control characters. */
    public static boolean isDropped(int cp) {
        return cp == 0 || cp == 0xFFFD || Character.getType(cp) == Character.SURROGATE || isControl(cp);
    }
    // end::clean[]

    /** The number of characters (code points) {@link #clean} drops from {@code text}. */
    public static int countDropped(String text) {
        int n = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            n += isDropped(cp) ? 1 : 0;
        }
        return n;
    }

    /** Tab, newline, carriage return and space count as white space, as does every Zs character. */
    public static boolean isWhitespace(int cp) {
        return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || Character.getType(cp) == Character.SPACE_SEPARATOR;
    }

    /** Categories Cc, Cf, Co, Cn, Cs are control characters, but tab, newline and carriage return are white space. */
    public static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            return false;
        }
        int t = Character.getType(cp);
        return t == Character.CONTROL || t == Character.FORMAT || t == Character.PRIVATE_USE
                || t == Character.UNASSIGNED || t == Character.SURROGATE;
    }

    /**
     * Every Unicode P* character, plus the ASCII symbols BERT also treats as punctuation although Unicode
     * does not ({@code $ + < = > ^ ` |} and {@code ~}): all of ASCII 33–47, 58–64, 91–96 and 123–126.
     */
    public static boolean isPunctuation(int cp) {
        if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) {
            return true;
        }
        return switch (Character.getType(cp)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                 Character.OTHER_PUNCTUATION -> true;
            default -> false;
        };
    }

    /** The CJK Unified Ideographs blocks, as BERT lists them (not Hiragana, Katakana or Hangul). */
    public static boolean isCjk(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }

    /** Puts a space on each side of every CJK ideograph, so that each becomes a word. */
    public static String spaceCjk(String text) {
        StringBuilder b = null;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int n = Character.charCount(cp);
            if (isCjk(cp)) {
                if (b == null) {
                    b = new StringBuilder(text.length() + 16).append(text, 0, i);
                }
                b.append(' ').appendCodePoint(cp).append(' ');
            } else if (b != null) {
                b.appendCodePoint(cp);
            }
            i += n;
        }
        return b == null ? text : b.toString();
    }

    /** Splits on runs of spaces (the text is already cleaned, so every white space is a space). */
    public static List<String> splitWhitespace(String text) {
        List<String> out = new ArrayList<>();
        int start = -1;
        for (int i = 0; i <= text.length(); i++) {
            boolean space = i == text.length() || text.charAt(i) == ' ';
            if (space && start >= 0) {
                out.add(text.substring(start, i));
                start = -1;
            } else if (!space && start < 0) {
                start = i;
            }
        }
        return out;
    }

    /** Lower-cases in the root locale (no Turkish dotless i). */
    public static String lowerCase(String word) {
        return word.toLowerCase(java.util.Locale.ROOT);
    }

    /** Decomposes (NFD) and drops the combining marks (category Mn): {@code café} → {@code cafe}. */
    public static String stripAccents(String word) {
        boolean ascii = true;
        for (int i = 0; i < word.length() && ascii; i++) {
            ascii = word.charAt(i) < 128;
        }
        if (ascii) {
            return word;
        }
        String nfd = Normalizer.normalize(word, Normalizer.Form.NFD);
        StringBuilder b = new StringBuilder(nfd.length());
        for (int i = 0; i < nfd.length(); ) {
            int cp = nfd.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.getType(cp) != Character.NON_SPACING_MARK) {
                b.appendCodePoint(cp);
            }
        }
        return b.toString();
    }

    /** Appends the word to {@code out}, split so that each punctuation character is a token of its own. */
    public static void splitPunctuation(String word, List<String> out) {
        int start = 0;
        for (int i = 0; i < word.length(); ) {
            int cp = word.codePointAt(i);
            int n = Character.charCount(cp);
            if (isPunctuation(cp)) {
                if (i > start) {
                    out.add(word.substring(start, i));
                }
                out.add(word.substring(i, i + n));
                start = i + n;
            }
            i += n;
        }
        if (start < word.length()) {
            out.add(word.substring(start));
        }
    }
}
