package minibert.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import minibert.config.EvalConfig;
import minibert.data.ConlluReader;
import minibert.data.DataStore;
import minibert.data.Sst2Reader;
import minibert.data.Sst2Reader.Sst2Example;
import minibert.data.WikiTextReader;
import minibert.model.BertForMaskedLM;
import minibert.model.BertForSequenceClassification;
import minibert.model.checkpoint.Checkpoint;
import minibert.model.checkpoint.Safetensors;
import minibert.model.checkpoint.Tensor;
import minibert.nn.Param;
import minibert.text.Vocabulary;
import minibert.text.WordPiece;
import minibert.train.Masking;
import minibert.train.PretrainingCache;
import minibert.train.PretrainingCorpus;
import minibert.train.Progress;
import minibert.train.RunDirectory;
import minibert.train.Seeds;
import minibert.train.Unigram;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The evaluation of one pre-trained checkpoint, as {@code minibert evaluate} runs it: masked-LM accuracy and
 * perplexity on the IMDB held-out split and on WikiText-2 valid (with the unigram model on the same masks),
 * the POS probe on UD English EWT at every layer (with the most-frequent-tag baseline, the untrained model
 * and the control task), SST-2 fine-tuning (with the majority class, a bag-of-words logistic regression and
 * fine-tuning from random initialisation), and the same model in bfloat16. All in double precision.
 *
 * <p>Nothing here prints: progress goes to the {@link Progress} handed in.
 */
public final class Evaluation {

    /**
     * What to evaluate and how.
     *
     * @param checkpoint a checkpoint folder (Hugging Face layout), or a run directory (its newest checkpoint)
     * @param config     the evaluation settings
     * @param cacheDir   where the pre-training caches are (shared with training; built if missing)
     * @param store      the data sets
     * @param quick      the quick subsets of the config
     */
    public record Options(Path checkpoint, EvalConfig config, Path cacheDir, DataStore store, boolean quick) {
    }

    /** The pre-training settings the held-out split depends on, read from the run when there is one. */
    record RunSettings(long seed, int length, long documentLimit, double maskProbability, String source) {
    }

    private Evaluation() {
    }

    /**
     * The checkpoint folder {@code path} names: itself if it holds {@code config.json} and
     * {@code model.safetensors}, or the newest {@code checkpoints/step-NNNNNNN} of a run directory.
     */
    public static Path resolveCheckpoint(Path path) throws IOException {
        if (!Files.exists(path)) {
            throw new IllegalArgumentException(path + " does not exist");
        }
        if (!Files.isDirectory(path)) {
            throw new IllegalArgumentException(path + " is not a folder (a checkpoint folder or a run directory)");
        }
        if (Files.isRegularFile(path.resolve("config.json")) && Files.isRegularFile(path.resolve("model.safetensors"))) {
            return path;
        }
        RunDirectory run = new RunDirectory(path);
        List<Long> steps = run.checkpointSteps();
        if (steps.isEmpty()) {
            throw new IllegalArgumentException(path + " is neither a checkpoint folder (config.json and model.safetensors) "
                    + "nor a run directory with a checkpoint in " + run.checkpoints());
        }
        return run.checkpoint(steps.get(steps.size() - 1));
    }

