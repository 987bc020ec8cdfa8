package minibert.book;

import minibert.config.TrainConfig;
import minibert.data.Corpora;
import minibert.data.DataStore;
import minibert.model.Batch;
import minibert.nn.MlmHead;
import minibert.text.Vocabulary;
import minibert.text.WordPiece;
import minibert.train.BatchStream;
import minibert.train.Masking;
import minibert.train.Packing;
import minibert.train.PretrainingCache;
import minibert.train.PretrainingCache.Spec;
import minibert.train.PretrainingCache.Split;
import minibert.train.PretrainingCorpus;
import minibert.train.Seeds;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Builds the pre-training caches (train and held-out) from IMDB with the vocabulary of the
 * {@code tokenization} producer, and publishes what "The masked-language-model objective" shows: the
 * corpus in sequences, their lengths, one real packed and masked sequence, and the masking rates measured
 * over the cached sequences against their expected values. A quick build reads the documents of the short
 * training run that every build performs ({@code configs/train/short.yaml}, a document limit); a full
 * build reads those of the real run ({@code configs/train/pretrain.yaml}, all of them).
 */
public final class PretrainingDataResults implements ResultProducer {

    /** Standard deviations of the binomial bounds the masking rates are checked against. */
    static final double BOUND_SD = 4;

    @Override
    public String name() {
        return "pretraining-data";
    }

    @Override
    public void produce(Results results) throws Exception {
        Path project = ProjectFiles.projectDir();
        boolean full = results.mode() == Mode.FULL;
        Path runConfigFile = project.resolve("configs/train/pretrain.yaml");
        Path configFile = full ? runConfigFile : project.resolve("configs/train/short.yaml");
        TrainConfig config = TrainConfig.load(configFile);
        Path vocabFile = project.resolve("target/vocab/vocab.txt");
        if (!Files.isRegularFile(vocabFile)) {
            throw new IllegalStateException("no vocabulary at " + vocabFile + ": the tokenization producer writes it; run it first");
        }
        Vocabulary vocab = Vocabulary.load(vocabFile);
        DataStore store = DataStore.fromEnvironment();
        PretrainingCorpus corpus = PretrainingCorpus.imdb(store);
        int t = config.sequenceLength();
        Spec spec = Spec.of(t, config.seed(), config.documentLimit(), Split.TRAIN);

        // Build both splits from scratch (so the build time is this build's), then open the train cache again.
        Path dir = project.resolve("target/pretrain");
        Path trainFile = dir.resolve(results.mode().label() + "-train.bin");
        Path heldFile = dir.resolve(results.mode().label() + "-held-out.bin");
        Files.deleteIfExists(trainFile);
        Files.deleteIfExists(heldFile);
        List<String> log = new ArrayList<>();
        minibert.train.Progress progress = m -> {
            if (!m.contains("documents read, ")) {               // keep the outcome, not the running count
                log.add(m.replace(project + "/", ""));
            }
        };
        long t0 = System.nanoTime();
        PretrainingCache.openOrBuild(trainFile, spec, vocab, corpus, progress).close();
        double buildSeconds = (System.nanoTime() - t0) / 1e9;
        long t1 = System.nanoTime();
        PretrainingCache train = PretrainingCache.openOrBuild(trainFile, spec, vocab, corpus, progress);
        double openSeconds = (System.nanoTime() - t1) / 1e9;
        log.add("opened " + project.relativize(trainFile) + String.format(Locale.ROOT, " again in %.2f s: no message, no rebuild", openSeconds));
        PretrainingCache held = PretrainingCache.openOrBuild(heldFile, spec.withSplit(Split.HELD_OUT), vocab, corpus, progress);
        try (train; held) {
            publishCorpus(results, configFile, store, train, held, buildSeconds, openSeconds, Files.size(trainFile), log);
            publishLengths(results, configFile, train);
            publishExample(results, configFile, config, vocab, train);
            publishMasking(results, configFile, config, vocab, train);
            long corpusDocuments = 0;                                // 75,000 reviews, as the manifest counts them
            for (String f : Corpora.IMDB_FILES) {
                corpusDocuments += store.counts("imdb", f).get("rows");
            }
            publishExercises(results, configFile, config, TrainConfig.load(runConfigFile), runConfigFile, vocab, corpus,
                    spec, train, held, corpusDocuments);
        }
    }

