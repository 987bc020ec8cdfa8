package minibert.fuzz;

import java.io.IOException;
import java.nio.file.Path;

/**
 * One reader under fuzzing: a valid file it reads, how to read it, and the exception that is its own.
 *
 * @param name     the reader, as the book names it: {@code "model config (YAML)"}
 * @param fileName the name the mutated file gets (some readers look at it, e.g. {@code .gz})
 * @param error    the reader's own exception; every refusal must be one, and its message must name the file
 * @param format   how the file is built, which decides its section boundaries and layers
 * @param sample   a valid file, the seed of every mutation
 * @param setup    writes the files the reader needs beside the mutated one (or does nothing)
 * @param reader   reads the file at the given path, as a command would
 */
public record FuzzTarget(String name, String fileName, Class<? extends RuntimeException> error, Format format,
                         byte[] sample, Setup setup, Reader reader) {

    /** How a file is built. */
    public enum Format {
        /** Lines of text (YAML, vocab.txt, TSV, CoNLL-U). */
        TEXT,
        /** A JSON document. */
        JSON,
        /** An 8-byte header length, a JSON header, then tensor bytes. */
        SAFETENSORS,
        /** Lines of text, gzip'd: mutated before and after compression. */
        GZIP_TEXT,
        /** A tar archive, gzip'd: mutated before and after compression. */
        TAR_GZIP
    }

    /** Reads one file as the project does; returns normally when the file is accepted. */
    @FunctionalInterface
    public interface Reader {
        void read(Path file) throws Exception;
    }

    /** Prepares the folder the mutated file lives in (companion files), once per target. */
    @FunctionalInterface
    public interface Setup {
        void prepare(Path file) throws IOException;

        Setup NONE = file -> {
        };
    }

    /** Whether the sample is gzip'd (its mutations are made on the plain bytes, then compressed, and on the compressed ones). */
    public boolean gzipped() {
        return format == Format.GZIP_TEXT || format == Format.TAR_GZIP;
    }
}
