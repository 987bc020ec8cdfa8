package minibert.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the IMDB review TSV ({@code label<TAB>id<TAB>rating<TAB>text}, gzip'd, with a header line).
 * Lines are split at the first three tabs only, since 49 reviews contain tabs in their text; the HTML
 * line breaks {@code <br />} are replaced by a space.
 */
public final class ImdbReader {

    /** One review: {@code label} is pos, neg or unsup; {@code rating} 1–10 (0 in unsup). */
    public record ImdbReview(String label, long id, int rating, String text) {
    }

    private static final java.util.regex.Pattern BREAK = java.util.regex.Pattern.compile("<br\\s*/?>");

    private ImdbReader() {
    }

    /** Reads every review; malformed lines are errors naming the file and line. */
    public static List<ImdbReview> read(Path file) {
        List<ImdbReview> reviews = new ArrayList<>();
        try (TextFiles.Lines in = TextFiles.open(file)) {
            String header = in.readLine();
            if (!"label\tid\trating\ttext".equals(header)) {
                throw TextFiles.error(file, 1, "expected the header 'label<TAB>id<TAB>rating<TAB>text', found " + TextFiles.quote(header));
            }
            long lineNo = 1;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                lineNo++;
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
                    throw TextFiles.error(file, lineNo, "id and rating must be numbers, found " + TextFiles.quote(f[1]) + ", " + TextFiles.quote(f[2]));
                }
                if (rating < 0 || rating > 10) {
                    throw TextFiles.error(file, lineNo, "rating must be 0–10, found " + rating);
                }
                reviews.add(new ImdbReview(f[0], id, rating, clean(f[3])));
            }
        } catch (IOException e) {
            throw new DataException("cannot read " + file + ": " + e, e);
        }
        return reviews;
    }

    /** Replaces the HTML line breaks of the raw reviews ({@code <br />}, {@code <br/>}, {@code <br>}) by a space. */
    public static String clean(String text) {
        return text.indexOf('<') < 0 ? text : BREAK.matcher(text).replaceAll(" ");
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
