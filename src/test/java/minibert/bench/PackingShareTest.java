package minibert.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PackingShareTest {

    @Test
    void measuresEachSingleProductInBothPrecisionsAndSkipsBatches() {
        List<ProductShape> shapes = List.of(new ProductShape("odd", 37, 29, 300, true, false, 1),
                new ProductShape("batch", 7, 7, 12, false, true, 3), new ProductShape("plain", 13, 41, 17, false, true, 1));
        List<PackingShare.Row> rows = PackingShare.run(shapes, 3);
        assertEquals(List.of("odd", "plain"), rows.stream().map(r -> r.shape().label()).toList());
        for (PackingShare.Row r : rows) {
            assertEquals(3, r.share().runs());
            assertTrue(r.share().min() > 0 && r.shareFloat().min() > 0, "packing takes some time: " + r);
            assertTrue(r.wholeMicros().min() > 0 && r.wholeMicrosFloat().min() > 0);
        }
    }
}
