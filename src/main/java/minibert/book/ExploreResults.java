package minibert.book;

import minibert.config.ModelConfig;
import minibert.data.ConlluReader;
import minibert.data.DataStore;
import minibert.data.Sst2Reader;
import minibert.explore.ExplorerData;
import minibert.explore.Finding;
import minibert.explore.ForwardTrace;
import minibert.explore.GradientFlow;
import minibert.explore.HeadStatistics;
import minibert.explore.HeadStatistics.Statistic;
import minibert.explore.Inspection;
import minibert.explore.Pca;
import minibert.explore.Representations;
import minibert.explore.RunLog;
import minibert.explore.RunReport;
import minibert.explore.Sequence;
import minibert.explore.TerminalAttention;
import minibert.explore.TrainingDynamics;
import minibert.explore.UnigramSource;
import minibert.model.BertForMaskedLM;
import minibert.model.checkpoint.Checkpoint;
import minibert.text.Vocabulary;
import minibert.text.WordPiece;
import minibert.train.PretrainingCache;
import minibert.train.Pretraining;
import minibert.train.RunDirectory;
import minibert.train.Seeds;
import org.ejml.data.DMatrixRMaj;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * The figures of the chapter "Looking inside the model": what the attention heads do, what the hidden states hold,
 * how the gradient flowed and how training went, for the model before training (its initialisation) and after the
 * short run of this build; and, when the book is given a recorded run ({@code -Dbook.run=DIR}), the same for that
 * run's newest checkpoint, with the two runs' curves on one plot. It also writes the attention explorer's data
 * beside the page, and the terminal output of {@code minibert attention}, {@code trace} and {@code analyze}.
 * It reads the short run's checkpoint, so it runs after the training producer.
 */
public final class ExploreResults implements ResultProducer {

    /** The seed of anisotropy's random pairs. */
    static final long SEED = 2019;
    /** The explorer's data must stay below this many bytes (a megabyte). */
    static final long EXPLORER_LIMIT = 1_000_000;
    /** SST-2 dev sentences and IMDB held-out pairs in the explorer. */
    static final int EXPLORER_SST2 = 12;
    static final int EXPLORER_PAIRS = 8;
    /** The most positions of an explorer pair. */
    static final int PAIR_POSITIONS = 40;
    /** Words whose neighbours the chapter shows. */
    static final List<String> WORDS = List.of("good", "bad", "great", "movie", "film", "story");
    /** How many of the most frequent pieces count as frequent, for the neighbours' sentence. */
    static final int FREQUENT = 100;
    /** Occurrences a word needs in the sample to have an averaged last-layer vector. */
    static final int MIN_OCCURRENCES = 3;
    /** Word types of the POS picture: the most frequent single-piece words of UD English EWT's training treebank. */
    static final int POS_WORDS = 300;
    /** The tags drawn in colours of their own; every other tag is drawn as "other". */
    static final List<String> POS_TAGS = List.of("NOUN", "VERB", "ADJ", "ADV", "PRON", "DET", "ADP", "AUX");
    /** Random pairs for anisotropy. */
    static final int PAIRS = 20_000;
    /** The most token rows CKA compares. */
    static final int CKA_ROWS = 4096;

    @Override
    public String name() {
        return "explore";
    }

    /** A model to look inside: a run's checkpoint, and the same model at its initialisation. */
    record Subject(String label, Path runDir, Path checkpoint, BertForMaskedLM trained, BertForMaskedLM untrained,
                   WordPiece wordPiece, long initSeed, long step) {
    }

    /** The sentences every subject reads, in the short run's pieces. */
    record Inputs(List<Sequence> heldOut, List<Sequence> explorer, Map<Integer, int[]> tags, List<String> tagNames,
                  WordPiece shortPieces, java.util.Set<String> frequent, String sst2Sha, String udSha, String corpusSha) {
    }

    /** Seconds of each part of this producer, in order, for the time table. */
    private final Map<String, Double> parts = new LinkedHashMap<>();
    private long lap;

    private void lap(String part) {
        long now = System.nanoTime();
        parts.merge(part, (now - lap) / 1e9, Double::sum);
        lap = now;
    }

    @Override
    public void produce(Results results) throws Exception {
        long start = System.nanoTime();
        lap = start;
        Pretraining p = BookData.shortRun();
        Path checkpoint = p.run().checkpoint(p.config().steps());
        if (!Files.isRegularFile(checkpoint.resolve("model.safetensors"))) {
            throw new IllegalStateException(checkpoint + " is missing: the training producer runs the short run and must run "
                    + "before this one");
        }
        DataStore store = DataStore.fromEnvironment();
        WordPiece wp = new WordPiece(p.vocabulary());
        long initSeed = Seeds.of(p.config().seed(), Seeds.INITIALISATION, 0);
        Subject shortRun = new Subject("the short run", p.run().path(), checkpoint, Checkpoint.load(checkpoint),
                new BertForMaskedLM(p.modelConfig(), initSeed), wp, initSeed, p.config().steps());
        lap("loading the models");
        int sample = results.mode() == Mode.FULL ? p.heldOutCache().size() : Math.min(96, p.heldOutCache().size());
        Inputs inputs = inputs(p, store, wp, sample);
        lap("reading the sentences and the treebank");
        double unigram = UnigramSource.of(p.trainCache(), p.heldOutCache(), p.vocabulary(), p.config());
        lap("the unigram loss");

        Path config = ProjectFiles.projectDir().resolve(BookData.SHORT_CONFIG);
        TrainingDynamics.Analysis shortAnalysis = analyse(results, "explore", shortRun, inputs, OptionalDouble.of(unigram),
                "the unigram distribution of the short run's training cache, on its held-out masks", config);
        Subject shown = shortRun;
        Optional<Path> recorded = BookData.recordedRun();
        if (recorded.isPresent()) {
            Subject rec = recordedSubject(recorded.get());
            UnigramSource.Outcome u = UnigramSource.forRun(rec.runDir(), ProjectFiles.projectDir().resolve("data/cache"), null,
                    minibert.train.Progress.NONE);
            TrainingDynamics.Analysis recAnalysis = analyse(results, "explore/recorded", rec, inputs, u.loss(), u.how(),
                    rec.runDir().resolve("config.yaml"));
            results.publish("explore/compare").seed(shortRun.initSeed()).config(config)
                    .attribute("run", rec.runDir().toString())
                    .plot("Two runs on one plot, against tokens seen: the short run of this build and the recorded run "
                            + rec.runDir().getFileName() + " (loss, held-out points, learning rate on the right, phases marked)",
                            ExploreFigures.loss(List.of(shortAnalysis, recAnalysis), true));
            shown = rec;
        }
        explorer(results, shown, inputs);
        lap("the explorer's data");
        terminal(results, shown, inputs, shortAnalysis);
        lap("the terminal listings");
        double seconds = (System.nanoTime() - start) / 1e9;
        List<List<String>> rows = new ArrayList<>();
        parts.forEach((part, s) -> rows.add(List.of(part, fmt("%.1f s", s))));
        rows.add(List.of("total", fmt("%.1f s", seconds)));
        results.publish("explore/time").config(config)
                .attribute("seconds", fmt("%.1f", seconds))
                .attribute("checkpoint", ProjectFiles.projectDir().relativize(checkpoint).toString())
                .attribute("run", ProjectFiles.projectDir().relativize(p.run().path()).toString())
                .attribute("sample", Integer.toString(sample))
                .table("Build time of this chapter's figures, part by part (" + (recorded.isPresent() ? "the short run and the "
                        + "recorded run" : "the short run") + ", two models each)", List.of("Part", "Time"), rows);
    }

