package minibert.book;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What is the same for every result of one build: the source revision, the JDK and the machine.
 *
 * @param commit    the git commit, or {@code "uncommitted"} plus a hash of the working-tree diff, or
 *                  {@code "unknown"} outside a git checkout
 * @param jdk       {@code java.version} of the JVM that computed the results
 * @param cpus      {@link Runtime#availableProcessors()}
 * @param mode      quick or full
 */
public record BuildInfo(String commit, String jdk, int cpus, Mode mode) {

    /** Reads the revision with {@code git} in {@code projectDir}, and the JVM's own facts. */
    public static BuildInfo detect(Path projectDir, Mode mode) {
        return new BuildInfo(gitRevision(projectDir), System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(), mode);
    }

    static String gitRevision(Path dir) {
        String head = git(dir, "rev-parse", "HEAD");
        if (head == null || head.isBlank()) {
            return "unknown";
        }
        String status = git(dir, "status", "--porcelain", "--untracked-files=normal");
        String shortHead = head.strip().substring(0, Math.min(12, head.strip().length()));
        if (status == null || status.isBlank()) {
            return shortHead;
        }
        String diff = git(dir, "diff", "HEAD");
        String digest = sha256((status + "\n" + (diff == null ? "" : diff)).getBytes(StandardCharsets.UTF_8));
        return "uncommitted on " + shortHead + " (diff " + digest.substring(0, 12) + ")";
    }

    private static String git(Path dir, String... args) {
        try {
            var command = new java.util.ArrayList<>(List.of("git", "-C", dir.toString()));
            command.addAll(List.of(args));
            Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
            String out;
            try (InputStream in = process.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
                return null;
            }
            return out;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Lower-case hex SHA-256 of {@code bytes}. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from this JDK", e);
        }
    }
}
