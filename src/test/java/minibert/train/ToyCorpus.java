package minibert.train;

import minibert.text.Vocabulary;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Documents for tests whose words say where they come from: word i of document d is {@code d<d>w<i>}, one
 * vocabulary piece, found in no other document and nowhere else in its own. So every piece of a packed
 * sequence names its document and its position there. Sentences end in {@code .}, {@code !} or {@code ?}
 * (pieces shared by all documents), and some paragraphs end in a line break.
 */
final class ToyCorpus {

    final List<String> texts = new ArrayList<>();
    final Vocabulary vocabulary;

    /**
     * @param documents   how many
     * @param maxSentence longest sentence in words (at least 1)
     * @param maxSentences most sentences per document
     */
    ToyCorpus(long seed, int documents, int maxSentence, int maxSentences) {
        Random r = new Random(seed);
        Set<String> words = new LinkedHashSet<>(Vocabulary.SPECIALS);
        words.addAll(List.of(".", "!", "?"));
        for (int d = 0; d < documents; d++) {
            StringBuilder b = new StringBuilder();
            int sentences = 1 + r.nextInt(maxSentences);
            int w = 0;
            for (int s = 0; s < sentences; s++) {
                int n = 1 + r.nextInt(maxSentence);
                for (int k = 0; k < n; k++) {
                    String word = "d" + d + "w" + w++;
                    words.add(word);
                    b.append(word).append(k + 1 < n ? " " : "");
                }
                b.append(".!?".charAt(r.nextInt(3))).append(r.nextInt(5) == 0 ? "\n" : " ");
            }
            texts.add(b.toString().strip());
        }
        vocabulary = new Vocabulary(new ArrayList<>(words));
    }

    PretrainingCorpus corpus() {
        return PretrainingCorpus.of("toy", texts);
    }

    /** The document a piece belongs to, or −1 for punctuation and special tokens. */
    int document(int id) {
        String t = vocabulary.token(id);
        return t.startsWith("d") ? Integer.parseInt(t.substring(1, t.indexOf('w'))) : -1;
    }

    /** The index of a word piece among its document's words (0, 1, 2, … in reading order). */
    int word(int id) {
        String t = vocabulary.token(id);
        return Integer.parseInt(t.substring(t.indexOf('w') + 1));
    }
}
