package minibert.book;

import java.time.Instant;
import java.util.Map;

/**
 * Where a published result came from: enough to rebuild it and to tell a stale one from a fresh one.
 *
 * @param name        the stable result name, e.g. {@code gradcheck/attention}
 * @param build       revision, JDK, CPU count and mode of the build that computed it
 * @param seed        the random seed, or {@code null} when nothing random was involved
 * @param configHash  SHA-256 (first 12 hex digits) of the configuration used, or {@code null}
 * @param data        dataset name to SHA-256 (first 12 hex digits) of each data file read
 * @param time        when the result was published
 * @param seconds     how long computing it took
 */
public record Provenance(String name, BuildInfo build, Long seed, String configHash,
                         Map<String, String> data, Instant time, double seconds) {

    /** The anchor id under which the book shows this result: {@code result-} plus the slug. */
    public String anchor() {
        return Results.anchor(name);
    }

    /** One compact line for the book. */
    public String line() {
        StringBuilder b = new StringBuilder();
        b.append("result ").append(name);
        b.append(" · commit ").append(build.commit());
        if (seed != null) {
            b.append(" · seed ").append(seed);
        }
        if (configHash != null) {
            b.append(" · config ").append(configHash);
        }
        if (!data.isEmpty()) {
            b.append(" · data ");
            boolean first = true;
            for (var e : data.entrySet()) {
                b.append(first ? "" : ", ").append(e.getKey()).append(' ').append(e.getValue());
                first = false;
            }
        }
        b.append(" · JDK ").append(build.jdk());
        b.append(" · ").append(build.cpus()).append(build.cpus() == 1 ? " CPU" : " CPUs");
        b.append(" · ").append(build.mode().label()).append(" build");
        b.append(" · ").append(time.toString().replaceFirst("\\.\\d+Z$", "Z"));
        b.append(" · ").append(String.format(java.util.Locale.ROOT, "%.2f s", seconds));
        return b.toString();
    }
}
