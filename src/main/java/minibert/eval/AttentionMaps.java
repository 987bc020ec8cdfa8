package minibert.eval;

import minibert.model.Batch;
import minibert.model.BertForMaskedLM;
import minibert.text.Vocabulary;
import minibert.text.WordPiece;
import org.ejml.data.DMatrixRMaj;

import java.util.ArrayList;
import java.util.List;

/**
 * The attention weights of every layer and head for one sentence: what a heat map of attention shows.
 *
 * @param tokens  the pieces, {@code [CLS] … [SEP]}
 * @param weights [layer][head] the T × T weights, row i the distribution of query i over the keys
 */
public record AttentionMaps(List<String> tokens, double[][][][] weights) {

    /** Runs {@code model} on {@code text} (cut to the model's T) and keeps every layer's and head's weights. */
    public static AttentionMaps of(BertForMaskedLM model, WordPiece wordPiece, String text) {
        Vocabulary v = wordPiece.vocabulary();
        int[] pieces = wordPiece.encode(text);
        int t = Math.min(pieces.length + 2, model.config().maxPositions());
        int[] ids = new int[t];
        ids[0] = v.clsId();
        System.arraycopy(pieces, 0, ids, 1, t - 2);
        ids[t - 1] = v.sepId();
        int[] mask = new int[t];
        java.util.Arrays.fill(mask, 1);
        int[] labels = new int[t];
        java.util.Arrays.fill(labels, -100);
        LayerByLayer runner = new LayerByLayer(model, LayerByLayer.Rounding.NONE);
        runner.encode(new Batch(ids, new int[t], mask, labels, 1, t));
        int layers = model.config().numLayers(), heads = model.config().numHeads();
        double[][][][] w = new double[layers][heads][][];
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < heads; h++) {
                DMatrixRMaj p = runner.layer(l).attention().probabilities(0, h);     // [T, T]
                w[l][h] = new double[t][t];
                for (int i = 0; i < t; i++) {
                    System.arraycopy(p.data, i * t, w[l][h][i], 0, t);
                }
            }
        }
        List<String> tokens = new ArrayList<>();
        for (int id : ids) {
            tokens.add(v.token(id));
        }
        return new AttentionMaps(List.copyOf(tokens), w);
    }
}