    /** Runs every part of the evaluation on the checkpoint of {@code options}. */
    public static EvaluationReport run(Options options, Progress progress) throws IOException {
        long start = System.nanoTime();
        resetPeakHeap();
        EvalConfig c = options.config();
        Path dir = resolveCheckpoint(options.checkpoint()).toAbsolutePath().normalize();
        progress.report("evaluating " + dir + (options.quick() ? " (quick subsets)" : ""));
        Path vocabTxt = dir.resolve("vocab.txt");
        if (!Files.isRegularFile(vocabTxt)) {
            throw new IllegalArgumentException(dir + " has no vocab.txt: the checkpoint's tokenizer is needed");
        }
        Vocabulary vocabulary = Vocabulary.load(vocabTxt);
        WordPiece wordPiece = new WordPiece(vocabulary);
        BertForMaskedLM model = Checkpoint.load(dir);
        if (vocabulary.size() != model.config().vocabSize()) {
            throw new IllegalArgumentException(vocabTxt + ": " + vocabulary.size() + " pieces, the checkpoint's config.json says "
                    + model.config().vocabSize());
        }
        RunSettings run = runSettings(dir, model.config().maxPositions());
        progress.report("held-out split: " + run.source());
        double[] seconds = new double[5];

        // 1. Intrinsic: masked accuracy and perplexity, beside the unigram model.
        long t0 = System.nanoTime();
        int mlmBatches = options.quick() ? c.quickMlmBatches() : c.mlmBatches();
        PretrainingCorpus imdb = PretrainingCorpus.imdb(options.store());
        String key = String.format(Locale.ROOT, "T%d-seed%d-docs%d-vocab%s", run.length(), run.seed(), run.documentLimit(),
                RunDirectory.sha256(vocabTxt).substring(0, 12));
        Files.createDirectories(options.cacheDir());
        var spec = PretrainingCache.Spec.of(run.length(), run.seed(), run.documentLimit(), PretrainingCache.Split.TRAIN);
        Unigram unigram;
        try (PretrainingCache train = PretrainingCache.openOrBuild(options.cacheDir().resolve("train-" + key + ".bin"), spec,
                vocabulary, imdb, progress)) {
            unigram = Unigram.fit(train, vocabulary.size());
        }
        Masking masking = new Masking(vocabulary, run.maskProbability());
        LayerByLayer exact = new LayerByLayer(model, LayerByLayer.Rounding.NONE);
        MaskedLmEvaluation.Outcome imdbOutcome;
        Sequences wiki = wikiText(options.store(), wordPiece, run.length(), c.seed());
        try (PretrainingCache heldOut = PretrainingCache.openOrBuild(options.cacheDir().resolve("held-out-" + key + ".bin"),
                spec.withSplit(PretrainingCache.Split.HELD_OUT), vocabulary, imdb, progress)) {
            imdbOutcome = MaskedLmEvaluation.run("IMDB held-out", Sequences.of(heldOut), exact, masking, unigram, mlmBatches,
                    c.mlmBatchSize(), c.seed());
        }
        MaskedLmEvaluation.Outcome wikiOutcome = MaskedLmEvaluation.run("WikiText-2 valid", wiki, exact, masking, unigram,
                mlmBatches, c.mlmBatchSize(), c.seed());
        progress.report(String.format(Locale.ROOT, "masked LM: IMDB %.1f%% (perplexity %.1f), WikiText %.1f%% (%.1f)",
                100 * imdbOutcome.model().accuracy(), imdbOutcome.model().perplexity(),
                100 * wikiOutcome.model().accuracy(), wikiOutcome.model().perplexity()));
        seconds[0] = since(t0);

        // 2. The POS probe.
        t0 = System.nanoTime();
        EvaluationReport.Pos pos = pos(options, model, wordPiece, progress);
        seconds[1] = since(t0);

        // 3. SST-2.
        t0 = System.nanoTime();
        Sst2Run sst2 = sst2(options, dir, wordPiece, progress);
        seconds[2] = since(t0);

        // 4. BF16: weights and hidden states rounded.
        t0 = System.nanoTime();
        BertForMaskedLM rounded = Checkpoint.load(dir);
        LayerByLayer.roundWeights(rounded.parameters());
        LayerByLayer bf16 = new LayerByLayer(rounded, LayerByLayer.Rounding.BF16);
        var imdbBf16 = bf16Imdb(options, run, key, vocabulary, imdb, bf16, masking, unigram, mlmBatches, progress);
        var wikiBf16 = MaskedLmEvaluation.run("WikiText-2 valid", wiki, bf16, masking, unigram, mlmBatches, c.mlmBatchSize(),
                c.seed());
        LayerByLayer.roundWeights(sst2.classifier().parameters());
        double sst2Bf16 = Sst2FineTuning.evaluate(sst2.classifier(), sst2.dev(), c.sst2BatchSize(),
                LayerByLayer.Rounding.BF16, null);
        long[] bytes = sizesOnDisk(model);
        seconds[3] = since(t0);
        seconds[4] = since(start);
        var comparison = new EvaluationReport.Bf16Comparison(imdbBf16.model(), wikiBf16.model(), sst2Bf16, bytes[0], bytes[1],
                bytes[2]);
        return new EvaluationReport(dir.toString(), step(dir), options.quick(), c.seed(), imdbOutcome, wikiOutcome, pos,
                sst2.report(), comparison, seconds, peakHeap(), Runtime.getRuntime().maxMemory());
    }

    private static MaskedLmEvaluation.Outcome bf16Imdb(Options options, RunSettings run, String key, Vocabulary vocabulary,
                                                       PretrainingCorpus imdb, LayerByLayer bf16, Masking masking,
                                                       Unigram unigram, int batches, Progress progress) {
        var spec = PretrainingCache.Spec.of(run.length(), run.seed(), run.documentLimit(), PretrainingCache.Split.HELD_OUT);
        try (PretrainingCache heldOut = PretrainingCache.openOrBuild(options.cacheDir().resolve("held-out-" + key + ".bin"),
                spec, vocabulary, imdb, progress)) {
            return MaskedLmEvaluation.run("IMDB held-out", Sequences.of(heldOut), bf16, masking, unigram, batches,
                    options.config().mlmBatchSize(), options.config().seed());
        }
    }

