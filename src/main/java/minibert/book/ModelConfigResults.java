package minibert.book;

import minibert.config.ConfigSource;
import minibert.config.ModelConfig;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Publishes the model configuration the whole book uses, read from {@code configs/model/mini-bert.yaml}:
 * the "Notation and shapes" chapter shows it as a table and quotes its numbers inline.
 */
public final class ModelConfigResults implements ResultProducer {

    @Override
    public String name() {
        return "model-config";
    }

    @Override
    public void produce(Results results) {
        Path file = ProjectFiles.projectDir().resolve("configs/model/mini-bert.yaml");
        ConfigSource source = ConfigSource.load(file);
        ModelConfig c = ModelConfig.from(source);
        long params = c.parameterCount();
        // tag::publish[]
        results.publish("config/model")
                .config(source.text())
                .attribute("v", Integer.toString(c.vocabSize()))
                .attribute("h", Integer.toString(c.hiddenSize()))
                .attribute("l", Integer.toString(c.numLayers()))
                .attribute("a", Integer.toString(c.numHeads()))
                .attribute("d", Integer.toString(c.headSize()))
                .attribute("i", Integer.toString(c.intermediateSize()))
                .attribute("t", Integer.toString(c.maxPositions()))
                .attribute("types", Integer.toString(c.typeVocabSize()))
                .attribute("eps", String.format(Locale.ROOT, "%.0e", c.layerNormEps()))
                .attribute("act", c.hiddenAct())
                .attribute("init", Double.toString(c.initializerRange()))
                .attribute("params", String.format(Locale.ROOT, "%,d", params))
                .attribute("params-millions", String.format(Locale.ROOT, "%.2f", params / 1e6))
                .table("The model configuration, read from configs/model/mini-bert.yaml",
                        List.of("Symbol", "Key", "Meaning", "Value"),
                        List.of(
                                List.of("L", "num_hidden_layers", "encoder layers", c.numLayers()),
                                List.of("H", "hidden_size", "hidden width", c.hiddenSize()),
                                List.of("A", "num_attention_heads", "attention heads", c.numHeads()),
                                List.of("d", "H / A", "width of one head", c.headSize()),
                                List.of("I", "intermediate_size", "feed-forward width", c.intermediateSize()),
                                List.of("T", "max_position_embeddings", "longest sequence", c.maxPositions()),
                                List.of("V", "vocab_size", "WordPiece vocabulary", c.vocabSize()),
                                List.of("", "type_vocab_size", "token types (segments)", c.typeVocabSize()),
                                List.of("ε", "layer_norm_eps", "LayerNorm epsilon", c.layerNormEps()),
                                List.of("", "hidden_act", "activation", c.hiddenAct()),
                                List.of("", "hidden_dropout_prob", "dropout on hidden states", c.hiddenDropout()),
                                List.of("", "attention_probs_dropout_prob", "dropout on attention weights", c.attentionDropout()),
                                List.of("", "initializer_range", "std of the initial weights", c.initializerRange()),
                                List.of("", "(computed)", "trainable parameters", String.format(Locale.ROOT, "%,d", params))));
        // end::publish[]

        // the batch the book trains with: B and M are the batch's letters in the notation chapter
        Path trainFile = ProjectFiles.projectDir().resolve(minibert.bench.ModelProducts.TRAIN_CONFIG);
        minibert.config.TrainConfig train = minibert.config.TrainConfig.load(trainFile);
        minibert.bench.ModelProducts products = minibert.bench.ModelProducts.of(c, train);
        results.publish("config/train")
                .config(trainFile)
                .attribute("b", Integer.toString(train.batchSize()))
                .attribute("t", Integer.toString(train.sequenceLength()))
                .attribute("rows", Integer.toString(products.rows()))
                .attribute("mask-percent", String.format(Locale.ROOT, "%.0f", 100 * train.maskProbability()))
                .attribute("masked", Integer.toString(products.masked()))
                .attribute("steps", String.format(Locale.ROOT, "%,d", train.steps()))
                .table("The training batch, read from " + minibert.bench.ModelProducts.TRAIN_CONFIG,
                        List.of("Symbol", "Key", "Meaning", "Value"),
                        List.of(List.of("B", "batch_size", "sequences per step", train.batchSize()),
                                List.of("T", "sequence_length", "tokens per sequence", train.sequenceLength()),
                                List.of("", "mask_probability", "share of tokens the MLM objective selects", train.maskProbability()),
                                List.of("M", "(computed)", "masked rows of a full batch, rounded", products.masked()),
                                List.of("", "steps", "optimiser steps", String.format(Locale.ROOT, "%,d", train.steps()))));
    }
}
