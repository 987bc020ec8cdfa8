package minibert.text;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;
import java.util.stream.StreamSupport;

/**
 * Learns a WordPiece vocabulary by likelihood, as Schuster and Nakajima (2012) describe WordPiece: start
 * from single characters (plain at the start of a word, {@code ##}-prefixed inside it) and repeatedly
 * merge the adjacent pair {@code (a, b)} whose merge raises the corpus likelihood of a unigram model over
 * pieces the most. To first order that gain is
 *
 * <pre>
 * gain(a, b) = count(ab) · ( log( N · count(ab) / (count(a) · count(b)) ) − 1 )
 * </pre>
 *
 * with N the number of symbols in the corpus. Hugging Face's course writes the criterion as the ratio
 * {@code count(ab) / (count(a) · count(b))} alone, the per-occurrence factor inside the logarithm; without
 * the weight {@code count(ab)} a pair of two characters seen once scores 1 and an 8K vocabulary is spent on
 * rare symbols (the "Tokenization" chapter shows both).
 *
 * <p>Deterministic: ties are broken by the higher pair count, then by the merged string.
 */
public final class WordPieceTrainer {

    /** A merge, in the order learned: the two pieces, the new piece, its score and the pair's count. */
    public record Merge(String left, String right, String merged, double score, long count) {
    }

    /** What training produced. */
    public record Result(Vocabulary vocabulary, List<Merge> merges, int alphabetSize, long words, long wordTypes,
                         long wordTypesKept) {
    }

    /** Which score picks the next merge. */
    public enum Criterion {
        /** count(ab) · (log(N · count(ab) / (count(a) · count(b))) − 1): the likelihood gain (the default). */
        LIKELIHOOD_GAIN,
        /** count(ab) / (count(a) · count(b)): the ratio alone, as Hugging Face's course states it. */
        RATIO
    }

    private final int vocabSize;
    private final int alphabetLimit;
    private final Criterion criterion;

    /**
     * The most symbols an alphabet of {@code alphabetLimit} characters can give: each character word-initial and
     * as a {@code ##} continuation. A vocabulary size below this plus the specials may not fit the alphabet.
     */
    public static long maxAlphabetSymbols(int alphabetLimit) {
        return 2L * alphabetLimit;
    }

    /**
     * @param vocabSize     the vocabulary size to reach, special tokens included
     * @param alphabetLimit the most frequent characters kept as the alphabet (Hugging Face's default is
     *                      1000); words with other characters are left out of training and encode as [UNK]
     */
    public WordPieceTrainer(int vocabSize, int alphabetLimit) {
        this(vocabSize, alphabetLimit, Criterion.LIKELIHOOD_GAIN);
    }

    /** As {@link #WordPieceTrainer(int, int)}, with the merge criterion chosen. */
    public WordPieceTrainer(int vocabSize, int alphabetLimit, Criterion criterion) {
        if (vocabSize <= Vocabulary.SPECIALS.size()) {
            throw new IllegalArgumentException("vocabulary size " + vocabSize + " leaves no room beyond the special tokens");
        }
        if (alphabetLimit < 1) {
            throw new IllegalArgumentException("the alphabet must keep at least 1 character, found " + alphabetLimit);
        }
        this.vocabSize = vocabSize;
        this.alphabetLimit = alphabetLimit;
        this.criterion = criterion;
    }

    /** Counts the basic-tokenized words of {@code texts} (in parallel); {@code progress} receives chars read. */
    public static Map<String, Long> countWords(Iterable<String> texts, LongConsumer progress) {
        ConcurrentHashMap<String, Long> counts = new ConcurrentHashMap<>();
        StreamSupport.stream(texts.spliterator(), true).forEach(text -> {
            Map<String, Long> local = new HashMap<>();
            for (String w : BasicTokenizer.tokenize(text)) {
                local.merge(w, 1L, Long::sum);
            }
            local.forEach((w, c) -> counts.merge(w, c, Long::sum));
            progress.accept(text.length());
        });
        return new TreeMap<>(counts);   // sorted: the order of the input no longer matters
    }

