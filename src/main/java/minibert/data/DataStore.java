package minibert.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Finds, downloads and verifies the data files named in the manifest ({@code data/datasets.yaml}).
 *
 * <p>A file is looked for, in order, under the project's {@code data/<dataset>/<file>}, in the mirror
 * folder ({@code <mirror>/<dataset>/<file>}), and finally downloaded from the manifest's address into
 * {@code data/}, or, when no address serves it, made from the data set's published archive
 * ({@link ImdbArchive}). Whatever is found is verified against the manifest's SHA-256 before it is first
 * handed out; a file that does not verify is an error and is never read.
 */
public final class DataStore {

    /** The system property naming the mirror folder. */
    public static final String MIRROR_PROPERTY = "minibert.data.mirror";
    /** The environment variable naming the mirror folder. */
    public static final String MIRROR_ENV = "MINIBERT_DATA_MIRROR";

    private final Manifest manifest;
    private final Path dataDir;
    private final Path mirror;
    private final HttpClient http;
    private final Map<Path, String> verified = new ConcurrentHashMap<>();

    /**
     * @param manifest the data manifest
     * @param dataDir  the project's {@code data/} folder (downloads go here)
     * @param mirror   a mirror folder with the same layout, or {@code null}
     */
    public DataStore(Manifest manifest, Path dataDir, Path mirror) {
        this.manifest = manifest;
        this.dataDir = dataDir.toAbsolutePath().normalize();
        this.mirror = mirror == null ? null : mirror.toAbsolutePath().normalize();
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(15))
                .followRedirects(HttpClient.Redirect.NORMAL).build();
    }

    /**
     * The store of this project: {@code data/} under the folder named by the system property
     * {@code minibert.project.dir} (else the working directory), with the mirror named by
     * {@value #MIRROR_PROPERTY} or {@value #MIRROR_ENV}, else {@code ../shared/data} beside the project when that
     * folder exists ({@link #mirror}).
     */
    public static DataStore fromEnvironment() {
        Path project = Path.of(System.getProperty("minibert.project.dir", ".")).toAbsolutePath().normalize();
        Path manifestFile = project.resolve("data/datasets.yaml");
        if (!Files.isRegularFile(manifestFile)) {
            throw new DataException("no data manifest at " + manifestFile
                    + ": run from the project folder or set -Dminibert.project.dir");
        }
        return new DataStore(Manifest.load(manifestFile), project.resolve("data"), mirror(project, mirrorFromEnvironment()));
    }

    /**
     * The mirror a project's store reads: the one {@code configured} (by the property or the variable), else the folder
     * {@code shared/data} beside the project, where this project's machines keep the data sets, when it exists; else none.
     */
    static Path mirror(Path project, Path configured) {
        if (configured != null) {
            return configured;
        }
        Path beside = project.toAbsolutePath().normalize().resolveSibling("shared").resolve("data");
        return Files.isDirectory(beside) ? beside : null;
    }

    /** The mirror named by the property or the variable; one that is missing, or is a file, is an error. */
    static Path mirrorFromEnvironment() {
        String value = System.getProperty(MIRROR_PROPERTY);
        String source = "-D" + MIRROR_PROPERTY;
        if (unset(value)) {
            value = System.getenv(MIRROR_ENV);
            source = MIRROR_ENV;
        }
        if (unset(value)) {
            return null;
        }
        Path mirror;
        try {
            mirror = Path.of(value);
        } catch (java.nio.file.InvalidPathException e) {
            throw new DataException("the data mirror named by " + source + " is not a usable path: " + e.getMessage());
        }
        if (!Files.isDirectory(mirror)) {
            throw new DataException("the data mirror " + mirror + " named by " + source + " "
                    + (Files.exists(mirror) ? "is a file, not a folder" : "does not exist")
                    + ": point it at a folder holding <dataset>/<file>, or unset it");
        }
        return mirror;
    }

    private static boolean unset(String v) {
        // Maven passes an unexpanded ${env.X} when the variable is not set.
        return v == null || v.isBlank() || v.startsWith("${");
    }

    public Manifest manifest() {
        return manifest;
    }

    /** The mirror folder, or {@code null}. */
    public Path mirror() {
        return mirror;
    }

    /** The manifest's SHA-256 of a file (as stored). */
    public String sha256(String dataset, String fileName) {
        return manifest.file(dataset, fileName).sha256();
    }

    /** The expected counts of a file, from the manifest. */
    public Map<String, Long> counts(String dataset, String fileName) {
        return manifest.file(dataset, fileName).counts();
    }

    /**
     * A verified local path to the file, downloading it if needed.
     *
     * @throws DataException when it is found but does not verify, or cannot be found or downloaded: the
     *                       message names the data set, every place looked and how to provide the file
     */
    // tag::resolve[]
    public Path file(String dataset, String fileName) {
        Manifest.DataFile entry = manifest.file(dataset, fileName);
        List<Path> places = candidates(entry);
        for (Path candidate : places) {
            if (Files.isRegularFile(candidate)) {
                verify(entry, candidate);       // throws if corrupt: a bad file is never read
                return candidate;
            }
        }
        Path target = places.get(0);            // data/<dataset>/<file>
        if (entry.derivation() != null) {
            derive(entry);                      // from the data set's published archive
            return target;
        }
        if (entry.url() == null) {
            throw missing(entry, places, "no address serves this file's exact bytes"
                    + (manifest.datasets().get(dataset).note() == null ? "" : " (" + manifest.datasets().get(dataset).note() + ")"));
        }
        try {
            download(entry.url(), target, entry.plainDownload(), f -> mismatch(entry, f), dataset + "/" + fileName);
        } catch (IOException e) {
            throw missing(entry, places, "downloading " + entry.url() + " failed: " + e);
        }
        return target;
    }
    // end::resolve[]

    /**
     * Makes a derived file, and every other missing file derived from the same archive, in one pass over
     * the archive (found or downloaded, and verified, first). Each result is written to a temporary file,
     * verified against the manifest, and only then renamed into place.
     */
    private void derive(Manifest.DataFile entry) {
        Manifest.Derivation how = entry.derivation();
        Manifest.Archive archive = manifest.archive(entry.dataset(), how.archive());
        Path source = archive(archive);
        List<Manifest.DataFile> wanted = new ArrayList<>();
        for (Manifest.DataFile f : manifest.datasets().get(entry.dataset()).files().values()) {
            if (f.derivation() != null && f.derivation().archive().equals(how.archive()) && locate(f) == null) {
                wanted.add(f);                  // absent everywhere: make it in the same pass
            }
        }
        Path dir = dataDir.resolve(entry.dataset());
        List<ImdbArchive.Target> targets = new ArrayList<>();
        try {
            Files.createDirectories(dir);
            for (Manifest.DataFile f : wanted) {
                targets.add(new ImdbArchive.Target(Files.createTempFile(dir, "." + f.name() + ".", ".part"),
                        f.derivation().folders()));
            }
            ImdbArchive.derive(source, targets);
            for (int i = 0; i < wanted.size(); i++) {
                String problem = madeMismatch(wanted.get(i), targets.get(i).file());
                if (problem != null) {
                    throw new DataException(entry.dataset() + "/" + wanted.get(i).name() + " made from " + source
                            + " is not the manifest's file: " + problem + "; nothing was kept");
                }
            }
            for (int i = 0; i < wanted.size(); i++) {
                Path target = dir.resolve(wanted.get(i).name());
                Files.move(targets.get(i).file(), target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                verified.put(target, stamp(target));
            }
        } catch (IOException e) {
            throw new DataException("cannot make " + entry.dataset() + "/" + entry.name() + " from " + source + ": " + e, e);
        } finally {
            for (ImdbArchive.Target t : targets) {
                try {
                    Files.deleteIfExists(t.file());
                } catch (IOException e) {
                    // best effort: a leftover .part file is never mistaken for data
                }
            }
        }
    }

    /** Why a file the store made itself is not the manifest's; it compressed a .gz itself, so only the content can match. */
    private static String madeMismatch(Manifest.DataFile f, Path made) {
        boolean gz = f.contentSha256() != null;
        String actual = sha256(made, gz);
        String expected = gz ? f.contentSha256() : f.sha256();
        return actual.equals(expected) ? null : (gz ? "content SHA-256 " : "SHA-256 ") + actual + ", expected " + expected;
    }

    /** A verified local path to an archive: in {@code data/<dataset>/}, the mirror, or downloaded into {@code data/}. */
    private Path archive(Manifest.Archive archive) {
        List<Path> places = new ArrayList<>();
        places.add(dataDir.resolve(archive.dataset()).resolve(archive.name()));
        if (mirror != null) {
            places.add(mirror.resolve(archive.dataset()).resolve(archive.name()));
        }
        for (Path candidate : places) {
            if (Files.isRegularFile(candidate)) {
                verify(candidate, archive.sha256(), null, archive.size(), archive.dataset());
                return candidate;
            }
        }
        String what = "archive " + archive.dataset() + "/" + archive.name();
        if (archive.url() == null) {
            throw new DataException(what + " is not available: looked in " + places + "; no address serves it");
        }
        try {
            download(archive.url(), places.get(0), false,
                    f -> mismatch(archive.sha256(), null, archive.size(), f), what);
        } catch (IOException e) {
            throw new DataException(what + " is not available: looked in " + places + "; downloading "
                    + archive.url() + " failed: " + e + ". Download it by hand (SHA-256 " + archive.sha256()
                    + ", " + archive.size() + " bytes) into " + places.get(0) + ", or point " + MIRROR_ENV
                    + " at a folder holding " + archive.dataset() + "/" + archive.name(), e);
        }
        return places.get(0);
    }

    /** Where a file is found now, without verifying or downloading it; {@code null} if nowhere. */
    public Path locate(String dataset, String fileName) {
        return locate(manifest.file(dataset, fileName));
    }

    private Path locate(Manifest.DataFile entry) {
        for (Path candidate : candidates(entry)) {
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private Path locateArchive(Manifest.Archive archive) {
        Path local = dataDir.resolve(archive.dataset()).resolve(archive.name());
        if (Files.isRegularFile(local)) {
            return local;
        }
        Path mirrored = mirror == null ? null : mirror.resolve(archive.dataset()).resolve(archive.name());
        return mirrored != null && Files.isRegularFile(mirrored) ? mirrored : null;
    }

    private List<Path> candidates(Manifest.DataFile entry) {
        List<Path> places = new ArrayList<>();
        places.add(dataDir.resolve(entry.dataset()).resolve(entry.name()));
        if (mirror != null) {
            places.add(mirror.resolve(entry.dataset()).resolve(entry.name()));
        }
        return places;
    }

    private DataException missing(Manifest.DataFile entry, List<Path> places, String why) {
        StringBuilder b = new StringBuilder();
        b.append("data file ").append(entry.dataset()).append('/').append(entry.name()).append(" is not available.\n");
        b.append("  looked in:\n");
        for (Path p : places) {
            b.append("    ").append(p).append(" (absent)\n");
        }
        if (mirror == null) {
            b.append("    no mirror configured (set ").append(MIRROR_ENV).append(" or -D").append(MIRROR_PROPERTY).append(")\n");
        }
        b.append("  ").append(why).append('\n');
        b.append("  to provide it: copy the file (SHA-256 ").append(entry.sha256()).append(") to ").append(places.get(0))
                .append(", or point ").append(MIRROR_ENV).append(" at a folder holding ").append(entry.dataset())
                .append('/').append(entry.name());
        Manifest.Dataset d = manifest.datasets().get(entry.dataset());
        if (d.canonical() != null) {
            b.append("; the data set's canonical source is ").append(d.canonical());
        }
        return new DataException(b.toString());
    }

    /**
     * Checks a file against the manifest: its SHA-256 as stored, or for a {@code .gz} file the SHA-256 of
     * its decompressed content. Verified files are remembered by path, size and modification time.
     */
    // tag::verify[]
    public void verify(Manifest.DataFile entry, Path file) {
        verify(file, entry.sha256(), entry.contentSha256(), entry.size(), entry.dataset());
    }

    private void verify(Path file, String sha256, String contentSha256, long size, String dataset) {
        String stamp = stamp(file);
        if (stamp.equals(verified.get(file))) {
            return;
        }
        String problem = mismatch(sha256, contentSha256, size, file);
        if (problem != null) {
            throw new DataException("data file " + file + " is corrupt: " + problem + ". It was not read. "
                    + "Delete it and fetch it again (./minibert data fetch " + dataset + ").");
        }
        verified.put(file, stamp);
    }

    /** Why {@code file} is not the manifest's file, or {@code null} when it is. */
    static String mismatch(Manifest.DataFile entry, Path file) {
        return mismatch(entry.sha256(), entry.contentSha256(), entry.size(), file);
    }

    static String mismatch(String sha256, String contentSha256, long expectedSize, Path file) {
        String actual = sha256(file, false);
        if (actual.equals(sha256)) {
            return null;
        }
        if (contentSha256 != null && contentSha256.equals(sha256(file, true))) {
            return null;                        // the same content, compressed differently
        }
        long size = file.toFile().length();
        String sizeNote = size < expectedSize ? " (" + size + " bytes, expected " + expectedSize + ": truncated?)"
                : size != expectedSize ? " (" + size + " bytes, expected " + expectedSize + ")" : "";
        return "SHA-256 " + actual + ", expected " + sha256 + sizeNote;
    }
    // end::verify[]

    private static String stamp(Path file) {
        try {
            return Files.size(file) + "@" + Files.getLastModifiedTime(file).toMillis();
        } catch (IOException e) {
            throw new DataException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Downloads {@code url} to a temporary file beside {@code target} (gzipping it when {@code gzip}), checks
     * it with {@code problem} (a description of what is wrong, or {@code null}), and only then renames it
     * into place.
     */
    private void download(String url, Path target, boolean gzip, Function<Path, String> problemOf, String what)
            throws IOException {
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".part");
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(10)).GET().build();
            HttpResponse<InputStream> response;
            try {
                response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            try (InputStream in = response.body()) {
                if (response.statusCode() != 200) {
                    throw new IOException("HTTP " + response.statusCode());
                }
                try (OutputStream raw = Files.newOutputStream(tmp);
                     OutputStream out = gzip ? new GZIPOutputStream(raw, 1 << 16) : raw) {
                    in.transferTo(out);
                }
            }
            String problem = problemOf.apply(tmp);
            if (problem != null) {
                throw new DataException("the download of " + url + " is not the manifest's " + what + ": "
                        + problem + "; nothing was kept");
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            verified.put(target, stamp(target));
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Lower-case hex SHA-256 of a file, or of its gzip-decompressed content. */
    static String sha256(Path file, boolean decompressed) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = decompressed ? new GZIPInputStream(raw, 1 << 16) : raw;
             DigestInputStream digest = new DigestInputStream(in, md)) {
            byte[] buffer = new byte[1 << 16];
            while (digest.read(buffer) >= 0) {
                // the digest sees every byte
            }
        } catch (IOException e) {
            if (decompressed) {
                return "(not valid gzip: " + e.getMessage() + ")";
            }
            throw new DataException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private String derivable(Manifest.DataFile f) {
        Manifest.Archive a = manifest.archive(f.dataset(), f.derivation().archive());
        Path found = locateArchive(a);
        return "derivable from " + a.name() + " (" + (found != null ? "found at " + found
                : a.url() != null ? String.format(java.util.Locale.ROOT, "downloadable, %,d bytes", a.size())
                : "no download address") + ")";
    }

    /** The state of one file, for {@code minibert data status}. */
    public record FileStatus(String dataset, String file, Path location, String state, String detail) {
    }

    /** Where each file of the manifest is and whether it verifies (reads every file found; downloads nothing). */
    public List<FileStatus> status() {
        List<FileStatus> out = new ArrayList<>();
        for (Manifest.Dataset d : manifest.datasets().values()) {
            for (Manifest.DataFile f : d.files().values()) {
                Path where = locate(d.name(), f.name());
                if (where == null) {
                    out.add(new FileStatus(d.name(), f.name(), null, "missing", f.derivation() != null ? derivable(f)
                            : f.url() == null ? "no download address" : "downloadable"));
                    continue;
                }
                try {
                    verify(f, where);
                    out.add(new FileStatus(d.name(), f.name(), where, "ok", f.sha256().substring(0, 12)));
                } catch (DataException e) {
                    out.add(new FileStatus(d.name(), f.name(), where, "CORRUPT", e.getMessage()));
                }
            }
        }
        return out;
    }
}
