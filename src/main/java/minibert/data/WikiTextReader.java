package minibert.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads WikiText raw files: one paragraph or heading per line, CRLF line ends, blank lines as a single
 * space. Lines are returned without their line ends; a line holding only white space becomes {@code ""}.
 */
public final class WikiTextReader {

    private WikiTextReader() {
    }

    public static List<String> read(Path file) {
        List<String> lines = new ArrayList<>();
        try (TextFiles.Lines in = TextFiles.open(file)) {
            // readLine splits on CR, LF and CRLF alike
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                lines.add(line.isBlank() ? "" : line);
            }
        } catch (IOException e) {
            throw new DataException("cannot read " + file + ": " + e, e);
        }
        return lines;
    }

    /** lines, blank_lines and tokens (whitespace), as the manifest names them. */
    public static Map<String, Long> counts(List<String> lines) {
        long blank = 0, tokens = 0;
        for (String l : lines) {
            blank += l.isEmpty() ? 1 : 0;
            tokens += TextFiles.whitespaceTokens(l);
        }
        Map<String, Long> c = new LinkedHashMap<>();
        c.put("lines", (long) lines.size());
        c.put("blank_lines", blank);
        c.put("tokens", tokens);
        return c;
    }
}