    /** Learns the vocabulary from word counts. */
    public Result train(Map<String, Long> wordCounts) {
        // 1. The alphabet: the most frequent characters, each as a word-initial and a continuation symbol.
        Map<Integer, Long> charCounts = new HashMap<>();
        long totalWords = 0;
        for (var e : wordCounts.entrySet()) {
            totalWords += e.getValue();
            e.getKey().codePoints().forEach(cp -> charCounts.merge(cp, e.getValue(), Long::sum));
        }
        List<Integer> chars = new ArrayList<>(charCounts.keySet());
        chars.sort((a, b) -> charCounts.get(a).equals(charCounts.get(b)) ? Integer.compare(a, b)
                : Long.compare(charCounts.get(b), charCounts.get(a)));
        Set<Integer> alphabet = new HashSet<>(chars.subList(0, Math.min(alphabetLimit, chars.size())));

        Symbols symbols = new Symbols();
        for (String s : Vocabulary.SPECIALS) {
            symbols.id(s);
        }
        // 2. Every kept word type as a sequence of symbols.
        List<int[]> seqList = new ArrayList<>();
        List<Long> freqList = new ArrayList<>();
        for (var e : wordCounts.entrySet()) {
            String w = e.getKey();
            if (!w.codePoints().allMatch(alphabet::contains)) {
                continue;
            }
            int[] cps = w.codePoints().toArray();
            int[] seq = new int[cps.length];
            for (int i = 0; i < cps.length; i++) {
                String c = new String(Character.toChars(cps[i]));
                seq[i] = symbols.id(i == 0 ? c : Vocabulary.CONTINUATION + c);
            }
            seqList.add(seq);
            freqList.add(e.getValue());
        }
        int alphabetSymbols = symbols.size() - Vocabulary.SPECIALS.size();
        if (symbols.size() > vocabSize) {
            throw new IllegalArgumentException("the alphabet alone gives " + alphabetSymbols + " symbols, which with the "
                    + Vocabulary.SPECIALS.size() + " special tokens is more than the vocabulary size " + vocabSize
                    + "; keep fewer characters");
        }
        Pairs pairs = new Pairs(seqList.toArray(new int[0][]), freqList.stream().mapToLong(Long::longValue).toArray(), symbols,
                criterion == Criterion.RATIO);
        List<Merge> merges = new ArrayList<>();
        // 3. Merge the best pair until the vocabulary is full (or nothing is left to merge).
        while (symbols.size() < vocabSize) {
            Merge m = pairs.mergeBest();
            if (m == null) {
                break;
            }
            merges.add(m);
        }
        return new Result(new Vocabulary(symbols.strings), List.copyOf(merges), alphabetSymbols, totalWords,
                wordCounts.size(), seqList.size());
    }

    /** Symbol strings and their ids. */
    private static final class Symbols {
        final List<String> strings = new ArrayList<>();
        final Map<String, Integer> ids = new HashMap<>();

        int id(String s) {
            Integer id = ids.get(s);
            if (id == null) {
                id = strings.size();
                strings.add(s);
                ids.put(s, id);
            }
            return id;
        }

        int size() {
            return strings.size();
        }
    }

    /** Pair counts, symbol counts, the words each pair occurs in, and a lazily updated max-heap of scores. */
    private static final class Pairs {
        private record Entry(double score, long count, long key, String merged) {
        }

        private final int[][] seqs;
        private final long[] freq;
        private final Symbols symbols;
        private long[] symbolCount = new long[1024];
        private final Map<Long, Long> pairCount = new HashMap<>();
        private final Map<Long, int[]> pairWords = new HashMap<>();     // growable lists: [size, w0, w1, …]
        private final Map<Integer, Set<Long>> pairsOf = new HashMap<>();
        private final PriorityQueue<Entry> heap = new PriorityQueue<>((a, b) -> {
            int c = Double.compare(b.score, a.score);
            if (c != 0) {
                return c;
            }
            c = Long.compare(b.count, a.count);
            return c != 0 ? c : a.merged.compareTo(b.merged);
        });
        private final int[] lastVisit;
        private int mergeNo;
        /** N: symbols in the corpus before any merge (held fixed so that a merge changes few scores). */
        private double total;

        private final boolean ratio;

        Pairs(int[][] seqs, long[] freq, Symbols symbols, boolean ratio) {
            this.ratio = ratio;
            this.seqs = seqs;
            this.freq = freq;
            this.symbols = symbols;
            this.lastVisit = new int[seqs.length];
            Arrays.fill(lastVisit, -1);
            for (int w = 0; w < seqs.length; w++) {
                add(w, null);
            }
            for (long c : symbolCount) {
                total += c;
            }
            for (long key : pairCount.keySet()) {
                push(key);
            }
        }

        private static long key(int a, int b) {
            return ((long) a << 32) | (b & 0xffffffffL);
        }

        private long count(int symbol) {
            return symbol < symbolCount.length ? symbolCount[symbol] : 0;
        }

        private void addSymbol(int symbol, long delta) {
            if (symbol >= symbolCount.length) {
                symbolCount = Arrays.copyOf(symbolCount, Math.max(symbol + 1, symbolCount.length * 2));
            }
            symbolCount[symbol] += delta;
        }