    private static void publishCorpus(Results results, Path configFile, DataStore store, PretrainingCache train,
                                      PretrainingCache held, double buildSeconds, double openSeconds, long bytes,
                                      List<String> log) {
        PretrainingCache.Stats s = train.stats(), h = held.stats();
        Spec spec = train.spec();
        long t = train.length();
        long pieces = s.tokens() - 2 * s.sequences() - s.pairs();          // without [CLS] and the [SEP]s
        double heldShare = (double) h.documents() / s.documentsRead();
        Publication p = data(results.publish("pretraining/corpus").config(configFile).seed(spec.seed()), store)
                .attribute("t", Long.toString(t))
                .attribute("documents-read", fmt("%,d", s.documentsRead()))
                .attribute("limit", spec.documentLimit() == 0 ? "all" : fmt("the first %,d", spec.documentLimit()))
                .attribute("train-documents", fmt("%,d", s.documents()))
                .attribute("held-documents", fmt("%,d", h.documents()))
                .attribute("held-percent", fmt("%.2f", 100 * heldShare))
                .attribute("sequences", fmt("%,d", s.sequences()))
                .attribute("held-sequences", fmt("%,d", h.sequences()))
                .attribute("tokens", fmt("%,d", s.tokens()))
                .attribute("pieces", fmt("%,d", pieces))
                .attribute("sequences-per-document", fmt("%.2f", (double) s.sequences() / s.documents()))
                .attribute("pair-percent", fmt("%.1f", 100.0 * s.pairs() / s.sequences()))
                .attribute("fill-percent", fmt("%.1f", 100.0 * s.tokens() / (s.sequences() * t)))
                .attribute("dropped-percent", fmt("%.1f", 100.0 * s.dropped() / (pieces + s.dropped())))
                .attribute("build-seconds", fmt("%.1f", buildSeconds))
                .attribute("open-seconds", fmt("%.2f", openSeconds))
                .attribute("megabytes", fmt("%.1f", bytes / 1e6))
                .attribute("bytes-per-token", fmt("%.2f", (double) bytes / s.tokens()));
        p.table("The pre-training corpus in sequences of T = " + t + " (" + results.mode().label() + " build: "
                        + (spec.documentLimit() == 0 ? "all documents" : fmt("the first %,d documents", spec.documentLimit())) + ")",
                List.of("", "train", "held out"), List.of(
                        List.of("documents", fmt("%,d", s.documents()), fmt("%,d (%.2f%% of %,d read)", h.documents(), 100 * heldShare, s.documentsRead())),
                        List.of("sequences", fmt("%,d", s.sequences()), fmt("%,d", h.sequences())),
                        List.of("sequences with a B segment", fmt("%.1f%%", 100.0 * s.pairs() / s.sequences()),
                                fmt("%.1f%%", 100.0 * h.pairs() / Math.max(1, h.sequences()))),
                        List.of("positions holding a token (of S·T)", fmt("%,d (%.1f%%)", s.tokens(), 100.0 * s.tokens() / (s.sequences() * t)),
                                fmt("%,d (%.1f%%)", h.tokens(), 100.0 * h.tokens() / Math.max(1, h.sequences() * t))),
                        List.of("pieces dropped by truncation", fmt("%,d (%.1f%% of the text)", s.dropped(), 100.0 * s.dropped() / (pieces + s.dropped())),
                                fmt("%,d", h.dropped())),
                        List.of("cache file", fmt("%.1f MB, %.2f bytes per token", bytes / 1e6, (double) bytes / s.tokens()), "–"),
                        List.of("built in / opened again in", fmt("%.1f s / %.2f s", buildSeconds, openSeconds), "–")));
        data(results.publish("pretraining/log").config(configFile).seed(spec.seed()), store)
                .listing("What the cache said during this build", String.join("\n", log));
    }

    private static void publishLengths(Results results, Path configFile, PretrainingCache train) {
        int t = train.length();
        double[] x = new double[t - 2], count = new double[t - 2];
        long full = 0;
        for (int i = 0; i < x.length; i++) {
            x[i] = i + 3;
        }
        for (int i = 0; i < train.size(); i++) {
            int real = train.realLength(i);
            count[real - 3]++;
            full += real == t ? 1 : 0;
        }
        results.publish("pretraining/lengths").config(configFile).seed(train.spec().seed())
                .attribute("full-percent", fmt("%.1f", 100.0 * full / train.size()))
                .plot("Real length of the train split's sequences ([CLS] and [SEP]s included; T = " + t + "; logarithmic scale)",
                        Plot.of("positions holding a token", "sequences").logY().bars("sequences of that length", x, count));
    }

