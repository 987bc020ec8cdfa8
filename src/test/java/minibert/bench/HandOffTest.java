package minibert.bench;

import minibert.tensor.Pool;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HandOffTest {

    @Test
    void bothWaysAreTimedEveryRoundAndTheTeamIsLeftAsItWas() {
        HandOff.Result r = HandOff.run(3, 7);
        assertEquals(3, r.team().runs());
        assertEquals(3, r.executor().runs());
        assertTrue(r.team().min() > 0 && r.executor().min() > 0);
        assertTrue(Pool.team(), "the team is the pool's way again after the measurement");
    }
}
