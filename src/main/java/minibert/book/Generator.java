package minibert.book;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;

/**
 * The results generator that {@code mvn verify} runs in a forked JVM before rendering the book.
 *
 * <p>It empties the results folder, runs every {@link ResultProducer} listed in
 * {@code META-INF/services/minibert.book.ResultProducer}, writes the attributes file and the index, and
 * exits non-zero if any producer threw or any published check failed, so the build stops before a
 * page can show a stale or a wrong number.
 *
 * <pre>
 * java --add-modules=jdk.incubator.vector -cp … minibert.book.Generator --out target/results --mode quick [--only NAME]
 * </pre>
 */
public final class Generator {

    private Generator() {
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of("target/results");
        Mode mode = Mode.QUICK;
        List<String> only = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--out" -> out = Path.of(value(args, ++i));
                case "--mode" -> mode = Mode.parse(value(args, ++i));
                case "--only" -> only.add(value(args, ++i));
                default -> throw new IllegalArgumentException("unknown argument '" + args[i]
                        + "'; usage: Generator --out DIR --mode quick|full [--only PRODUCER]");
            }
        }
        Path projectDir = Path.of(System.getProperty("minibert.project.dir", ".")).toAbsolutePath().normalize();
        int exit = run(out, projectDir, mode, only);
        System.exit(exit);
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException("missing value after " + args[i - 1]);
        }
        return args[i];
    }

    /** Runs the producers; returns the process exit code (0 when everything ran and every check passed). */
    public static int run(Path out, Path projectDir, Mode mode, List<String> only) throws Exception {
        long start = System.nanoTime();
        Results results = new Results(out, BuildInfo.detect(projectDir, mode));
        System.out.printf(Locale.ROOT, "[results] %s build, commit %s, writing %s%n",
                mode.label(), results.build().commit(), out);
        List<String> errors = new ArrayList<>();
        for (ResultProducer producer : ServiceLoader.load(ResultProducer.class)) {
            if (!only.isEmpty() && !only.contains(producer.name())) {
                continue;
            }
            long t0 = System.nanoTime();
            int before = results.names().size();
            try {
                producer.produce(results);
                System.out.printf(Locale.ROOT, "[results] %-20s %3d results  %6.1f s%n", producer.name(),
                        results.names().size() - before, (System.nanoTime() - t0) / 1e9);
            } catch (Exception | AssertionError e) {
                errors.add(producer.name() + ": " + e);
                System.out.printf(Locale.ROOT, "[results] %-20s FAILED: %s%n", producer.name(), e);
                e.printStackTrace(System.out);
            }
        }
        results.finish();
        errors.addAll(results.failures());
        System.out.printf(Locale.ROOT, "[results] %d results in %.1f s%n", results.names().size(),
                (System.nanoTime() - start) / 1e9);
        if (!errors.isEmpty()) {
            System.out.println("[results] the book cannot be built; failures:");
            errors.forEach(e -> System.out.println("  - " + e));
            Files.writeString(out.resolve("FAILED.txt"), String.join("\n", errors) + "\n");
            return 1;
        }
        return 0;
    }
}
