package minibert.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * The fixed pool of worker threads that every parallel kernel shares: created once with the JVM, never
 * per call, one thread per available core. Work is cut into shares; all but the last run on the pool and
 * the last on the calling thread, which would otherwise sit idle waiting.
 */
public final class Pool {

    private static final int THREADS = Runtime.getRuntime().availableProcessors();
    private static final ThreadGroup WORKERS = new ThreadGroup("minibert-workers");
    private static final ExecutorService EXECUTOR = Executors.newFixedThreadPool(THREADS, r -> {
        Thread t = new Thread(WORKERS, r, "minibert-worker");
        t.setDaemon(true);
        return t;
    });

    /** Work below this many elements runs on the calling thread: handing it over would cost more. */
    public static final int MIN_PARALLEL_ELEMENTS = 1 << 15;

    /** A piece of work over the index range [from, to). */
    @FunctionalInterface
    public interface Range {
        void run(int from, int to);
    }

    private Pool() {
    }

    /** The number of threads work is split across. */
    public static int threads() {
        return THREADS;
    }

    /**
     * Runs every share and returns when all are done; the first failure is rethrown here. Called from a
     * worker itself (a share that starts parallel work of its own), it runs the shares one after another on
     * that worker: waiting there for other workers could leave every worker waiting.
     */
    public static void runAll(List<Runnable> shares) {
        if (shares.isEmpty()) {
            return;
        }
        if (Thread.currentThread().getThreadGroup() == WORKERS) {
            shares.forEach(Runnable::run);
            return;
        }
        List<Future<?>> futures = new ArrayList<>(shares.size() - 1);
        for (int i = 0; i < shares.size() - 1; i++) {
            futures.add(EXECUTOR.submit(shares.get(i)));
        }
        shares.get(shares.size() - 1).run();
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            }
        }
    }

    /**
     * Splits [0, n) into one contiguous range per thread, each boundary a multiple of {@code unit} (a row,
     * or a vector's lanes), and runs {@code body} on each. When {@code n · cost} (the elements touched) is
     * below {@link #MIN_PARALLEL_ELEMENTS}, it runs {@code body(0, n)} on the calling thread.
     */
    public static void forRanges(int n, int unit, long cost, Range body) {
        if (THREADS == 1 || (long) n * cost < MIN_PARALLEL_ELEMENTS || n < 2 * unit) {
            body.run(0, n);
            return;
        }
        int chunk = ((n + THREADS - 1) / THREADS + unit - 1) / unit * unit;
        List<Runnable> shares = new ArrayList<>(THREADS);
        for (int start = 0; start < n; start += chunk) {
            int from = start, to = Math.min(n, start + chunk);
            shares.add(() -> body.run(from, to));
        }
        runAll(shares);
    }

    /**
     * Runs {@code body(0)} … {@code body(count − 1)} on every thread of the pool, each piece taken by whichever
     * thread is free next (a shared counter). A thread slowed by other work on the machine then takes fewer
     * pieces instead of holding the others up, as a fixed split into one share per thread would. The pieces
     * must be independent of one another; which thread runs which piece varies from call to call.
     */
    public static void forEach(int count, IntConsumer body) {
        if (THREADS == 1 || count <= 1) {
            for (int i = 0; i < count; i++) {
                body.accept(i);
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        Runnable share = () -> {
            for (int i; (i = next.getAndIncrement()) < count; ) {
                body.accept(i);
            }
        };
        List<Runnable> shares = new ArrayList<>(THREADS);
        for (int t = 0; t < Math.min(THREADS, count); t++) {
            shares.add(share);
        }
        runAll(shares);
    }
}
