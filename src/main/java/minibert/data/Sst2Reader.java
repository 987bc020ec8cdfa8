package minibert.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads GLUE's SST-2 TSV files: {@code sentence<TAB>label} (train, dev) or {@code index<TAB>sentence}
 * (the unlabeled test file). The sentence is split off at the last tab and its trailing space trimmed.
 */
public final class Sst2Reader {

    /** A sentence and its label: 1 positive, 0 negative, -1 unlabeled (test). */
    public record Sst2Example(String sentence, int label) {
    }

    private Sst2Reader() {
    }

    /** Reads every example; a malformed line is an error naming the file and line. */
    public static List<Sst2Example> read(Path file) {
        List<Sst2Example> out = new ArrayList<>();
        try (TextFiles.Lines in = TextFiles.open(file)) {
            String header = in.readLine();
            boolean labeled;
            if ("sentence\tlabel".equals(header)) {
                labeled = true;
            } else if ("index\tsentence".equals(header)) {
                labeled = false;
            } else {
                throw TextFiles.error(file, 1, "expected the header 'sentence<TAB>label' or 'index<TAB>sentence', found " + TextFiles.quote(header));
            }
            long lineNo = 1;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                lineNo++;
                int tab = labeled ? line.lastIndexOf('\t') : line.indexOf('\t');
                if (tab < 0) {
                    throw TextFiles.error(file, lineNo, "no tab in the line");
                }
                if (labeled) {
                    String label = line.substring(tab + 1);
                    if (!label.equals("0") && !label.equals("1")) {
                        throw TextFiles.error(file, lineNo, "label must be 0 or 1, found " + TextFiles.quote(label));
                    }
                    String sentence = line.substring(0, tab).strip();
                    if (sentence.isEmpty()) {
                        throw TextFiles.error(file, lineNo, "empty sentence");
                    }
                    out.add(new Sst2Example(sentence, label.charAt(0) - '0'));
                } else {
                    out.add(new Sst2Example(line.substring(tab + 1).strip(), -1));
                }
            }
        } catch (IOException e) {
            throw new DataException("cannot read " + file + ": " + e, e);
        }
        return out;
    }

    /** rows, label_0, label_1, tokens (whitespace) and longest (tokens), as the manifest names them. */
    public static Map<String, Long> counts(List<Sst2Example> examples) {
        Map<String, Long> c = new LinkedHashMap<>();
        long tokens = 0, longest = 0;
        for (Sst2Example e : examples) {
            int n = TextFiles.whitespaceTokens(e.sentence());
            tokens += n;
            longest = Math.max(longest, n);
            if (e.label() >= 0) {
                c.merge("label_" + e.label(), 1L, Long::sum);
            }
        }
        c.put("rows", (long) examples.size());
        c.put("tokens", tokens);
        c.put("longest", longest);
        return c;
    }
}
