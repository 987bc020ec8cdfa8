package minibert.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks of option values, run while picocli parses the command line (the options are setter methods), so
 * that a bad number or output path is refused before any long work starts.
 */
final class Checks {

    private Checks() {
    }

    /** {@code value}, or a usage error unless {@code min ≤ value ≤ max}. */
    static int between(CommandSpec spec, String option, int value, int min, int max) {
        if (value < min || value > max) {
            throw new ParameterException(spec.commandLine(), option + " must be "
                    + (max == Integer.MAX_VALUE ? "at least " + min : "between " + min + " and " + max) + ", found " + value);
        }
        return value;
    }

    /** {@code value}, or a usage error unless {@code min ≤ value ≤ max} (a count that may exceed an int's range as typed). */
    static long between(CommandSpec spec, String option, long value, long min, long max) {
        if (value < min || value > max) {
            throw new ParameterException(spec.commandLine(), option + " must be "
                    + (max == Integer.MAX_VALUE || max == Long.MAX_VALUE ? "at least " + min : "between " + min + " and " + max)
                    + ", found " + value);
        }
        return value;
    }

    /** {@code file}, or a usage error unless it is a file that can be read. */
    static Path inputFile(CommandSpec spec, String option, Path file) {
        if (Files.isDirectory(file)) {
            throw new ParameterException(spec.commandLine(), option + " " + file + " is a folder; it must name a file");
        }
        if (!Files.exists(file)) {
            throw new ParameterException(spec.commandLine(), option + " " + file + " does not exist");
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new ParameterException(spec.commandLine(), option + " " + file + " cannot be read as a file");
        }
        return file;
    }

    /** {@code path}, or a usage error unless it is a vocab.txt or a folder holding one. */
    static Path vocabulary(CommandSpec spec, String option, Path path) {
        if (Files.isDirectory(path)) {
            if (!Files.isRegularFile(path.resolve("vocab.txt"))) {
                throw new ParameterException(spec.commandLine(), option + " " + path + " is a folder without a vocab.txt");
            }
            return path;
        }
        return inputFile(spec, option, path);
    }

    /**
     * {@code dir}, or a usage error unless it is a folder that can be written, or can be created: a path that
     * names an existing file, or lies under one, or under a folder that cannot be written, is refused.
     */
    static Path outputFolder(CommandSpec spec, String option, Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        if (Files.exists(abs)) {
            if (!Files.isDirectory(abs)) {
                throw new ParameterException(spec.commandLine(), option + " " + dir + " is a file; it must name a folder to write into");
            }
            if (!Files.isWritable(abs)) {
                throw new ParameterException(spec.commandLine(), option + " " + dir + " is a folder that cannot be written");
            }
            return dir;
        }
        Path existing = abs.getParent();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            throw new ParameterException(spec.commandLine(), option + " " + dir + " cannot be created: no folder above it exists");
        }
        if (!Files.isDirectory(existing)) {
            throw new ParameterException(spec.commandLine(), option + " " + dir + " cannot be created: " + existing
                    + " is a file, not a folder");
        }
        if (!Files.isWritable(existing)) {
            throw new ParameterException(spec.commandLine(), option + " " + dir + " cannot be created: " + existing
                    + " cannot be written");
        }
        return dir;
    }
}
