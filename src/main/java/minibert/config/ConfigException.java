package minibert.config;

import java.nio.file.Path;

/** A configuration file that cannot be used: names the file, the key and what is wrong. */
public final class ConfigException extends RuntimeException {

    private final Path file;
    private final String key;

    public ConfigException(Path file, String key, String reason) {
        super(file + (key == null ? "" : ": key '" + key + "'") + ": " + reason);
        this.file = file;
        this.key = key;
    }

    public Path file() {
        return file;
    }

    /** The offending key, or {@code null} when the whole file is at fault. */
    public String key() {
        return key;
    }
}
