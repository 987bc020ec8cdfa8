package minibert.book;

import minibert.config.ConfigSource;
import minibert.config.ModelConfig;
import minibert.data.ConlluReader;
import minibert.data.Corpora;
import minibert.data.DataStore;
import minibert.data.Sst2Reader;
import minibert.data.WikiTextReader;
import minibert.text.BasicTokenizer;
import minibert.bench.EncodingBenchmark;
import minibert.text.Vocabulary;
import minibert.text.WordPiece;
import minibert.text.WordPieceTrainer;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Trains the book's WordPiece vocabulary on the full IMDB corpus and publishes what the "Tokenization"
 * chapter shows: training figures, the first merges, example tokenizations, coverage on three held-out
 * data sets, the piece-length distribution and the encoding speed. The vocabulary is written to
 * {@code target/vocab/} for later chapters.
 */
public final class TokenizationResults implements ResultProducer {

    /** Hugging Face's default limit on the alphabet. */
    static final int ALPHABET = 1000;

    @Override
    public String name() {
        return "tokenization";
    }

    @Override
    public void produce(Results results) throws Exception {
        Path project = ProjectFiles.projectDir();
        ConfigSource source = ConfigSource.load(project.resolve("configs/model/mini-bert.yaml"));
        ModelConfig config = ModelConfig.from(source);
        DataStore store = DataStore.fromEnvironment();

        // Training, timed, with the peak heap it needed.
        Publication training = results.publish("tokenization/training").config(source.text())
                .data("imdb/unsup.tsv.gz", store.sha256("imdb", "unsup.tsv.gz"))
                .data("imdb/train.tsv.gz", store.sha256("imdb", "train.tsv.gz"));
        System.gc();
        resetPeaks();
        long t0 = System.nanoTime();
        List<String> texts = Corpora.imdb(store);
        long t1 = System.nanoTime();
        Map<String, Long> counts = WordPieceTrainer.countWords(texts, n -> { });
        long t2 = System.nanoTime();
        WordPieceTrainer.Result trained = new WordPieceTrainer(config.vocabSize(), ALPHABET).train(counts);
        long t3 = System.nanoTime();
        long peakHeap = peakHeap();
        Vocabulary vocab = trained.vocabulary();
        vocab.save(project.resolve("target/vocab"), config.maxPositions());
        WordPiece wp = new WordPiece(vocab);
        long chars = Corpora.characters(texts);
        double seconds = (t3 - t0) / 1e9;

        // the alphabet: a character enters as a word-initial symbol if it starts some word, and as a ## symbol if it
        // occurs inside some word; the counts tell the reader why the alphabet's size need not be even
        Set<Integer> alphabetChars = MergeArithmetic.alphabetCharacters(vocab, trained.alphabetSize());
        int initialSymbols = 0;
        for (int id = Vocabulary.SPECIALS.size(); id < Vocabulary.SPECIALS.size() + trained.alphabetSize(); id++) {
            initialSymbols += vocab.token(id).startsWith(Vocabulary.CONTINUATION) ? 0 : 1;
        }
        int continuationSymbols = trained.alphabetSize() - initialSymbols;
        training.attribute("alphabet-initial", Integer.toString(initialSymbols))
                .attribute("alphabet-continuation", Integer.toString(continuationSymbols))
                .attribute("alphabet-characters", Integer.toString(alphabetChars.size()))
                .attribute("alphabet-both", Integer.toString(initialSymbols + continuationSymbols - alphabetChars.size()))
                .attribute("alphabet-initial-only", Integer.toString(alphabetChars.size() - continuationSymbols))
                .attribute("alphabet-inside-only", Integer.toString(alphabetChars.size() - initialSymbols));
        training.attribute("seconds", fmt("%.1f", seconds))
                .attribute("mb", fmt("%.1f", chars / 1e6))
                .attribute("reviews", fmt("%,d", texts.size()))
                .attribute("words", fmt("%,d", trained.words()))
                .attribute("types", fmt("%,d", trained.wordTypes()))
                .attribute("types-kept", fmt("%,d", trained.wordTypesKept()))
                .attribute("alphabet", Integer.toString(trained.alphabetSize()))
                .attribute("alphabet-limit", fmt("%,d", ALPHABET))
                .attribute("merges", fmt("%,d", trained.merges().size()))
                .attribute("vocab", fmt("%,d", vocab.size()))
                .attribute("heap-mb", fmt("%,d", peakHeap >> 20))
                .table("Training the vocabulary on IMDB (this build, full corpus)", List.of("Step", "Figure"), List.of(
                        List.of("reviews read (unsup + train)", fmt("%,d", texts.size())),
                        List.of("text", fmt("%.1f million characters", chars / 1e6)),
                        List.of("reading and decompressing", fmt("%.1f s", (t1 - t0) / 1e9)),
                        List.of("basic tokenization and word counting (2 threads)", fmt("%.1f s", (t2 - t1) / 1e9)),
                        List.of("words / distinct words", fmt("%,d / %,d", trained.words(), trained.wordTypes())),
                        List.of("distinct words within the alphabet", fmt("%,d", trained.wordTypesKept())),
                        List.of("alphabet symbols (plain and ##)", trained.alphabetSize()),
                        List.of("merges learned", fmt("%,d", trained.merges().size())),
                        List.of("merging", fmt("%.1f s", (t3 - t2) / 1e9)),
                        List.of("total", fmt("%.1f s", seconds)),
                        List.of("peak heap in use", fmt("%,d MiB", peakHeap >> 20))));

        List<List<Object>> merges = new ArrayList<>();
        for (int i = 0; i < 30 && i < trained.merges().size(); i++) {
            WordPieceTrainer.Merge m = trained.merges().get(i);
            merges.add(List.of(i + 1, Glyphs.visible(m.left()), Glyphs.visible(m.right()), Glyphs.visible(m.merged()),
                    fmt("%,d", m.count()), fmt("%,.0f", m.score())));
        }
        List<MergeArithmetic.Rise> rises = MergeArithmetic.rises(trained.merges(), 30);      // throws if one is unexplained
        results.publish("tokenization/first-merges").config(source.text())
                .attribute("rises", Integer.toString(rises.size()))
                .attribute("rises-sentence", risesSentence(rises))
                .table("The first 30 merges (likelihood gain)", List.of("#", "a", "b", "ab", "count(ab)", "gain"), merges);

        // The same corpus under the ratio alone: what goes wrong without the weight count(ab).
        int ratioMerges = 12;
        WordPieceTrainer.Result ratio = new WordPieceTrainer(Vocabulary.SPECIALS.size() + trained.alphabetSize() + ratioMerges,
                ALPHABET, WordPieceTrainer.Criterion.RATIO).train(counts);
        List<List<Object>> ratioRows = new ArrayList<>();
        for (int i = 0; i < ratio.merges().size(); i++) {
            WordPieceTrainer.Merge m = ratio.merges().get(i);
            ratioRows.add(List.of(i + 1, Glyphs.visible(m.left()), Glyphs.visible(m.right()), Glyphs.visible(m.merged()),
                    fmt("%,d", m.count()), fmt("%.3g", m.score())));
        }
        long ratioMax = ratio.merges().stream().mapToLong(WordPieceTrainer.Merge::count).max().orElse(0);
        results.publish("tokenization/ratio-merges").config(source.text())
                .attribute("merges", Integer.toString(ratio.merges().size()))
                .attribute("max-count", fmt("%,d", ratioMax))
                .table("The first merges under the ratio count(ab) / (count(a)·count(b)) alone",
                        List.of("#", "a", "b", "ab", "count(ab)", "ratio"), ratioRows);

        mergeExercises(results, source.text(), counts, alphabetChars, trained.merges().get(0));

        results.publish("tokenization/unaffable").value("BERT's example word, with this vocabulary",
                String.join(" ", wp.pieces("unaffable")));

        // Examples and coverage on held-out text.
        List<Sst2Reader.Sst2Example> sst2 = Sst2Reader.read(store.file("sst2", "dev.tsv"));
        List<ConlluReader.ConlluSentence> ewt = ConlluReader.read(store.file("ud_english_ewt", "en_ewt-ud-dev.conllu.gz"));
        List<String> wiki = WikiTextReader.read(store.file("wikitext2_raw", "wiki.valid.raw.gz"));
        StringBuilder ex = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            example(ex, "SST-2 dev", sst2.get(i * 97).sentence(), wp);
        }
        for (int i = 0; i < 3; i++) {
            example(ex, "EWT dev", ewt.get(i * 211 + 5).text(), wp);
        }
        results.publish("tokenization/examples")
                .data("sst2/dev.tsv", store.sha256("sst2", "dev.tsv"))
                .data("ud_english_ewt/en_ewt-ud-dev.conllu.gz", store.sha256("ud_english_ewt", "en_ewt-ud-dev.conllu.gz"))
                .listing("Real sentences and their pieces", ex.toString());

