package minibert.bench;

import minibert.tensor.Pool;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ThreadScalingTest {

    @Test
    void measuresOneProductAloneAndOnePerThreadTogether() {
        List<ThreadScaling.Row> rows = ThreadScaling.run(List.of(new ProductShape("odd", 37, 29, 30, true, false, 1),
                new ProductShape("plain", 13, 41, 17, false, true, 1)), 3);
        assertEquals(2, rows.size());
        for (ThreadScaling.Row r : rows) {
            assertEquals(3, r.ratio().runs());
            assertTrue(r.alone().min() > 0 && r.together().min() > 0);
            // the ratio is taken within each round, so it lies between the extreme ratios the two samples allow
            assertTrue(r.ratio().min() >= r.together().min() / r.alone().max() - 1e-9
                    && r.ratio().max() <= r.together().max() / r.alone().min() + 1e-9, r.toString());
        }
        assertTrue(Pool.threads() >= 1);
    }
}
