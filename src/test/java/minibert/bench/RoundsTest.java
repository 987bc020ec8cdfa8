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
        // after the warm-up, and after each timed run but the first round's last: the second round begins with the
        // same variant, on the threads it left spinning
        assertEquals(1 + 2, log.stream().filter("settle"::equals).count(), "after the warm-up and the timed runs: " + log);
    }

    @Test
    void twoSettlingVariantsInARowShareOneSettleAndAPlainOneNeverFollowsSpinningThreads() {
        List<String> log = new ArrayList<>();
        Runnable settle = () -> log.add("settle");
        Runnable plain = () -> pause(log, "plain", 5);
        Runnable first = new Rounds.Settling(() -> pause(log, "first", 5), settle);
        Runnable second = new Rounds.Settling(() -> pause(log, "second", 5), settle);
        Rounds.nanos(5, plain, first, second);
        String last = "start";
        for (String entry : log) {
            if (entry.equals("plain")) {
                assertTrue(last.equals("start") || last.equals("settle") || last.equals("plain"),
                        "a plain run right after spinning threads: " + log);
            }
            last = entry;
        }
        // a settle only where a settling variant (1, 2) is followed by the plain one (0): once after the warm-ups
        // (2, then round 1's 0), and in the rounds, which run 0 1 2 | 1 2 0 | 2 0 1 | 0 1 2 | 1 2 0, four times: 2→0 in
        // rounds 2, 3 and 5, and 1→0 from the end of round 3 into round 4
        assertEquals(1 + 4, log.stream().filter("settle"::equals).count(), "settles in " + log);
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
