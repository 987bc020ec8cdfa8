package minibert.model;

import minibert.config.ModelConfig;
import minibert.nn.ClassificationHead;
import minibert.nn.EncoderLayer;
import minibert.nn.Param;
import org.ejml.data.DMatrixRMaj;

import java.util.ArrayList;
import java.util.List;

/**
 * BERT for fine-tuning on a classification task (SST-2): the encoder of {@link BertForMaskedLM} with a
 * pooler and a classifier on [CLS]. It shares the encoder's parameters with a pre-trained model.
 */
public final class BertForSequenceClassification {

    private final BertForMaskedLM encoder;
    private final ClassificationHead head;

    /** A classifier on the encoder of {@code pretrained} (shared, not copied); the head is freshly initialised. */
    public BertForSequenceClassification(BertForMaskedLM pretrained, int classes, long seed) {
        this.encoder = pretrained;
        ModelConfig c = pretrained.config();
        this.head = new ClassificationHead(c.hiddenSize(), classes);
        java.util.Random random = new java.util.Random(seed);
        for (Param p : List.of(head.pooler().weight(), head.classifier().weight())) {
            for (int i = 0; i < p.value().getNumElements(); i++) {
                double g;
                do {
                    g = random.nextGaussian();
                } while (Math.abs(g) > 2);
                p.value().data[i] = g * c.initializerRange();
            }
        }
    }

    public ClassificationHead head() {
        return head;
    }

    /** The encoder's parameters (without the MLM head's), then the pooler's and the classifier's. */
    public List<Param> parameters() {
        List<Param> ps = new ArrayList<>();
        for (Param p : encoder.parameters()) {
            if (!p.name().startsWith("cls.")) {
                ps.add(p);
            }
        }
        ps.add(head.pooler().weight());
        ps.add(head.pooler().bias());
        ps.add(head.classifier().weight());
        ps.add(head.classifier().bias());
        return ps;
    }

    /** @param labels one class per sequence [B] */
    public double forward(Batch batch, int[] labels, DMatrixRMaj inputOffset) {
        DMatrixRMaj x = encoder.embeddings().forward(batch.inputIds(), batch.tokenTypes(), batch.length(), inputOffset);
        for (EncoderLayer layer : encoder.layers()) {
            x = layer.forward(x, batch.attentionMask(), batch.batch(), batch.length());
        }
        return head.forward(x, batch.batch(), batch.length(), labels);
    }

    public DMatrixRMaj backward() {
        DMatrixRMaj d = head.backward();
        for (int l = encoder.layers().size() - 1; l >= 0; l--) {
            d = encoder.layers().get(l).backward(d);
        }
        return encoder.embeddings().backward(d);
    }

    public void zeroGrad() {
        for (Param p : parameters()) {
            p.zeroGrad();
        }
    }
}
