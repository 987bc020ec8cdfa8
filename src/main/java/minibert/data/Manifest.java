package minibert.data;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The data manifest, {@code data/datasets.yaml}: every data set, its files, their checksums and the
 * counts the readers assert.
 *
 * @param file     where the manifest was read from
 * @param datasets data sets by name, in file order
 */
public record Manifest(Path file, Map<String, Dataset> datasets) {

    /** One data set: its description and its files. */
    public record Dataset(String name, String title, String license, String citation, String homepage,
                          String canonical, String origin, String note, Map<String, DataFile> files) {
    }

    /**
     * One file of a data set.
     *
     * @param sha256        SHA-256 of the file as stored
     * @param contentSha256 for {@code .gz} files, SHA-256 of the decompressed content, else {@code null}
     * @param size          size in bytes as stored
     * @param url           an address serving the exact bytes (or, with {@code plainDownload}, the exact
     *                      decompressed content), or {@code null} when none exists
     * @param plainDownload the URL serves the decompressed content; the store gzips it
     * @param counts        what the reader must count in this file
     */
    public record DataFile(String dataset, String name, String sha256, String contentSha256, long size, String url,
                           boolean plainDownload, Map<String, Long> counts) {
    }

    private static final Set<String> DATASET_KEYS = Set.of("title", "license", "citation", "homepage", "canonical",
            "origin", "note", "files");
    private static final Set<String> FILE_KEYS = Set.of("sha256", "content_sha256", "size", "url", "download", "counts");

    /** The largest manifest read. */
    public static final long MAX_BYTES = minibert.io.InputFile.MIB;

    /** Reads and validates a manifest; errors name the file, the data set and the key. */
    public static Manifest load(Path file) {
        String text;
        try {
            text = minibert.io.InputFile.text(file, "a data manifest", MAX_BYTES, false);
        } catch (minibert.io.InputException e) {
            throw new DataException("data manifest " + e.getMessage(), e);
        }
        Object doc;
        try {
            doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
        } catch (YAMLException e) {
            throw new DataException("data manifest " + file + " is not valid YAML: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new DataException("data manifest " + file + " is not valid YAML: " + e.getMessage(), e);
        }
        Map<?, ?> root = map(file, "the document", doc);
        Map<?, ?> sets = map(file, "datasets", root.get("datasets"));
        Map<String, Dataset> datasets = new LinkedHashMap<>();
        for (var e : sets.entrySet()) {
            String name = String.valueOf(e.getKey());
            Map<?, ?> d = map(file, name, e.getValue());
            for (Object k : d.keySet()) {
                if (!DATASET_KEYS.contains(String.valueOf(k))) {
                    throw new DataException("data manifest " + file + ": data set " + name + " has an unknown key '" + k + "'");
                }
            }
            Map<String, DataFile> files = new LinkedHashMap<>();
            for (var f : map(file, name + ".files", d.get("files")).entrySet()) {
                String fname = String.valueOf(f.getKey());
                String where = name + "/" + fname;
                Map<?, ?> fm = map(file, where, f.getValue());
                for (Object k : fm.keySet()) {
                    if (!FILE_KEYS.contains(String.valueOf(k))) {
                        throw new DataException("data manifest " + file + ": " + where + " has an unknown key '" + k + "'");
                    }
                }
                String sha = hex(file, where, "sha256", fm.get("sha256"), true);
                String content = hex(file, where, "content_sha256", fm.get("content_sha256"), false);
                Object size = fm.get("size");
                if (!(size instanceof Number n) || n.longValue() <= 0) {
                    throw new DataException("data manifest " + file + ": " + where + " needs a positive size, found " + size);
                }
                Object download = fm.get("download");
                if (download != null && !"plain".equals(download)) {
                    throw new DataException("data manifest " + file + ": " + where + " download must be 'plain', found " + download);
                }
                if (download != null && content == null) {
                    throw new DataException("data manifest " + file + ": " + where + " downloads plain content but has no content_sha256");
                }
                Map<String, Long> counts = new LinkedHashMap<>();
                if (fm.get("counts") != null) {
                    for (var c : map(file, where + ".counts", fm.get("counts")).entrySet()) {
                        if (!(c.getValue() instanceof Number count)) {
                            throw new DataException("data manifest " + file + ": " + where + " count " + c.getKey() + " is not a number");
                        }
                        counts.put(String.valueOf(c.getKey()), count.longValue());
                    }
                }
                files.put(fname, new DataFile(name, fname, sha, content, ((Number) size).longValue(),
                        (String) fm.get("url"), download != null, Collections.unmodifiableMap(counts)));
            }
            datasets.put(name, new Dataset(name, str(d, "title"), str(d, "license"), str(d, "citation"),
                    str(d, "homepage"), str(d, "canonical"), str(d, "origin"), str(d, "note"),
                    Collections.unmodifiableMap(files)));
        }
        return new Manifest(file, Collections.unmodifiableMap(datasets));
    }

    /** The entry for {@code dataset}/{@code fileName}, or a {@link DataException} listing what exists. */
    public DataFile file(String dataset, String fileName) {
        Dataset d = datasets.get(dataset);
        if (d == null) {
            throw new DataException("unknown data set '" + dataset + "'; the manifest " + file + " lists " + datasets.keySet());
        }
        DataFile f = d.files().get(fileName);
        if (f == null) {
            throw new DataException("data set " + dataset + " has no file '" + fileName + "'; the manifest lists " + d.files().keySet());
        }
        return f;
    }

    private static Map<?, ?> map(Path file, String where, Object o) {
        if (!(o instanceof Map<?, ?> m)) {
            throw new DataException("data manifest " + file + ": " + where + " must be a mapping, found " + o);
        }
        return m;
    }

    private static String str(Map<?, ?> m, String key) {
        Object v = m.get(key);
        return v == null ? null : String.valueOf(v);
    }

    private static String hex(Path file, String where, String key, Object v, boolean required) {
        if (v == null && !required) {
            return null;
        }
        if (!(v instanceof String s) || !s.matches("[0-9a-f]{64}")) {
            throw new DataException("data manifest " + file + ": " + where + " " + key + " must be 64 lower-case hex digits, found " + v);
        }
        return s;
    }
}
