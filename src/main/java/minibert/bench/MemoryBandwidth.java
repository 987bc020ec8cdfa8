package minibert.bench;

import minibert.tensor.Pool;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The machine's memory bandwidth, measured as STREAM measures it: the triad {@code a[i] = b[i] + s·c[i]} over
 * three arrays far larger than the caches, counted as 24 bytes per element (two doubles read, one written; the
 * cache's read of a line before it is written is not counted, as in STREAM). With the FMA peak it gives the
 * roofline's two roofs: a product of arithmetic intensity I flops per byte cannot run faster than
 * min(peak, I × bandwidth).
 */
public final class MemoryBandwidth {

    /** The least size of each array, 64 MiB; larger when the caches are large (see {@link #arrayBytes()}). */
    static final long MIN_ARRAY_BYTES = 64L << 20;

    private static volatile double blackhole;

    private MemoryBandwidth() {
    }

    /** One measurement: the array size and the median GB/s (10⁹ bytes per second) of the timed passes, with their spread. */
    public record Result(long arrayBytes, int threads, Sample gbPerSecond) {
    }

    /**
     * The bytes of each array: at least {@value #MIN_ARRAY_BYTES} and at least four times the largest cache the
     * operating system reports (Linux's {@code /sys/devices/system/cpu/cpu0/cache}), so that the three arrays
     * together are at least twelve times any cache.
     */
    public static long arrayBytes() {
        return Math.max(MIN_ARRAY_BYTES, 4 * largestCacheBytes());
    }

    /** The largest cache of cpu0 in bytes, 0 when the system does not say. */
    public static long largestCacheBytes() {
        long largest = 0;
        Path dir = Path.of("/sys/devices/system/cpu/cpu0/cache");
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (var entries = Files.list(dir)) {
            for (Path index : entries.filter(p -> p.getFileName().toString().startsWith("index")).toList()) {
                Path size = index.resolve("size");
                if (Files.isRegularFile(size)) {
                    largest = Math.max(largest, parseSize(Files.readString(size).strip()));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return largest;
        }
        return largest;
    }

    /** "32768K" → 33554432; "1M" → 1048576; "512" → 512. */
    static long parseSize(String s) {
        String t = s.toUpperCase(Locale.ROOT);
        long unit = t.endsWith("K") ? 1L << 10 : t.endsWith("M") ? 1L << 20 : t.endsWith("G") ? 1L << 30 : 1;
        return Long.parseLong(unit == 1 ? t : t.substring(0, t.length() - 1)) * unit;
    }

    /**
     * The triad on {@code threads} threads at once (each on its own share of the arrays), {@code passes} timed
     * passes after two untimed ones.
     */
    public static Result triad(int threads, int passes) {
        long bytes = arrayBytes();
        int n = (int) Math.min(Integer.MAX_VALUE - 8, bytes / Double.BYTES);
        double[] a = new double[n], b = new double[n], c = new double[n];
        java.util.Arrays.fill(b, 1.0);
        java.util.Arrays.fill(c, 2.0);
        List<Runnable> shares = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int from = (int) ((long) n * t / threads), to = (int) ((long) n * (t + 1) / threads);
            shares.add(() -> triad(a, b, c, 0.5, from, to));
        }
        double[] gb = new double[passes];
        for (int p = -2; p < passes; p++) {
            long t0 = System.nanoTime();
            if (threads == 1) {
                shares.get(0).run();
            } else {
                Pool.runAll(shares);
            }
            long ns = System.nanoTime() - t0;
            if (p >= 0) {
                gb[p] = 24.0 * n / ns;                      // bytes per ns = GB/s
            }
        }
        blackhole = a[n / 2];
        return new Result((long) n * Double.BYTES, threads, Sample.of(gb));
    }

    /** a[i] = b[i] + s·c[i] for i in [from, to): a loop the JIT turns into vector code. */
    static void triad(double[] a, double[] b, double[] c, double s, int from, int to) {
        for (int i = from; i < to; i++) {
            a[i] = b[i] + s * c[i];
        }
    }
}