        List<List<Object>> coverage = new ArrayList<>();
        Publication cov = results.publish("tokenization/coverage")
                .data("sst2/dev.tsv", store.sha256("sst2", "dev.tsv"))
                .data("ud_english_ewt/en_ewt-ud-dev.conllu.gz", store.sha256("ud_english_ewt", "en_ewt-ud-dev.conllu.gz"))
                .data("wikitext2_raw/wiki.valid.raw.gz", store.sha256("wikitext2_raw", "wiki.valid.raw.gz"));
        coverage.add(coverageRow("SST-2 dev", sst2.stream().map(Sst2Reader.Sst2Example::sentence).toList(), wp, cov, "sst2"));
        coverage.add(coverageRow("UD EWT dev", ewt.stream().map(s -> String.join(" ", s.words())).toList(), wp, cov, "ewt"));
        coverage.add(coverageRow("WikiText-2 valid", wiki, wp, cov, "wiki"));
        cov.table("Pieces per word and [UNK] rate on held-out text",
                List.of("Text", "Words", "Pieces", "Pieces per word", "Words split", "[UNK] rate"), coverage);

        alphabetExercise(results, counts, wiki, store);
        longestSst2Exercise(results, sst2, wp, config, store);
        greedyExercise(results);
        unigramExercise(results, texts.subList(texts.size() - 10_000, texts.size()), wp, config);

