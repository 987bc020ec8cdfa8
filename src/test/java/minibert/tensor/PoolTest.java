package minibert.tensor;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shared pool: ranges cover every index once, on unit boundaries; a failure in any share reaches the caller. */
class PoolTest {

    @Test
    void rangesCoverEveryIndexExactlyOnceOnUnitBoundaries() {
        for (int n : new int[] {0, 1, 7, 13, 1000, 99_999}) {
            for (int unit : new int[] {1, 3, 8}) {
                AtomicIntegerArray seen = new AtomicIntegerArray(n);
                Pool.forRanges(n, unit, 16, (from, to) -> {
                    assertTrue(from % unit == 0, "range starts at " + from + ", not a multiple of " + unit);
                    for (int i = from; i < to; i++) {
                        seen.incrementAndGet(i);
                    }
                });
                for (int i = 0; i < n; i++) {
                    assertEquals(1, seen.get(i), "n=" + n + " unit=" + unit + " index " + i);
                }
            }
        }
    }

    /** The spinning team and the executor give the same coverage, and a failure in any share, the team's included, reaches the caller. */
    @Test
    void bothWaysOfHandingOverRunEveryShareAndReportFailures() {
        boolean before = Pool.team();
        try {
            for (boolean team : new boolean[] {true, false}) {
                Pool.team(team);
                for (int round = 0; round < 50; round++) {
                    int n = 40_000 + round;
                    AtomicIntegerArray seen = new AtomicIntegerArray(n);
                    Pool.forRanges(n, 1, 16, (from, to) -> {
                        for (int i = from; i < to; i++) {
                            seen.incrementAndGet(i);
                        }
                    });
                    for (int i = 0; i < n; i++) {
                        assertEquals(1, seen.get(i), "team " + team + ", round " + round + ", index " + i);
                    }
                }
                for (int failing = 0; failing < Pool.threads(); failing++) {
                    int f = failing;
                    assertThrows(ArithmeticException.class, () -> Pool.forEach(Pool.threads(), i -> {
                        if (i == f) {
                            throw new ArithmeticException("share " + f);
                        }
                    }), "team " + team + ", failing share " + f);
                }
                AtomicIntegerArray after = new AtomicIntegerArray(Pool.threads());
                Pool.forEach(Pool.threads(), i -> after.incrementAndGet(i));   // still works after the failures
                for (int i = 0; i < Pool.threads(); i++) {
                    assertEquals(1, after.get(i), "team " + team + ": share " + i + " after the failures");
                }
            }
        } finally {
            Pool.team(before);
        }
    }

    @Test
    void everyCallThatHandsOutSharesIsCountedOnce() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Pool.threads() > 1, "needs two threads");
        long before = Pool.calls();
        Pool.forRanges(10, 1, 1, (from, to) -> { });                 // too little work: runs on the caller
        assertEquals(before, Pool.calls());
        Pool.forRanges(1 << 20, 1, 1, (from, to) -> { });
        Pool.forEach(3, i -> { });
        assertEquals(before + 2, Pool.calls());
    }

    @Test
    void aCallAfterALongPauseWakesAParkedWorkerAndCountsIt() throws InterruptedException {
        org.junit.jupiter.api.Assumptions.assumeTrue(Pool.threads() > 1 && Pool.team(), "needs two threads and the team");
        Pool.forEach(2, i -> { });
        Thread.sleep(60 * Pool.SPIN_NANOS / 1_000_000);                 // far past the spin: the worker has parked
        long before = Pool.wakeUps();
        AtomicIntegerArray seen = new AtomicIntegerArray(2);
        Pool.forEach(2, i -> seen.incrementAndGet(i));
        assertEquals(1, seen.get(0));
        assertEquals(1, seen.get(1));
        assertEquals(before + 1, Pool.wakeUps(), "the parked worker was woken once");
    }

    @Test
    void restingThreadsParkAtOnceAndTheNextCallWakesThem() throws InterruptedException {
        org.junit.jupiter.api.Assumptions.assumeTrue(Pool.threads() > 1 && Pool.team(), "needs two threads and the team");
        Pool.forEach(2, i -> { });
        Pool.rest();
        Thread.sleep(1);                                                  // well inside the spin: parked only because of rest()
        long before = Pool.wakeUps();
        AtomicIntegerArray seen = new AtomicIntegerArray(2);
        Pool.forEach(2, i -> seen.incrementAndGet(i));
        assertEquals(2, seen.get(0) + seen.get(1), "both shares ran");
        assertEquals(before + 1, Pool.wakeUps(), "the resting worker was woken");
    }

    @Test
    void forEachRunsEveryPieceExactlyOnce() {
        for (int count : new int[] {0, 1, 2, 7, 1000}) {
            AtomicIntegerArray seen = new AtomicIntegerArray(Math.max(count, 1));
            Pool.forEach(count, i -> seen.incrementAndGet(i));
            for (int i = 0; i < count; i++) {
                assertEquals(1, seen.get(i), "count=" + count + " piece " + i);
            }
        }
        assertThrows(ArithmeticException.class, () -> Pool.forEach(50, i -> {
            if (i == 37) {
                throw new ArithmeticException("piece 37");
            }
        }));
    }

    @Test
    void aSlowPieceDoesNotHoldUpTheOthers() {
        // piece 0 takes 300 ms, the rest no time: the threads that are free take all the rest, where a fixed
        // split into one share per thread would leave the rest of piece 0's share waiting behind it
        org.junit.jupiter.api.Assumptions.assumeTrue(Pool.threads() > 1, "needs two threads");
        int count = 40;
        String[] ranOn = new String[count];
        Pool.forEach(count, i -> {
            if (i == 0) {
                try {
                    Thread.sleep(300);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            ranOn[i] = Thread.currentThread().getName() + "#" + Thread.currentThread().threadId();
        });
        for (int i = 1; i < count; i++) {
            assertTrue(!ranOn[i].equals(ranOn[0]), "piece " + i + " waited behind the slow piece 0 on " + ranOn[0]);
        }
    }

    @Test
    void parallelWorkStartedInsideAShareRunsThereAndCompletes() {
        // more shares than workers, each starting parallel work of its own: with every worker waiting for
        // inner work queued behind outer work, this would never finish if workers waited on the pool
        int outerShares = 2 * Pool.threads();
        AtomicIntegerArray seen = new AtomicIntegerArray(outerShares * 1000);
        List<Runnable> outer = new java.util.ArrayList<>();
        for (int o = 0; o < outerShares; o++) {
            int base = o * 1000;
            outer.add(() -> Pool.forRanges(1000, 1, 1 << 20, (f, t) -> {
                for (int i = f; i < t; i++) {
                    seen.incrementAndGet(base + i);
                }
            }));
        }
        assertTimeoutPreemptively(java.time.Duration.ofSeconds(20), () -> Pool.runAll(outer));
        for (int i = 0; i < seen.length(); i++) {
            assertEquals(1, seen.get(i), "index " + i);
        }
    }

    @Test
    void aFailureInAnyShareReachesTheCaller() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Pool.runAll(List.of(
                () -> {
                    throw new IllegalStateException("share 0 failed");
                },
                () -> { })));
        assertEquals("share 0 failed", e.getMessage());
        assertThrows(ArithmeticException.class, () -> Pool.forRanges(1 << 20, 1, 1, (from, to) -> {
            if (to == 1 << 20) {
                throw new ArithmeticException("last share");
            }
        }));
    }
}
