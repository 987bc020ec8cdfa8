package minibert.bench;

import minibert.text.WordPiece;

import java.util.Arrays;
import java.util.List;

/** Measures WordPiece encoding speed on one thread: warm-up passes, then timed passes, sorted. */
public final class EncodingBenchmark {

    private static volatile long blackhole;

    private EncodingBenchmark() {
    }

    /**
     * @return MB/s (million characters per second) of each timed pass, ascending; the median is in the middle.
     *         A fresh encoder (empty word cache) is used for every pass, so the cache is warmed by the pass itself.
     */
    public static double[] run(WordPiece wp, List<String> texts, int warmups, int passes) {
        long chars = 0;
        for (String t : texts) {
            chars += t.length();
        }
        double[] rates = new double[passes];
        long sink = 0;
        for (int p = -warmups; p < passes; p++) {
            WordPiece fresh = new WordPiece(wp.vocabulary(), wp.options());
            long t0 = System.nanoTime();
            for (String t : texts) {
                sink += fresh.encode(t).length;
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (p >= 0) {
                rates[p] = chars / 1e6 / seconds;
            }
        }
        blackhole = sink;                  // keeps the work observable, so the JIT cannot drop it
        Arrays.sort(rates);
        return rates;
    }
}
