package minibert.fuzz;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;

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
 * @param layout   for a {@link Format#BINARY} file, where its sections and numbers are; null otherwise
 */
public record FuzzTarget(String name, String fileName, Class<? extends RuntimeException> error, Format format,
                         byte[] sample, Setup setup, Reader reader, Layout layout) {

    /** A target of a text, JSON, safetensors or gzip'd format, whose layout the mutations find themselves. */
    public FuzzTarget(String name, String fileName, Class<? extends RuntimeException> error, Format format, byte[] sample,
                      Setup setup, Reader reader) {
        this(name, fileName, error, format, sample, setup, reader, null);
    }

    public FuzzTarget {
        if ((format == Format.BINARY) != (layout != null)) {
            throw new IllegalArgumentException(name + ": a binary format needs its layout, and only it has one");
        }
    }

    /**
     * Where a binary file's sections and numbers are, which the mutations cut at and replace, and how to make
     * its checksums right again.
     *
     * @param header     bytes of the header (half the flipped bits fall in it)
     * @param boundaries where sections begin and end (fields, header, payload, index entries)
     * @param numbers    the numbers written in the file: where, how wide (1, 2, 4 or 8 bytes, little-endian), and what
     * @param reseal     the bytes with their checksums computed afresh: each mutation is also tried resealed, so
     *                   that it reaches the checks behind the checksums (null when the format has none)
     */
    public record Layout(int header, List<Integer> boundaries, List<Field> numbers, UnaryOperator<byte[]> reseal) {
    }

    /** A number in a binary file. */
    public record Field(String name, int offset, int width) {
    }

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
        TAR_GZIP,
        /** A binary file whose sections and numbers its {@link Layout} describes. */
        BINARY
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
