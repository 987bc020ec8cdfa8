package minibert.book;

import minibert.text.Vocabulary;
import minibert.text.WordPieceTrainer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The counts behind the tokenization chapter's derivations, recomputed from the word counts the trainer read,
 * so that the chapter can print the c_a, c_b and N of a merge and the build can check them against the
 * trainer's own score: the symbols of the corpus before any merge, a pair's occurrences, the exact and the
 * first-order gain of a merge, and why the gain of a later merge can exceed an earlier one's.
 */
final class MergeArithmetic {

    private MergeArithmetic() {
    }

    /** Symbol counts of the corpus before any merge, over the words the alphabet covers, and N, their sum. */
    record Initial(Map<String, Long> symbols, long total) {
        long count(String symbol) {
            return symbols.getOrDefault(symbol, 0L);
        }
    }

    /** The characters of the vocabulary's alphabet: the symbols right after the special tokens, without {@code ##}. */
    static Set<Integer> alphabetCharacters(Vocabulary vocab, int alphabetSymbols) {
        Set<Integer> chars = new HashSet<>();
        for (int id = Vocabulary.SPECIALS.size(); id < Vocabulary.SPECIALS.size() + alphabetSymbols; id++) {
            String t = vocab.token(id);
            t.substring(t.startsWith(Vocabulary.CONTINUATION) ? 2 : 0).codePoints().forEach(chars::add);
        }
        return chars;
    }

    /** The word's symbols before any merge: the first character plain, the others {@code ##}-prefixed. */
    static List<String> symbols(String word) {
        List<String> out = new ArrayList<>();
        int[] cps = word.codePoints().toArray();
        for (int i = 0; i < cps.length; i++) {
            String c = new String(Character.toChars(cps[i]));
            out.add(i == 0 ? c : Vocabulary.CONTINUATION + c);
        }
        return out;
    }

    static boolean covered(String word, Set<Integer> alphabet) {
        return word.codePoints().allMatch(alphabet::contains);
    }

    /** Every symbol's count before any merge, as the trainer counts them (word types the alphabet covers). */
    static Initial initial(Map<String, Long> words, Set<Integer> alphabet) {
        Map<String, Long> symbols = new HashMap<>();
        long total = 0;
        for (var e : words.entrySet()) {
            if (!covered(e.getKey(), alphabet)) {
                continue;
            }
            for (String s : symbols(e.getKey())) {
                symbols.merge(s, e.getValue(), Long::sum);
                total += e.getValue();
            }
        }
        return new Initial(symbols, total);
    }

    /**
     * The occurrences of the pair (a, b) before any merge: {adjacent, merged}. Adjacent counts every place where b
     * follows a, as the trainer counts pairs; merged counts the places a left-to-right merge rewrites, which is
     * fewer when a = b and runs overlap ({@code ##e ##e ##e} holds two adjacent pairs but merges once).
     */
    static long[] pairCount(Map<String, Long> words, Set<Integer> alphabet, String a, String b) {
        long adjacent = 0, merged = 0;
        for (var e : words.entrySet()) {
            if (!covered(e.getKey(), alphabet)) {
                continue;
            }
            List<String> s = symbols(e.getKey());
            for (int i = 0; i + 1 < s.size(); i++) {
                if (s.get(i).equals(a) && s.get(i + 1).equals(b)) {
                    adjacent += e.getValue();
                }
            }
            for (int i = 0; i + 1 < s.size(); i++) {
                if (s.get(i).equals(a) && s.get(i + 1).equals(b)) {
                    merged += e.getValue();
                    i++;
                }
            }
        }
        return new long[] {adjacent, merged};
    }

    /**
     * The pairs of identical symbols before any merge, in one pass: for each symbol s with s s somewhere,
     * {adjacent, merged} as {@link #pairCount} counts them.
     */
    static Map<String, long[]> identicalPairs(Map<String, Long> words, Set<Integer> alphabet) {
        Map<String, long[]> out = new HashMap<>();
        for (var e : words.entrySet()) {
            if (!covered(e.getKey(), alphabet)) {
                continue;
            }
            List<String> s = symbols(e.getKey());
            for (int i = 0; i + 1 < s.size(); i++) {
                if (s.get(i).equals(s.get(i + 1))) {
                    long[] c = out.computeIfAbsent(s.get(i), x -> new long[2]);
                    c[0] += e.getValue();
                }
            }
            for (int i = 0; i + 1 < s.size(); i++) {
                if (s.get(i).equals(s.get(i + 1))) {
                    out.get(s.get(i))[1] += e.getValue();
                    i++;
                }
            }
        }
        return out;
    }

