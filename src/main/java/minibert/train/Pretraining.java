package minibert.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import minibert.config.ConfigSource;
import minibert.config.ModelConfig;
import minibert.config.TrainConfig;
import minibert.data.Corpora;
import minibert.data.DataStore;
import minibert.model.BertForMaskedLM;
import minibert.tensor.Pool;
import minibert.tensor.Products;
import minibert.tensor.ProductsF;
import minibert.text.Vocabulary;
import minibert.text.WordPieceTrainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Everything a pre-training run needs, assembled from its config: the run directory (new, or resumed with
 * the same settings), the vocabulary (trained first if the run has none), the cached corpus split into
 * training and held-out sequences, the model and AdamW in the configured precision, and the trainer.
 * The command line ({@code minibert train}) and the book's short run both start here.
 */
public final class Pretraining {

    /** The alphabet limit of a vocabulary trained for a run, as the book's tokenization chapter uses. */
    public static final int ALPHABET = 1000;

    /**
     * How to start.
     *
     * @param config      the training config file
     * @param runDir      the run directory
     * @param cacheDir    where the corpus caches live (shared between runs with the same data settings)
     * @param vocabulary  a folder with vocab.txt to copy into a new run, or null to train one if the run has none
     * @param corpus      the documents, or null for the config's corpus through the data store
     * @param store       the data store, for provenance and the default corpus (may be null with a corpus)
     * @param checkpointing whether training passes recompute each layer in backward (activation checkpointing)
     * @param precision     {@code float32} or {@code float64} instead of the config's, or null
     * @param backend       {@code vector}, {@code ejml} or {@code openblas} instead of the config's, or null
     */
    public record Options(Path config, Path runDir, Path cacheDir, Path vocabulary, PretrainingCorpus corpus,
                          DataStore store, boolean checkpointing, String precision, String backend) {
    }

    private final TrainConfig config;
    private final ModelConfig modelConfig;
    private final RunDirectory run;
    private final Vocabulary vocabulary;
    private final PretrainingCache trainCache;
    private final PretrainingCache heldOutCache;
    private final Learner learner;
    private final Masking masking;
    private final String backendName;
    private final List<String> description = new ArrayList<>();
    private final ObjectNode provenance;
    private final PretrainingCorpus corpus;

    private Pretraining(TrainConfig config, ModelConfig modelConfig, RunDirectory run, Vocabulary vocabulary,
                        PretrainingCache trainCache, PretrainingCache heldOutCache, Learner learner, String backendName,
                        ObjectNode provenance, PretrainingCorpus corpus) {
        this.config = config;
        this.modelConfig = modelConfig;
        this.run = run;
        this.vocabulary = vocabulary;
        this.trainCache = trainCache;
        this.heldOutCache = heldOutCache;
        this.learner = learner;
        this.masking = new Masking(vocabulary, config.maskProbability());
        this.backendName = backendName;
        this.provenance = provenance;
        this.corpus = corpus;
    }

