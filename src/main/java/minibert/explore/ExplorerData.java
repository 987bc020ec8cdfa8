package minibert.explore;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minibert.model.BertForMaskedLM;
import org.ejml.data.DMatrixRMaj;

import java.util.Base64;
import java.util.List;

/**
 * The data of the attention explorer: for each sentence its pieces and, for every layer and head, its attention
 * weights, as one JSON object that the page's script reads.
 *
 * <pre>
 * {"format": 1, "model": "…", "layers": L, "heads": A, "encoding": "…",
 *  "sentences": [{"source": "SST-2 dev 17", "tokens": ["[CLS]", …], "types": [0, …],
 *                 "attention": [[head 0 of layer 0, head 1, …], [layer 1 …], …]}]}
 * </pre>
 *
 * A head's n × n weights are stored row-major (row i: query i's weights over keys 0 … n − 1) as n² bytes, each
 * weight rounded to a multiple of 1/255, in base64: 1.3 bytes a weight instead of the 5 to 8 of a decimal number,
 * so that 20 sentences of every layer and head fit in well under a megabyte, and a line's opacity still has 256
 * levels.
 */
public final class ExplorerData {

    /** The format of the JSON; the page's script refuses another. */
    public static final int FORMAT = 1;

    private static final ObjectMapper JSON = new ObjectMapper();

    private ExplorerData() {
    }

    /** One weight in [0, 1] as a byte: round(255·w). */
    // tag::encode[]
    static byte quantize(double w) {
        if (!(w >= 0 && w <= 1)) {
            throw new IllegalArgumentException("an attention weight must be in [0, 1], found " + w);
        }
        return (byte) Math.round(255 * w);
    }

    /** A head's weights [n, n] as base64 of n² bytes, row-major. */
    static String encode(DMatrixRMaj p) {
        byte[] bytes = new byte[p.numRows * p.numCols];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = quantize(p.data[i]);
        }
        return Base64.getEncoder().encodeToString(bytes);
    }
    // end::encode[]

    /** Decodes what {@link #encode} wrote back into weights [n, n] (multiples of 1/255). */
    static DMatrixRMaj decode(String base64, int n) {
        byte[] bytes = Base64.getDecoder().decode(base64);
        if (bytes.length != n * n) {
            throw new IllegalArgumentException("a head of " + n + " positions needs " + n * n + " weights, found " + bytes.length);
        }
        DMatrixRMaj p = new DMatrixRMaj(n, n);
        for (int i = 0; i < bytes.length; i++) {
            p.data[i] = Byte.toUnsignedInt(bytes[i]) / 255.0;
        }
        return p;
    }

    /**
     * Runs {@code model} over {@code sentences} and writes the JSON.
     *
     * @param description what model this is, for the page ("the short run's checkpoint after 300 steps")
     */
    public static String build(BertForMaskedLM model, List<Sequence> sentences, String description) {
        int layers = model.config().numLayers(), heads = model.config().numHeads();
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("model", description);
        root.put("layers", layers);
        root.put("heads", heads);
        root.put("encoding", "each head: n×n bytes in base64, row i = query i over keys 0…n−1, weight = byte / 255");
        ArrayNode list = root.putArray("sentences");
        Inspection.run(model, sentences, 8, (index, s, view) -> {
            ObjectNode o = list.addObject();
            o.put("source", s.source());
            ArrayNode tokens = o.putArray("tokens"), types = o.putArray("types");
            for (int i = 0; i < s.length(); i++) {
                tokens.add(s.tokens()[i]);
                types.add(s.types()[i]);
            }
            ArrayNode attention = o.putArray("attention");
            for (int l = 0; l < layers; l++) {
                ArrayNode layer = attention.addArray();
                for (int h = 0; h < heads; h++) {
                    layer.add(encode(view.attention(l, h)));
                }
            }
        });
        try {
            return JSON.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The same JSON as a script that the page loads from {@code file://}, where a page may not fetch a file. */
    public static String script(String json) {
        return "// Written by minibert's build: the attention explorer's data (see ExplorerData).\n"
                + "window.minibertAttention = " + json + ";\n";
    }
}
