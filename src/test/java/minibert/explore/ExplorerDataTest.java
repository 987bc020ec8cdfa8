package minibert.explore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExplorerDataTest {

    @Test
    void weightsSurviveTheRoundTripWithinHalfAStep() {
        DMatrixRMaj p = new DMatrixRMaj(new double[][] {{0, 0.3, 0.7}, {1, 0, 0}, {0.2, 0.2, 0.6}});
        DMatrixRMaj back = ExplorerData.decode(ExplorerData.encode(p), 3);
        for (int i = 0; i < 9; i++) {
            assertEquals(p.data[i], back.data[i], 0.5 / 255 + 1e-15);
        }
        assertEquals(1.0, back.get(1, 0), 0);
        assertThrows(IllegalArgumentException.class, () -> ExplorerData.quantize(1.01));
        assertThrows(IllegalArgumentException.class, () -> ExplorerData.quantize(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> ExplorerData.decode(ExplorerData.encode(p), 4));
    }

    @Test
    void theJsonHoldsEverySentenceLayerAndHead() throws Exception {
        var model = SmallModel.model(9);
        List<Sequence> seqs = InspectionTest.sequences(SmallModel.wordPiece());
        String json = ExplorerData.build(model, seqs, "a small model");
        JsonNode root = new ObjectMapper().readTree(json);
        assertEquals(ExplorerData.FORMAT, root.get("format").asInt());
        assertEquals(2, root.get("layers").asInt());
        assertEquals(3, root.get("heads").asInt());
        assertEquals(3, root.get("sentences").size());
        JsonNode c = root.get("sentences").get(2);
        assertEquals("[CLS] it is [SEP] fun [SEP]", String.join(" ", toList(c.get("tokens"))));
        assertEquals("[0,0,0,0,1,1]", c.get("types").toString());
        List<DMatrixRMaj> expected = new ArrayList<>();
        Inspection.run(model, seqs.subList(2, 3), 1, (i, s, v) -> expected.add(v.attention(1, 2)));
        DMatrixRMaj decoded = ExplorerData.decode(c.get("attention").get(1).get(2).asText(), 6);
        for (int i = 0; i < 36; i++) {
            assertEquals(expected.get(0).data[i], decoded.data[i], 0.5 / 255 + 1e-12);
        }
        assertTrue(ExplorerData.script(json).startsWith("// Written by"));
        assertTrue(ExplorerData.script(json).contains("window.minibertAttention = {"));
    }

    private static List<String> toList(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
