package minibert.model;

import minibert.config.ModelConfig;
import minibert.nn.ClassificationHead;
import minibert.nn.Dropout;
import minibert.nn.Param;
import minibert.nn.Pass;
import org.ejml.data.DMatrixRMaj;

import java.util.List;

/**
 * BERT for fine-tuning on a classification task (SST-2): the encoder of {@link BertForMaskedLM} with a
 * pooler and a classifier on [CLS]. It shares the encoder's parameters with a pre-trained model.
 */
public final class BertForSequenceClassification {

    /** The encoder's record and the head's, for passes on B sequences of T tokens. */
    public static final class Activations {
        final BertForMaskedLM.Activations encoder;
        final ClassificationHead.Activations head;

        Activations(BertForMaskedLM.Activations encoder, ClassificationHead.Activations head) {
            this.encoder = encoder;
            this.head = head;
        }

        public BertForMaskedLM.Activations encoder() {
            return encoder;
        }

        public ClassificationHead.Activations head() {
            return head;
        }
    }

    private final BertForMaskedLM encoder;
    private final ClassificationHead head;
    private final int classes;

    /** A classifier on the encoder of {@code pretrained} (shared, not copied); the head is freshly initialised. */
    public BertForSequenceClassification(BertForMaskedLM pretrained, int classes, long seed) {
        this.encoder = pretrained;
        this.classes = classes;
        ModelConfig c = pretrained.config();
        this.head = new ClassificationHead(c.hiddenSize(), classes,
                new Dropout(1 + 3 * c.numLayers(), c.hiddenDropout()), pretrained.products());
        java.util.Random random = new java.util.Random(seed);
        for (Param p : List.of(head.pooler().weight(), head.classifier().weight())) {
            for (int i = 0; i < p.size(); i++) {
                p.value().data[i] = BertForMaskedLM.truncatedNormal(random) * c.initializerRange();
            }
        }
    }

    public BertForMaskedLM encoder() {
        return encoder;
    }

    public ClassificationHead head() {
        return head;
    }

    public int classes() {
        return classes;
    }

    /** A record for passes on {@code batch} sequences of {@code length} tokens. */
    public Activations activations(int batch, int length) {
        return new Activations(encoder.activations(batch, length),
                new ClassificationHead.Activations(batch, length, encoder.config().hiddenSize(), classes));
    }

    /** The encoder's parameters (without the MLM head's), then the pooler's and the classifier's. */
    public List<Param> parameters() {
        List<Param> ps = encoder.encoderParameters();
        ps.add(head.pooler().weight());
        ps.add(head.pooler().bias());
        ps.add(head.classifier().weight());
        ps.add(head.classifier().bias());
        return ps;
    }

    /**
     * @param labels      one class per sequence [B]
     * @param inputOffset added to the summed input embeddings [B·T, H] (the gradient check), or null
     * @return the mean cross-entropy
     */
    public double forward(Batch batch, int[] labels, Activations acts, Pass pass, DMatrixRMaj inputOffset) {
        DMatrixRMaj hidden = encoder.encode(batch, acts.encoder, pass, inputOffset);
        return head.forward(hidden, labels, pass, acts.head);
    }

    /** Adds the gradient of the last forward pass's loss to every parameter's gradient. */
    public void backward(Batch batch, Activations acts) {
        DMatrixRMaj d = encoder.prepareBackward(acts.encoder);
        head.backward(acts.head, d);
        encoder.encodeBackward(batch, acts.encoder, d);
    }

    public void zeroGrad() {
        for (Param p : parameters()) {
            p.zeroGrad();
        }
    }
}
