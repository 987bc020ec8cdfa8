package minibert.fuzz;

import minibert.text.Vocabulary;
import minibert.text.WordPieceTrainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The smallest run the trainer takes, for the experiments that break runs on purpose: a WordPiece vocabulary
 * trained on the given texts, a model of its size (H = 12, A = 3, I = 17, L = 2, T = 13) and a training config
 * (batch 3, two micro-batches a step, float32, the Vector API), written into one folder:
 * {@code vocab/}, {@code model.yaml}, {@code train.yaml}.
 */
public final class TinyRun {

    private TinyRun() {
    }

    /**
     * Writes the run's files into {@code dir} and returns the training config.
     *
     * @param texts           the vocabulary's training texts
     * @param steps           the schedule's length
     * @param checkpointEvery steps between checkpoints (the newest two are kept)
     * @param documentLimit   documents of the corpus read (0: all)
     */
    public static Path write(Path dir, List<String> texts, int steps, int checkpointEvery, int documentLimit) throws IOException {
        Files.createDirectories(dir);
        Vocabulary vocabulary = new WordPieceTrainer(160, 80).train(WordPieceTrainer.countWords(texts, n -> { })).vocabulary();
        vocabulary.save(dir.resolve("vocab"), 13);
        Files.writeString(dir.resolve("model.yaml"), modelYaml(vocabulary.size()));
        Path config = dir.resolve("train.yaml");
        Files.writeString(config, "# A tiny run for the experiments that break runs on purpose\n"
                + trainYaml(steps, checkpointEvery, "float32", "document_limit: " + documentLimit + "\n"));
        return config;
    }

    /** The tiny model's config (H = 12, A = 3, I = 17, L = 2, T = 13) for a vocabulary of {@code vocabSize} entries. */
    public static String modelYaml(int vocabSize) {
        return """
                vocab_size: %d
                hidden_size: 12
                num_hidden_layers: 2
                num_attention_heads: 3
                intermediate_size: 17
                max_position_embeddings: 13
                type_vocab_size: 2
                layer_norm_eps: 1.0e-12
                hidden_act: gelu
                hidden_dropout_prob: 0.1
                attention_probs_dropout_prob: 0.1
                initializer_range: 0.02
                """.formatted(vocabSize);
    }

    /**
     * The tiny run's training config (model.yaml beside it; batch 3 of length 13, two micro-batches a step, the
     * newest two checkpoints kept, the Vector API), followed by {@code extra} lines.
     */
    public static String trainYaml(int steps, int checkpointEvery, String precision, String extra) {
        return """
                model: model.yaml
                corpus: imdb
                seed: 5
                batch_size: 3
                sequence_length: 13
                steps: %d
                learning_rate: 3.0e-3
                warmup_steps: 2
                weight_decay: 0.01
                adam_beta1: 0.9
                adam_beta2: 0.999
                adam_epsilon: 1.0e-6
                gradient_accumulation: 2
                max_grad_norm: 1.0
                mask_probability: 0.15
                checkpoint_every: %d
                keep_checkpoints: 2
                log_every: 1
                eval_every: 3
                eval_batches: 2
                precision: %s
                backend: vector
                """.formatted(steps, checkpointEvery, precision) + extra;
    }

    private static final String[] WORDS = {"the", "movie", "was", "good", "bad", "plot", "actor", "scene", "funny", "long",
            "boring", "great", "story", "ending", "music", "film", "i", "liked", "hated", "it", "and", "but", "very"};

    /** Seeded texts of short sentences about films: a corpus that needs no data set. */
    public static List<String> texts(long seed, int documents) {
        Random r = new Random(seed);
        List<String> out = new ArrayList<>();
        for (int d = 0; d < documents; d++) {
            StringBuilder b = new StringBuilder();
            int sentences = 2 + r.nextInt(6);
            for (int s = 0; s < sentences; s++) {
                int words = 3 + r.nextInt(9);
                for (int w = 0; w < words; w++) {
                    b.append(w == 0 ? "" : " ").append(WORDS[r.nextInt(WORDS.length)]);
                }
                b.append(r.nextBoolean() ? ". " : "! ");
            }
            out.add(b.toString().strip());
        }
        return out;
    }
}