    /** WikiText-2 valid, packed as the pre-training corpus is. */
    static Sequences wikiText(DataStore store, WordPiece wordPiece, int length, long seed) {
        List<String> docs = Sequences.wikiTextDocuments(WikiTextReader.read(store.file("wikitext2_raw", "wiki.valid.raw.gz")));
        return Sequences.pack(docs, wordPiece, length, seed, null);
    }

    /** The probe at every layer of the pre-trained and of an untrained model, and the most-frequent-tag baseline. */
    static EvaluationReport.Pos pos(Options options, BertForMaskedLM model, WordPiece wordPiece, Progress progress) {
        EvalConfig c = options.config();
        int t = model.config().maxPositions();
        List<ConlluReader.ConlluSentence> train = ConlluReader.read(options.store().file("ud_english_ewt", "en_ewt-ud-train.conllu.gz"));
        List<ConlluReader.ConlluSentence> dev = ConlluReader.read(options.store().file("ud_english_ewt", "en_ewt-ud-dev.conllu.gz"));
        List<ConlluReader.ConlluSentence> test = ConlluReader.read(options.store().file("ud_english_ewt", "en_ewt-ud-test.conllu.gz"));
        if (options.quick()) {
            train = train.subList(0, Math.min(train.size(), c.quickProbeTrain()));
            dev = dev.subList(0, Math.min(dev.size(), c.quickProbeEval()));
            test = test.subList(0, Math.min(test.size(), c.quickProbeEval()));
        }
        PosProbing.Words trainWords = PosProbing.prepare("EWT train", train, wordPiece, t);
        PosProbing.Words devWords = PosProbing.prepare("EWT dev", dev, wordPiece, t);
        PosProbing.Words testWords = PosProbing.prepare("EWT test", test, wordPiece, t);
        int dropped = trainWords.dropped() + devWords.dropped() + testWords.dropped();
        int split = trainWords.split() + devWords.split() + testWords.split();
        progress.report(String.format(Locale.ROOT, "POS: %,d / %,d / %,d words; %d dropped (longer than %d pieces), "
                + "%d sentences cut into windows", trainWords.size(), devWords.size(), testWords.size(), dropped, t - 2, split));
        var settings = new ProbeTraining.Settings(options.quick() ? c.quickProbeEpochs() : c.probeEpochs(),
                c.probeLearningRate(), c.probeL2(), c.probeBatchSize(), c.seed());
        List<PosProbing.Layer> pretrained = PosProbing.probeLayers("pre-trained", model, trainWords, devWords, testWords,
                settings, c.mlmBatchSize(), c.seed(), progress);
        BertForMaskedLM untrained = new BertForMaskedLM(model.config(), Seeds.of(c.seed(), Seeds.INITIALISATION, 0));
        List<PosProbing.Layer> random = PosProbing.probeLayers("untrained", untrained, trainWords, devWords, testWords,
                settings, c.mlmBatchSize(), c.seed(), progress);
        int types = new java.util.HashSet<>(java.util.Arrays.asList(trainWords.forms())).size();
        return new EvaluationReport.Pos(trainWords.size(), types, devWords.size(), testWords.size(), dropped, split, pretrained,
                random, PosProbing.mostFrequent(trainWords, testWords), bestOnDev(pretrained), bestOnDev(random));
    }

    /** The layer whose probe did best on dev (ties: the lower layer). */
    static int bestOnDev(List<PosProbing.Layer> layers) {
        int best = 0;
        for (int l = 1; l < layers.size(); l++) {
            best = layers.get(l).real().devAccuracy() > layers.get(best).real().devAccuracy() ? l : best;
        }
        return best;
    }

    /** SST-2's outcome, the fine-tuned classifier (for BF16) and the dev examples. */
    record Sst2Run(EvaluationReport.Sst2 report, BertForSequenceClassification classifier, List<Sst2FineTuning.Example> dev) {
    }

