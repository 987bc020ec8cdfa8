package minibert.model;

import minibert.config.ModelConfig;
import minibert.nn.Embeddings;
import minibert.nn.EncoderLayer;
import minibert.nn.MlmHead;
import minibert.nn.Param;
import org.ejml.data.DMatrixRMaj;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * BERT with its masked-language-model head, assembled from {@code minibert.nn}: embeddings, L encoder
 * layers, and the head whose decoder is the word-embedding matrix. Parameters carry the names of Hugging
 * Face's {@code BertForMaskedLM}.
 */
public final class BertForMaskedLM {

    private final ModelConfig config;
    private final Embeddings embeddings;
    private final List<EncoderLayer> layers = new ArrayList<>();
    private final MlmHead head;
    private DMatrixRMaj lastHidden;
    private List<DMatrixRMaj> hiddenStates = List.of();

    /** A model with BERT's initialisation, seeded. */
    public BertForMaskedLM(ModelConfig config, long seed) {
        this.config = config;
        this.embeddings = new Embeddings(config.vocabSize(), config.maxPositions(), config.typeVocabSize(),
                config.hiddenSize(), config.layerNormEps());
        for (int l = 0; l < config.numLayers(); l++) {
            layers.add(new EncoderLayer("bert.encoder.layer." + l, config.hiddenSize(), config.numHeads(),
                    config.intermediateSize(), config.hiddenAct(), config.layerNormEps()));
        }
        this.head = new MlmHead(config.hiddenSize(), config.vocabSize(), config.hiddenAct(), config.layerNormEps(),
                embeddings.word());
        initialise(seed);
    }

    public ModelConfig config() {
        return config;
    }

    public Embeddings embeddings() {
        return embeddings;
    }

    public List<EncoderLayer> layers() {
        return layers;
    }

    public MlmHead head() {
        return head;
    }

    /** Every parameter, in Hugging Face's state-dict order; the tied decoder weight appears once, as the word embeddings. */
    public List<Param> parameters() {
        List<Param> ps = new ArrayList<>();
        ps.add(embeddings.word());
        ps.add(embeddings.position());
        ps.add(embeddings.type());
        ps.add(embeddings.norm().gamma());
        ps.add(embeddings.norm().beta());
        for (EncoderLayer layer : layers) {
            var a = layer.attention();
            for (var lin : List.of(a.query(), a.key(), a.value(), a.output())) {
                ps.add(lin.weight());
                ps.add(lin.bias());
            }
            ps.add(layer.attentionNorm().gamma());
            ps.add(layer.attentionNorm().beta());
            ps.add(layer.feedForward().intermediate().weight());
            ps.add(layer.feedForward().intermediate().bias());
            ps.add(layer.feedForward().output().weight());
            ps.add(layer.feedForward().output().bias());
            ps.add(layer.outputNorm().gamma());
            ps.add(layer.outputNorm().beta());
        }
        ps.add(head.decoderBias());
        ps.add(head.transform().weight());
        ps.add(head.transform().bias());
        ps.add(head.norm().gamma());
        ps.add(head.norm().beta());
        return ps;
    }

    /**
     * BERT's initialisation: weights and embeddings from a normal distribution with standard deviation
     * {@code initializer_range}, truncated at two standard deviations (redrawn outside); biases zero;
     * LayerNorm gains one.
     */
    // tag::init[]
    private void initialise(long seed) {
        Random random = new Random(seed);
        double std = config.initializerRange();
        for (Param p : parameters()) {
            boolean norm = p.name().contains("LayerNorm");
            boolean bias = p.name().endsWith(".bias");
            double[] d = p.value().data;
            for (int i = 0; i < p.value().getNumElements(); i++) {
                if (norm && !bias) {
                    d[i] = 1.0;
                } else if (bias) {
                    d[i] = 0.0;
                } else {
                    double g;
                    do {
                        g = random.nextGaussian();
                    } while (Math.abs(g) > 2);
                    d[i] = g * std;
                }
            }
        }
    }
    // end::init[]

    /** The loss of a batch; keeps what backward needs. */
    public double forward(Batch batch) {
        return forward(batch, null);
    }

    /** As {@link #forward(Batch)}, with {@code inputOffset} [B·T, H] added to the summed input embeddings. */
    // tag::forward[]
    public double forward(Batch batch, DMatrixRMaj inputOffset) {
        DMatrixRMaj x = embeddings.forward(batch.inputIds(), batch.tokenTypes(), batch.length(), inputOffset);
        List<DMatrixRMaj> states = new ArrayList<>();
        states.add(x);                                                    // [B·T, H]
        for (EncoderLayer layer : layers) {
            x = layer.forward(x, batch.attentionMask(), batch.batch(), batch.length());
            states.add(x);
        }
        hiddenStates = states;
        lastHidden = x;
        return head.forward(x, batch.labels());
    }
    // end::forward[]

    /** The hidden states of the last forward pass: the embeddings' output, then each layer's. */
    public List<DMatrixRMaj> hiddenStates() {
        return hiddenStates;
    }

    /**
     * Accumulates every parameter's gradient of the last forward pass's loss.
     *
     * @return the gradient with respect to the summed input embeddings [B·T, H]
     */
    // tag::backward[]
    public DMatrixRMaj backward() {
        DMatrixRMaj d = head.backward();                                  // [B·T, H]
        for (int l = layers.size() - 1; l >= 0; l--) {
            d = layers.get(l).backward(d);
        }
        return embeddings.backward(d);
    }
    // end::backward[]

    public void zeroGrad() {
        for (Param p : parameters()) {
            p.zeroGrad();
        }
    }

    DMatrixRMaj lastHidden() {
        return lastHidden;
    }
}
