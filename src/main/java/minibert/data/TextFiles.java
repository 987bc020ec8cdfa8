package minibert.data;

import minibert.io.InputException;
import minibert.io.InputFile;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Opens text files, gzip'd or plain, as strict UTF-8 (a malformed byte is an error, not a silent U+FFFD), and
 * reads them line by line within bounds: a line of more than {@value #MAX_LINE_CHARS} characters, or more than
 * {@value #MAX_TEXT_CHARS} characters in all (a gzip bomb, {@code /dev/zero}), is refused with the file and line.
 */
public final class TextFiles {

    /** The longest line read: the longest IMDB review has about 14,000 characters. */
    public static final int MAX_LINE_CHARS = 1 << 20;
    /** The most characters read from one file, after decompression: IMDB's largest file has 67 million. */
    public static final long MAX_TEXT_CHARS = 1L << 30;

    private TextFiles() {
    }

    /** Opens {@code file}; a missing, empty or non-gzip {@code .gz} file is a {@link DataException} naming it. */
    static Lines open(Path file) throws IOException {
        try {
            InputFile.requireFile(file);
        } catch (InputException e) {
            throw new DataException("data file " + e.getMessage());
        }
        boolean gzip = file.getFileName().toString().endsWith(".gz");
        if (gzip && Files.isRegularFile(file) && Files.size(file) == 0) {
            throw new DataException(file + " is empty: not even a gzip header");
        }
        InputStream in = Files.newInputStream(file);
        if (gzip) {
            try {
                in = new GZIPInputStream(in, 1 << 16);
            } catch (IOException e) {
                in.close();
                throw gzip(file, 0, e);
            }
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        return new Lines(file, new InputStreamReader(in, decoder));
    }

    /**
     * The decompressed bytes of a gzip file (a tar archive, say); a missing, empty or non-gzip file is a
     * {@link DataException} naming it.
     */
    static InputStream gunzip(Path file) throws IOException {
        try {
            InputFile.requireFile(file);
        } catch (InputException e) {
            throw new DataException("data file " + e.getMessage());
        }
        if (Files.isRegularFile(file) && Files.size(file) == 0) {
            throw new DataException(file + " is empty: not even a gzip header");
        }
        InputStream in = Files.newInputStream(file);
        try {
            return new GZIPInputStream(in, 1 << 16);
        } catch (IOException e) {
            in.close();
            throw gzip(file, 0, e);
        }
    }

    /** What a failed read of a gzip stream means, in words, as a {@link DataException}. */
    static DataException gzip(Path file, long line, IOException e) {
        String where = line > 0 ? file + ":" + line + ": " : file + " ";
        if (e instanceof EOFException) {
            return new DataException(where + "ends early: the gzip stream is truncated");
        }
        if (e instanceof ZipException) {
            return new DataException(where + "is not valid gzip (" + e.getMessage() + ")");
        }
        return new DataException("cannot read " + file + ": " + e, e);
    }

    /** {@code 'text'}, shortened for a message. */
    static String quote(String text) {
        if (text == null) {
            return "nothing (the file ends)";
        }
        return "'" + (text.length() > 60 ? text.substring(0, 60) + "…" : text) + "'";
    }

    static DataException error(Path file, long line, String what) {
        return new DataException(file + ":" + line + ": " + what);
    }

    /**
     * Lines of a text file, split at LF, CR or CR LF as {@link java.io.BufferedReader#readLine} splits them,
     * with a byte-order mark at the start dropped.
     */
    static final class Lines implements Closeable {
        private final Path file;
        private final Reader in;
        private final char[] buf = new char[1 << 16];
        private int pos, len;
        private boolean skipLf, started;
        private long line, chars;

        Lines(Path file, Reader in) {
            this.file = file;
            this.in = in;
        }

        /** The number of the line last returned (1 for the first). */
        long lineNumber() {
            return line;
        }

        /** The next line without its line end, or {@code null} at the end of the file. */
        String readLine() throws IOException {
            StringBuilder b = null;
            while (true) {
                if (pos == len && !fill()) {
                    if (b == null) {
                        return null;
                    }
                    line++;
                    return b.toString();
                }
                if (skipLf) {
                    skipLf = false;
                    if (buf[pos] == '\n') {
                        pos++;
                        continue;
                    }
                }
                int start = pos;
                while (pos < len && buf[pos] != '\n' && buf[pos] != '\r') {
                    pos++;
                }
                int n = pos - start;
                if (b == null) {
                    b = new StringBuilder(Math.max(16, n));
                }
                if (b.length() + n > MAX_LINE_CHARS) {
                    throw error(file, line + 1, "a line of more than " + MAX_LINE_CHARS + " characters; no line of a data file "
                            + "is that long (binary data?)");
                }
                b.append(buf, start, n);
                if (pos < len) {
                    skipLf = buf[pos] == '\r';
                    pos++;
                    line++;
                    return b.toString();
                }
            }
        }

        private boolean fill() throws IOException {
            int n;
            try {
                n = in.read(buf, 0, buf.length);
            } catch (CharacterCodingException e) {
                throw error(file, line + 1, "is not UTF-8 text (a byte sequence on this line does not decode)");
            } catch (IOException e) {
                throw gzip(file, line + 1, e);
            }
            if (n <= 0) {
                pos = len = 0;
                return false;
            }
            pos = 0;
            len = n;
            if (!started) {
                started = true;
                if (buf[0] == '\uFEFF') {
                    pos = 1;
                }
            }
            chars += n;
            if (chars > MAX_TEXT_CHARS) {
                throw new DataException(file + " holds more than " + MAX_TEXT_CHARS + " characters, the limit for a data "
                        + "file (reading stopped at line " + (line + 1) + ")");
            }
            return true;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** The number of white-space separated tokens, as Python's {@code len(s.split())} counts them. */
    static int whitespaceTokens(String s) {
        int n = 0;
        boolean in = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            // Python's str.split(): Unicode white space, including no-break spaces and NEL.
            boolean ws = Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
            if (!ws && !in) {
                n++;
            }
            in = !ws;
        }
        return n;
    }
}
