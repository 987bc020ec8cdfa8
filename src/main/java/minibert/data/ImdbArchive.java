package minibert.data;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Makes the IMDB review TSVs of {@link ImdbReader} from the canonical archive of Maas et al. (2011),
 * {@code aclImdb_v1.tar.gz}: no address serves the TSVs themselves.
 *
 * <p>The archive holds one file per review, {@code aclImdb/train/pos/<id>_<rating>.txt} (and {@code neg},
 * {@code unsup}), each one line of raw text without a line end. A TSV is the header
 * {@code label<TAB>id<TAB>rating<TAB>text}, then one row per review: its folder's name as the label, the
 * id and rating from the file name, and the file's bytes unchanged (no quoting or escaping; a tab in a
 * review stays a tab, which is why readers split at the first three tabs only). Rows come folder by folder
 * in the manifest's order, each folder by ascending numeric id; every row ends with LF. The result is
 * gzip'd; its <em>content</em> must then have the manifest's {@code content_sha256}.
 */
public final class ImdbArchive {

    private static final Pattern REVIEW = Pattern.compile("([0-9]+)_([0-9]+)\\.txt");

    /** One TSV to write: its path and the archive folders its rows come from, in order. */
    public record Target(Path file, List<String> folders) {
    }

    private record Review(String id, String rating, byte[] text) {
    }

    private ImdbArchive() {
    }

    /**
     * Reads the archive once and writes every target.
     *
     * @param archive a {@code .tar.gz} in the layout above; Not modified
     * @param targets the files to write (overwritten); their folders must each hold at least one review
     * @throws DataException naming the archive and the member when a review file is misnamed, repeats an id,
     *                       or contains a line break, or when a folder has no reviews
     */
    public static void derive(Path archive, List<Target> targets) throws IOException {
        derive(archive, targets, Deflater.BEST_COMPRESSION);
    }

    /** {@link #derive(Path, List)} writing gzip at {@code level} (tests of the real data write level 0, fast). */
    static void derive(Path archive, List<Target> targets, int level) throws IOException {
        // folder → id → review; a TreeMap keyed by the numeric id gives the rows' order
        Map<String, TreeMap<Long, Review>> folders = new LinkedHashMap<>();
        for (Target t : targets) {
            for (String f : t.folders()) {
                folders.put(f, new TreeMap<>());
            }
        }
        try (TarReader tar = new TarReader(new GZIPInputStream(Files.newInputStream(archive), 1 << 16), archive.toString())) {
            for (TarReader.Entry e = tar.next(); e != null; e = tar.next()) {
                int slash = e.name().lastIndexOf('/');
                TreeMap<Long, Review> folder = slash < 0 ? null : folders.get(e.name().substring(0, slash));
                if (folder == null || !e.isFile()) {
                    continue;                        // test/, the bag-of-words files, the README …
                }
                Matcher m = REVIEW.matcher(e.name().substring(slash + 1));
                if (!m.matches()) {
                    throw new DataException(archive + ": member " + e.name()
                            + " is not a review file <id>_<rating>.txt");
                }
                byte[] text = tar.content();
                for (byte b : text) {
                    if (b == '\n' || b == '\r') {
                        throw new DataException(archive + ": member " + e.name()
                                + " contains a line break; a TSV row holds one review on one line");
                    }
                }
                if (folder.put(Long.parseLong(m.group(1)), new Review(m.group(1), m.group(2), text)) != null) {
                    throw new DataException(archive + ": review id " + m.group(1) + " appears twice in "
                            + e.name().substring(0, slash));
                }
            }
        }
        for (var f : folders.entrySet()) {
            if (f.getValue().isEmpty()) {
                throw new DataException(archive + " has no review files under " + f.getKey() + "/");
            }
        }
        for (Target t : targets) {
            write(t, folders, level);
        }
    }

    // tag::write[]
    private static void write(Target target, Map<String, TreeMap<Long, Review>> folders, int level) throws IOException {
        byte[] tab = {'\t'}, lf = {'\n'};
        try (OutputStream out = new BufferedOutputStream(gzip(Files.newOutputStream(target.file()), level), 1 << 16)) {
            out.write((ImdbReader.HEADER + "\n").getBytes(StandardCharsets.UTF_8));
            for (String folder : target.folders()) {
                byte[] label = folder.substring(folder.lastIndexOf('/') + 1).getBytes(StandardCharsets.UTF_8);
                for (Review r : folders.get(folder).values()) {       // ascending numeric id
                    out.write(label);
                    out.write(tab);
                    out.write(r.id().getBytes(StandardCharsets.US_ASCII));
                    out.write(tab);
                    out.write(r.rating().getBytes(StandardCharsets.US_ASCII));
                    out.write(tab);
                    out.write(r.text());                               // the review's bytes, unchanged
                    out.write(lf);
                }
            }
        }
    }
    // end::write[]

    /** gzip at {@code level} (9 as {@code gzip -9}); the JDK writes no file name and modification time 0. */
    private static OutputStream gzip(OutputStream raw, int level) throws IOException {
        return new GZIPOutputStream(raw, 1 << 16) {
            {
                def.setLevel(level);
            }
        };
    }
}
