package minibert.model;

import minibert.config.ModelConfig;
import minibert.nn.Dropout;
import minibert.nn.Embeddings;
import minibert.nn.EncoderLayer;
import minibert.nn.MlmHead;
import minibert.nn.Param;
import minibert.nn.Pass;
import minibert.nn.SelfAttention;
import minibert.nn.StepProfile;
import minibert.tensor.Products;
import org.ejml.data.DMatrixRMaj;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * BERT with its masked-language-model head, assembled from {@code minibert.nn}: embeddings, L encoder
 * layers, and the head whose decoder is the word-embedding matrix. Parameters carry the names of Hugging
 * Face's {@code BertForMaskedLM}.
 *
 * <p>The model holds its parameters and their gradients, nothing of any batch: a forward pass writes
 * everything the backward pass will need into an {@link Activations} record that the caller allocates
 * once per batch shape (llm.c's {@code ActivationTensors}) and hands to both passes. An evaluation between
 * a training step's forward and backward passes uses its own record and disturbs nothing.
 */
public final class BertForMaskedLM {

    /**
     * Every buffer of one forward and backward pass on B sequences of T tokens, allocated once. With
     * activation checkpointing it keeps only each layer's input and one layer's buffers, and the backward
     * pass recomputes each layer's forward pass before its backward pass (with the same dropout masks, which
     * follow from the pass's seed).
     */
    public static final class Activations {
        final int batch;
        final int length;
        final boolean checkpointed;
        final Embeddings.Activations embeddings;
        final EncoderLayer.Activations[] layers;   // one per layer, or one shared when checkpointed
        final DMatrixRMaj[] inputs;                // checkpointed: each layer's input [B·T, H]
        final MlmHead.Activations head;
        final ModelConfig config;
        EncoderLayer.Gradients gradients;          // backward scratch, allocated by the first backward pass
        DMatrixRMaj dHidden;                       // [B·T, H]
        DMatrixRMaj dOther;                        // [B·T, H]
        Pass pass = Pass.INFERENCE;

        Activations(ModelConfig c, int batch, int length, boolean checkpointed) {
            this.config = c;
            this.batch = batch;
            this.length = length;
            this.checkpointed = checkpointed;
            int n = batch * length, h = c.hiddenSize();
            embeddings = new Embeddings.Activations(n, h);
            layers = new EncoderLayer.Activations[checkpointed ? 1 : c.numLayers()];
            for (int l = 0; l < layers.length; l++) {
                layers[l] = new EncoderLayer.Activations(batch, length, h, c.numHeads(), c.intermediateSize());
            }
            inputs = new DMatrixRMaj[checkpointed ? c.numLayers() : 0];
            for (int l = 0; l < inputs.length; l++) {
                inputs[l] = new DMatrixRMaj(n, h);
            }
            head = new MlmHead.Activations((int) Math.ceil(0.2 * n), h, c.vocabSize());
        }

        public int batch() {
            return batch;
        }

        public int length() {
            return length;
        }

        /** The encoder's hidden states: 0 the embeddings' output, l the output of layer l − 1 [B·T, H]. Not kept for inner layers when checkpointed. */
        public DMatrixRMaj hidden(int l) {
            if (l == 0) {
                return embeddings.output();
            }
            if (checkpointed) {
                if (l < inputs.length) {
                    return inputs[l];
                }
                return layers[0].output();
            }
            return layers[l - 1].output();
        }

        /** Layer l's attention record (Q, K, V, P) of the last forward pass; not kept when checkpointed. */
        public SelfAttention.Activations attention(int l) {
            if (checkpointed) {
                throw new IllegalStateException("a checkpointed pass keeps no attention weights");
            }
            return layers[l].attention();
        }

        /** Layer l's record of the last forward pass. */
        public EncoderLayer.Activations layer(int l) {
            if (checkpointed) {
                throw new IllegalStateException("a checkpointed pass keeps no layer records");
            }
            return layers[l];
        }

        /** The head's record: M, the loss, the right predictions, the probabilities. */
        public MlmHead.Activations head() {
            return head;
        }

        /** The mean MLM loss of the last forward pass. */
        public double loss() {
            return head.loss();
        }

        /** The gradient with respect to the summed input embeddings of the last backward pass [B·T, H]. */
        public DMatrixRMaj inputGradient() {
            return embeddings.sumGradient();
        }

        /** The entries of every buffer held, for memory accounting. */
        public long entries() {
            long n = (long) batch * length;
            long h = config.hiddenSize(), i = config.intermediateSize(), a = config.numHeads();
            long perLayer = 9 * n * h + 3 * n * i + 3 * (long) batch * a * length * length;
            long total = 5 * n * h + layers.length * perLayer + inputs.length * n * h
                    + head.entries();
            if (gradients != null) {
                total += 2 * n * h + (2 + 4) * n * h + n * i + (long) batch * a * length * length;
            }
            return total;
        }
    }

    private final ModelConfig config;
    private final Products products;
    private final Embeddings embeddings;
    private final List<EncoderLayer> layers = new ArrayList<>();
    private final MlmHead head;

    /** A model with BERT's initialisation, seeded, on the standard product backend. */
    public BertForMaskedLM(ModelConfig config, long seed) {
        this(config, seed, Products.standard());
    }

    /** A model with BERT's initialisation, seeded, whose matrix products run on {@code products}. */
    public BertForMaskedLM(ModelConfig config, long seed, Products products) {
        this.config = config;
        this.products = products;
        this.embeddings = new Embeddings(config.vocabSize(), config.maxPositions(), config.typeVocabSize(),
                config.hiddenSize(), config.layerNormEps(), new Dropout(0, config.hiddenDropout()));
        for (int l = 0; l < config.numLayers(); l++) {
            layers.add(new EncoderLayer("bert.encoder.layer." + l, config.hiddenSize(), config.numHeads(),
                    config.intermediateSize(), config.hiddenAct(), config.layerNormEps(), config.hiddenDropout(),
                    config.attentionDropout(), 1 + 3 * l, products));
        }
        this.head = new MlmHead(config.hiddenSize(), config.vocabSize(), config.hiddenAct(), config.layerNormEps(),
                embeddings.word(), products);
        initialise(seed);
    }

    public ModelConfig config() {
        return config;
    }

    /** The matrix products this model runs on. */
    public Products products() {
        return products;
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

    /** A record for passes on {@code batch} sequences of {@code length} tokens. */
    public Activations activations(int batch, int length) {
        return new Activations(config, batch, length, false);
    }

    /** A record that keeps only each layer's input and recomputes the layer in backward (activation checkpointing). */
    public Activations checkpointedActivations(int batch, int length) {
        return new Activations(config, batch, length, true);
    }

    /** Every parameter, in Hugging Face's state-dict order; the tied decoder weight appears once, as the word embeddings. */
    public List<Param> parameters() {
        List<Param> ps = encoderParameters();
        ps.add(head.decoderBias());
        ps.add(head.transform().weight());
        ps.add(head.transform().bias());
        ps.add(head.norm().gamma());
        ps.add(head.norm().beta());
        return ps;
    }

    /** The parameters of the embeddings and the encoder layers, without the MLM head's. */
    public List<Param> encoderParameters() {
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
        return ps;
    }

    /**
     * BERT's initialisation, by each parameter's kind: weights and embeddings from a normal distribution
     * with standard deviation {@code initializer_range}, truncated at two standard deviations (redrawn
     * outside); biases and LayerNorm shifts zero; LayerNorm gains one.
     */
    // tag::init[]
    private void initialise(long seed) {
        Random random = new Random(seed);
        double std = config.initializerRange();
        for (Param p : parameters()) {
            double[] d = p.value().data;
            for (int i = 0; i < p.size(); i++) {
                d[i] = switch (p.kind()) {
                    case NORM_GAIN -> 1.0;
                    case BIAS, NORM_SHIFT -> 0.0;
                    case WEIGHT, EMBEDDING -> truncatedNormal(random) * std;
                };
            }
        }
    }
    // end::init[]

    /** A standard normal draw, redrawn until it lies within two standard deviations. */
    static double truncatedNormal(Random random) {
        double g;
        do {
            g = random.nextGaussian();
        } while (Math.abs(g) > 2);
        return g;
    }

    /** The loss of a batch; {@code acts} receives everything backward needs. */
    public double forward(Batch batch, Activations acts, Pass pass) {
        return forward(batch, acts, pass, null);
    }

    /** As {@link #forward(Batch, Activations, Pass)}, with {@code inputOffset} [B·T, H] added to the summed input embeddings. */
    // tag::forward[]
    public double forward(Batch batch, Activations acts, Pass pass, DMatrixRMaj inputOffset) {
        DMatrixRMaj hidden = encode(batch, acts, pass, inputOffset);      // [B·T, H]
        double loss = head.forward(hidden, batch.labels(), acts.head);
        StepProfile.lap(StepProfile.Op.MLM_HEAD);
        return loss;
    }
    // end::forward[]

    /**
     * The encoder alone: embeddings, then every layer.
     *
     * @return the last layer's output [B·T, H], a buffer of {@code acts}
     */
    // tag::encode[]
    public DMatrixRMaj encode(Batch batch, Activations acts, Pass pass, DMatrixRMaj inputOffset) {
        requireShape(batch, acts);
        acts.pass = pass;
        embeddings.forward(batch.inputIds(), batch.tokenTypes(), batch.length(), inputOffset, pass, acts.embeddings);
        DMatrixRMaj x = acts.embeddings.output();                         // [B·T, H]
        StepProfile.lap(StepProfile.Op.EMBEDDINGS);
        for (int l = 0; l < layers.size(); l++) {
            StepProfile.layer(l);
            if (acts.checkpointed) {
                System.arraycopy(x.data, 0, acts.inputs[l].data, 0, x.getNumElements());   // keep only the input
                x = acts.inputs[l];
            }
            EncoderLayer.Activations layerActs = acts.layers[acts.checkpointed ? 0 : l];
            layers.get(l).forward(x, batch.attentionMask(), pass, layerActs);
            x = layerActs.output();
        }
        StepProfile.layer(-1);
        return x;
    }
    // end::encode[]

    /**
     * Adds the gradient of the last forward pass's loss to every parameter's gradient; the gradient with
     * respect to the summed input embeddings is left in {@link Activations#inputGradient()}.
     */
    public void backward(Batch batch, Activations acts) {
        backward(batch, acts, 1);
    }

    /** As {@link #backward(Batch, Activations)}, for the loss scaled by {@code lossScale} (gradient accumulation). */
    // tag::backward[]
    public void backward(Batch batch, Activations acts, double lossScale) {
        requireShape(batch, acts);
        StepProfile.backward(true);
        DMatrixRMaj d = prepareBackward(acts);
        head.backward(acts.head, lossScale, d);                           // [B·T, H]
        StepProfile.lap(StepProfile.Op.MLM_HEAD);
        encodeBackward(batch, acts, d);
        StepProfile.backward(false);
    }
    // end::backward[]

    /** The gradient buffer the encoder's backward pass starts from [B·T, H] (allocated at the first call). */
    public DMatrixRMaj prepareBackward(Activations acts) {
        if (acts.gradients == null) {
            int h = config.hiddenSize();
            acts.gradients = new EncoderLayer.Gradients(acts.batch, acts.length, h, config.numHeads(), config.intermediateSize());
            acts.dHidden = new DMatrixRMaj(acts.batch * acts.length, h);
            acts.dOther = new DMatrixRMaj(acts.batch * acts.length, h);
        }
        return acts.dHidden;
    }

    /**
     * The encoder's backward pass from {@code dHidden}, the gradient with respect to its output (a buffer
     * from {@link #prepareBackward}); layer by layer in reverse, then the embeddings.
     */
    // tag::encode-backward[]
    public void encodeBackward(Batch batch, Activations acts, DMatrixRMaj dHidden) {
        DMatrixRMaj d = dHidden, other = d == acts.dHidden ? acts.dOther : acts.dHidden;
        for (int l = layers.size() - 1; l >= 0; l--) {
            StepProfile.layer(l);
            EncoderLayer.Activations layerActs;
            DMatrixRMaj input;
            if (acts.checkpointed) {                                      // recompute the layer from its input
                layerActs = acts.layers[0];
                input = acts.inputs[l];
                layers.get(l).forward(input, batch.attentionMask(), acts.pass, layerActs);
            } else {
                layerActs = acts.layers[l];
                input = l == 0 ? acts.embeddings.output() : acts.layers[l - 1].output();
            }
            layers.get(l).backward(input, layerActs, d, other, acts.gradients);
            DMatrixRMaj swap = d;
            d = other;
            other = swap;
        }
        StepProfile.layer(-1);
        embeddings.backward(batch.inputIds(), batch.tokenTypes(), batch.length(), acts.embeddings, d);
        StepProfile.lap(StepProfile.Op.EMBEDDINGS);
    }
    // end::encode-backward[]

    private static void requireShape(Batch batch, Activations acts) {
        if (batch.batch() != acts.batch || batch.length() != acts.length) {
            throw new IllegalArgumentException("a batch of " + batch.batch() + " × " + batch.length()
                    + " needs activations of that shape; these are for " + acts.batch + " × " + acts.length);
        }
    }

    public void zeroGrad() {
        for (Param p : parameters()) {
            p.zeroGrad();
        }
    }
}
