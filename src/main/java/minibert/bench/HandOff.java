package minibert.bench;

import minibert.tensor.Pool;

import java.util.Arrays;

/**
 * What it costs to hand work to the pool's threads and to wait for it: a parallel call whose two shares do
 * nothing, timed with the spinning team ({@link Pool#team()}) and with the executor's parked threads, the two
 * ways taking turns round by round. Between calls the calling thread does a few microseconds of serial work, as a
 * training step does between its parallel passes.
 */
public final class HandOff {

    /** Microseconds per call, one value per round (the median of the round's calls): the team's and the executor's. */
    public record Result(Sample team, Sample executor) {
    }

    private static long sink;

    private HandOff() {
    }

    /** {@code rounds} rounds of {@code calls} calls each way. */
    public static Result run(int rounds, int calls) {
        boolean before = Pool.team();
        double[][] micros = new double[2][rounds];
        try {
            for (int i = -1; i < rounds; i++) {                         // round −1 warms both ways up, untimed
                for (int w = 0; w < 2; w++) {
                    int way = (Math.max(i, 0) + w) % 2;
                    Pool.team(way == 0);
                    Pool.rest();                                      // the team's threads park: no spinning beside the executor's
                    double[] each = new double[calls];
                    for (int c = 0; c < calls; c++) {
                        long t0 = System.nanoTime();
                        Pool.forRanges(1 << 20, 1, 1, (from, to) -> sink += to - from);
                        each[c] = (System.nanoTime() - t0) / 1e3;
                        serialWork();
                    }
                    if (i >= 0) {
                        Arrays.sort(each);
                        micros[way][i] = each[calls / 2];
                    }
                }
            }
        } finally {
            Pool.team(before);
        }
        return new Result(Sample.of(micros[0]), Sample.of(micros[1]));
    }

    /** About ten microseconds of arithmetic on the calling thread. */
    private static void serialWork() {
        long x = sink;
        for (int i = 0; i < 20_000; i++) {
            x = x * 6364136223846793005L + i;
        }
        sink = x;
    }
}
