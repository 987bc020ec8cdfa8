package minibert.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Reads CoNLL-U treebanks (Universal Dependencies): ten tab-separated columns per word, {@code #}
 * comments, a blank line after each sentence. Only syntactic words (integer ids) are kept, with their
 * UPOS tags; multiword-token lines ({@code 3-4}) and empty nodes ({@code 8.1}) are counted, not kept.
 */
public final class ConlluReader {

    /** One sentence: its id and text from the comments, its words and their universal POS tags. */
    public record ConlluSentence(String sentId, String text, List<String> words, List<String> upos) {
    }

    /** The sentences plus what was passed over, for the manifest's counts. */
    public record Treebank(List<ConlluSentence> sentences, long multiwordTokens, long wordsInMultiwordTokens,
                           long emptyNodes) {

        /** sentences, words, tokens (surface), multiword_tokens, empty_nodes, upos_tags, longer_than_62. */
        public Map<String, Long> counts() {
            Map<String, Long> c = new LinkedHashMap<>();
            long words = 0;
            long longer = 0;
            TreeSet<String> tags = new TreeSet<>();
            for (ConlluSentence s : sentences) {
                words += s.words().size();
                longer += s.words().size() > 62 ? 1 : 0;
                tags.addAll(s.upos());
            }
            c.put("sentences", (long) sentences.size());
            c.put("words", words);
            // A multiword token such as "don't" (do + n't) stands for two or more words but is one surface token.
            c.put("tokens", words - wordsInMultiwordTokens + multiwordTokens);
            c.put("multiword_tokens", multiwordTokens);
            c.put("empty_nodes", emptyNodes);
            c.put("upos_tags", (long) tags.size());
            c.put("longer_than_62", longer);
            return c;
        }
    }

    private ConlluReader() {
    }

    /** Reads every sentence; see {@link #readTreebank} for the passed-over counts. */
    public static List<ConlluSentence> read(Path file) {
        return readTreebank(file).sentences();
    }

    /** Reads a treebank; a malformed line is an error naming the file and line. */
    public static Treebank readTreebank(Path file) {
        List<ConlluSentence> out = new ArrayList<>();
        long multiword = 0, covered = 0, empty = 0;
        try (TextFiles.Lines in = TextFiles.open(file)) {
            String sentId = null, text = null;
            List<String> words = new ArrayList<>(), upos = new ArrayList<>();
            long lineNo = 0;
            for (String line = in.readLine(); ; line = in.readLine()) {
                lineNo++;
                if (line == null || line.isEmpty()) {
                    if (!words.isEmpty()) {
                        out.add(new ConlluSentence(sentId, text, List.copyOf(words), List.copyOf(upos)));
                    } else if (sentId != null && line != null) {
                        throw TextFiles.error(file, lineNo, "sentence " + sentId + " has no words");
                    }
                    sentId = null;
                    text = null;
                    words.clear();
                    upos.clear();
                    if (line == null) {
                        break;
                    }
                    continue;
                }
                if (line.startsWith("#")) {
                    if (line.startsWith("# sent_id = ")) {
                        sentId = line.substring("# sent_id = ".length());
                    } else if (line.startsWith("# text = ")) {
                        text = line.substring("# text = ".length());
                    }
                    continue;
                }
                String[] cols = line.split("\t", -1);
                if (cols.length != 10) {
                    throw TextFiles.error(file, lineNo, "expected 10 tab-separated columns, found " + cols.length);
                }
                String id = cols[0];
                if (id.indexOf('-') > 0) {
                    multiword++;
                    try {
                        int dash = id.indexOf('-');
                        covered += Integer.parseInt(id.substring(dash + 1)) - Integer.parseInt(id.substring(0, dash)) + 1;
                    } catch (NumberFormatException e) {
                        throw TextFiles.error(file, lineNo, "malformed multiword range " + TextFiles.quote(id));
                    }
                } else if (id.indexOf('.') > 0) {
                    empty++;
                } else {
                    try {
                        int n = Integer.parseInt(id);
                        if (n != words.size() + 1) {
                            throw TextFiles.error(file, lineNo, "word id " + n + " out of order (expected " + (words.size() + 1) + ")");
                        }
                    } catch (NumberFormatException e) {
                        throw TextFiles.error(file, lineNo, "malformed id " + TextFiles.quote(id));
                    }
                    words.add(cols[1]);
                    upos.add(cols[3]);
                }
            }
        } catch (IOException e) {
            throw new DataException("cannot read " + file + ": " + e, e);
        }
        return new Treebank(List.copyOf(out), multiword, covered, empty);
    }
}
