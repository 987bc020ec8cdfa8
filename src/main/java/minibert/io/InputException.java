package minibert.io;

import java.nio.file.Path;

/**
 * A file that cannot be read as its reader needs: missing, a folder, too large, or not text. Each reader
 * turns it into its own exception ({@code ConfigException}, {@code TokenizerException}, …) with the same words.
 */
public final class InputException extends RuntimeException {

    private final Path file;
    private final String reason;

    public InputException(Path file, String reason) {
        super(file + " " + reason);
        this.file = file;
        this.reason = reason;
    }

    /** The file at fault. */
    public Path file() {
        return file;
    }

    /** What is wrong, as words that follow the file's name: {@code "does not exist"}. */
    public String reason() {
        return reason;
    }
}