    static Sst2Run sst2(Options options, Path dir, WordPiece wordPiece, Progress progress) {
        EvalConfig c = options.config();
        List<Sst2Example> trainAll = Sst2Reader.read(options.store().file("sst2", "train.tsv"));
        List<Sst2Example> dev = Sst2Reader.read(options.store().file("sst2", "dev.tsv"));
        if (options.quick()) {
            trainAll = sample(trainAll, c.quickSst2Train(), c.seed());
            dev = dev.subList(0, Math.min(dev.size(), c.quickSst2Dev()));
        }
        List<List<Sst2Example>> parts = Sst2FineTuning.holdOut(trainAll, c.sst2HeldOutShare(), c.seed());
        List<Sst2Example> train = parts.get(0), heldOut = parts.get(1);
        int t = Math.min(c.sst2MaxLength(), Checkpoint.readConfig(dir.resolve("config.json")).maxPositions());
        var trainEnc = Sst2FineTuning.encode(train, wordPiece, t);
        var heldEnc = Sst2FineTuning.encode(heldOut, wordPiece, t);
        var devEnc = Sst2FineTuning.encode(dev, wordPiece, t);
        int truncated = trainEnc.truncated() + heldEnc.truncated() + devEnc.truncated();
        progress.report(String.format(Locale.ROOT, "SST-2: %,d training, %,d held-out, %,d dev sentences; %d cut to %d pieces",
                train.size(), heldOut.size(), dev.size(), truncated, t));
        int majorityClass = Sst2FineTuning.majority(trainEnc.examples());
        int right = 0;
        for (Sst2Example e : dev) {
            right += e.label() == majorityClass ? 1 : 0;
        }
        double majority = (double) right / dev.size();
        BagOfWords.Outcome bow = BagOfWords.fit(train, heldOut, dev,
                new BagOfWords.Settings(c.bowEpochs(), c.bowLearningRate(), c.bowL2(), c.seed()));
        progress.report(String.format(Locale.ROOT, "SST-2 baselines: majority %.1f%%, bag of words %.1f%%", 100 * majority,
                100 * bow.testAccuracy()));
        var settings = new Sst2FineTuning.Settings(options.quick() ? c.quickSst2Epochs() : c.sst2Epochs(),
                c.sst2LearningRate(), c.sst2BatchSize(), c.sst2WarmupShare(), c.sst2WeightDecay(), c.seed());
        progress.report("SST-2: fine-tuning the pre-trained model");
        var pretrained = Sst2FineTuning.fineTune(Checkpoint.load(dir), trainEnc.examples(), heldEnc.examples(),
                devEnc.examples(), settings, progress);
        progress.report(String.format(Locale.ROOT, "SST-2: pre-trained %.1f%% on dev; fine-tuning from random initialisation",
                100 * pretrained.devAccuracy()));
        BertForMaskedLM random = new BertForMaskedLM(pretrained.classifier().encoder().config(),
                Seeds.of(c.seed(), Seeds.INITIALISATION, 0));
        var fromRandom = Sst2FineTuning.fineTune(random, trainEnc.examples(), heldEnc.examples(), devEnc.examples(),
                settings, progress);
        progress.report(String.format(Locale.ROOT, "SST-2: from random initialisation %.1f%% on dev", 100 * fromRandom.devAccuracy()));
        var report = new EvaluationReport.Sst2(train.size(), heldOut.size(), dev.size(), truncated, majority, majorityClass,
                bow, EvaluationReport.FineTuned.of(pretrained), EvaluationReport.FineTuned.of(fromRandom));
        return new Sst2Run(report, pretrained.classifier(), devEnc.examples());
    }

    /** {@code n} examples drawn without replacement by a seeded shuffle, in their original order. */
    static <T> List<T> sample(List<T> all, int n, long seed) {
        if (n >= all.size()) {
            return all;
        }
        int[] order = ProbeTraining.permutation(all.size(), new Random(Seeds.of(seed, Sst2FineTuning.ORDER, 0)));
        int[] chosen = java.util.Arrays.copyOf(order, n);
        java.util.Arrays.sort(chosen);
        List<T> out = new ArrayList<>(n);
        for (int i : chosen) {
            out.add(all.get(i));
        }
        return out;
    }

    /**
     * The sanity check: fine-tune the classifier on one batch of SST-2 training sentences until it gets all of
     * them right.
     *
     * @return the steps it took, or −1 if {@code maxSteps} did not suffice
     */
    public static int overfitOneBatch(Options options, int maxSteps, Progress progress) throws IOException {
        Path dir = resolveCheckpoint(options.checkpoint());
        WordPiece wordPiece = new WordPiece(Vocabulary.load(dir.resolve("vocab.txt")));
        EvalConfig c = options.config();
        List<Sst2Example> train = Sst2Reader.read(options.store().file("sst2", "train.tsv"));
        List<Sst2Example> one = sample(train, c.sst2BatchSize(), c.seed());
        BertForMaskedLM model = Checkpoint.load(dir);
        int t = Math.min(c.sst2MaxLength(), model.config().maxPositions());
        var examples = Sst2FineTuning.encode(one, wordPiece, t).examples();
        progress.report("overfitting one batch of " + examples.size() + " SST-2 sentences from " + dir);
        return Sst2FineTuning.overfitOneBatch(model, examples, new Sst2FineTuning.Settings(1, c.sst2LearningRate() * 4,
                c.sst2BatchSize(), 0, 0, c.seed()), maxSteps);
    }

