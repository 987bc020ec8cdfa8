package minibert.bench;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RoundsTest {

    @Test
    void aSettlingVariantIsFollowedByItsSettleUntimedAfterEveryRun() {
        List<String> log = new ArrayList<>();
        Runnable plain = () -> pause(log, "plain", 5);
        Runnable spinning = new Rounds.Settling(() -> pause(log, "spinning", 5), () -> {
            log.add("settle");
            try {
                Thread.sleep(30);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        double[][] ns = Rounds.nanos(3, plain, spinning);
        for (int i = 0; i < log.size(); i++) {
            if (log.get(i).equals("spinning")) {
                // the settle comes after the variant's last run in a row (its warm-up, or its timed run), never before
                // the other variant's run without one in between
                int next = i + 1;
                while (next < log.size() && log.get(next).equals("spinning")) {
                    next++;
                }
                assertTrue(next == log.size() || log.get(next).equals("settle"), "after run " + i + ": " + log);
            }
        }
        for (double t : ns[1]) {
            assertTrue(t < 25e6, "the settle is not timed: " + t + " ns");
        }
        assertEquals(1 + 3, log.stream().filter("settle"::equals).count(), "after the warm-up and after each timed run");
    }

    /** Logs {@code what} and sleeps {@code ms} (so that the 0.2 s warm-up takes a few dozen runs, not millions). */
    private static void pause(List<String> log, String what, long ms) {
        log.add(what);
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
