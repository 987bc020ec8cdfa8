package minibert.text;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * WordPiece encoding as in BERT: basic tokenization, then each word is split greedily into the longest
 * vocabulary piece that matches at the current position, continuation pieces prefixed {@code ##}.
 *
 * <pre>
 * unaffable  →  un ##aff ##able      (with un, ##aff, ##able in the vocabulary)
 * </pre>
 *
 * A word that cannot be segmented, or is longer than {@value #MAX_WORD_CHARS} characters, becomes one
 * {@code [UNK]}.
 */
public final class WordPiece {

    /** BERT's limit: longer words are {@code [UNK]} without trying. */
    public static final int MAX_WORD_CHARS = 100;
    private static final int CACHE_LIMIT = 1 << 18;

    private final Vocabulary vocab;
    private final BasicTokenizer.Options options;
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    /** An uncased tokenizer over {@code vocab}, as this project trains it. */
    public WordPiece(Vocabulary vocab) {
        this(vocab, BasicTokenizer.Options.UNCASED);
    }

    /** A tokenizer over {@code vocab} whose basic tokenizer uses {@code options} (a checkpoint's casing). */
    public WordPiece(Vocabulary vocab, BasicTokenizer.Options options) {
        this.vocab = vocab;
        this.options = options;
    }

    public Vocabulary vocabulary() {
        return vocab;
    }

    /** The basic tokenizer's switches. */
    public BasicTokenizer.Options options() {
        return options;
    }

    /** The basic tokens of {@code text}, with this tokenizer's switches. */
    public List<String> basicTokens(String text) {
        return BasicTokenizer.tokenize(text, options);
    }

    private static final java.util.regex.Pattern SPECIAL = java.util.regex.Pattern.compile("\\[(PAD|UNK|CLS|SEP|MASK)]");

    /**
     * The piece ids of a text. The special tokens written literally ({@code [MASK]}, {@code [SEP]}, …) are
     * kept whole, as Hugging Face's tokenizer does; everything between them is basic-tokenized and split.
     */
    public int[] encode(String text) {
        java.util.regex.Matcher m = SPECIAL.matcher(text);
        if (!m.find()) {
            return encodePlain(text);
        }
        List<Integer> ids = new ArrayList<>();
        int from = 0;
        do {
            for (int id : encodePlain(text.substring(from, m.start()))) {
                ids.add(id);
            }
            ids.add(vocab.id(m.group()));
            from = m.end();
        } while (m.find());
        for (int id : encodePlain(text.substring(from))) {
            ids.add(id);
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    private int[] encodePlain(String text) {
        List<String> words = BasicTokenizer.tokenize(text, options);
        int[] out = new int[Math.max(8, words.size() * 2)];
        int n = 0;
        for (String w : words) {
            int[] ids = encodeWord(w);
            if (n + ids.length > out.length) {
                out = java.util.Arrays.copyOf(out, Math.max(out.length * 2, n + ids.length));
            }
            System.arraycopy(ids, 0, out, n, ids.length);
            n += ids.length;
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /** The pieces of a text, as strings. */
    public List<String> pieces(String text) {
        List<String> out = new ArrayList<>();
        for (int id : encode(text)) {
            out.add(vocab.token(id));
        }
        return out;
    }

    /**
     * The pieces of one basic-tokenized word, greedy longest-match-first.
     */
    // tag::encode-word[]
    public int[] encodeWord(String word) {
        int[] cached = cache.get(word);
        if (cached != null) {
            return cached;
        }
        int[] ids = segment(word);
        if (cache.size() < CACHE_LIMIT) {
            cache.put(word, ids);
        }
        return ids;
    }

    private int[] segment(String word) {
        if (word.codePointCount(0, word.length()) > MAX_WORD_CHARS) {
            return new int[] {vocab.unkId()};
        }
        int[] pieces = new int[word.length()];
        int count = 0;
        int start = 0;
        while (start < word.length()) {
            int end = Math.min(word.length(), start + vocab.longestPiece());
            int found = -1;
            while (end > start) {
                if (end < word.length() && Character.isLowSurrogate(word.charAt(end))
                        && Character.isHighSurrogate(word.charAt(end - 1))) {
                    end--;                       // never split a surrogate pair: a piece may not end between its halves
                    continue;
                }
                String piece = start == 0 ? word.substring(0, end) : Vocabulary.CONTINUATION + word.substring(start, end);
                found = vocab.id(piece);
                if (found >= 0) {
                    break;
                }
                end--;
            }
            if (found < 0) {
                return new int[] {vocab.unkId()};   // no piece fits here: the whole word is unknown
            }
            pieces[count++] = found;
            start = end;
        }
        return java.util.Arrays.copyOf(pieces, count);
    }
    // end::encode-word[]

    /**
     * Joins pieces back into text: a {@code ##} piece attaches to the one before it, others are separated
     * by a space; special tokens other than {@code [UNK]} are left out.
     */
    public String decode(int[] ids) {
        StringBuilder b = new StringBuilder();
        for (int id : ids) {
            String t = vocab.token(id);
            if (vocab.isSpecial(id) && id != vocab.unkId()) {
                continue;
            }
            if (t.startsWith(Vocabulary.CONTINUATION) && !b.isEmpty()) {
                b.append(t, 2, t.length());
            } else {
                if (!b.isEmpty()) {
                    b.append(' ');
                }
                b.append(t);
            }
        }
        return b.toString();
    }
}
