package minibert.book;

import minibert.config.ConfigSource;
import minibert.config.ModelConfig;
import minibert.data.ConlluReader;
import minibert.data.Corpora;
import minibert.data.DataStore;
import minibert.data.Sst2Reader;
import minibert.data.WikiTextReader;
import minibert.text.BasicTokenizer;
import minibert.text.EncodingBenchmark;
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
            merges.add(List.of(i + 1, m.left(), m.right(), m.merged(), fmt("%,d", m.count()), fmt("%,.0f", m.score())));
        }
        results.publish("tokenization/first-merges").config(source.text())
                .table("The first 30 merges (likelihood gain)", List.of("#", "a", "b", "ab", "count(ab)", "gain"), merges);

        // The same corpus under the ratio alone: what goes wrong without the weight count(ab).
        int ratioMerges = 12;
        WordPieceTrainer.Result ratio = new WordPieceTrainer(Vocabulary.SPECIALS.size() + trained.alphabetSize() + ratioMerges,
                ALPHABET, WordPieceTrainer.Criterion.RATIO).train(counts);
        List<List<Object>> ratioRows = new ArrayList<>();
        for (int i = 0; i < ratio.merges().size(); i++) {
            WordPieceTrainer.Merge m = ratio.merges().get(i);
            ratioRows.add(List.of(i + 1, m.left(), m.right(), m.merged(), fmt("%,d", m.count()), fmt("%.3g", m.score())));
        }
        results.publish("tokenization/ratio-merges").config(source.text())
                .table("The first merges under the ratio count(ab) / (count(a)·count(b)) alone",
                        List.of("#", "a", "b", "ab", "count(ab)", "ratio"), ratioRows);

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

    private static int pieceLength(String token) {
        String t = token.startsWith(Vocabulary.CONTINUATION) ? token.substring(2) : token;
        return t.codePointCount(0, t.length());
    }

    private static void example(StringBuilder b, String source, String text, WordPiece wp) {
        b.append(source).append(": ").append(text).append('\n');
        b.append("  → ").append(String.join(" ", wp.pieces(text))).append("\n\n");
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
