package minibert.eval;

import minibert.model.Batch;
import minibert.model.BertForMaskedLM;
import minibert.model.BertForSequenceClassification;
import minibert.nn.ClassificationHead;
import minibert.nn.Embeddings;
import minibert.nn.EncoderLayer;
import minibert.nn.MlmHead;
import minibert.nn.Param;
import minibert.nn.Pass;
import org.ejml.data.DMatrixRMaj;

import java.util.List;

/**
 * The encoder run one layer at a time through the public layer API, with a hook between layers: every
 * hidden state h⁽ˡ⁾ (the embeddings' output and each layer's output) is passed through a rounding before the
 * next layer reads it. With {@link Rounding#NONE} it computes exactly what {@link BertForMaskedLM#encode} does
 * (a test checks it bit for bit); with {@link Rounding#BF16} it simulates a model whose activations are
 * stored in bfloat16 between layers.
 *
 * <p>Inference only: no dropout, no backward pass. One record per batch shape is kept and reused.
 */
public final class LayerByLayer {

    /** What happens to a hidden state between layers, and to the weights. */
    public enum Rounding {
        /** Nothing: full double precision. */
        NONE,
        /** Round to the nearest bfloat16 ({@link Bf16#round}). */
        BF16;

        void apply(double[] x, int n) {
            if (this == BF16) {
                Bf16.round(x, n);
            }
        }
    }

    private final BertForMaskedLM model;
    private final Rounding rounding;
    private int batch = -1;
    private int length = -1;
    private Embeddings.Activations embeddings;
    private EncoderLayer.Activations[] layers;
    private MlmHead.Activations head;
    private ClassificationHead.Activations classifier;

    /** Runs {@code model} as it is, rounding the hidden states only; see {@link #roundWeights} for the weights. */
    public LayerByLayer(BertForMaskedLM model, Rounding rounding) {
        this.model = model;
        this.rounding = rounding;
    }

    /** Rounds every parameter in place: the weights as a bfloat16 checkpoint would hold them. */
    public static void roundWeights(List<Param> params) {
        for (Param p : params) {
            Bf16.round(p.value().data, p.size());
        }
    }

    public Rounding rounding() {
        return rounding;
    }

    /**
     * The encoder: embeddings, then each layer, each hidden state rounded as it is written.
     *
     * @return the last hidden state [B·T, H], a buffer of this object
     */
    // tag::encode[]
    public DMatrixRMaj encode(Batch batch) {
        shape(batch.batch(), batch.length());
        int n = batch.batch() * batch.length() * model.config().hiddenSize();
        model.embeddings().forward(batch.inputIds(), batch.tokenTypes(), batch.length(), null, Pass.INFERENCE, embeddings);
        DMatrixRMaj x = embeddings.output();                                  // h⁽⁰⁾ [B·T, H]
        rounding.apply(x.data, n);
        for (int l = 0; l < layers.length; l++) {
            model.layers().get(l).forward(x, batch.attentionMask(), Pass.INFERENCE, layers[l]);
            x = layers[l].output();                                           // h⁽ˡ⁺¹⁾ [B·T, H]
            rounding.apply(x.data, n);                                        // the layer boundary
        }
        return x;
    }
    // end::encode[]

    /** Hidden state l of the last {@link #encode}: 0 the embeddings' output, l the output of layer l − 1 [B·T, H]. */
    public DMatrixRMaj hidden(int l) {
        return l == 0 ? embeddings.output() : layers[l - 1].output();
    }

    /** Layer l's record of the last {@link #encode} (its attention weights: {@code layer(l).attention()}). */
    public EncoderLayer.Activations layer(int l) {
        return layers[l];
    }

    /** The masked-language-model loss of a batch; {@link #head()} holds M, the right predictions, the probabilities. */
    public double maskedLm(Batch batch) {
        DMatrixRMaj hidden = encode(batch);
        return model.head().forward(hidden, batch.labels(), head);
    }

    /** The MLM head's record of the last {@link #maskedLm}. */
    public MlmHead.Activations head() {
        return head;
    }

    /**
     * The classification loss of a batch through {@code classifier}'s head, whose encoder must be this
     * object's model; {@link #classifierHead()} holds the probabilities and the right predictions.
     */
    public double classify(BertForSequenceClassification classifier, Batch batch, int[] labels) {
        if (classifier.encoder() != model) {
            throw new IllegalArgumentException("the classifier's encoder is not the model this object runs");
        }
        DMatrixRMaj hidden = encode(batch);
        if (this.classifier == null || this.classifier.probabilities().numRows != batch.batch()
                || this.classifier.probabilities().numCols != classifier.classes()) {
            this.classifier = new ClassificationHead.Activations(batch.batch(), batch.length(),
                    model.config().hiddenSize(), classifier.classes());
        }
        return classifier.head().forward(hidden, labels, Pass.INFERENCE, this.classifier);
    }

    /** The classification head's record of the last {@link #classify}. */
    public ClassificationHead.Activations classifierHead() {
        return classifier;
    }

    private void shape(int b, int t) {
        if (b == batch && t == length) {
            return;
        }
        var c = model.config();
        int n = b * t;
        embeddings = new Embeddings.Activations(n, c.hiddenSize());
        layers = new EncoderLayer.Activations[c.numLayers()];
        for (int l = 0; l < layers.length; l++) {
            layers[l] = new EncoderLayer.Activations(b, t, c.hiddenSize(), c.numHeads(), c.intermediateSize());
        }
        head = new MlmHead.Activations((int) Math.ceil(0.2 * n), c.hiddenSize(), c.vocabSize());
        classifier = null;
        batch = b;
        length = t;
    }
}
