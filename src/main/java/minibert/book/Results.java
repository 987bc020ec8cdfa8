package minibert.book;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The live-results API: code that runs during the build publishes each outcome here under a stable
 * name, and a chapter includes it by that name.
 *
 * <p>For a result named {@code gradcheck/attention} this writes
 * <ul>
 *   <li>{@code gradcheck/attention.adoc}, a fragment a chapter includes with
 *       {@code include::{results}/gradcheck/attention.adoc[]}; it renders as a block with the anchor
 *       {@code result-gradcheck-attention} (citable by URL) and a one-line provenance;</li>
 *   <li>the attribute {@code {result-gradcheck-attention}} (and {@code {result-gradcheck-attention-KEY}}
 *       for each extra attribute) in {@code attributes.adoc}, for inline numbers;</li>
 *   <li>an entry in {@code index.json} and {@code index.adoc}, the list of every result with its
 *       provenance.</li>
 * </ul>
 * The output folder is emptied when a {@code Results} is opened, so a result that this build did not
 * compute cannot be found by a chapter: its include, or its attribute, is missing and the render fails.
 */
public final class Results {

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)*");

    private final Path out;
    private final BuildInfo build;
    private final Map<String, String> attributes = new TreeMap<>();
    private final Map<String, Provenance> published = new LinkedHashMap<>();
    private final List<String> failures = new ArrayList<>();

    /**
     * Opens an empty output folder.
     *
     * @param out   the folder; deleted and created anew
     * @param build revision, JDK and mode of this build
     */
    public Results(Path out, BuildInfo build) throws IOException {
        this.out = out;
        this.build = build;
        deleteRecursively(out);
        Files.createDirectories(out);
    }

    /** Quick or full: producers scale their work by it. */
    public Mode mode() {
        return build.mode();
    }

    public BuildInfo build() {
        return build;
    }

    /** The output folder (fragments, SVG plots, attributes, index). */
    public Path directory() {
        return out;
    }

    /**
     * Starts a result; its clock starts now and stops when it is written.
     *
     * @param name stable name: lower-case words separated by {@code /}, e.g. {@code train/final-loss}
     */
    public Publication publish(String name) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("result name '" + name
                    + "' must be lower-case letters, digits and '-', in parts separated by '/'");
        }
        if (published.containsKey(name)) {
            throw new IllegalStateException("result '" + name + "' is published twice");
        }
        return new Publication(this, name);
    }

    /** The anchor id of a result: {@code result-} plus the name with {@code /} replaced by {@code -}. */
    public static String anchor(String name) {
        return "result-" + name.replace('/', '-');
    }

    /**
     * An attribute that an earlier producer published, e.g. {@code findAttribute("model/step", "seconds")}; empty
     * if none did (producers run in the order of {@code META-INF/services/minibert.book.ResultProducer}, and a
     * run of selected producers may skip the one that publishes it).
     */
    public java.util.Optional<String> findAttribute(String result, String name) {
        return java.util.Optional.ofNullable(attributes.get(anchor(result) + "-" + name));
    }

    /** Names of every result published so far, in order. */
    public List<String> names() {
        return List.copyOf(published.keySet());
    }

    /** Descriptions of failed checks so far. */
    public List<String> failures() {
        return List.copyOf(failures);
    }

    /** Writes the attributes file and the index; call once, after every producer ran. */
    public void finish() throws IOException {
        StringBuilder attrs = new StringBuilder("// Written by minibert.book.Generator: every live number of the book.\n");
        attributes.forEach((k, v) -> attrs.append(':').append(k).append(": ").append(v).append('\n'));
        writeAtomically(out.resolve("attributes.adoc"), attrs.toString());

        List<Map<String, Object>> index = new ArrayList<>();
        for (Provenance p : published.values()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", p.name());
            entry.put("anchor", p.anchor());
            entry.put("commit", p.build().commit());
            entry.put("seed", p.seed());
            entry.put("configHash", p.configHash());
            entry.put("data", p.data());
            entry.put("jdk", p.build().jdk());
            entry.put("cpus", p.build().cpus());
            entry.put("mode", p.build().mode().label());
            entry.put("time", p.time().toString());
            entry.put("seconds", p.seconds());
            index.add(entry);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("commit", build.commit());
        root.put("mode", build.mode().label());
        root.put("results", index);
        root.put("failures", failures);
        writeAtomically(out.resolve("index.json"),
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root));

        StringBuilder table = new StringBuilder();
        table.append("[cols=\"3,2,1,2,1\",options=\"header\",role=\"results-index\"]\n|===\n")
                .append("|Result |Commit |Seed |Data |Seconds\n");
        for (Provenance p : published.values()) {
            table.append("|").append(Fragments.tableCell(p.name())).append(' ')
                    .append("|").append(Fragments.tableCell(p.build().commit())).append(' ')
                    .append("|").append(p.seed() == null ? "–" : p.seed()).append(' ')
                    .append("|").append(Fragments.tableCell(p.data().isEmpty() ? "–" : p.data().toString())).append(' ')
                    .append("|").append(String.format(java.util.Locale.ROOT, "%.2f", p.seconds())).append('\n');
        }
        table.append("|===\n");
        writeAtomically(out.resolve("index.adoc"), table.toString());
    }

    // --- package-private plumbing used by Publication ---

    void record(Provenance provenance, Map<String, String> attrs, String fragment) {
        for (var e : attrs.entrySet()) {
            if (attributes.put(e.getKey(), e.getValue()) != null) {
                throw new IllegalStateException("attribute '" + e.getKey() + "' is published twice");
            }
        }
        published.put(provenance.name(), provenance);
        try {
            writeAtomically(out.resolve(provenance.name() + ".adoc"), fragment);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void recordFailure(String description) {
        failures.add(description);
    }

    void writeFile(String relative, String content) {
        try {
            writeAtomically(out.resolve(relative), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes to a temporary file beside {@code target}, then renames it into place. */
    static void writeAtomically(Path target, String content) throws IOException {
        Files.createDirectories(target.toAbsolutePath().getParent());
        Path tmp = Files.createTempFile(target.toAbsolutePath().getParent(), ".tmp-", ".part");
        try {
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