    // ---------------------------------------------------------------- inputs

    private static Inputs inputs(Pretraining p, DataStore store, WordPiece wp, int sample) throws IOException {
        Vocabulary v = p.vocabulary();
        PretrainingCache cache = p.heldOutCache();
        int t = cache.length();
        int[] ids = new int[t], types = new int[t], mask = new int[t];
        List<Sequence> heldOut = new ArrayList<>();
        List<Sequence> pairs = new ArrayList<>();
        for (int s = 0; s < cache.size() && (heldOut.size() < sample || pairs.size() < EXPLORER_PAIRS); s++) {
            cache.read(s, ids, types, mask, 0);
            int n = cache.realLength(s);
            Sequence seq = new Sequence("IMDB held-out " + s, Arrays.copyOf(ids, n), Arrays.copyOf(types, n), tokens(v, ids, n));
            if (heldOut.size() < sample) {
                heldOut.add(seq);
            }
            if (pairs.size() < EXPLORER_PAIRS && seq.isPair()) {
                pairs.add(shortened(seq, cache.firstSeparator(s), v));
            }
        }
        List<Sst2Reader.Sst2Example> dev = Sst2Reader.read(store.file("sst2", "dev.tsv"));
        List<Sequence> candidates = new ArrayList<>();
        for (int i = 0; i < dev.size(); i++) {
            int pieces = wp.encode(dev.get(i).sentence()).length;
            if (pieces >= 8 && pieces <= 22) {
                candidates.add(Sequence.of("SST-2 dev " + (i + 1), wp, dev.get(i).sentence(), null, pieces + 2));
            }
        }
        List<Sequence> explorer = new ArrayList<>();
        for (int k = 0; k < EXPLORER_SST2; k++) {
            explorer.add(candidates.get(k * candidates.size() / EXPLORER_SST2));
        }
        explorer.addAll(pairs);

        Map<Integer, Map<String, Integer>> counts = new HashMap<>();
        for (ConlluReader.ConlluSentence s : ConlluReader.read(store.file("ud_english_ewt", "en_ewt-ud-train.conllu.gz"))) {
            for (int w = 0; w < s.words().size(); w++) {
                List<String> basic = wp.basicTokens(s.words().get(w));
                if (basic.size() != 1) {
                    continue;
                }
                int[] pieces = wp.encodeWord(basic.get(0));
                if (pieces.length == 1 && !v.isSpecial(pieces[0])) {
                    counts.computeIfAbsent(pieces[0], k -> new HashMap<>()).merge(s.upos().get(w), 1, Integer::sum);
                }
            }
        }
        List<String> tagNames = new ArrayList<>(POS_TAGS);
        tagNames.add("other");
        List<Map.Entry<Integer, Map<String, Integer>>> frequent = new ArrayList<>(counts.entrySet());
        frequent.sort((a, b) -> {
            int ca = a.getValue().values().stream().mapToInt(Integer::intValue).sum();
            int cb = b.getValue().values().stream().mapToInt(Integer::intValue).sum();
            return ca != cb ? Integer.compare(cb, ca) : Integer.compare(a.getKey(), b.getKey());
        });
        Map<Integer, int[]> tags = new LinkedHashMap<>();            // piece id → {tag index, occurrences}
        for (var e : frequent.subList(0, Math.min(POS_WORDS, frequent.size()))) {
            String best = null;                                       // the most frequent tag; ties to the first in name order
            for (var tag : new java.util.TreeMap<>(e.getValue()).entrySet()) {
                best = best == null || tag.getValue() > e.getValue().get(best) ? tag.getKey() : best;
            }
            int index = POS_TAGS.indexOf(best);
            tags.put(e.getKey(), new int[] {index < 0 ? POS_TAGS.size() : index,
                    e.getValue().values().stream().mapToInt(Integer::intValue).sum()});
        }
        return new Inputs(heldOut, explorer, tags, tagNames, wp, frequent(p), store.sha256("sst2", "dev.tsv"),
                store.sha256("ud_english_ewt", "en_ewt-ud-train.conllu.gz"), p.corpus().checksum());
    }

    /** The {@value #FREQUENT} most frequent pieces of the short run's training sequences. */
    private static java.util.Set<String> frequent(Pretraining p) {
        minibert.train.Unigram unigram = minibert.train.Unigram.fit(p.trainCache(), p.vocabulary().size());
        Integer[] ids = new Integer[p.vocabulary().size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i;
        }
        Arrays.sort(ids, (a, b) -> a.equals(b) ? 0 : Double.compare(unigram.loss(a), unigram.loss(b)) != 0
                ? Double.compare(unigram.loss(a), unigram.loss(b)) : Integer.compare(a, b));
        java.util.Set<String> out = new java.util.HashSet<>();
        for (int i = 0; i < FREQUENT; i++) {
            out.add(p.vocabulary().token(ids[i]));
        }
        return out;
    }

    private static String[] tokens(Vocabulary v, int[] ids, int n) {
        String[] out = new String[n];
        for (int i = 0; i < n; i++) {
            out[i] = v.token(ids[i]);
        }
        return out;
    }

