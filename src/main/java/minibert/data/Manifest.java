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
import java.util.List;
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

    /** One data set: its description, its files, and the archives some files are derived from. */
    public record Dataset(String name, String title, String license, String citation, String homepage,
                          String canonical, String origin, String note, Map<String, DataFile> files,
                          Map<String, Archive> archives) {
    }

    /**
     * A published archive that some of a data set's files are derived from (no address serves those files
     * themselves). It is verified like a file, by its SHA-256 as published.
     *
     * @param url an address serving the archive's exact bytes, or {@code null}
     */
    public record Archive(String dataset, String name, String sha256, long size, String url) {
    }

    /**
     * How a file is made from an archive of its data set.
     *
     * @param archive the archive's name (a key of the data set's {@code archives})
     * @param format  the recipe that writes the file: {@value #IMDB_TSV} is {@link ImdbArchive}'s
     * @param folders the archive's folders whose members make the file, in the file's order
     */
    public record Derivation(String archive, String format, List<String> folders) {
    }

    /** The one derivation recipe so far: IMDB's review files to the TSV of {@link ImdbReader}. */
    public static final String IMDB_TSV = "imdb-tsv";

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
     * @param derivation    how to make the file from an archive when no address serves it, or {@code null}
     */
    public record DataFile(String dataset, String name, String sha256, String contentSha256, long size, String url,
                           boolean plainDownload, Map<String, Long> counts, Derivation derivation) {
    }

    private static final Set<String> DATASET_KEYS = Set.of("title", "license", "citation", "homepage", "canonical",
            "origin", "note", "files", "archives");
    private static final Set<String> FILE_KEYS = Set.of("sha256", "content_sha256", "size", "url", "download", "counts",
            "derive");
    private static final Set<String> ARCHIVE_KEYS = Set.of("sha256", "size", "url");
    private static final Set<String> DERIVE_KEYS = Set.of("archive", "format", "folders");

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
            Map<String, Archive> archives = new LinkedHashMap<>();
            if (d.get("archives") != null) {
                for (var a : map(file, name + ".archives", d.get("archives")).entrySet()) {
                    String aname = String.valueOf(a.getKey());
                    String where = name + "/" + aname;
                    Map<?, ?> am = map(file, where, a.getValue());
                    keys(file, where, am, ARCHIVE_KEYS);
                    archives.put(aname, new Archive(name, aname, hex(file, where, "sha256", am.get("sha256"), true),
                            size(file, where, am.get("size")), (String) am.get("url")));
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
                long size = size(file, where, fm.get("size"));
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
                Derivation derivation = null;
                if (fm.get("derive") != null) {
                    derivation = derivation(file, where, map(file, where + ".derive", fm.get("derive")), archives);
                    if (fm.get("url") != null) {
                        throw new DataException("data manifest " + file + ": " + where
                                + " has both a url and a derivation; give one");
                    }
                    if (fname.endsWith(".gz") && content == null) {
                        throw new DataException("data manifest " + file + ": " + where
                                + " is derived, so it needs a content_sha256 (the store compresses it itself)");
                    }
                }
                files.put(fname, new DataFile(name, fname, sha, content, size,
                        (String) fm.get("url"), download != null, Collections.unmodifiableMap(counts), derivation));
            }
            datasets.put(name, new Dataset(name, str(d, "title"), str(d, "license"), str(d, "citation"),
                    str(d, "homepage"), str(d, "canonical"), str(d, "origin"), str(d, "note"),
                    Collections.unmodifiableMap(files), Collections.unmodifiableMap(archives)));
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

    private static Derivation derivation(Path file, String where, Map<?, ?> m, Map<String, Archive> archives) {
        keys(file, where + ".derive", m, DERIVE_KEYS);
        Object archive = m.get("archive");
        if (!(archive instanceof String a) || !archives.containsKey(a)) {
            throw new DataException("data manifest " + file + ": " + where + " derives from archive '" + archive
                    + "', which the data set's archives " + archives.keySet() + " do not list");
        }
        if (!IMDB_TSV.equals(m.get("format"))) {
            throw new DataException("data manifest " + file + ": " + where + " derive.format must be '" + IMDB_TSV
                    + "', found " + m.get("format"));
        }
        List<String> folders = new java.util.ArrayList<>();
        if (m.get("folders") instanceof List<?> list) {
            for (Object o : list) {
                if (!(o instanceof String s) || s.isBlank() || s.endsWith("/")) {
                    throw new DataException("data manifest " + file + ": " + where
                            + " derive.folders must be folder paths without a trailing '/', found " + o);
                }
                folders.add(s);
            }
        }
        if (folders.isEmpty()) {
            throw new DataException("data manifest " + file + ": " + where + " derive.folders must list at least one folder");
        }
        return new Derivation(a, IMDB_TSV, List.copyOf(folders));
    }

    /** The archive of a data set, or a {@link DataException} listing what exists. */
    public Archive archive(String dataset, String archiveName) {
        Dataset d = datasets.get(dataset);
        Archive a = d == null ? null : d.archives().get(archiveName);
        if (a == null) {
            throw new DataException("data set " + dataset + " has no archive '" + archiveName + "'; the manifest lists "
                    + (d == null ? "no such data set" : d.archives().keySet()));
        }
        return a;
    }

    private static void keys(Path file, String where, Map<?, ?> m, Set<String> allowed) {
        for (Object k : m.keySet()) {
            if (!allowed.contains(String.valueOf(k))) {
                throw new DataException("data manifest " + file + ": " + where + " has an unknown key '" + k + "'");
            }
        }
    }

    private static long size(Path file, String where, Object size) {
        if (!(size instanceof Number n) || n.longValue() <= 0) {
            throw new DataException("data manifest " + file + ": " + where + " needs a positive size, found " + size);
        }
        return n.longValue();
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