    /** Opens (or starts) the run of {@code options}, reporting long work through {@code progress}. */
    public static Pretraining open(Options options, Progress progress) throws IOException {
        ConfigSource trainSource = ConfigSource.load(options.config());
        TrainConfig config = TrainConfig.load(options.config()).withNumbers(options.precision(), options.backend());
        ConfigSource modelSource = ConfigSource.load(config.model());
        ModelConfig modelConfig = ModelConfig.from(modelSource);
        RunDirectory run = new RunDirectory(options.runDir());
        if (run.exists()) {
            run.requireSettings(config, modelConfig, options.config());
        } else {
            try {
                run.create(config, modelConfig, trainSource.text(), modelSource.text());
            } catch (IOException e) {
                throw new RunDirectory.WriteFailure("cannot record the settings of a new run in " + run.path() + ": "
                        + RunDirectory.cause(e) + "; nothing was trained yet", e);
            }
        }
        PretrainingCorpus corpus = options.corpus() != null ? options.corpus() : PretrainingCorpus.imdb(options.store());
        Vocabulary vocabulary = vocabulary(run, options, modelConfig, corpus, progress);
        String vocabSha = RunDirectory.sha256(run.vocabulary().resolve("vocab.txt"));

        Files.createDirectories(options.cacheDir());
        var spec = PretrainingCache.Spec.of(config.sequenceLength(), config.seed(), config.documentLimit(),
                PretrainingCache.Split.TRAIN);
        String key = String.format(Locale.ROOT, "T%d-seed%d-docs%d-vocab%s", config.sequenceLength(), config.seed(),
                config.documentLimit(), vocabSha.substring(0, 12));
        PretrainingCache train = PretrainingCache.openOrBuild(options.cacheDir().resolve("train-" + key + ".bin"), spec,
                vocabulary, corpus, progress);
        PretrainingCache heldOut = PretrainingCache.openOrBuild(options.cacheDir().resolve("held-out-" + key + ".bin"),
                spec.withSplit(PretrainingCache.Split.HELD_OUT), vocabulary, corpus, progress);
        for (PretrainingCache c : List.of(train, heldOut)) {
            if (c.size() == 0) {                          // nothing to train on, or to evaluate on
                throw new minibert.config.ConfigException(options.config(), "document_limit", "the " + c.spec().split()
                        .name().toLowerCase(Locale.ROOT).replace('_', '-') + " split of the first " + config.documentLimit()
                        + " documents of " + corpus.description() + " holds no sequence (about "
                        + Math.round(100 * PretrainingCache.Spec.HELD_OUT_SHARE) + "% of the documents are held out): read more documents");
            }
        }

        long initSeed = Seeds.of(config.seed(), Seeds.INITIALISATION, 0);
        Learner learner;
        String backendName;
        if (config.precision().equals("float32")) {
            ProductsF products = ProductsF.named(config.backend());
            learner = new minibert.train.f32.BertLearner(new minibert.model.f32.BertForMaskedLM(modelConfig, initSeed, products),
                    config, options.checkpointing());
            backendName = products.backend().name();
        } else {
            Products products = Products.named(config.backend());
            learner = new BertLearner(new BertForMaskedLM(modelConfig, initSeed, products), config, options.checkpointing());
            backendName = products.backend().name();
        }
        ObjectNode provenance = run.readProvenance();
        provenance.put("config_sha256", settingsSha256(config, modelConfig));
        provenance.put("vocabulary_sha256", vocabSha);
        provenance.put("corpus", corpus.description());
        provenance.put("corpus_sha256", corpus.checksum());
        provenance.put("precision", learner.precision());
        provenance.put("backend", backendName);
        provenance.put("threads", Pool.threads());
        provenance.put("jdk", System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")");
        provenance.put("machine", Machine.describe());
        try {
            run.writeProvenance(provenance);
        } catch (IOException e) {
            throw new RunDirectory.WriteFailure("cannot write " + run.provenance() + ": " + RunDirectory.cause(e)
                    + "; the file is as it was, and nothing was trained in this invocation", e);
        }
        Pretraining p = new Pretraining(config, modelConfig, run, vocabulary, train, heldOut, learner, backendName,
                provenance, corpus);
        p.description.add("run directory   " + run.path());
        p.description.add("config          " + options.config() + " (settings " + settingsSha256(config, modelConfig).substring(0, 12) + ")");
        p.description.add(String.format(Locale.ROOT, "model           L=%d H=%d A=%d I=%d T=%d V=%d, %,d parameters",
                modelConfig.numLayers(), modelConfig.hiddenSize(), modelConfig.numHeads(), modelConfig.intermediateSize(),
                modelConfig.maxPositions(), modelConfig.vocabSize(), modelConfig.parameterCount()));
        p.description.add(String.format(Locale.ROOT, "schedule        %,d steps of %d × %d × %d tokens, peak lr %.1e, warm-up %,d",
                config.steps(), config.gradientAccumulation(), config.batchSize(), config.sequenceLength(),
                config.learningRate(), config.warmupSteps()));
        p.description.add(String.format(Locale.ROOT, "data            %s: %,d training and %,d held-out sequences",
                corpus.description(), train.size(), heldOut.size()));
        p.description.add("vocabulary      " + run.vocabulary().resolve("vocab.txt") + " (" + vocabulary.size() + " pieces, sha256 "
                + vocabSha.substring(0, 12) + ")");
        p.description.add("numbers         " + learner.precision() + ", " + backendName + ", "
                + (options.checkpointing() ? "activation checkpointing, " : "") + "commit " + SourceRevision.ofBuild(Path.of(".")));
        p.description.add("JVM             " + System.getProperty("java.version") + ", max heap "
                + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB, " + Machine.describe());
        return p;
    }

    /** The run's vocabulary: already in the run, copied from {@code options.vocabulary()}, or trained now. */
    private static Vocabulary vocabulary(RunDirectory run, Options options, ModelConfig model, PretrainingCorpus corpus,
                                         Progress progress) throws IOException {
        Path vocabTxt = run.vocabulary().resolve("vocab.txt");
        if (Files.isRegularFile(vocabTxt) && !Files.isRegularFile(run.vocabulary().resolve("tokenizer_config.json"))) {
            // vocab.txt is written first: a stop between the two files leaves it alone; write the pair again
            Vocabulary.load(vocabTxt).save(run.vocabulary(), model.maxPositions());
            progress.report("wrote " + run.vocabulary().resolve("tokenizer_config.json") + ", missing beside vocab.txt");
        }
        if (!Files.isRegularFile(vocabTxt)) {
            if (options.vocabulary() != null) {
                Path from = Files.isDirectory(options.vocabulary()) ? options.vocabulary().resolve("vocab.txt") : options.vocabulary();
                Vocabulary v = Vocabulary.load(from);
                v.save(run.vocabulary(), model.maxPositions());
                progress.report("copied the vocabulary " + from + " into " + run.vocabulary());
            } else {
                progress.report("the run has no vocabulary yet: training a WordPiece vocabulary of " + model.vocabSize()
                        + " pieces on " + corpus.description());
                List<String> texts = corpus.documents().get().toList();
                long total = Corpora.characters(texts);
                long[] done = {0};
                int[] shown = {-1};
                var counts = WordPieceTrainer.countWords(texts, n -> {
                    synchronized (done) {
                        done[0] += n;
                        int pct = (int) (done[0] * 100 / Math.max(1, total));
                        if (pct / 10 != shown[0] / 10) {
                            shown[0] = pct;
                            progress.report("vocabulary: counted words in " + pct + "% of the text");
                        }
                    }
                });
                progress.report("vocabulary: merging to " + model.vocabSize() + " pieces");
                WordPieceTrainer.Result result = new WordPieceTrainer(model.vocabSize(), ALPHABET).train(counts);
                result.vocabulary().save(run.vocabulary(), model.maxPositions());
                progress.report("vocabulary: " + result.vocabulary().size() + " pieces written to " + run.vocabulary());
            }
        }
        Vocabulary v = Vocabulary.load(vocabTxt);
        if (v.size() != model.vocabSize()) {
            throw new RunDirectory.RunException(vocabTxt + ": " + v.size() + " pieces, the model config's vocab_size is "
                    + model.vocabSize());
        }
        return v;
    }

    /** SHA-256 of the run's settings, as {@link RunDirectory#settings} lists them. */
    public static String settingsSha256(TrainConfig config, ModelConfig model) {
        return RunDirectory.sha256(RunDirectory.settings(config, model).toString());
    }

    /** A trainer for this run, reporting to {@code listener}. */
    public Trainer trainer(Trainer.Listener listener) {
        return new Trainer(config, learner, new BatchStream(trainCache, Seeds.of(config.seed(), Seeds.SHUFFLE, 0)),
                heldOutCache, masking, run, RunDirectory.sha256(run.vocabulary().resolve("vocab.txt")),
                settingsSha256(config, modelConfig), backendName, Pool.threads(), listener);
    }

    /** Lines that say what this run is, printed at its start. */
    public List<String> description() {
        return description;
    }

    public TrainConfig config() {
        return config;
    }

    public ModelConfig modelConfig() {
        return modelConfig;
    }

    public RunDirectory run() {
        return run;
    }

    public Learner learner() {
        return learner;
    }

    public Vocabulary vocabulary() {
        return vocabulary;
    }

    public Masking masking() {
        return masking;
    }

    public PretrainingCache trainCache() {
        return trainCache;
    }

    public PretrainingCache heldOutCache() {
        return heldOutCache;
    }

    public String backendName() {
        return backendName;
    }

    public PretrainingCorpus corpus() {
        return corpus;
    }

    /** A segment of provenance: this invocation's start, end, steps and how it ended. */
    public static ObjectNode segment(Instant started, long fromStep, long toStep, double wallSeconds, String ending) {
        ObjectNode s = RunDirectory.json().createObjectNode();
        s.put("started", started.toString());
        s.put("ended", Instant.now().toString());
        s.put("from_step", fromStep);
        s.put("to_step", toStep);
        s.put("wall_seconds", Math.round(wallSeconds * 10) / 10.0);
        s.put("ended_by", ending);
        s.put("commit", SourceRevision.ofBuild(Path.of(".")));
        return s;
    }
}