    /** A held-out pair cut to at most {@link #PAIR_POSITIONS} positions, from the end of the longer segment first (as BERT cuts). */
    static Sequence shortened(Sequence s, int sep, Vocabulary v) {
        int[] a = Arrays.copyOfRange(s.ids(), 1, sep), b = Arrays.copyOfRange(s.ids(), sep + 1, s.length() - 1);
        int la = a.length, lb = b.length;
        while (la + lb > PAIR_POSITIONS - 3) {
            if (la > lb) {
                la--;
            } else {
                lb--;
            }
        }
        int n = la + lb + 3;
        int[] ids = new int[n], types = new int[n];
        ids[0] = v.clsId();
        System.arraycopy(a, 0, ids, 1, la);
        ids[la + 1] = v.sepId();
        System.arraycopy(b, 0, ids, la + 2, lb);
        ids[n - 1] = v.sepId();
        Arrays.fill(types, la + 2, n, 1);
        return new Sequence(s.source(), ids, types, tokens(v, ids, n));
    }

    /** The newest checkpoint of a recorded run, and its model at the initialisation its run started from. */
    private static Subject recordedSubject(Path runDir) throws IOException {
        List<Long> steps = new RunDirectory(runDir).checkpointSteps();
        if (steps.isEmpty()) {
            throw new IllegalStateException("-Dbook.run=" + runDir + ": the run has no checkpoint yet");
        }
        long step = steps.get(steps.size() - 1);
        Path checkpoint = new RunDirectory(runDir).checkpoint(step);
        Checkpoint.Pretrained loaded = Checkpoint.loadPretrained(checkpoint);
        var settings = minibert.io.Json.readObject(runDir.resolve("run.json"), "a run's settings", 4 << 20).path("settings");
        long initSeed = Seeds.of(settings.path("train.seed").asLong(), Seeds.INITIALISATION, 0);
        return new Subject("the recorded run " + runDir.getFileName(), runDir, checkpoint, loaded.model(),
                new BertForMaskedLM(loaded.model().config(), initSeed), loaded.wordPiece(), initSeed, step);
    }

    /** The inputs' sequences in the pieces of {@code to}: the same ids when the vocabularies agree, else the text encoded anew. */
    static List<Sequence> inPieces(List<Sequence> sequences, WordPiece from, WordPiece to, int positions) {
        if (from.vocabulary().tokens().equals(to.vocabulary().tokens())) {
            return sequences;
        }
        List<Sequence> out = new ArrayList<>();
        for (Sequence s : sequences) {
            int sep = -1;
            for (int i = 1; i < s.length() && sep < 0; i++) {
                sep = s.isSep(i) ? i : -1;
            }
            String a = from.decode(Arrays.copyOfRange(s.ids(), 1, sep));
            String b = s.isPair() ? from.decode(Arrays.copyOfRange(s.ids(), sep + 1, s.length() - 1)) : null;
            out.add(Sequence.of(s.source(), to, a, b, positions));
        }
        return out;
    }

    // ---------------------------------------------------------------- one subject

    /** What the forward passes of one model over the sample left: head statistics, and hidden states per layer. */
    private static final class Observed {
        final HeadStatistics heads;
        final List<DMatrixRMaj> hidden = new ArrayList<>();      // [N, H] per layer 0 … L
        final List<Boolean> special = new ArrayList<>();
        final Map<Integer, double[]> lastLayerSums = new HashMap<>();
        final Map<Integer, Integer> occurrences = new HashMap<>();
        int rows;

        Observed(ModelConfig c, int capacity) {
            heads = new HeadStatistics(c.numLayers(), c.numHeads());
            for (int l = 0; l <= c.numLayers(); l++) {
                hidden.add(new DMatrixRMaj(capacity, c.hiddenSize()));
            }
        }
    }

    private static Observed observe(BertForMaskedLM model, List<Sequence> sample) {
        ModelConfig c = model.config();
        int capacity = sample.stream().mapToInt(Sequence::length).sum();
        Observed o = new Observed(c, capacity);
        Inspection.run(model, sample, 16, (index, s, view) -> {
            for (int l = 0; l < c.numLayers(); l++) {
                for (int h = 0; h < c.numHeads(); h++) {
                    o.heads.add(l, h, view.attention(l, h), s);
                }
            }
            int n = s.length(), width = c.hiddenSize();
            for (int l = 0; l <= c.numLayers(); l++) {
                System.arraycopy(view.hidden(l).data, 0, o.hidden.get(l).data, o.rows * width, n * width);
            }
            DMatrixRMaj last = view.hidden(c.numLayers());
            for (int i = 0; i < n; i++) {
                o.special.add(s.isSpecial(i));
                boolean wholeWord = !s.isSpecial(i) && !s.tokens()[i].startsWith(Vocabulary.CONTINUATION)
                        && (i + 1 >= n || !s.tokens()[i + 1].startsWith(Vocabulary.CONTINUATION));
                if (wholeWord) {
                    double[] sum = o.lastLayerSums.computeIfAbsent(s.ids()[i], k -> new double[width]);
                    for (int col = 0; col < width; col++) {
                        sum[col] += last.get(i, col);
                    }
                    o.occurrences.merge(s.ids()[i], 1, Integer::sum);
                }
            }
            o.rows += n;
        });
        return o;
    }

    private TrainingDynamics.Analysis analyse(Results results, String prefix, Subject subject, Inputs inputs,
                                                     OptionalDouble unigram, String unigramHow, Path config) throws IOException {
        ModelConfig c = subject.trained().config();
        List<Sequence> sample = inPieces(inputs.heldOut(), inputs.shortPieces(), subject.wordPiece(), c.maxPositions());
        Observed untrained = observe(subject.untrained(), sample), trained = observe(subject.trained(), sample);
        lap("forward passes over the held-out sample");
        HeadStatistics uniform = new HeadStatistics(1, 1);
        for (Sequence s : sample) {
            uniform.add(0, 0, HeadStatistics.uniform(s.length()), s);
        }
        String what = subject.label() + " after " + fmt("%,d", subject.step()) + " steps";
        heads(results, prefix, subject, what, untrained.heads, trained.heads, uniform, sample.size(), inputs, config);
        lap("head statistics");
        representations(results, prefix, subject, what, untrained, trained, inputs, config);
        lap("representations: CKA, anisotropy, neighbours, PCA");
        TrainingDynamics.Analysis a = dynamics(results, prefix, subject, unigram, unigramHow, config);
        lap("training dynamics and gradient flow");
        return a;
    }

    private static Publication publish(Results results, String name, Subject subject, Inputs inputs, Path config) {
        return results.publish(name).seed(subject.initSeed()).config(config).data("imdb/held-out", inputs.corpusSha());
    }

    // ---------------------------------------------------------------- heads