        /** Adds word w's symbols and pairs to the counts; records changed pairs in {@code changed}. */
        private void add(int w, Set<Long> changed) {
            int[] s = seqs[w];
            long f = freq[w];
            for (int i = 0; i < s.length; i++) {
                addSymbol(s[i], f);
                if (i + 1 < s.length) {
                    long k = key(s[i], s[i + 1]);
                    pairCount.merge(k, f, Long::sum);
                    int[] list = pairWords.computeIfAbsent(k, x -> new int[] {0, 0, 0, 0});
                    if (list[0] == 0 || list[list[0]] != w) {
                        if (list[0] + 1 >= list.length) {
                            list = Arrays.copyOf(list, list.length * 2);
                            pairWords.put(k, list);
                        }
                        list[++list[0]] = w;
                    }
                    pairsOf.computeIfAbsent(s[i], x -> new HashSet<>()).add(k);
                    pairsOf.computeIfAbsent(s[i + 1], x -> new HashSet<>()).add(k);
                    if (changed != null) {
                        changed.add(k);
                    }
                }
            }
        }

        private void remove(int w, Set<Long> changed) {
            int[] s = seqs[w];
            long f = freq[w];
            for (int i = 0; i < s.length; i++) {
                addSymbol(s[i], -f);
                if (i + 1 < s.length) {
                    long k = key(s[i], s[i + 1]);
                    pairCount.merge(k, -f, Long::sum);
                    changed.add(k);
                }
            }
        }

        // tag::score[]
        /**
         * The first-order gain in corpus log-likelihood of a unigram model over pieces when every adjacent
         * a b becomes ab: count(ab) · (log(N · count(ab) / (count(a) · count(b))) − 1), N the number of symbols.
         */
        private double score(long key) {
            int a = (int) (key >>> 32), b = (int) key;
            double ab = pairCount.getOrDefault(key, 0L);
            double r = ab / ((double) count(a) * (double) count(b));
            return ratio ? r : ab * (Math.log(total * r) - 1);
        }
        // end::score[]

        private String merged(long key) {
            int a = (int) (key >>> 32), b = (int) key;
            String right = symbols.strings.get(b);
            return symbols.strings.get(a) + right.substring(Vocabulary.CONTINUATION.length());
        }

        private void push(long key) {
            long c = pairCount.getOrDefault(key, 0L);
            if (c > 0) {
                heap.add(new Entry(score(key), c, key, merged(key)));
            }
        }

        // tag::merge[]
        /** Merges the pair with the highest score; null when no pair is left. */
        Merge mergeBest() {
            while (!heap.isEmpty()) {
                Entry top = heap.poll();
                long c = pairCount.getOrDefault(top.key, 0L);
                if (c != top.count || c == 0 || score(top.key) != top.score) {
                    continue;                       // stale: a fresher entry for this pair is in the heap
                }
                int a = (int) (top.key >>> 32), b = (int) top.key;
                int z = symbols.id(top.merged);     // ab: "un" + "##aff" -> "unaff"
                Set<Long> changed = new HashSet<>();
                mergeNo++;
                int[] words = pairWords.get(top.key);
                for (int i = 1; i <= words[0]; i++) {
                    int w = words[i];
                    if (lastVisit[w] == mergeNo || !contains(seqs[w], a, b)) {
                        continue;
                    }
                    lastVisit[w] = mergeNo;
                    remove(w, changed);
                    seqs[w] = replace(seqs[w], a, b, z);
                    add(w, changed);
                }
                // The counts of a, b and ab changed, so every pair that involves them has a new score.
                for (int s : new int[] {a, b, z}) {
                    changed.addAll(pairsOf.getOrDefault(s, Set.of()));
                }
                for (long k : changed) {
                    push(k);
                }
                return new Merge(symbols.strings.get(a), symbols.strings.get(b), top.merged, top.score, top.count);
            }
            return null;
        }
        // end::merge[]

        private static boolean contains(int[] s, int a, int b) {
            for (int i = 0; i + 1 < s.length; i++) {
                if (s[i] == a && s[i + 1] == b) {
                    return true;
                }
            }
            return false;
        }

        private static int[] replace(int[] s, int a, int b, int z) {
            int[] out = new int[s.length];
            int n = 0;
            for (int i = 0; i < s.length; i++) {
                if (i + 1 < s.length && s[i] == a && s[i + 1] == b) {
                    out[n++] = z;
                    i++;
                } else {
                    out[n++] = s[i];
                }
            }
            return Arrays.copyOf(out, n);
        }
    }
}
