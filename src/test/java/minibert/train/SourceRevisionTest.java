package minibert.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SourceRevisionTest {

    /** The build writes the commit it compiled into the classes, and a run's provenance reads it from there. */
    @Test
    void theBuildRecordsTheCommitItCompiled() throws Exception {
        try (InputStream in = SourceRevision.class.getResourceAsStream("/minibert/git.properties")) {
            assertNotNull(in, "the build writes minibert/git.properties (git-commit-id-maven-plugin)");
        }
        String build = SourceRevision.ofBuild(Path.of("."));
        assertTrue(build.matches("[0-9a-f]{12}|uncommitted on [0-9a-f]{12} \\(built from a modified tree\\)"), build);
        String tree = SourceRevision.describe(Path.of("."));
        if (!tree.equals("unknown")) {              // in a git checkout: the same commit as the tree's HEAD
            assertEquals(commitOf(tree), commitOf(build));
        }
    }

    private static String commitOf(String description) {
        var m = java.util.regex.Pattern.compile("[0-9a-f]{12}").matcher(description);
        assertTrue(m.find(), description);
        return m.group();
    }
}
