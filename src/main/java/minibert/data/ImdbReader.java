package minibert.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Reads the IMDB review TSV ({@code label<TAB>id<TAB>rating<TAB>text}, gzip'd, with a header line).
 * Lines are split at the first three tabs only, since 49 reviews contain tabs in their text; the HTML
 * line breaks {@code <br />} are replaced by a space.
 */
public final class ImdbReader {

    /** One review: {@code label} is pos, neg or unsup; {@code rating} 1–10 (0 in unsup). */
    public record ImdbReview(String label, long id, int rating, String text) {
    }

    /** The first line of every IMDB TSV. */
    public static final String HEADER = "label\tid\trating\ttext";

    private static final Pattern BREAK = Pattern.compile("<br\\s*/?>");
    /** A run of line breaks with the white space around them: one paragraph end. */
    private static final Pattern BREAKS = Pattern.compile("\\s*(?:<br\\s*/?>\\s*)+");

    private ImdbReader() {
    }

    /** Reads every review, {@code <br />} replaced by a space; malformed lines are errors naming the file and line. */
    public static List<ImdbReview> read(Path file) {
        try (Stream<ImdbReview> reviews = stream(file, ImdbReader::clean)) {
            return reviews.toList();
        }
    }

    /**
     * The reviews one by one, read as the stream is consumed (the file is not held in memory); close the
     * stream. Malformed lines are errors naming the file and line.
     *
     * @param clean applied to each review's raw text, e.g. {@link #clean} or {@link #paragraphs}
     */
    public static Stream<ImdbReview> stream(Path file, UnaryOperator<String> clean) {
        TextFiles.Lines in;
        try {
            in = TextFiles.open(file);
            String header = in.readLine();
            if (!HEADER.equals(header)) {
                in.close();
                throw TextFiles.error(file, 1, "expected the header 'label<TAB>id<TAB>rating<TAB>text', found "
                        + TextFiles.quote(header));
            }
        } catch (IOException e) {
            throw new DataException("cannot read " + file + ": " + e, e);
        }
        Iterator<ImdbReview> it = new Iterator<>() {
            private long lineNo = 1;
            private String line = readLine();

            private String readLine() {
                try {
                    return in.readLine();
                } catch (IOException e) {
                    throw new DataException("cannot read " + file + ": " + e, e);
                }
            }

            @Override
            public boolean hasNext() {
                return line != null;
            }

            @Override
            public ImdbReview next() {
                if (line == null) {
                    throw new NoSuchElementException();
                }
                lineNo++;
                ImdbReview r = parse(file, lineNo, line, clean);
                line = readLine();
                return r;
            }
        };
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED | Spliterator.NONNULL), false)
                .onClose(() -> {
                    try {
                        in.close();
                    } catch (IOException e) {
                        throw new DataException("cannot close " + file + ": " + e, e);
                    }
                });
    }

    private static ImdbReview parse(Path file, long lineNo, String line, UnaryOperator<String> clean) {
        String[] f = line.split("\t", 4);
        if (f.length != 4) {
            throw TextFiles.error(file, lineNo, "expected 4 tab-separated fields, found " + f.length);
        }
        if (!f[0].equals("pos") && !f[0].equals("neg") && !f[0].equals("unsup")) {
            throw TextFiles.error(file, lineNo, "label must be pos, neg or unsup, found " + TextFiles.quote(f[0]));
        }
        long id;
        int rating;
        try {
            id = Long.parseLong(f[1]);
            rating = Integer.parseInt(f[2]);
        } catch (NumberFormatException e) {
            throw TextFiles.error(file, lineNo, "id and rating must be numbers, found " + TextFiles.quote(f[1]) + ", "
                    + TextFiles.quote(f[2]));
        }
        if (rating < 0 || rating > 10) {
            throw TextFiles.error(file, lineNo, "rating must be 0–10, found " + rating);
        }
        return new ImdbReview(f[0], id, rating, clean.apply(f[3]));
    }

    /** Replaces the HTML line breaks of the raw reviews ({@code <br />}, {@code <br/>}, {@code <br>}) by a space. */
    public static String clean(String text) {
        return text.indexOf('<') < 0 ? text : BREAK.matcher(text).replaceAll(" ");
    }

    /**
     * Replaces each run of HTML line breaks, with the white space around it, by one {@code '\n'}: the
     * reviews' paragraph ends, kept as line breaks for readers that use them (the pre-training packer ends a
     * sentence there). To a tokenizer {@code '\n'} is white space like the space of {@link #clean}.
     */
    public static String paragraphs(String text) {
        return text.indexOf('<') < 0 ? text : BREAKS.matcher(text).replaceAll("\n");
    }

    /** Counts as the manifest names them: rows, pos, neg, unsup and whitespace tokens of the raw text. */
    public static Map<String, Long> counts(Path file) {
        Map<String, Long> c = new LinkedHashMap<>();
        long rows = 0, tokens = 0;
        try (TextFiles.Lines in = TextFiles.open(file)) {
            in.readLine();
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                String[] f = line.split("\t", 4);
                rows++;
                c.merge(f[0], 1L, Long::sum);
                tokens += f.length == 4 ? TextFiles.whitespaceTokens(f[3]) : 0;
            }
        } catch (IOException e) {
            throw new DataException("cannot read " + file + ": " + e, e);
        }
        c.put("rows", rows);
        c.put("tokens", tokens);
        return c;
    }
}
