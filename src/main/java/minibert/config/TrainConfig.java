package minibert.config;

import java.nio.file.Path;

/**
 * How to pre-train: data, batch, optimiser (AdamW), schedule and checkpoints.
 *
 * @param model                 the model config file, relative to this file's folder
 * @param corpus                pretraining dataset name in the data manifest
 * @param seed                  seed of every random choice (initialisation, masking, shuffling)
 * @param batchSize             sequences per optimiser step (before accumulation)
 * @param sequenceLength        tokens per sequence, at most the model's max_position_embeddings
 * @param steps                 optimiser steps
 * @param learningRate          peak learning rate
 * @param warmupSteps           linear warm-up steps, then linear decay to zero
 * @param weightDecay           AdamW decoupled weight decay (not applied to biases and LayerNorm)
 * @param beta1                 AdamW β₁
 * @param beta2                 AdamW β₂
 * @param epsilon               AdamW ε
 * @param gradientAccumulation  micro-batches summed per optimiser step
 * @param maxGradNorm           global gradient-norm clip (0 disables)
 * @param maskProbability       share of tokens selected for MLM (15% in BERT)
 * @param checkpointEvery       steps between checkpoints
 * @param logEvery              steps between log lines
 * @param evalEvery             steps between evaluations on the held-out split
 * @param evalBatches           held-out batches per evaluation (the same batches, masked the same way, each time)
 * @param keepCheckpoints       checkpoints kept in the run directory (the newest)
 * @param precision             {@code float32} (the default) or {@code float64}
 * @param backend               matrix products: {@code vector} (the default), {@code ejml} or {@code openblas}
 * @param documentLimit         read only the first this many documents of the corpus (0: all)
 */
public record TrainConfig(Path model, String corpus, long seed, int batchSize, int sequenceLength, int steps,
                          double learningRate, int warmupSteps, double weightDecay, double beta1, double beta2,
                          double epsilon, int gradientAccumulation, double maxGradNorm, double maskProbability,
                          int checkpointEvery, int logEvery, int evalEvery, int evalBatches, int keepCheckpoints,
                          String precision, String backend, long documentLimit) {

    /** The same settings in another precision and/or on another product backend (null keeps the current one). */
    public TrainConfig withNumbers(String newPrecision, String newBackend) {
        String p = newPrecision == null ? precision : newPrecision;
        String b = newBackend == null ? backend : newBackend;
        if (!p.equals("float32") && !p.equals("float64")) {
            throw new IllegalArgumentException("precision must be float32 or float64, found '" + p + "'");
        }
        if (!b.equals("vector") && !b.equals("ejml") && !b.equals("openblas")) {
            throw new IllegalArgumentException("backend must be vector, ejml or openblas, found '" + b + "'");
        }
        return new TrainConfig(model, corpus, seed, batchSize, sequenceLength, steps, learningRate, warmupSteps,
                weightDecay, beta1, beta2, epsilon, gradientAccumulation, maxGradNorm, maskProbability, checkpointEvery,
                logEvery, evalEvery, evalBatches, keepCheckpoints, p, b, documentLimit);
    }

    /** The same settings with {@code steps} changed (a shorter schedule for tests and examples). */
    public TrainConfig withSteps(int newSteps, int newWarmup) {
        return new TrainConfig(model, corpus, seed, batchSize, sequenceLength, newSteps, learningRate, newWarmup,
                weightDecay, beta1, beta2, epsilon, gradientAccumulation, maxGradNorm, maskProbability, checkpointEvery,
                logEvery, evalEvery, evalBatches, keepCheckpoints, precision, backend, documentLimit);
    }

    /** Loads and validates a training config; {@code model} is resolved against the file's folder. */
    public static TrainConfig load(Path file) {
        ConfigSource src = ConfigSource.load(file);
        String model = src.string("model");
        String corpus = src.choice("corpus", "imdb", "wikitext2");
        long seed = src.longValue("seed", 0, Long.MAX_VALUE);
        int batch = src.integer("batch_size", 1, 1 << 16);
        int seq = src.integer("sequence_length", 2, 1 << 16);
        int steps = src.integer("steps", 1, Integer.MAX_VALUE);
        double lr = src.real("learning_rate", Double.MIN_VALUE, 1.0);
        int warmup = src.integer("warmup_steps", 0, Integer.MAX_VALUE);
        double wd = src.real("weight_decay", 0, 1);
        double b1 = src.real("adam_beta1", 0, 0.999999);
        double b2 = src.real("adam_beta2", 0, 0.999999999);
        double eps = src.real("adam_epsilon", Double.MIN_VALUE, 1);
        int accumulation = src.integer("gradient_accumulation", 1, 1 << 16);
        double clip = src.real("max_grad_norm", 0, 1e6);
        double maskP = src.real("mask_probability", Double.MIN_VALUE, 1);
        int every = src.integer("checkpoint_every", 1, Integer.MAX_VALUE);
        int logEvery = src.integer("log_every", 1, Integer.MAX_VALUE);
        int evalEvery = src.integer("eval_every", 1, Integer.MAX_VALUE, every);
        int evalBatches = src.integer("eval_batches", 1, 1 << 20, 20);
        int keep = src.integer("keep_checkpoints", 1, 1000, 3);
        String precision = src.has("precision") ? src.choice("precision", "float32", "float64") : "float32";
        String backend = src.has("backend") ? src.choice("backend", "vector", "ejml", "openblas") : "vector";
        long documentLimit = src.has("document_limit") ? src.longValue("document_limit", 0, Long.MAX_VALUE) : 0;
        src.finish();
        if (warmup > steps) {
            throw src.error("warmup_steps", "is " + warmup + ", more than steps " + steps);
        }
        Path modelFile;
        try {
            modelFile = file.toAbsolutePath().getParent().resolve(model).normalize();
        } catch (java.nio.file.InvalidPathException e) {
            throw src.error("model", "is not a usable path: " + e.getReason());
        }
        ModelConfig modelConfig;
        try {
            modelConfig = ModelConfig.load(modelFile);
        } catch (ConfigException e) {
            throw src.error("model", "refers to a config that cannot be used: " + e.getMessage());
        }
        if (seq > modelConfig.maxPositions()) {
            throw src.error("sequence_length", "is " + seq + ", more than the model's max_position_embeddings "
                    + modelConfig.maxPositions());
        }
        return new TrainConfig(modelFile, corpus, seed, batch, seq, steps, lr, warmup, wd, b1, b2, eps,
                accumulation, clip, maskP, every, logEvery, evalEvery, evalBatches, keep, precision, backend, documentLimit);
    }

    /** The model config this training config names. */
    public ModelConfig modelConfig() {
        return ModelConfig.load(model);
    }
}
