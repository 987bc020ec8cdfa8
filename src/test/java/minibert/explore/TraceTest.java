package minibert.explore;

import minibert.model.BertForMaskedLM;
import minibert.nn.Softmax;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The trace's recomputed tensors agree with the model's own, on the small model (L=2, A=3, T=7). */
class TraceTest {

    private static DMatrixRMaj step(ForwardTrace.Trace t, String section, String prefix) {
        return t.steps().stream().filter(s -> s.section().equals(section) && s.name().startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no step " + section + " / " + prefix)).value();
    }

    @Test
    void everyStepOfAPaddedTextAgreesWithTheModel() {
        BertForMaskedLM model = SmallModel.model(3);
        ForwardTrace.Trace t = ForwardTrace.run(model, SmallModel.wordPiece(), "the movie was great", 7, 1);
        ForwardTrace.Trace padded = ForwardTrace.run(model, SmallModel.wordPiece(), "fun", 7, 1);
        assertTrue(ForwardTrace.render(padded, "fun", 1, 1).contains("(columns 3 … 6)"));
        assertEquals(List.of("[CLS]", "the", "movie", "was", "great", "[SEP]", "[PAD]"), t.pieces());
        assertEquals(5 + 2 * 13 + 2, t.steps().size());
        // the sum of the three embeddings, normalised, is the model's x (LayerNorm with γ = 1, β = 0 at initialisation)
        DMatrixRMaj e = step(t, "embeddings", "e =");
        DMatrixRMaj x = step(t, "embeddings", "x =");
        double mean = 0;
        for (int c = 0; c < 12; c++) {
            mean += e.get(2, c) / 12;
        }
        double var = 0;
        for (int c = 0; c < 12; c++) {
            var += Math.pow(e.get(2, c) - mean, 2) / 12;
        }
        assertEquals((e.get(2, 5) - mean) / Math.sqrt(var + 1e-12), x.get(2, 5), 1e-9);
        for (String layer : List.of("layer 0", "layer 1")) {
            DMatrixRMaj s = step(t, layer, "head 1: S").copy();
            assertEquals(-10000, s.get(0, 6), 100, "the padded key's score carries the mask");
            Softmax.rows(s);
            assertArrayEquals(step(t, layer, "head 1: P").data, s.data, 1e-12, layer);
            DMatrixRMaj sum = step(t, layer, "x + A"), h = step(t, layer, "h =");
            assertTrue(Math.abs(h.get(3, 3)) < 10 && sum.numCols == 12, layer);
        }
        DMatrixRMaj z = step(t, "MLM head", "z =");
        assertEquals(6, z.numRows, "the real positions only");
        assertEquals(29, z.numCols);
        assertEquals(6, t.top().size());
        String text = ForwardTrace.render(t, "the movie was great", 2, 3);
        assertTrue(text.contains("head 1: S = Q·Kᵀ/√4 + M   [7, 7]"), text);
        assertTrue(text.contains("M = −10000 at the padded keys (column 6)"), text);
        assertTrue(text.contains("z = t·E_wordᵀ + b, the logits   [6, 29]"), text);
        assertTrue(text.contains("… 5 more rows"), text);
    }

    @Test
    void theSoftmaxOfTheLogitsIsTheHeadsProbability() {
        BertForMaskedLM model = SmallModel.model(4);
        ForwardTrace.Trace t = ForwardTrace.run(model, SmallModel.wordPiece(), "it is fun", 0, 0);
        assertEquals(5, t.pieces().size(), "length 0: as many positions as the text needs");
        DMatrixRMaj z = step(t, "MLM head", "z =").copy();
        Softmax.rows(z);
        double top = 0;
        for (int c = 0; c < 29; c++) {
            top = Math.max(top, z.get(1, c));
        }
        assertTrue(t.top().get(1).contains(String.format(java.util.Locale.ROOT, "%.3f", top)), t.top().get(1) + " vs " + top);
    }

    @Test
    void badLengthsAndHeadsAreRefused() {
        BertForMaskedLM model = SmallModel.model(4);
        assertThrows(IllegalArgumentException.class, () -> ForwardTrace.run(model, SmallModel.wordPiece(), "fun", 8, 0));
        assertThrows(IllegalArgumentException.class, () -> ForwardTrace.run(model, SmallModel.wordPiece(), "fun", 1, 0));
        assertThrows(IllegalArgumentException.class, () -> ForwardTrace.run(model, SmallModel.wordPiece(), "fun", 0, 3));
    }
}
