package minibert.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What a run's provenance says of the machine: the processor's model name and the cores Java sees. */
public final class Machine {

    private Machine() {
    }

    /** e.g. {@code AMD EPYC 7B13, 2 cores, Linux 6.1}. */
    public static String describe() {
        String cpu = "unknown processor";
        Path info = Path.of("/proc/cpuinfo");
        if (Files.isReadable(info)) {
            try (var lines = Files.lines(info)) {
                cpu = lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).strip())
                        .findFirst().orElse(cpu);
            } catch (IOException | java.io.UncheckedIOException e) {
                cpu = "unknown processor";
            }
        }
        return cpu + ", " + Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("os.name") + " "
                + System.getProperty("os.version");
    }
}