        int longest = 0;
        for (String t : vocab.tokens()) {
            longest = Math.max(longest, pieceLength(t));
        }
        double[] x = new double[longest], y = new double[longest];
        for (int i = 0; i < longest; i++) {
            x[i] = i + 1;
        }
        for (int id = Vocabulary.SPECIALS.size(); id < vocab.size(); id++) {
            y[pieceLength(vocab.token(id)) - 1]++;
        }
        results.publish("tokenization/piece-lengths").config(source.text())
                .plot("Length of the vocabulary's pieces, in characters (## not counted)",
                        Plot.of("characters", "pieces").bars("pieces of that length", x, y));

        // Encoding speed, one thread: a quick build measures on the IMDB train reviews only.
        Publication speed = results.publish("tokenization/encoding-speed");
        List<String> benchTexts = results.mode() == Mode.FULL ? texts : texts.subList(50_000, texts.size());
        double[] rates = EncodingBenchmark.run(wp, benchTexts, 1, results.mode() == Mode.FULL ? 5 : 3);
        double median = rates[rates.length / 2];
        speed.attribute("mb", fmt("%.1f", Corpora.characters(benchTexts) / 1e6))
                .number("Encoding speed, one thread, median of " + rates.length + " passes (million characters per second)",
                        median, "%.1f");
    }

    /** "The gain rises N times; …": each rise of the first-merges table with the merge before that explains it. */
    static String risesSentence(List<MergeArithmetic.Rise> rises) {
        if (rises.isEmpty()) {
            return "In this build the gains of the table never rise from one merge to the next";
        }
        MergeArithmetic.Rise made = rises.stream().filter(MergeArithmetic.Rise::made).findFirst().orElse(null);
        MergeArithmetic.Rise used = rises.stream().filter(r -> !r.made()).findFirst().orElse(null);
        long madeCount = rises.stream().filter(MergeArithmetic.Rise::made).count();
        StringBuilder b = new StringBuilder("In this build the gain rises " + rises.size() + " times in the table, and each time "
                + "the merge just before explains it: ");
        if (made != null) {
            b.append("in ").append(madeCount).append(" of them that merge made one of the two pieces, so the pair did not exist "
                    + "before (merge ").append(made.index() - 1).append(" made ").append(made.piece()).append(", then merge ")
                    .append(made.index()).append(" formed ").append(made.merge().merged()).append(")");
        }
        if (used != null) {
            b.append(made != null ? "; in the other " + (rises.size() - madeCount) + " it " : "it ")
                    .append("used up occurrences of one of the pair's pieces, which lowers c_a or c_b and so raises the gain "
                            + "of every other pair with that piece (merge ").append(used.index() - 1).append(" used ")
                    .append(used.piece()).append(", then merge ").append(used.index()).append(" formed ")
                    .append(used.merge().merged()).append(")");
        }
        return b.toString();
    }

    /**
     * The tokenization chapter's first two exercises: the exact gain of the first merge from its counts, and a pair
     * of identical symbols. The trainer's score of the first merge must equal the first-order formula evaluated on
     * the counts recomputed here, or the chapter would print counts the trainer did not use: the build stops.
     */
    private static void mergeExercises(Results results, String config, Map<String, Long> counts, Set<Integer> alphabet,
                                       WordPieceTrainer.Merge first) {
        Publication firstMerge = results.publish("exercises/tokenization-first-merge").config(config);  // its clock starts here
        MergeArithmetic.Initial initial = MergeArithmetic.initial(counts, alphabet);
        double ca = initial.count(first.left()), cb = initial.count(first.right()), n = initial.total();
        long[] k = MergeArithmetic.pairCount(counts, alphabet, first.left(), first.right());
        double approx = MergeArithmetic.firstOrderGain(ca, cb, k[0], n), exact = MergeArithmetic.exactGain(ca, cb, k[1], n);
        if (k[0] != first.count() || Math.abs(approx - first.score()) > 1e-9 * Math.abs(first.score())) {
            throw new IllegalStateException("the first merge " + first + " does not match the recomputed counts: k = " + k[0]
                    + ", first-order gain " + approx);
        }
        firstMerge.attribute("a", first.left()).attribute("b", first.right())
                .attribute("ca", fmt("%,.0f", ca)).attribute("cb", fmt("%,.0f", cb))
                .attribute("k", fmt("%,d", k[0])).attribute("n", fmt("%,.0f", n))
                .attribute("sentence", fmt("Here k is %.0f%% of c_a and %.0f%% of c_b, %s, and the first-order value %s the exact "
                        + "gain by %.1f%%", 100 * k[0] / ca, 100 * k[0] / cb,
                        k[0] / ca > 0.1 && k[0] / cb > 0.1 ? "not small against either" : k[0] / ca > 0.1 ? "not small against c_a"
                                : k[0] / cb > 0.1 ? "not small against c_b" : "small against both",
                        approx > exact ? "overestimates" : "underestimates", 100 * Math.abs(approx - exact) / Math.abs(exact)))
                .table("The first merge, " + first.left() + " + " + first.right() + ", from the counts before any merge",
                        List.of("c_a", "c_b", "k = c_ab", "N", "first-order gain (the trainer's)", "exact gain", "exact ÷ first-order"),
                        List.of(List.of(fmt("%,.0f", ca), fmt("%,.0f", cb), fmt("%,d", k[0]), fmt("%,.0f", n), fmt("%,.0f", approx),
                                fmt("%,.0f", exact), fmt("%.4f", exact / approx))));

        // the identical pair seen most often before any merge
        Publication identical = results.publish("exercises/tokenization-identical").config(config);
        String best = null;
        long[] bestCounts = null;
        for (var e : MergeArithmetic.identicalPairs(counts, alphabet).entrySet()) {
            if (bestCounts == null || e.getValue()[0] > bestCounts[0] || (e.getValue()[0] == bestCounts[0] && e.getKey().compareTo(best) < 0)) {
                best = e.getKey();
                bestCounts = e.getValue();
            }
        }
        if (best == null) {
            throw new IllegalStateException("no pair of identical symbols in the corpus");
        }
        double c = initial.count(best);
        double score = MergeArithmetic.firstOrderGain(c, c, bestCounts[0], n);
        double made = MergeArithmetic.exactGainIdentical(c, bestCounts[1], n);
        double counted = MergeArithmetic.exactGainIdentical(c, bestCounts[0], n);   // k as the trainer counts it
        double overlap = Math.abs(counted - made) / made;
        identical.attribute("sentence", fmt("Counted as the trainer counts k, the exact gain would be %,.0f, %.2f%% from the "
                        + "gain of the merges made: %s. For that same k the score is %.0f%% %s the exact gain, the "
                        + "first-order approximation's doing: each merge takes two of a's occurrences, and 2k is %.0f%% of "
                        + "c_a", counted, 100 * overlap, overlap < 0.01 ? "the overlap hardly matters here" : "the overlap matters",
                        100 * Math.abs(counted - score) / counted, score < counted ? "below" : "above",
                        100.0 * 2 * bestCounts[0] / c))
                .table("The pair " + best + " " + best + " before any merge: the trainer's score against the exact gain",
                        List.of("c_a", "pairs counted (overlapping)", "merges made (left to right)", "N",
                                "trainer's score", "exact gain of the merges made", "exact gain, k counted overlapping"),
                        List.of(List.of(fmt("%,.0f", c), fmt("%,d", bestCounts[0]), fmt("%,d", bestCounts[1]), fmt("%,.0f", n),
                                fmt("%,.0f", score), fmt("%,.0f", made), fmt("%,.0f", counted))));
    }

    /** Exercise: an alphabet of the 100 most frequent characters, and the words of WikiText it cannot spell. */
    private static void alphabetExercise(Results results, Map<String, Long> counts, List<String> wiki, DataStore store) throws Exception {
        Publication p = results.publish("exercises/tokenization-alphabet");
        Map<Integer, Long> chars = new java.util.HashMap<>();
        counts.forEach((w, c) -> w.codePoints().forEach(cp -> chars.merge(cp, c, Long::sum)));
        List<Integer> order = new ArrayList<>(chars.keySet());
        order.sort((a, b) -> chars.get(a).equals(chars.get(b)) ? Integer.compare(a, b) : Long.compare(chars.get(b), chars.get(a)));
        List<List<Object>> rows = new ArrayList<>();
        for (int size : new int[] {100, ALPHABET}) {
            Set<Integer> kept = new java.util.HashSet<>(order.subList(0, Math.min(size, order.size())));
            long words = 0, outside = 0;
            for (String t : wiki) {
                for (String w : BasicTokenizer.tokenize(t)) {
                    words++;
                    outside += w.codePoints().allMatch(kept::contains) ? 0 : 1;
                }
            }
            rows.add(List.of(fmt("%,d", size), fmt("%,d", Math.min(size, order.size())), fmt("%,d", outside),
                    fmt("%.3f%%", 100.0 * outside / words)));
        }
        p.data("wikitext2_raw/wiki.valid.raw.gz", store.sha256("wikitext2_raw", "wiki.valid.raw.gz"))
                .attribute("characters", fmt("%,d", order.size()))
                .table("WikiText-2 valid words with a character outside the alphabet (each becomes [UNK])",
                        List.of("Alphabet limit", "Characters kept", "Words outside", "Share of words"), rows);
    }

    /** Exercise of the data chapter: the longest SST-2 dev sentence in pieces, and the sentences longer than T. */
    private static void longestSst2Exercise(Results results, List<Sst2Reader.Sst2Example> sst2, WordPiece wp, ModelConfig config,
                                            DataStore store) throws Exception {
        Publication p = results.publish("exercises/data-longest");
        int t = config.maxPositions(), longestPieces = 0, longestWords = 0, over = 0;
        for (Sst2Reader.Sst2Example e : sst2) {
            int pieces = wp.encode(e.sentence()).length + 2;                  // [CLS] … [SEP]
            int words = e.sentence().split(" +").length;
            if (pieces > longestPieces) {
                longestPieces = pieces;
                longestWords = words;
            }
            over += pieces > t ? 1 : 0;
        }
        p.data("sst2/dev.tsv", store.sha256("sst2", "dev.tsv"))
                .table("SST-2 dev in this build's pieces, with [CLS] and [SEP]",
                        List.of("Sentences", "Longest, in positions", "Its whitespace tokens", "Positions available (T)",
                                "Sentences longer than T"),
                        List.of(List.of(fmt("%,d", sst2.size()), longestPieces, longestWords, t, over)));
    }

    /** Exercise: greedy longest-match-first against the fewest pieces, on a three-piece vocabulary built to fool it. */
    private static void greedyExercise(Results results) {
        List<String> tokens = new ArrayList<>(Vocabulary.SPECIALS);
        tokens.addAll(List.of("a", "ab", "##bc"));
        Vocabulary tiny = new Vocabulary(tokens);
        String word = "abc";
        List<String> greedy = new WordPiece(tiny).pieces(word), fewest = MergeArithmetic.fewestPieces(word, tiny);
        results.publish("exercises/tokenization-greedy").listing("WordPiece on the vocabulary {a, ab, ##bc}, run by this build",
                "word:               " + word + "\n"
                        + "greedy (WordPiece): " + String.join(" ", greedy) + "\n"
                        + "fewest pieces:      " + (fewest == null ? "none" : String.join(" ", fewest)) + "\n");
    }

    /** Exercise of the encoder chapter: the entropy of the pieces' unigram distribution, against ln V. */
    private static void unigramExercise(Results results, List<String> sample, WordPiece wp, ModelConfig config) {
        Publication unigram = results.publish("exercises/encoder-unigram");
        long[] freq = new long[wp.vocabulary().size()];
        long total = 0;
        for (String text : sample) {
            for (int id : wp.encode(text)) {
                freq[id]++;
                total++;
            }
        }
        double entropy = 0;
        for (long f : freq) {
            if (f > 0) {
                double p = (double) f / total;
                entropy -= p * Math.log(p);
            }
        }
        unigram.table("The pieces of " + fmt("%,d", sample.size()) + " IMDB reviews: their unigram entropy against ln V",
                        List.of("Pieces", "Entropy of their unigram distribution (nats)", "ln V", "Difference"),
                        List.of(List.of(fmt("%,d", total), fmt("%.3f", entropy), fmt("%.3f", Math.log(config.vocabSize())),
                                fmt("%.3f", Math.log(config.vocabSize()) - entropy))));
    }

    private static int pieceLength(String token) {
        String t = token.startsWith(Vocabulary.CONTINUATION) ? token.substring(2) : token;
        return t.codePointCount(0, t.length());
    }

    private static void example(StringBuilder b, String source, String text, WordPiece wp) {
        b.append(source).append(": ").append(Glyphs.visible(text)).append('\n');
        b.append("  → ").append(Glyphs.visible(String.join(" ", wp.pieces(text)))).append("\n\n");
    }

    private static List<Object> coverageRow(String label, List<String> texts, WordPiece wp, Publication p, String key) {
        long words = 0, pieces = 0, split = 0, unk = 0;
        for (String t : texts) {
            for (String w : BasicTokenizer.tokenize(t)) {
                int[] ids = wp.encodeWord(w);
                words++;
                pieces += ids.length;
                split += ids.length > 1 ? 1 : 0;
                unk += ids.length == 1 && ids[0] == wp.vocabulary().unkId() ? 1 : 0;
            }
        }
        double ppw = pieces / (double) words;
        double unkRate = unk / (double) words;
        p.attribute(key + "-pieces-per-word", fmt("%.3f", ppw)).attribute(key + "-unk-percent", fmt("%.3f", 100 * unkRate));
        return List.of(label, fmt("%,d", words), fmt("%,d", pieces), fmt("%.3f", ppw),
                fmt("%.1f%%", 100.0 * split / words), fmt("%.3f%%", 100 * unkRate));
    }

    private static void resetPeaks() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
            }
        }
    }

    private static long peakHeap() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                sum += pool.getPeakUsage().getUsed();
            }
        }
        return sum;
    }

    private static String fmt(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