    /**
     * The settings the held-out split was made with: from the run directory's run.json when the checkpoint is
     * in one ({@code RUN/checkpoints/step-N}, or the kept weights {@code RUN/step-N}), else the trainer's defaults (seed 42, all documents) with the
     * seed of trainer_state.json if present.
     */
    static RunSettings runSettings(Path checkpoint, int maxPositions) throws IOException {
        ObjectMapper json = RunDirectory.json();
        Path runJson = runJson(checkpoint);
        if (runJson != null && Files.isRegularFile(runJson)) {
            JsonNode s = json.readTree(runJson.toFile()).path("settings");
            if (!s.has("train.seed") || !s.has("train.sequenceLength")) {
                throw new IllegalArgumentException(runJson + ": no train.seed or train.sequenceLength in its settings");
            }
            return new RunSettings(s.get("train.seed").asLong(), s.get("train.sequenceLength").asInt(),
                    s.path("train.documentLimit").asLong(0), s.path("train.maskProbability").asDouble(0.15),
                    "the run's settings, " + runJson);
        }
        long seed = 42;
        Path state = checkpoint.resolve("trainer_state.json");
        if (Files.isRegularFile(state)) {
            seed = json.readTree(state.toFile()).path("seed").asLong(seed);
        }
        return new RunSettings(seed, maxPositions, 0, 0.15, "no run directory around the checkpoint: seed " + seed
                + ", all documents, T = " + maxPositions + ", mask probability 0.15");
    }

    /**
     * The run.json of the run directory holding {@code checkpoint} as {@code RUN/checkpoints/step-N} or as kept
     * weights {@code RUN/step-N}; null when it is in no run directory.
     */
    static Path runJson(Path checkpoint) {
        Path folder = checkpoint.toAbsolutePath().normalize(), parent = folder.getParent();
        if (parent == null) {
            return null;
        }
        if (parent.getFileName() != null && parent.getFileName().toString().equals("checkpoints") && parent.getParent() != null
                && Files.isRegularFile(parent.getParent().resolve("run.json"))) {
            return parent.getParent().resolve("run.json");
        }
        if (folder.getFileName().toString().matches("step-\\d+") && Files.isRegularFile(parent.resolve("run.json"))) {
            return parent.resolve("run.json");
        }
        return null;
    }

    /**
     * The step of trainer_state.json; for kept weights ({@code RUN/step-N}, which hold no training state) the
     * step of their folder's name; else −1.
     */
    static long step(Path checkpoint) throws IOException {
        Path state = checkpoint.resolve("trainer_state.json");
        if (Files.isRegularFile(state)) {
            return RunDirectory.json().readTree(state.toFile()).path("step").asLong(-1);
        }
        String name = checkpoint.toAbsolutePath().normalize().getFileName().toString();
        if (runJson(checkpoint) != null && name.matches("step-\\d+")) {
            return Long.parseLong(name.substring("step-".length()));
        }
        return -1;
    }

    /** The weights' bytes on disk as safetensors in float64, float32 and bfloat16 (written to a temporary folder). */
    static long[] sizesOnDisk(BertForMaskedLM model) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Param p : model.parameters()) {
            tensors.put(p.name(), Tensor.of(p.hfShape(), p.value().data));
        }
        Path tmp = Files.createTempDirectory("minibert-sizes-");
        try {
            Safetensors.write(tmp.resolve("f64.safetensors"), tensors, Safetensors.DType.F64, Map.of("format", "pt"));
            Safetensors.write(tmp.resolve("f32.safetensors"), tensors, Safetensors.DType.F32, Map.of("format", "pt"));
            Bf16.writeSafetensors(tmp.resolve("bf16.safetensors"), tensors);
            return new long[] {Files.size(tmp.resolve("f64.safetensors")), Files.size(tmp.resolve("f32.safetensors")),
                    Files.size(tmp.resolve("bf16.safetensors"))};
        } finally {
            try (var files = Files.list(tmp)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(tmp);
        }
    }

    private static double since(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static void resetPeakHeap() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
            }
        }
    }

    /** The sum of the heap pools' peaks since the last reset (an upper bound of the peak of their sum). */
    private static long peakHeap() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak;
    }
}
