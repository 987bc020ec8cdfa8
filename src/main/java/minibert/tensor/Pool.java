package minibert.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The fixed pool of worker threads that every parallel kernel shares: created once with the JVM, never
 * per call. Work is cut into shares, at most one per core; all but the last run on the pool's threads and
 * the last on the calling thread, which would otherwise sit idle waiting. The shares are handed to a team
 * of spinning threads (one per core but the caller's), which take a share within a microsecond or so, where
 * a parked thread of an executor took tens of microseconds to wake ({@code minibert.bench.HandOff} measures
 * both); calls the team cannot take (another thread's while it is busy, or more shares than it has threads)
 * go to the executor.
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
        CALLS.incrementAndGet();
        if (Thread.currentThread().getThreadGroup() == WORKERS) {
            shares.forEach(Runnable::run);
            return;
        }
        if (team && TEAM.run(shares)) {
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
     * How long an idle team worker, or a caller waiting for one, spins before it parks: long enough to span the
     * serial work between two parallel passes of a training step (up to a few milliseconds, as in the MLM head's
     * loops over the vocabulary), so that a worker is awake when the next pass starts. Handing work to a parked
     * thread and waiting for it by parking (the executor's way) costs tens of microseconds a call
     * ({@code minibert.bench.HandOff} measures it); with a spin of 0.2 ms, half of a step's calls still found their
     * worker parked ({@link #wakeUps()} counts them), and the step took about 8% longer than with this one.
     */
    public static final long SPIN_NANOS = 5_000_000;

    private static final Team TEAM = new Team(THREADS - 1);

    private static volatile boolean resting;

    /**
     * Makes the team's idle threads park now instead of at the end of their spin, until the next parallel call
     * wakes them: for code about to run work on threads of its own (OpenBLAS's), which spinning threads would
     * compete with for the cores.
     */
    public static void rest() {
        if (!resting) {
            resting = true;
        }
    }

    private static final AtomicLong CALLS = new AtomicLong();
    private static final AtomicLong WAKE_UPS = new AtomicLong();

    /** The shares handed to a team worker that had parked (and had to be woken) so far. */
    public static long wakeUps() {
        return WAKE_UPS.get();
    }

    /** The parallel calls so far: every {@link #runAll}, so every {@link #forRanges} and {@link #forEach} that split its work, nested ones included. */
    public static long calls() {
        return CALLS.get();
    }

    private static volatile boolean team = true;

    /** Whether calls hand their shares to the spinning team (the default) or to the executor's parked threads. */
    public static boolean team() {
        return team;
    }

    /** Hands shares to the team ({@code true}, the default) or to the executor ({@code false}): for measuring the two side by side. */
    public static void team(boolean value) {
        team = value;
    }

    /**
     * Threads − 1 workers that each take one share of a call handed to them through a volatile field, spinning
     * for {@link #SPIN_NANOS} before they park; the caller runs the last share and waits for theirs the same way.
     * One call at a time: a call that finds the team busy (another thread's work, or more shares than the team
     * has threads) takes the executor's way instead.
     */
    private static final class Team {

        private final Worker[] workers;
        private final AtomicBoolean busy = new AtomicBoolean();

        Team(int size) {
            workers = new Worker[size];
            for (int i = 0; i < size; i++) {
                workers[i] = new Worker();
                workers[i].start();
            }
        }

        /** Runs the shares and returns true, or returns false at once, having run nothing, when it cannot take them. */
        boolean run(List<Runnable> shares) {
            int handed = shares.size() - 1;
            if (handed > workers.length || !busy.compareAndSet(false, true)) {
                return false;
            }
            if (resting) {
                resting = false;
            }
            Throwable failure = null;
            try {
                for (int i = 0; i < handed; i++) {
                    workers[i].hand(shares.get(i));
                }
                try {
                    shares.get(handed).run();
                } catch (Throwable t) {
                    failure = t;
                }
                for (int i = 0; i < handed; i++) {
                    Throwable f = workers[i].await();
                    failure = failure == null ? f : failure;
                }
            } finally {
                busy.set(false);
            }
            if (failure instanceof RuntimeException r) {
                throw r;
            }
            if (failure instanceof Error e) {
                throw e;
            }
            if (failure != null) {
                throw new IllegalStateException(failure);
            }
            return true;
        }
    }

    /** A team thread: runs the share in {@link #task}, then clears it; a cleared field tells the caller it is done. */
    private static final class Worker extends Thread {

        private volatile Runnable task;
        private volatile boolean parked;
        private volatile Thread waiter;
        private Throwable failure;                 // written before task is cleared, read after

        Worker() {
            super(WORKERS, "minibert-team");
            setDaemon(true);
        }

        void hand(Runnable share) {
            failure = null;
            task = share;
            if (parked) {
                WAKE_UPS.incrementAndGet();
                LockSupport.unpark(this);
            }
        }

        /** Waits until the share handed over has run; its failure, or null. */
        Throwable await() {
            long start = System.nanoTime();
            while (task != null) {
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    waiter = Thread.currentThread();
                    if (task != null) {
                        LockSupport.parkNanos(this, 50_000);
                    }
                    waiter = null;
                }
            }
            return failure;
        }

        @Override
        public void run() {
            while (true) {
                Runnable t;
                long start = System.nanoTime();
                while ((t = task) == null) {
                    if (!resting && System.nanoTime() - start < SPIN_NANOS) {
                        Thread.onSpinWait();
                    } else {
                        parked = true;
                        if (task == null) {
                            LockSupport.park(this);
                        }
                        parked = false;
                        start = System.nanoTime();
                    }
                }
                try {
                    t.run();
                } catch (Throwable e) {
                    failure = e;
                }
                task = null;
                Thread w = waiter;
                if (w != null) {
                    LockSupport.unpark(w);
                }
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