    /** f(x) = x ln x, with f(0) = 0. */
    static double f(double x) {
        return x == 0 ? 0 : x * Math.log(x);
    }

    /**
     * The exact change of the corpus log-likelihood when k occurrences of (a, b) become ab, for a ≠ b:
     * f(c_a − k) − f(c_a) + f(c_b − k) − f(c_b) + f(k) − f(N − k) + f(N).
     */
    static double exactGain(double ca, double cb, double k, double n) {
        return f(ca - k) - f(ca) + f(cb - k) - f(cb) + f(k) - f(n - k) + f(n);
    }

    /** The same for a = b: each merge removes two occurrences of a, f(c − 2k) − f(c) + f(k) − f(N − k) + f(N). */
    static double exactGainIdentical(double c, double k, double n) {
        return f(c - 2 * k) - f(c) + f(k) - f(n - k) + f(n);
    }

    /** The trainer's first-order gain, k (ln(N k / (c_a c_b)) − 1), computed as the trainer computes it. */
    static double firstOrderGain(double ca, double cb, double k, double n) {
        return k * (Math.log(n * (k / (ca * cb))) - 1);
    }

    /**
     * Where a merge's gain exceeds the gain of the merge before it, and why. With N held fixed, a pair's gain can
     * only rise when the merge just before it created one of its two pieces (the pair did not exist before) or
     * used up occurrences of one of them (lowering c_a or c_b); merges that only lower the pair's own count
     * lower its gain.
     *
     * @param index the later merge, from 1
     * @param piece the piece the merge before made, or the piece whose count it lowered
     * @param made  true when the merge before made {@code piece}
     */
    record Rise(int index, WordPieceTrainer.Merge merge, WordPieceTrainer.Merge before, String piece, boolean made) {
    }

    /**
     * Every rise among the first {@code upTo} merges.
     *
     * @throws IllegalStateException for a rise the merge before does not explain: the trainer would then have
     *                               chosen a pair that was not the best
     */
    static List<Rise> rises(List<WordPieceTrainer.Merge> merges, int upTo) {
        List<Rise> out = new ArrayList<>();
        for (int i = 1; i < Math.min(upTo, merges.size()); i++) {
            WordPieceTrainer.Merge m = merges.get(i), before = merges.get(i - 1);
            if (m.score() <= before.score()) {
                continue;
            }
            if (m.left().equals(before.merged()) || m.right().equals(before.merged())) {
                out.add(new Rise(i + 1, m, before, before.merged(), true));
            } else if (Set.of(before.left(), before.right()).contains(m.left())) {
                out.add(new Rise(i + 1, m, before, m.left(), false));
            } else if (Set.of(before.left(), before.right()).contains(m.right())) {
                out.add(new Rise(i + 1, m, before, m.right(), false));
            } else {
                throw new IllegalStateException("merge " + (i + 1) + " (" + m + ") has a larger gain than merge " + i + " ("
                        + before + "), which neither made nor used one of its pieces");
            }
        }
        return out;
    }

    /** The fewest pieces that spell {@code word} from the vocabulary (plain first, {@code ##} after), or null if none do. */
    static List<String> fewestPieces(String word, Vocabulary vocab) {
        int n = word.length();
        int[] best = new int[n + 1], from = new int[n + 1];
        java.util.Arrays.fill(best, Integer.MAX_VALUE);
        best[0] = 0;
        for (int end = 1; end <= n; end++) {
            for (int start = 0; start < end; start++) {
                String piece = (start == 0 ? "" : Vocabulary.CONTINUATION) + word.substring(start, end);
                if (best[start] != Integer.MAX_VALUE && vocab.id(piece) >= 0 && best[start] + 1 < best[end]) {
                    best[end] = best[start] + 1;
                    from[end] = start;
                }
            }
        }
        if (best[n] == Integer.MAX_VALUE) {
            return null;
        }
        List<String> out = new ArrayList<>();
        for (int end = n; end > 0; end = from[end]) {
            out.addFirst((from[end] == 0 ? "" : Vocabulary.CONTINUATION) + word.substring(from[end], end));
        }
        return out;
    }
}
