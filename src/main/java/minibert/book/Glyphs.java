package minibert.book;

import java.lang.Character.UnicodeBlock;
import java.util.Set;
import java.util.StringJoiner;

/**
 * Text the book's fonts can show. The pages name DejaVu (Serif, Sans, Sans Mono) after their first choices, and
 * DejaVu covers the Latin, Greek and Cyrillic alphabets and the common symbols; a token in another script, or in
 * full-width Latin letters ({@code ｃｋ}), would show as empty boxes. Such a token is shown with the code points of
 * the characters the fonts lack: {@code ｃｋ (U+FF43 U+FF4B)}, so that a reader learns what it is either way.
 */
final class Glyphs {

    /** The Unicode blocks DejaVu covers (most of each); anything else is shown with its code points. */
    private static final Set<UnicodeBlock> SHOWN = Set.of(
            UnicodeBlock.BASIC_LATIN, UnicodeBlock.LATIN_1_SUPPLEMENT, UnicodeBlock.LATIN_EXTENDED_A,
            UnicodeBlock.LATIN_EXTENDED_B, UnicodeBlock.IPA_EXTENSIONS, UnicodeBlock.SPACING_MODIFIER_LETTERS,
            UnicodeBlock.COMBINING_DIACRITICAL_MARKS, UnicodeBlock.GREEK, UnicodeBlock.CYRILLIC,
            UnicodeBlock.PHONETIC_EXTENSIONS, UnicodeBlock.LATIN_EXTENDED_ADDITIONAL, UnicodeBlock.GENERAL_PUNCTUATION,
            UnicodeBlock.SUPERSCRIPTS_AND_SUBSCRIPTS, UnicodeBlock.LETTERLIKE_SYMBOLS, UnicodeBlock.NUMBER_FORMS,
            UnicodeBlock.ARROWS, UnicodeBlock.MATHEMATICAL_OPERATORS, UnicodeBlock.BOX_DRAWING,
            UnicodeBlock.BLOCK_ELEMENTS, UnicodeBlock.GEOMETRIC_SHAPES, UnicodeBlock.MISCELLANEOUS_SYMBOLS);

    private Glyphs() {
    }

    /** Whether the book's fonts show this character. */
    static boolean shown(int codePoint) {
        return Character.isWhitespace(codePoint) || SHOWN.contains(UnicodeBlock.of(codePoint));
    }

    /** The text as it is, or followed by the code points of its characters the fonts lack: "ｃｋ (U+FF43 U+FF4B)". */
    static String visible(String text) {
        StringJoiner missing = new StringJoiner(" ", " (", ")");
        missing.setEmptyValue("");
        text.codePoints().filter(cp -> !shown(cp)).distinct()
                .forEach(cp -> missing.add(String.format(java.util.Locale.ROOT, "U+%04X", cp)));
        return text + missing;
    }
}