    /** The first sequence of the cache that fills all T positions and has a B, as pieces, then masked. */
    private static void publishExample(Results results, Path configFile, TrainConfig config, Vocabulary vocab,
                                       PretrainingCache train) {
        int t = train.length();
        int index = 0;
        while (!(train.realLength(index) == t && train.firstSeparator(index) < t - 2)) {
            if (++index == train.size()) {
                throw new IllegalStateException("no sequence of " + train.file() + " fills all " + t + " positions with two segments");
            }
        }
        Batch batch = new Batch(new int[t], new int[t], new int[t], new int[t], 1, t);
        train.read(index, batch.inputIds(), batch.tokenTypes(), batch.attentionMask(), 0);
        int[] original = batch.inputIds().clone();
        List<String> a = new ArrayList<>(), b = new ArrayList<>();
        for (int i = 0; i < t && batch.attentionMask()[i] == 1; i++) {
            (batch.tokenTypes()[i] == 0 ? a : b).add(vocab.token(original[i]));
        }
        long seed = Seeds.of(config.seed(), Seeds.MASKING, 0);
        int m = new Masking(vocab, config.maskProbability()).apply(seed, batch);
        StringBuilder masked = new StringBuilder(), targets = new StringBuilder();
        for (int i = 0; i < t && batch.attentionMask()[i] == 1; i++) {
            int now = batch.inputIds()[i];
            masked.append(i == 0 ? "" : " ").append(vocab.token(now));
            if (batch.labels()[i] != MlmHead.IGNORE) {
                String how = now == vocab.maskId() ? "[MASK]" : now == original[i] ? "unchanged" : "random: " + vocab.token(now);
                targets.append(fmt("  position %2d  %-14s  %s%n", i, vocab.token(batch.labels()[i]), how));
            }
        }
        String text = "sequence " + index + " of the cache: " + train.realLength(index) + " positions, [SEP] at "
                + train.firstSeparator(index) + " and " + (train.realLength(index) - 1) + "\n\n"
                + "A, token type 0:  " + String.join(" ", a) + "\n"
                + "B, token type 1:  " + String.join(" ", b) + "\n\n"
                + "masked (" + m + " of " + candidates(original, batch.attentionMask()) + " candidates):\n" + masked + "\n\n"
                + "what the model must predict:\n" + targets;
        results.publish("pretraining/example").config(configFile).seed(config.seed())
                .attribute("index", Integer.toString(index))
                .attribute("selected", Integer.toString(m))
                .listing("A packed sequence from the cache, and the same sequence masked", text);
    }

    private static int candidates(int[] ids, int[] mask) {
        int n = 0;
        for (int i = 0; i < ids.length; i++) {
            n += mask[i] == 1 && Masking.isCandidate(ids[i]) ? 1 : 0;
        }
        return n;
    }

