package minibert.train;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The source revision a result was computed from, read with {@code git}. */
public final class SourceRevision {

    private SourceRevision() {
    }

    /**
     * The commit the running classes were built from, as the build wrote it into {@code minibert/git.properties}
     * (12 hex digits; {@code "uncommitted on COMMIT"} when the tree it was built from differed from the commit);
     * outside such a build (an IDE, a copy without git), the working tree's {@link #describe(Path) description}.
     */
    public static String ofBuild(Path fallback) {
        try (InputStream in = SourceRevision.class.getResourceAsStream("/minibert/git.properties")) {
            if (in != null) {
                java.util.Properties p = new java.util.Properties();
                p.load(in);
                String commit = p.getProperty("git.commit.id.abbrev", "").strip();
                if (!commit.isEmpty()) {
                    return Boolean.parseBoolean(p.getProperty("git.dirty", "false").strip())
                            ? "uncommitted on " + commit + " (built from a modified tree)" : commit;
                }
            }
        } catch (IOException e) {
            // fall through to the working tree
        }
        return describe(fallback);
    }

    /**
     * The commit (12 hex digits); {@code "uncommitted on COMMIT (diff HASH)"} when the working tree differs
     * from it; {@code "unknown"} outside a git checkout.
     */
    public static String describe(Path dir) {
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
        String digest = RunDirectory.sha256(status + "\n" + (diff == null ? "" : diff));
        return "uncommitted on " + shortHead + " (diff " + digest.substring(0, 12) + ")";
    }

    private static String git(Path dir, String... args) {
        try {
            List<String> command = new ArrayList<>(List.of("git", "-C", dir.toString()));
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
}
