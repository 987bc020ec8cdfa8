package minibert.book;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

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
        return minibert.train.SourceRevision.describe(dir);
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