    /**
     * Masks every cached train sequence once, in batches of the training config's size, and counts what
     * happened to the selected positions.
     */
    private static void publishMasking(Results results, Path configFile, TrainConfig config, Vocabulary vocab,
                                       PretrainingCache train) {
        int t = train.length(), rows = config.batchSize();
        double p = config.maskProbability();
        Batch batch = new Batch(new int[rows * t], new int[rows * t], new int[rows * t], new int[rows * t], rows, t);
        Masking masking = new Masking(vocab, p);
        long candidates = 0, expectedSelected = 0, selected = 0, masked = 0, random = 0, unchanged = 0, real = 0;
        long fullCandidates = 0;                                           // in sequences that fill all T positions
        int[] original = new int[rows * t];
        for (int first = 0; first + rows <= train.size(); first += rows) {   // whole batches, as training sees them
            for (int r = 0; r < rows; r++) {
                train.read(first + r, batch.inputIds(), batch.tokenTypes(), batch.attentionMask(), r);
                int n = 0;
                for (int i = r * t; i < (r + 1) * t; i++) {
                    n += batch.attentionMask()[i] == 1 && Masking.isCandidate(batch.inputIds()[i]) ? 1 : 0;
                    real += batch.attentionMask()[i];
                }
                candidates += n;
                fullCandidates += train.realLength(first + r) == t ? n : 0;
                expectedSelected += Masking.count(n, p);
            }
            System.arraycopy(batch.inputIds(), 0, original, 0, original.length);
            selected += masking.apply(Seeds.of(config.seed(), Seeds.MASKING, first / rows), batch);
            for (int i = 0; i < original.length; i++) {
                if (batch.labels()[i] == MlmHead.IGNORE) {
                    continue;
                }
                int now = batch.inputIds()[i];
                if (now == vocab.maskId()) {
                    masked++;
                } else if (now == original[i]) {
                    unchanged++;
                } else {
                    random++;
                }
            }
        }
        double hit = 1.0 / (vocab.size() - Vocabulary.SPECIALS.size());   // a random token may be the original
        List<List<Object>> rowsOut = new ArrayList<>();
        boolean ok = selected == expectedSelected;
        ok &= rate(rowsOut, "[MASK]", masked, selected, 0.8);
        ok &= rate(rowsOut, "random token", random, selected, 0.1 * (1 - hit));
        ok &= rate(rowsOut, "unchanged", unchanged, selected, 0.1 * (1 + hit));
        List<List<Object>> table = new ArrayList<>();
        table.add(List.of("selected, of the candidates", fmt("%,d of %,d = %.3f%%", selected, candidates, 100.0 * selected / candidates),
                fmt("%,d = %.3f%% (max(1, round(n·p)) per sequence; p = %.0f%%)", expectedSelected, 100.0 * expectedSelected / candidates, 100 * p),
                selected == expectedSelected ? "exact" : "DIFFERS"));
        table.addAll(rowsOut);
        Publication pub = results.publish("pretraining/masking").config(configFile).seed(config.seed())
                .attribute("sequences", fmt("%,d", train.size() / rows * rows))
                .attribute("cached", fmt("%,d", train.size()))
                .attribute("left-out", fmt("%,d", train.size() % rows))
                .attribute("candidates", fmt("%,d", candidates))
                .attribute("selected", fmt("%,d", selected))
                .attribute("selected-percent", fmt("%.3f", 100.0 * selected / candidates))
                .attribute("selected-of-real-percent", fmt("%.2f", 100.0 * selected / real))
                .attribute("candidate-percent", fmt("%.1f", 100.0 * candidates / real))
                .attribute("full-candidates-percent", fmt("%.1f", 100.0 * fullCandidates / candidates))
                .attribute("sd", fmt("%.0f", BOUND_SD))
                .attribute("batch", Integer.toString(rows))
                .attribute("p-percent", fmt("%.0f", 100 * p));
        pub.table(fmt("Masking measured over %,d cached sequences (batches of %d), beside the expected shares ± %.0f binomial standard deviations",
                        train.size() / rows * rows, rows, BOUND_SD),
                List.of("", "measured", "expected", "within bounds"), table);
        results.publish("pretraining/masking-check").config(configFile).seed(config.seed())
                .check("The masking rates agree with BERT's rule", ok,
                        fmt("exactly max(1, round(n·p)) selected per sequence, and the [MASK] / random / unchanged shares of %,d selected positions within %.0f standard deviations of 80 / 10 / 10%%",
                                selected, BOUND_SD));
    }

    /** One row: measured share, expected share ± BOUND_SD·σ with σ = √(p(1 − p)/M); whether it is inside. */
    private static boolean rate(List<List<Object>> rows, String what, long count, long of, double expected) {
        double share = (double) count / of;
        double sd = Math.sqrt(expected * (1 - expected) / of);
        boolean inside = Math.abs(share - expected) <= BOUND_SD * sd;
        rows.add(List.of(what + ", of the selected", fmt("%,d = %.3f%%", count, 100 * share),
                fmt("%.3f%% ± %.3f%%", 100 * expected, 100 * BOUND_SD * sd), inside ? "yes" : "NO"));
        return inside;
    }

