package minibert.book;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the project's own files are, for producers that read configs or sources. */
public final class ProjectFiles {

    private ProjectFiles() {
    }

    /**
     * The project folder: the system property {@code minibert.project.dir} (the build sets it), else the
     * working directory. Fails when it holds no {@code pom.xml}.
     */
    public static Path projectDir() {
        Path dir = Path.of(System.getProperty("minibert.project.dir", ".")).toAbsolutePath().normalize();
        if (!Files.isRegularFile(dir.resolve("pom.xml"))) {
            throw new IllegalStateException("minibert.project.dir=" + dir + " holds no pom.xml; run from the project folder");
        }
        return dir;
    }
}