    private static void heads(Results results, String prefix, Subject subject, String what, HeadStatistics u, HeadStatistics t,
                              HeadStatistics uniform, int sequences, Inputs inputs, Path config) {
        int layers = t.layers(), heads = t.heads();
        List<List<String>> rows = new ArrayList<>();
        Statistic[] stats = Statistic.values();
        List<Object> base = new ArrayList<>(List.of("uniform attention"));
        for (Statistic s : stats) {
            base.add(fmt("%.3f", uniform.mean(0, 0, s)));
        }
        rows.add(base.stream().map(Object::toString).toList());
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < heads; h++) {
                List<String> row = new ArrayList<>(List.of("layer " + l + ", head " + h));
                for (Statistic s : stats) {
                    row.add(fmt("%.3f → %.3f", u.mean(l, h, s), t.mean(l, h, s)));
                }
                rows.add(row);
            }
        }
        List<String> header = new ArrayList<>(List.of("Head"));
        for (Statistic s : stats) {
            header.add(s.label());
        }
        // the head that attends most to the previous token, and the statistics' means over heads
        int bestL = 0, bestH = 0;
        double[] meanU = new double[stats.length], meanT = new double[stats.length];
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < heads; h++) {
                if (t.mean(l, h, Statistic.PREVIOUS) > t.mean(bestL, bestH, Statistic.PREVIOUS)) {
                    bestL = l;
                    bestH = h;
                }
                for (Statistic s : stats) {
                    meanU[s.ordinal()] += u.mean(l, h, s) / (layers * heads);
                    meanT[s.ordinal()] += t.mean(l, h, s) / (layers * heads);
                }
            }
        }
        int largest = 1;                                  // the share (not the entropy) that changed most
        for (int s = 1; s < stats.length; s++) {
            largest = Math.abs(meanT[s] - meanU[s]) > Math.abs(meanT[largest] - meanU[largest]) ? s : largest;
        }
        double ue = meanU[0], te = meanT[0], uniformE = uniform.mean(0, 0, Statistic.ENTROPY);
        String sharper = te < ue
                ? fmt("After training the heads attend more sharply: their mean entropy fell from %.3f to %.3f nats (uniform "
                        + "attention over the same sequences: %.3f)", ue, te, uniformE)
                : fmt("After training the heads attend no more sharply than before: their mean entropy went from %.3f to %.3f "
                        + "nats (uniform attention over the same sequences: %.3f)", ue, te, uniformE);
        double share = t.mean(bestL, bestH, Statistic.PREVIOUS), uniformShare = uniform.mean(0, 0, Statistic.PREVIOUS);
        String previous = share >= 2 * uniformShare
                ? fmt("layer %d, head %d puts %.3f of each token's attention on the token before it, %.1f times what uniform "
                        + "attention would (%.3f)", bestL, bestH, share, share / uniformShare, uniformShare)
                : fmt("no head of this model attends to the previous token much more than uniform attention would: the most, "
                        + "layer %d, head %d, puts %.3f on it, against %.3f for uniform attention", bestL, bestH, share, uniformShare);
        Publication pub = publish(results, prefix + "/heads", subject, inputs, config)
                .attribute("previous-sentence", previous)
                .attribute("sequences", Integer.toString(sequences))
                .attribute("rows", fmt("%,d", uniform.rows(0, 0, Statistic.CLS)))
                .attribute("entropy-sentence", sharper)
                .attribute("previous-head", "layer " + bestL + ", head " + bestH)
                .attribute("previous-share", fmt("%.3f", t.mean(bestL, bestH, Statistic.PREVIOUS)))
                .attribute("previous-untrained", fmt("%.3f", u.mean(bestL, bestH, Statistic.PREVIOUS)))
                .attribute("previous-uniform", fmt("%.3f", uniform.mean(0, 0, Statistic.PREVIOUS)))
                .attribute("previous-next", fmt("%.3f", t.mean(bestL, bestH, Statistic.NEXT)))
                .attribute("previous-entropy", fmt("%.3f", t.mean(bestL, bestH, Statistic.ENTROPY)))
                .attribute("previous-entropy-untrained", fmt("%.3f", u.mean(bestL, bestH, Statistic.ENTROPY)))
                .attribute("largest-change", stats[largest].description())
                .attribute("largest-change-untrained", fmt("%.3f", meanU[largest]))
                .attribute("largest-change-trained", fmt("%.3f", meanT[largest]))
                .attribute("sep-untrained", fmt("%.3f", meanU[Statistic.SEP.ordinal()]))
                .attribute("sep-trained", fmt("%.3f", meanT[Statistic.SEP.ordinal()]))
                .attribute("cls-untrained", fmt("%.3f", meanU[Statistic.CLS.ordinal()]))
                .attribute("cls-trained", fmt("%.3f", meanT[Statistic.CLS.ordinal()]));
        pub.table("What each head looks at, before training → after (" + what + "), over " + sequences + " IMDB held-out "
                + "sequences; the first row is uniform attention over the same sequences", header, rows);

        String[] columns = new String[layers * heads];
        double[][][] values = new double[2][stats.length][layers * heads];
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < heads; h++) {
                columns[l * heads + h] = l + "." + h;
                for (Statistic s : stats) {
                    values[0][s.ordinal()][l * heads + h] = u.mean(l, h, s);
                    values[1][s.ordinal()][l * heads + h] = t.mean(l, h, s);
                }
            }
        }
        String[] rowLabels = Arrays.stream(stats).map(Statistic::label).toArray(String[]::new);
        double[] scale = new double[stats.length];                 // a full shade: the row's largest value
        for (int r = 0; r < stats.length; r++) {
            for (double[][] panel : values) {
                for (double v : panel[r]) {
                    scale[r] = Math.max(scale[r], v);
                }
            }
        }
        publish(results, prefix + "/heads-map", subject, inputs, config).svg("The same statistics as shades: columns are "
                        + "heads (layer.head), a full shade is the row's largest value, in either panel",
                HeatMap.svg(new String[] {"untrained (initialisation)", "trained (" + subject.label() + ")"}, rowLabels, columns,
                        values, scale, "%.2f"));
    }

    // ---------------------------------------------------------------- representations

    private static void representations(Results results, String prefix, Subject subject, String what, Observed u, Observed t,
                                        Inputs inputs, Path config) {
        int layers = subject.trained().config().numLayers();
        int[] real = new int[Math.min(u.rows, CKA_ROWS)], words = nonSpecial(u);
        for (int i = 0; i < real.length; i++) {
            real[i] = i;
        }
        double[][] cka = new double[2][layers + 1], aniso = new double[2][layers + 1];
        List<List<String>> rows = new ArrayList<>();
        for (int l = 0; l <= layers; l++) {
            for (int m = 0; m < 2; m++) {
                Observed o = m == 0 ? u : t;
                DMatrixRMaj x = Representations.rows(o.hidden.get(l), words);
                aniso[m][l] = Representations.anisotropy(x, PAIRS, SEED);
                cka[m][l] = l == 0 ? Double.NaN : Representations.linearCka(Representations.rows(o.hidden.get(l - 1), real),
                        Representations.rows(o.hidden.get(l), real));
            }
            rows.add(List.of(l == 0 ? "0 (embeddings)" : Integer.toString(l),
                    l == 0 ? "–" : fmt("%.3f → %.3f", cka[0][l], cka[1][l]), fmt("%.3f → %.3f", aniso[0][l], aniso[1][l])));
        }
        double lastU = aniso[0][layers], lastT = aniso[1][layers];
        String anisoSentence = lastT > lastU
                ? fmt("training made the last layer's token vectors more alike: their mean cosine rose from %.3f to %.3f", lastU, lastT)
                : fmt("training made the last layer's token vectors less alike: their mean cosine fell from %.3f to %.3f", lastU, lastT);
        double[] x = new double[layers + 1];
        for (int l = 0; l <= layers; l++) {
            x[l] = l;
        }
        publish(results, prefix + "/representations", subject, inputs, config).seed(SEED)
                .attribute("tokens", fmt("%,d", real.length))
                .attribute("words", fmt("%,d", words.length))
                .attribute("pairs", fmt("%,d", PAIRS))
                .attribute("anisotropy-sentence", anisoSentence)
                .attribute("anisotropy-last-untrained", fmt("%.3f", lastU))
                .attribute("anisotropy-last-trained", fmt("%.3f", lastT))
                .attribute("anisotropy-first-trained", fmt("%.3f", aniso[1][0]))
                .attribute("cka-first-untrained", fmt("%.3f", cka[0][1]))
                .attribute("cka-first-trained", fmt("%.3f", cka[1][1]))
                .table("Hidden states layer by layer, before training → after (" + what + "): linear CKA with the layer below "
                                + "over " + fmt("%,d", real.length) + " tokens, and anisotropy (mean cosine of " + fmt("%,d", PAIRS)
                                + " random pairs of the " + fmt("%,d", words.length) + " tokens that are not [CLS] or [SEP])",
                        List.of("Hidden state", "CKA with the one below", "Anisotropy"), rows);
        publish(results, prefix + "/representations-plot", subject, inputs, config).seed(SEED)
                .plot("CKA with the layer below and anisotropy, by hidden state (0 is the embeddings' output)",
                        Plot.of("hidden state (layer output)", "CKA / mean cosine")
                                .line("CKA, untrained", Arrays.copyOfRange(x, 1, layers + 1), Arrays.copyOfRange(cka[0], 1, layers + 1))
                                .line("CKA, trained", Arrays.copyOfRange(x, 1, layers + 1), Arrays.copyOfRange(cka[1], 1, layers + 1))
                                .line("anisotropy, untrained", x, aniso[0])
                                .line("anisotropy, trained", x, aniso[1]));
        neighbours(results, prefix, subject, what, u, t, inputs, config);
        pos(results, prefix, subject, inputs, config);
    }

    private static int[] nonSpecial(Observed o) {
        List<Integer> rows = new ArrayList<>();
        for (int i = 0; i < o.rows; i++) {
            if (!o.special.get(i)) {
                rows.add(i);
            }
        }
        return rows.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Whether a piece is a word a reader knows: letters only, at least two, not a continuation or special. */
    private static boolean isWord(Vocabulary v, int id) {
        String t = v.token(id);
        return !v.isSpecial(id) && t.length() >= 2 && t.chars().allMatch(Character::isLetter);
    }

    private static void neighbours(Results results, String prefix, Subject subject, String what, Observed u, Observed t,
                                   Inputs inputs, Path config) {
        Vocabulary v = subject.wordPiece().vocabulary();
        List<List<String>> rows = new ArrayList<>();
        int[] frequentNeighbours = new int[2], listed = new int[2];
        for (String word : WORDS) {
            int id = v.id(word);
            if (id < 0) {
                rows.add(List.of(word, "not a piece of this vocabulary", "", "", ""));
                continue;
            }
            List<String> row = new ArrayList<>(List.of(word));
            for (int m = 0; m < 2; m++) {
                DMatrixRMaj table = (m == 0 ? subject.untrained() : subject.trained()).embeddings().word().value();
                List<Representations.Neighbour> ns = Representations.nearest(table, id, 4, r -> isWord(v, r));
                for (Representations.Neighbour n : ns) {
                    frequentNeighbours[m] += inputs.frequent().contains(v.token(n.row())) ? 1 : 0;
                }
                listed[m] += ns.size();
                row.add(names(v, ns, null));
            }
            for (Observed o : List.of(u, t)) {
                List<Integer> ids = new ArrayList<>();
                o.occurrences.forEach((k, n) -> {
                    if (n >= MIN_OCCURRENCES && isWord(v, k)) {
                        ids.add(k);
                    }
                });
                ids.sort(Integer::compare);
                int at = ids.indexOf(id);
                if (at < 0) {
                    row.add("fewer than " + MIN_OCCURRENCES + " occurrences in the sample");
                    continue;
                }
                DMatrixRMaj means = new DMatrixRMaj(ids.size(), o.hidden.get(0).numCols);
                for (int r = 0; r < ids.size(); r++) {
                    double[] sum = o.lastLayerSums.get(ids.get(r));
                    int n = o.occurrences.get(ids.get(r));
                    for (int col = 0; col < sum.length; col++) {
                        means.set(r, col, sum[col] / n);
                    }
                }
                row.add(names(v, Representations.nearest(means, at, 4, r -> true), ids));
            }
            rows.add(row);
        }
        String sentence = fmt("Of the %d neighbours listed in the trained input embeddings, %d are among the %d most frequent "
                + "pieces of the training text, against %d of %d before training", listed[1], frequentNeighbours[1], FREQUENT,
                frequentNeighbours[0], listed[0]) + (frequentNeighbours[1] >= 2 * Math.max(1, frequentNeighbours[0])
                ? ": frequent words crowd around every query, whatever the query means. How often a word occurs is the "
                        + "first thing its embedding learns: it is what brings the loss down to the unigram loss"
                : ": frequency does not dominate the neighbourhoods");
        publish(results, prefix + "/neighbours", subject, inputs, config)
                .attribute("min-occurrences", Integer.toString(MIN_OCCURRENCES))
                .attribute("frequent-sentence", sentence)
                .table("Nearest neighbours by cosine (" + what + "): in the input word embeddings (among whole words of the "
                                + "vocabulary), and in the last layer (each word's hidden state averaged over its occurrences "
                                + "in the sample, among the words that occur at least " + MIN_OCCURRENCES + " times)",
                        List.of("Word", "Input embeddings, untrained", "Input embeddings, trained", "Last layer, untrained",
                                "Last layer, trained"), rows);
    }

    private static String names(Vocabulary v, List<Representations.Neighbour> ns, List<Integer> ids) {
        List<String> out = new ArrayList<>();
        for (Representations.Neighbour n : ns) {
            out.add(Glyphs.visible(v.token(ids == null ? n.row() : ids.get(n.row()))) + fmt(" %.2f", n.similarity()));
        }
        return String.join(", ", out);
    }

    private static void pos(Results results, String prefix, Subject subject, Inputs inputs, Path config) {
        Vocabulary shortVocab = inputs.shortPieces().vocabulary(), v = subject.wordPiece().vocabulary();
        List<Integer> ids = new ArrayList<>();
        List<Integer> tagOf = new ArrayList<>();
        List<String> words = new ArrayList<>();
        for (var e : inputs.tags().entrySet()) {
            int id = v.id(shortVocab.token(e.getKey()));
            if (id >= 0) {
                ids.add(id);
                tagOf.add(e.getValue()[0]);
                words.add(v.token(id));
            }
        }
        int[] rows = ids.stream().mapToInt(Integer::intValue).toArray();
        double[] agreement = new double[2];
        double chance = 0;
        int[] perTag = new int[inputs.tagNames().size()];
        tagOf.forEach(k -> perTag[k]++);
        for (int c : perTag) {
            chance += (double) c * (c - 1) / ((double) rows.length * (rows.length - 1));
        }
        String[] names = {"untrained", "trained"};
        for (int m = 0; m < 2; m++) {
            BertForMaskedLM model = m == 0 ? subject.untrained() : subject.trained();
            DMatrixRMaj x = Representations.rows(model.embeddings().word().value(), rows);
            int same = 0;
            for (int r = 0; r < rows.length; r++) {
                int nearest = Representations.nearest(x, r, 1, k -> true).get(0).row();
                same += tagOf.get(nearest).equals(tagOf.get(r)) ? 1 : 0;
            }
            agreement[m] = (double) same / rows.length;
            Pca pca = Pca.fit(x, 2);
            DMatrixRMaj xy = pca.project(x);
            Plot plot = Plot.of(fmt("first principal component (%.1f%% of the variance)", 100 * pca.explained(0)),
                    fmt("second (%.1f%%)", 100 * pca.explained(1)));
            for (int k = 0; k < inputs.tagNames().size(); k++) {
                List<Double> px = new ArrayList<>(), py = new ArrayList<>();
                List<String> labels = new ArrayList<>();
                for (int r = 0; r < rows.length; r++) {
                    if (tagOf.get(r) == k) {
                        px.add(xy.get(r, 0));
                        py.add(xy.get(r, 1));
                        labels.add(r < 16 ? Glyphs.visible(words.get(r)) : null);    // the 16 most frequent words are named
                    }
                }
                plot.points(inputs.tagNames().get(k) + " (" + px.size() + ")", px.stream().mapToDouble(Double::doubleValue).toArray(),
                        py.stream().mapToDouble(Double::doubleValue).toArray(), labels);
            }
            results.publish(prefix + "/pca-" + names[m]).seed(subject.initSeed()).config(config)
                    .data("ud_english_ewt/en_ewt-ud-train.conllu.gz", inputs.udSha())
                    .plot("The input embeddings of the " + rows.length + " most frequent single-piece words of UD English EWT, "
                            + names[m] + ", on their first two principal components, coloured by each word's most frequent "
                            + "POS tag", plot);
        }
        String sentence = agreement[1] > agreement[0]
                ? fmt("a word's nearest neighbour among them carries its most frequent POS tag for %.1f%% of the words after "
                        + "training, against %.1f%% before (%.1f%% by chance alone)", 100 * agreement[1], 100 * agreement[0], 100 * chance)
                : fmt("a word's nearest neighbour among them carries its most frequent POS tag for %.1f%% of the words after "
                        + "training, no more than the %.1f%% before (%.1f%% by chance alone)", 100 * agreement[1], 100 * agreement[0], 100 * chance);
        results.publish(prefix + "/pos").seed(subject.initSeed()).config(config)
                .data("ud_english_ewt/en_ewt-ud-train.conllu.gz", inputs.udSha())
                .attribute("words", Integer.toString(rows.length))
                .attribute("sentence", sentence)
                .attribute("untrained-percent", fmt("%.1f", 100 * agreement[0]))
                .attribute("trained-percent", fmt("%.1f", 100 * agreement[1]))
                .attribute("chance-percent", fmt("%.1f", 100 * chance))
                .table("Does a word's nearest input embedding share its POS tag? (" + rows.length + " words, cosine, the tag "
                                + "each word carries most often in UD English EWT's training treebank)",
                        List.of("Model", "Nearest neighbour has the same tag", "By chance (Σ share of a tag²)"),
                        List.of(List.of("untrained", fmt("%.1f%%", 100 * agreement[0]), fmt("%.1f%%", 100 * chance)),
                                List.of("trained", fmt("%.1f%%", 100 * agreement[1]), fmt("%.1f%%", 100 * chance))));
    }

    // ---------------------------------------------------------------- dynamics and gradient flow

    private static TrainingDynamics.Analysis dynamics(Results results, String prefix, Subject subject, OptionalDouble unigram,
                                                      String unigramHow, Path config) {
        RunLog log = RunLog.read(subject.runDir());
        TrainingDynamics.Analysis a = TrainingDynamics.analyse(log, unigram);
        List<TrainingDynamics.Analysis> one = List.of(a);
        results.publish(prefix + "/loss").config(config).plot("Loss of " + subject.label() + " against steps: training (each log "
                + "point the mean since the last), held out, learning rate on the right axis, and the phases the rules found",
                ExploreFigures.loss(one, false));
        results.publish(prefix + "/accuracy").config(config).plot("Masked accuracy of " + subject.label() + " against tokens seen, "
                + "learning rate on the right axis", ExploreFigures.accuracy(one, true));
        List<List<String>> phases = new ArrayList<>();
        for (TrainingDynamics.Phase p : a.phases()) {
            phases.add(List.of(p.name(), fmt("%,d–%,d", p.fromStep(), p.toStep()), fmt("%,d–%,d", p.fromStep() * log.settings().tokensPerStep(),
                    p.toStep() * log.settings().tokensPerStep())));
        }
        if (phases.isEmpty()) {
            phases.add(List.of("none detected", unigram.isPresent() ? "–" : "the unigram loss is unknown: " + unigramHow, "–"));
        }
        Publication pp = results.publish(prefix + "/phases").config(config)
                .attribute("unigram", unigram.isPresent() ? fmt("%.3f", unigram.getAsDouble()) : "unknown")
                .attribute("band", Double.toString(TrainingDynamics.BAND))
                .attribute("confirm", Integer.toString(TrainingDynamics.CONFIRM))
                .attribute("divergence", Double.toString(TrainingDynamics.DIVERGENCE))
                .attribute("warmup", fmt("%,d", log.settings().warmupSteps()))
                .attribute("plateau-start", a.plateauStart() < 0 ? "never" : fmt("step %,d", a.plateauStart()))
                .attribute("context-step", a.contextStep() < 0 ? "not within the run" : fmt("step %,d", a.contextStep()))
                .attribute("log-every", log.train().size() < 2 ? "–" : fmt("%,d", log.train().get(1).step() - log.train().get(0).step()));
        // the exercise on the band: the same rules with b a third as wide
        double narrow = TrainingDynamics.BAND / 3;
        TrainingDynamics.Analysis n = TrainingDynamics.analyse(log, unigram, narrow);
        pp.attribute("narrow-band", fmt("%.2f", narrow))
                .attribute("narrow-plateau-start", n.plateauStart() < 0 ? "never" : fmt("step %,d", n.plateauStart()))
                .attribute("narrow-context-step", n.contextStep() < 0 ? "not within the run" : fmt("step %,d", n.contextStep()));
        boolean diverged = a.findings().stream().anyMatch(f -> f.verdict().equals("diverges"));
        pp.attribute("grew-verdict", diverged ? "The loss diverged as well, so the growth is worth a closer look: compare "
                + "where it starts with the step the divergence rule names"
                : a.contextStep() >= 0 ? "The loss did not diverge and context started to help, so this is a layer that "
                        + "receives more gradient as the model starts to use context: learning, not an explosion"
                        : "The loss did not diverge, but context has not started to help either: the growth is early, and "
                                + "a longer run would tell");
        pp.attribute("divergence-sentence", diverged ? "the divergence rule fired: the loss rose after warm-up and stayed up"
                : fmt("the divergence rule did not fire: after warm-up the loss never stayed more than %s nats above its lowest "
                        + "value", TrainingDynamics.DIVERGENCE));
        pp.table("The phases of " + subject.label() + " by the rules (U = " + (unigram.isPresent() ? fmt("%.3f", unigram.getAsDouble())
                : "unknown") + ", b = " + TrainingDynamics.BAND + " nats, c = " + TrainingDynamics.CONFIRM + ")",
                List.of("Phase", "Steps", "Tokens seen"), phases);

        List<List<String>> findings = new ArrayList<>();
        for (Finding f : a.findings()) {
            findings.add(List.of(f.subject(), f.verdict(), f.measurement(), f.rule(), f.suggestion().isEmpty() ? "–" : f.suggestion()));
        }
        if (findings.isEmpty()) {
            findings.add(List.of("–", "no rule fired", "–", "–", "–"));
        }
        results.publish(prefix + "/findings").config(config)
                .attribute("count", Integer.toString(a.findings().size()))
                .attribute("verdicts", a.findings().isEmpty() ? "none" : String.join("; ",
                        a.findings().stream().map(f -> f.subject() + " " + f.verdict()).toList()))
                .table("What the rules found in " + subject.label() + "'s log, with the measurement that triggered each",
                        List.of("Subject", "Verdict", "Measurement", "Rule", "Suggestion"), findings);

        GradientFlow.Diagnosis d = a.flow();
        List<List<String>> flow = new ArrayList<>();
        String grew = "–";
        double most = 0;
        for (GradientFlow.Summary s : d.groups()) {
            flow.add(List.of(s.group(), num(s.gradNorm()), Double.isNaN(s.relative()) ? "–" : num(s.relative()), num(s.updateRatio()),
                    num(s.weightNorm()), num(s.firstQuarter()) + " → " + num(s.lastQuarter())));
            double change = s.lastQuarter() / s.firstQuarter();
            if (s.group().startsWith("layer.") && change > most) {
                most = change;
                grew = s.group();
            }
        }
        results.publish(prefix + "/gradient-flow").config(config)
                .attribute("from", fmt("%,d", d.fromStep()))
                .attribute("to", fmt("%,d", d.toStep()))
                .attribute("points", Integer.toString(d.points()))
                .attribute("grew", grew)
                .attribute("grew-factor", fmt("%.0f", most))
                .table(fmt("Gradient flow of %s over steps %,d–%,d (%d log points after warm-up): medians over the window", subject.label(),
                                d.fromStep(), d.toStep(), d.points()),
                        List.of("Group", "Gradient norm", "÷ median layer", "Update ratio", "Weight norm", "Gradient norm, first → last quarter"),
                        flow);
        Plot norms = Plot.of("step", "gradient norm (before clipping)").logY();
        Plot ratios = Plot.of("step", "‖Δθ‖ / ‖θ‖ of a step").logY();
        for (String g : log.groups()) {
            double[] x = log.train().stream().mapToDouble(RunLog.TrainPoint::step).toArray();
            double[] gn = log.train().stream().mapToDouble(p -> p.groups().containsKey(g) ? p.groups().get(g).gradNorm() : Double.NaN).toArray();
            double[] ur = log.train().stream().mapToDouble(p -> p.groups().containsKey(g) ? p.groups().get(g).updateRatio() : Double.NaN).toArray();
            norms.line(g, x, gn);
            ratios.line(g, x, ur);
        }
        norms.marker("end of warm-up", log.settings().warmupSteps());
        ratios.marker("end of warm-up", log.settings().warmupSteps()).reference("10⁻²", GradientFlow.RATIO_HIGH)
                .reference("10⁻³", 1e-3).reference("10⁻⁴", GradientFlow.RATIO_LOW);
        results.publish(prefix + "/gradient-norms").config(config).plot("Gradient norm per parameter group over " + subject.label()
                + "; the rules read the points after warm-up", norms);
        results.publish(prefix + "/update-ratios").config(config).plot("Update-to-weight ratio per parameter group over "
                + subject.label() + ", with the rule's bounds 10⁻⁴ and 10⁻²", ratios);
        results.publish(prefix + "/analyze").config(config).listing("What minibert analyze prints for " + subject.label()
                + "'s run directory", RunReport.render(a, unigramHow));
        return a;
    }

    // ---------------------------------------------------------------- the explorer and the terminal

    private static void explorer(Results results, Subject subject, Inputs inputs) {
        ModelConfig c = subject.trained().config();
        List<Sequence> sentences = inPieces(inputs.explorer(), inputs.shortPieces(), subject.wordPiece(), c.maxPositions());
        String json = ExplorerData.build(subject.trained(), sentences, subject.label() + ", checkpoint after "
                + fmt("%,d", subject.step()) + " steps (" + subject.checkpoint().getFileName() + ")");
        String script = ExplorerData.script(json);
        results.writeFile("explore/attention.json", json);
        results.writeFile("explore/attention.js", script);
        long bytes = script.getBytes(StandardCharsets.UTF_8).length;
        int pairs = (int) sentences.stream().filter(Sequence::isPair).count();
        boolean small = bytes < EXPLORER_LIMIT;
        results.publish("explore/explorer").seed(subject.initSeed()).data("sst2/dev.tsv", inputs.sst2Sha())
                .data("imdb/held-out", inputs.corpusSha())
                .attribute("sentences", Integer.toString(sentences.size()))
                .attribute("sst2", Integer.toString(sentences.size() - pairs))
                .attribute("pairs", Integer.toString(pairs))
                .attribute("kb", fmt("%,d", bytes / 1000))
                .attribute("model", subject.label())
                .attribute("step", fmt("%,d", subject.step()))
                .check("The explorer's data for " + sentences.size() + " sentences × " + c.numLayers() + " layers × " + c.numHeads()
                        + " heads stays under 1 MB", small, fmt("%,d bytes (explorer/attention.js)", bytes));
    }

    /** What {@code minibert attention} and {@code minibert trace} print, on sentences of the explorer. */
    private static void terminal(Results results, Subject subject, Inputs inputs, TrainingDynamics.Analysis shortAnalysis) {
        ModelConfig c = subject.trained().config();
        Sequence first = inPieces(inputs.explorer(), inputs.shortPieces(), subject.wordPiece(), c.maxPositions()).get(0);
        String text = subject.wordPiece().decode(Arrays.copyOfRange(first.ids(), 1, first.length() - 1));
        // the head of the trained model with the largest share on the previous token, over this one sentence
        int[] best = {0, 0};
        double[] share = {-1};
        String[] map = {""};
        Inspection.run(subject.trained(), List.of(first), 1, (i, s, view) -> {
            HeadStatistics one = new HeadStatistics(c.numLayers(), c.numHeads());
            for (int l = 0; l < c.numLayers(); l++) {
                for (int h = 0; h < c.numHeads(); h++) {
                    one.add(l, h, view.attention(l, h), s);
                    if (one.mean(l, h, Statistic.PREVIOUS) > share[0]) {
                        share[0] = one.mean(l, h, Statistic.PREVIOUS);
                        best[0] = l;
                        best[1] = h;
                    }
                }
            }
            map[0] = TerminalAttention.render(view.attention(best[0], best[1]), s.tokens(), "layer " + best[0] + ", head "
                    + best[1] + " of " + subject.checkpoint().getFileName() + " (" + s.length() + " positions)");
        });
        double even = 1.0 / first.length();                               // a query's share of each key, spread evenly
        results.publish("explore/attention-listing").seed(subject.initSeed()).data("sst2/dev.tsv", inputs.sst2Sha())
                .attribute("choice", share[0] > 2 * even
                        ? fmt("the head of the trained model that attends most to the previous token on this sentence: %.2f of "
                                + "each query's attention on average, against %.2f spread evenly over its %d positions", share[0],
                                even, first.length())
                        : fmt("the head of the trained model with the largest share on the previous token on this sentence, "
                                + "though no head has much: %.2f of each query's attention on average, near the %.2f of "
                                + "attention spread evenly over its %d positions, so this is no previous-token head",
                                share[0], even, first.length()))
                .attribute("layer", Integer.toString(best[0]))
                .attribute("head", Integer.toString(best[1]))
                .attribute("text", text)
                .listing("minibert attention --checkpoint " + subject.checkpoint().getFileName() + " --layer " + best[0] + " --head "
                        + best[1] + " \"" + text + "\"", map[0]);

        String sentence = "the movie was not good";
        int length = subject.wordPiece().encode(sentence).length + 4;
        ForwardTrace.Trace trace = ForwardTrace.run(subject.trained(), subject.wordPiece(), sentence, length, 0);
        List<ForwardTrace.Step> shown = trace.steps().stream()
                .filter(s -> !s.section().startsWith("layer ") || s.section().equals("layer 0")).toList();
        ForwardTrace.Trace cut = new ForwardTrace.Trace(trace.pieces(), trace.inputs(), shown, trace.top());
        double padded = 0;
        for (ForwardTrace.Step s : trace.steps()) {
            if (s.name().contains("P = softmax")) {
                int n = trace.inputs().realLength();
                for (int i = 0; i < s.value().numRows; i++) {
                    for (int j = n; j < s.value().numCols; j++) {
                        padded = Math.max(padded, s.value().get(i, j));
                    }
                }
            }
        }
        results.publish("explore/trace-listing").seed(subject.initSeed())
                .attribute("text", sentence)
                .attribute("length", Integer.toString(length))
                .attribute("padded-weight", padded == 0 ? "Exactly 0" : fmt("At most %.1e", padded))
                .attribute("steps", Integer.toString(trace.steps().size()))
                .listing("minibert trace --checkpoint " + subject.checkpoint().getFileName() + " --length " + length + " --rows 2 \""
                        + sentence + "\" (layers 1 and 2 repeat layer 0's steps and are left out here)",
                        ForwardTrace.render(cut, sentence, 2, 4));
    }

    private static String num(double v) {
        if (!Double.isFinite(v)) {
            return "–";
        }
        double a = Math.abs(v);
        return a != 0 && (a < 1e-2 || a >= 1e5) ? fmt("%.2e", v) : fmt("%.3g", v);
    }

    private static String fmt(String f, Object... a) {
        return String.format(Locale.ROOT, f, a);
    }
}
