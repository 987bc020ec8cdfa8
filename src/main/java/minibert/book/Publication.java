package minibert.book;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One result on its way to the book. Say what it depends on ({@link #seed}, {@link #config},
 * {@link #data}), add inline attributes if a chapter quotes parts of it in prose ({@link #attribute}),
 * then finish it with exactly one of {@link #value}, {@link #number}, {@link #table}, {@link #plot},
 * {@link #listing} or {@link #check}.
 *
 * <pre>{@code
 * results.publish("gradcheck/attention")
 *        .seed(7)
 *        .attribute("max-rel-error", "%.1e".formatted(worst))
 *        .table("Gradient check: attention", List.of("Tensor", "Max rel. error"), rows);
 * }</pre>
 */
public final class Publication {

    private final Results results;
    private final String name;
    private final long startNanos = System.nanoTime();
    private final Map<String, String> data = new TreeMap<>();
    private final Map<String, String> attributes = new LinkedHashMap<>();
    private Long seed;
    private String configHash;
    private boolean done;

    Publication(Results results, String name) {
        this.results = results;
        this.name = name;
    }

    /** The random seed this result depends on. */
    public Publication seed(long seed) {
        this.seed = seed;
        return this;
    }

    /** The configuration this result depends on: its text is hashed. */
    public Publication config(String configText) {
        this.configHash = BuildInfo.sha256(configText.getBytes(java.nio.charset.StandardCharsets.UTF_8)).substring(0, 12);
        return this;
    }

    /** The configuration file this result depends on: its bytes are hashed. */
    public Publication config(Path configFile) {
        try {
            this.configHash = BuildInfo.sha256(Files.readAllBytes(configFile)).substring(0, 12);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read config " + configFile, e);
        }
        return this;
    }

    /** A data file this result read, by dataset name and the file's verified SHA-256. */
    public Publication data(String dataset, String sha256) {
        data.merge(dataset, sha256.substring(0, Math.min(12, sha256.length())), (a, b) -> a + "+" + b);
        return this;
    }

    /**
     * An extra inline attribute: a chapter writes {@code {result-NAME-KEY}}.
     *
     * @param key   lower-case words joined by {@code -}
     * @param value the text, already formatted
     */
    public Publication attribute(String key, String value) {
        if (!key.matches("[a-z0-9][a-z0-9-]*")) {
            throw new IllegalArgumentException("attribute key '" + key + "' must be lower-case letters, digits and '-'");
        }
        attributes.put(Results.anchor(name) + "-" + key, value);
        return this;
    }

    /** Finishes with a value quoted inline as {@code {result-NAME}}; the fragment shows it with its provenance. */
    public void value(String title, String text) {
        attributes.put(Results.anchor(name), text);
        write(title, Fragments.cell(text) + "\n");
    }

    /** {@link #value} of a number formatted with {@code format} (a {@link String#format} pattern, root locale). */
    public void number(String title, double value, String format) {
        value(title, String.format(Locale.ROOT, format, value));
    }

    /**
     * Finishes with a table. Cells are shown literally, each number and shape in them on one line.
     *
     * @param header column headings
     * @param rows   each row as many cells as {@code header}; values are turned into text with {@code toString}
     */
    public void table(String title, List<String> header, List<? extends List<?>> rows) {
        StringBuilder b = new StringBuilder();
        b.append("[options=\"header\",role=\"result-table\"]\n|===\n");
        for (String h : header) {
            b.append('|').append(Fragments.tableCell(h)).append(' ');
        }
        b.append('\n');
        for (List<?> row : rows) {
            if (row.size() != header.size()) {
                throw new IllegalArgumentException("result '" + name + "': row " + row + " has " + row.size()
                        + " cells, header has " + header.size());
            }
            for (Object cell : row) {
                b.append('|').append(Fragments.tableCell(String.valueOf(cell))).append(' ');
            }
            b.append('\n');
        }
        b.append("|===\n");
        write(title, b.toString());
    }

    /**
     * A title as the alt text of an image block macro: its double quotes become single ones (the value is quoted); its
     * square brackets stay, since a block macro's attribute list runs to the last bracket of the line.
     */
    static String altText(String title) {
        return title.replace("\"", "'");
    }

    /** Finishes with a plot, written as {@code NAME.svg} beside the fragment. */
    public void plot(String title, Plot plot) {
        results.writeFile(name + ".svg", plot.toSvg());
        String alt = altText(title);
        write(title, "image::results/" + name + ".svg[\"" + alt + "\",role=\"result-plot\"]\n");
    }

    /** Finishes with a figure drawn elsewhere (a heat map, a matrix), written as {@code NAME.svg} beside the fragment. */
    public void svg(String title, String svgDocument) {
        if (!svgDocument.startsWith("<svg")) {
            throw new IllegalArgumentException("result '" + name + "': not an SVG document");
        }
        results.writeFile(name + ".svg", svgDocument);
        String alt = altText(title);
        write(title, "image::results/" + name + ".svg[\"" + alt + "\",role=\"result-plot\"]\n");
    }

    /** Finishes with program output shown verbatim. */
    public void listing(String title, String text) {
        String fence = "----";
        while (text.contains(fence)) {
            fence += "-";
        }
        write(title, "[listing]\n" + fence + "\n" + text.stripTrailing() + "\n" + fence + "\n");
    }

    /**
     * Finishes with a pass/fail check. A failed check is still written (so the book can show it) and
     * makes the generator, and so the build, fail.
     */
    public void check(String title, boolean passed, String detail) {
        attributes.put(Results.anchor(name), passed ? "passed" : "FAILED");
        if (!passed) {
            results.recordFailure(name + ": " + title + " — " + detail);
        }
        write(title, "[.check." + (passed ? "passed" : "failed") + "]\n"
                + (passed ? "*Passed*: " : "*FAILED*: ") + Fragments.cell(detail) + "\n");
    }

    private void write(String title, String body) {
        if (done) {
            throw new IllegalStateException("result '" + name + "' is already written");
        }
        done = true;
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        Provenance provenance = new Provenance(name, results.build(), seed, configHash, Map.copyOf(data),
                Instant.now(), seconds);
        String fragment = "// Written by minibert.book.Generator; do not edit.\n"
                + "[#" + provenance.anchor() + ".result]\n"
                + "====\n"
                + "." + Fragments.cell(title) + "\n"
                + "[.result-body]\n"
                + "--\n"
                + body
                + "--\n\n"
                + "[.provenance]\n"
                + Fragments.cell(provenance.line()) + "\n"
                + "====\n";
        results.record(provenance, attributes, fragment);
    }
}
