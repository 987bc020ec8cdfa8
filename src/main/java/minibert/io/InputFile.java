package minibert.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * Reading a whole file, always with a bound: every reader of the project names its limit, and a file larger
 * than that (a 3 GB file, {@code /dev/zero}) is refused at once, before anything is allocated for it.
 *
 * <p>Text is strict UTF-8: a byte that does not decode is an error with its offset and line, never a silent
 * U+FFFD; a UTF-8 byte-order mark at the start is dropped, a UTF-16 one is named. Every error is an
 * {@link InputException} that names the file.
 */
public final class InputFile {

    public static final long KIB = 1024;
    public static final long MIB = 1024 * KIB;

    private InputFile() {
    }

    /**
     * Throws unless {@code file} can be opened for reading as a file: says whether the file or one of its
     * folders is missing, or whether it is a folder.
     */
    public static void requireFile(Path file) {
        if (Files.isDirectory(file)) {
            throw new InputException(file, "is a folder, not a file");
        }
        if (!Files.exists(file)) {
            throw new InputException(file, "does not exist" + missingFolder(file));
        }
        if (!Files.isReadable(file)) {
            throw new InputException(file, "cannot be read (permission denied)");
        }
    }

    /** Throws unless {@code dir} is an existing folder; says whether it is missing or a file. */
    public static void requireFolder(Path dir) {
        if (Files.isDirectory(dir)) {
            return;
        }
        if (Files.exists(dir)) {
            throw new InputException(dir, "is a file, not a folder");
        }
        throw new InputException(dir, "does not exist" + missingFolder(dir));
    }

    /** {@code ""}, or {@code " (there is no folder /x)"} naming the highest missing ancestor. */
    static String missingFolder(Path file) {
        Path parent = file.toAbsolutePath().normalize().getParent();
        Path highestMissing = null;
        while (parent != null && !Files.exists(parent)) {
            highestMissing = parent;
            parent = parent.getParent();
        }
        if (highestMissing != null) {
            return " (there is no folder " + highestMissing + ")";
        }
        if (parent != null && !Files.isDirectory(parent)) {
            return " (" + parent + " is a file, not a folder)";
        }
        return "";
    }

    /**
     * The bytes of {@code file}, refused if there are more than {@code limit}.
     *
     * @param what  what the file is meant to be, for the message: {@code "a model config"}
     * @param limit the most bytes this reader accepts
     */
    // tag::bounded[]
    public static byte[] bytes(Path file, String what, long limit) {
        requireFile(file);
        try {
            if (Files.isRegularFile(file)) {
                long size = Files.size(file);
                if (size > limit) {
                    throw tooLarge(file, what, limit, size);
                }
            }
            // Devices and pipes have no size: read one byte past the limit to know.
            try (InputStream in = Files.newInputStream(file)) {
                byte[] buf = new byte[(int) Math.min(limit + 1, 1 << 16)];
                int n = 0;
                while (true) {
                    if (n == buf.length) {
                        if (n > limit) {
                            throw tooLarge(file, what, limit, -1);
                        }
                        buf = Arrays.copyOf(buf, (int) Math.min(limit + 1, (long) buf.length * 2));
                    }
                    int r = in.read(buf, n, buf.length - n);
                    if (r < 0) {
                        break;
                    }
                    n += r;
                }
                if (n > limit) {
                    throw tooLarge(file, what, limit, -1);
                }
                return Arrays.copyOf(buf, n);
            }
        } catch (AccessDeniedException e) {
            throw new InputException(file, "cannot be read (permission denied)");
        } catch (IOException e) {
            throw new InputException(file, "cannot be read: " + e.getMessage());
        }
    }
    // end::bounded[]

    /**
     * The text of {@code file}: at most {@code limit} bytes of strict UTF-8, a leading byte-order mark dropped.
     *
     * @param controls whether control characters other than tab, line feed and carriage return are allowed
     *                 (configs forbid them, so that binary garbage is named as such)
     */
    public static String text(Path file, String what, long limit, boolean controls) {
        return decode(file, bytes(file, what, limit), controls);
    }

    /** Strict UTF-8 decoding of bytes read from {@code file}, as {@link #text}. */
    public static String decode(Path file, byte[] bytes, boolean controls) {
        if (bytes.length >= 2 && ((bytes[0] == (byte) 0xFE && bytes[1] == (byte) 0xFF)
                || (bytes[0] == (byte) 0xFF && bytes[1] == (byte) 0xFE))) {
            throw new InputException(file, "is UTF-16 text (it starts with a UTF-16 byte-order mark); it must be UTF-8");
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = decoder.decode(in, out, true);
        if (r.isError()) {
            int offset = in.position();
            throw new InputException(file, "is not UTF-8 text: the byte " + String.format(Locale.ROOT, "0x%02X", bytes[offset] & 0xFF)
                    + " at offset " + offset + " (line " + line(bytes, offset) + ") does not decode");
        }
        decoder.flush(out);
        out.flip();
        String text = out.toString();
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        if (!controls) {
            int lineNo = 1, column = 1;
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c == '\n') {
                    lineNo++;
                    column = 1;
                    continue;
                }
                if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7F) {
                    throw new InputException(file, "is not text: it holds the control character "
                            + String.format(Locale.ROOT, "U+%04X", (int) c) + " at line " + lineNo + ", column " + column);
                }
                column++;
            }
        }
        return text;
    }

    private static long line(byte[] bytes, int offset) {
        long n = 1;
        for (int i = 0; i < offset; i++) {
            n += bytes[i] == '\n' ? 1 : 0;
        }
        return n;
    }

    private static InputException tooLarge(Path file, String what, long limit, long size) {
        return new InputException(file, (size >= 0 ? "is " + size(size) + ", more than " : "holds more than ")
                + size(limit) + ", the limit for " + what + (size >= 0 ? "" : " (reading stopped there)"));
    }

    /** A byte count for people: {@code 1 MiB}, {@code 3.0 GiB}, {@code 517 bytes}. */
    public static String size(long bytes) {
        if (bytes < KIB) {
            return bytes + " bytes";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f %s", v, units[u])
                : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
