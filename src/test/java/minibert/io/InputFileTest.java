package minibert.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class InputFileTest {

    @TempDir
    Path dir;

    private String reason(Runnable read) {
        return assertThrows(InputException.class, read::run).reason();
    }

    @Test
    void aFileOverTheLimitIsRefusedOnItsSizeAndADeviceAfterOneByteMore() throws IOException {
        Path big = dir.resolve("big");
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(5L << 30);
        }
        assertEquals("is 5 GiB, more than 7 bytes, the limit for a test file", reason(() -> InputFile.bytes(big, "a test file", 7)));
        Path exact = Files.write(dir.resolve("exact"), new byte[7]);
        assertEquals(7, InputFile.bytes(exact, "a test file", 7).length);
        Path zero = Path.of("/dev/zero");
        assumeTrue(Files.exists(zero));
        assertEquals("holds more than 1 MiB, the limit for a test file (reading stopped there)",
                reason(() -> InputFile.bytes(zero, "a test file", InputFile.MIB)));
    }

    @Test
    void missingFilesFoldersAndFilesInTheWayAreNamed() throws IOException {
        assertEquals("does not exist (there is no folder " + dir.resolve("a") + ")",
                reason(() -> InputFile.bytes(dir.resolve("a/b/c.txt"), "x", 10)));
        assertEquals("does not exist", reason(() -> InputFile.bytes(dir.resolve("c.txt"), "x", 10)));
        assertEquals("is a folder, not a file", reason(() -> InputFile.bytes(dir, "x", 10)));
        Path file = Files.writeString(dir.resolve("f"), "");
        assertEquals("does not exist (" + file + " is a file, not a folder)", reason(() -> InputFile.bytes(file.resolve("g"), "x", 10)));
        assertEquals("is a file, not a folder", reason(() -> InputFile.requireFolder(file)));
    }

    @Test
    void textIsStrictUtf8WithTheBomDroppedAndControlsRefusedOnRequest() throws IOException {
        Path bom = Files.write(dir.resolve("bom"), "\uFEFFa: é\n".getBytes(StandardCharsets.UTF_8));
        assertEquals("a: é\n", InputFile.text(bom, "x", 100, false));
        Path utf16 = Files.write(dir.resolve("utf16"), "a: 1\n".getBytes(StandardCharsets.UTF_16));
        assertEquals("is UTF-16 text (it starts with a UTF-16 byte-order mark); it must be UTF-8",
                reason(() -> InputFile.text(utf16, "x", 100, false)));
        Path latin1 = Files.write(dir.resolve("latin1"), "a\nb\ncafé".getBytes(StandardCharsets.ISO_8859_1));
        assertEquals("is not UTF-8 text: the byte 0xE9 at offset 7 (line 3) does not decode",
                reason(() -> InputFile.text(latin1, "x", 100, true)));
        Path nul = Files.write(dir.resolve("nul"), "a: 1\n\tb:\u0000\n".getBytes(StandardCharsets.UTF_8));
        assertEquals("is not text: it holds the control character U+0000 at line 2, column 4",
                reason(() -> InputFile.text(nul, "x", 100, false)));
        assertEquals("a: 1\n\tb:\u0000\n", InputFile.text(nul, "x", 100, true));
    }

    @Test
    void sizesReadAsPeopleWriteThem() {
        assertEquals("517 bytes", InputFile.size(517));
        assertEquals("1 MiB", InputFile.size(InputFile.MIB));
        assertEquals("1.5 KiB", InputFile.size(1536));
        assertEquals("3 GiB", InputFile.size(3L << 30));
    }
}
