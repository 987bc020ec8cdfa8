package minibert.explore;

import minibert.text.ModelInputs;
import minibert.text.Vocabulary;
import minibert.text.WordPiece;

import java.util.Arrays;

/**
 * One sequence as the learning tools read it: its real positions only (no padding), each with its piece, so
 * that a statistic can ask which positions are {@code [CLS]}, which are {@code [SEP]}, and which pieces make up
 * one word.
 *
 * @param source the sentence's origin, for people (e.g. {@code SST-2 dev 17})
 * @param ids    piece ids [n]
 * @param types  token types, 0 for segment A, 1 for segment B [n]
 * @param tokens the pieces as text [n]
 */
public record Sequence(String source, int[] ids, int[] types, String[] tokens) {

    public Sequence {
        if (ids.length == 0 || ids.length != types.length || ids.length != tokens.length) {
            throw new IllegalArgumentException(source + ": ids, types and tokens must have the same positive length; found "
                    + ids.length + ", " + types.length + ", " + tokens.length);
        }
    }

    /** n, the real positions. */
    public int length() {
        return ids.length;
    }

    /** The real positions of model inputs (those of attention mask 1), with their pieces from {@code vocabulary}. */
    public static Sequence of(String source, ModelInputs in, Vocabulary vocabulary) {
        int n = in.realLength();
        int[] ids = Arrays.copyOf(in.inputIds(), n);
        String[] tokens = new String[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = vocabulary.token(ids[i]);
        }
        return new Sequence(source, ids, Arrays.copyOf(in.tokenTypeIds(), n), tokens);
    }

    /** A text, or a pair of texts when {@code b} is not null, fitted into {@code length} positions. */
    public static Sequence of(String source, WordPiece wp, String a, String b, int length) {
        return of(source, ModelInputs.of(wp, a, b, length), wp.vocabulary());
    }

    /**
     * The word each position belongs to: a {@code ##} piece continues the word of the piece before it; every other
     * piece, special tokens included, starts a word of its own. Words are numbered from 0 in order [n].
     */
    public int[] words() {
        int[] word = new int[tokens.length];
        int w = -1;
        for (int i = 0; i < tokens.length; i++) {
            boolean continues = i > 0 && tokens[i].startsWith(Vocabulary.CONTINUATION) && !isSpecial(i - 1);
            word[i] = continues ? w : ++w;
        }
        return word;
    }

    /** Whether position i holds {@code [CLS]}. */
    public boolean isCls(int i) {
        return tokens[i].equals(Vocabulary.CLS);
    }

    /** Whether position i holds {@code [SEP]}. */
    public boolean isSep(int i) {
        return tokens[i].equals(Vocabulary.SEP);
    }

    /** Whether position i holds one of the special tokens. */
    public boolean isSpecial(int i) {
        return Vocabulary.SPECIALS.contains(tokens[i]);
    }

    /** Whether the sequence has a segment B. */
    public boolean isPair() {
        for (int t : types) {
            if (t == 1) {
                return true;
            }
        }
        return false;
    }
}