    private static void publishExercises(Results results, Path configFile, TrainConfig config, TrainConfig run,
                                         Path runConfigFile, Vocabulary vocab, PretrainingCorpus corpus, Spec spec,
                                         PretrainingCache train, PretrainingCache held, long corpusDocuments) {
        int t = train.length();
        double p = config.maskProbability();
        // 1. a full sequence's count
        results.publish("pretraining/answer-count").config(configFile)
                .attribute("pair-candidates", Integer.toString(t - 3))
                .attribute("pair-selected", Integer.toString(Masking.count(t - 3, p)))
                .attribute("pair-percent", fmt("%.2f", 100.0 * Masking.count(t - 3, p) / (t - 3)))
                .attribute("single-candidates", Integer.toString(t - 2))
                .attribute("single-selected", Integer.toString(Masking.count(t - 2, p)))
                .attribute("bert-selected", Integer.toString(Masking.count(t, p)))
                .value("Masked positions in a full sequence of T = " + t, Masking.count(t - 3, p) + " of " + (t - 3));

        // 2. the held-out count against its binomial expectation
        PretrainingCache.Stats s = train.stats(), h = held.stats();
        double n = s.documentsRead(), share = spec.heldOutShare();
        double mean = n * share, sd = Math.sqrt(n * share * (1 - share));
        results.publish("pretraining/answer-held-out").config(configFile).seed(spec.seed())
                .attribute("share-percent", fmt("%.0f", 100 * share))
                .attribute("mean", fmt("%.1f", mean))
                .attribute("sd", fmt("%.1f", sd))
                .attribute("low", fmt("%.0f", Math.ceil(mean - 2 * sd)))
                .attribute("high", fmt("%.0f", Math.floor(mean + 2 * sd)))
                .attribute("z", fmt("%+.2f", (h.documents() - mean) / sd))
                .attribute("verdict", Math.abs(h.documents() - mean) <= 2 * sd ? "inside the range" : "outside the range")
                .value("Held-out documents against their expectation", fmt("%,d (expected %.1f ± %.1f)", h.documents(), mean, sd));

        // 3. truncation at other lengths: the same documents packed at T = 64, 128, 256, 512
        WordPiece wp = new WordPiece(vocab);
        List<Packing.Document> docs = new ArrayList<>();
        List<Long> ordinals = new ArrayList<>();
        long[] read = {0};
        try (Stream<String> texts = corpus.documents().get()) {
            (spec.documentLimit() == 0 ? texts : texts.limit(spec.documentLimit())).forEachOrdered(text -> {
                long ordinal = read[0]++;
                if (!spec.heldOut(text)) {
                    ordinals.add(ordinal);
                    docs.add(Packing.encode(wp, text));
                }
            });
        }
        List<List<Object>> rows = new ArrayList<>();
        Publication trunc = results.publish("pretraining/answer-truncation").config(configFile).seed(spec.seed());
        for (int length : new int[] {t, 2 * t, 4 * t, 8 * t}) {
            Packing packing = new Packing(length, spec.shortSeqProb());
            long[] kept = new long[1], dropped = new long[1], sequences = new long[1];
            for (int d = 0; d < docs.size(); d++) {
                Random rng = new Random(Seeds.of(spec.seed(), Seeds.PACKING, ordinals.get(d)));
                packing.pack(docs.get(d), rng, (pieces, as, ae, bs, be, drop) -> {
                    kept[0] += ae - as + be - bs;
                    dropped[0] += drop;
                    sequences[0]++;
                });
            }
            if (length == t && (sequences[0] != s.sequences() || dropped[0] != s.dropped())) {
                throw new IllegalStateException("packing the train documents again gave " + sequences[0] + " sequences and "
                        + dropped[0] + " dropped pieces; the cache holds " + s.sequences() + " and " + s.dropped());
            }
            double percent = 100.0 * dropped[0] / (kept[0] + dropped[0]);
            trunc.attribute("t" + length, fmt("%.1f", percent));
            rows.add(List.of(length, fmt("%,d", sequences[0]), fmt("%.1f%%", percent)));
        }
        long words = 0;
        for (Packing.Document d : docs) {
            words += d.pieces().length;
        }
        trunc.attribute("pieces-per-document", fmt("%.0f", (double) words / docs.size()))
                .attribute("pieces-per-sentence", fmt("%.1f", (double) words / docs.stream().mapToInt(Packing.Document::sentences).sum()))
                .table("The same train documents packed at other lengths (packing only; seeds as in the cache)",
                        List.of("T", "sequences", "pieces dropped by truncation"), rows);

        // 4. epochs of the real training run (configs/train/pretrain.yaml) over the whole corpus
        double sequencesPerDocument = (double) s.sequences() / s.documents();
        double fullSequences = spec.documentLimit() == 0 ? s.sequences() : sequencesPerDocument * corpusDocuments * (1 - share);
        double seen = (double) run.steps() * run.batchSize();
        results.publish("pretraining/answer-epochs").config(runConfigFile).seed(spec.seed())
                .attribute("steps", fmt("%,d", run.steps()))
                .attribute("batch", Integer.toString(run.batchSize()))
                .attribute("corpus-documents", fmt("%,d", corpusDocuments))
                .attribute("full-sequences", fmt("%,.0f", fullSequences))
                .attribute("estimated", spec.documentLimit() == 0 ? "counted" : "estimated")
                .attribute("epochs", fmt("%.1f", seen / fullSequences))
                .attribute("copy-reads", fmt("%.1f", seen / fullSequences / 10))
                .value("Epochs of the training run over the full corpus", fmt("%.1f", seen / fullSequences));
    }

    private static Publication data(Publication p, DataStore store) {
        for (String f : Corpora.IMDB_FILES) {
            p.data("imdb/" + f, store.sha256("imdb", f));
        }
        return p;
    }

    private static String fmt(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
