package minibert.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReadersTest {

    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (name.endsWith(".gz")) {
            try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(f))) {
                out.write(bytes);
            }
        } else {
            Files.write(f, bytes);
        }
        return f;
    }

    @Test
    void sst2SplitsAtTheLastTabAndTrims() throws IOException {
        Path f = write("dev.tsv", "sentence\tlabel\nit 's a\tcharming journey . \t1\nbad . \t0\n");
        List<Sst2Reader.Sst2Example> ex = Sst2Reader.read(f);
        assertEquals(new Sst2Reader.Sst2Example("it 's a\tcharming journey .", 1), ex.get(0));
        Map<String, Long> c = Sst2Reader.counts(ex);
        assertEquals(2L, c.get("rows"));
        assertEquals(1L, c.get("label_0"));
        assertEquals(8L, c.get("tokens"));
        assertEquals(6L, c.get("longest"));
    }

    @Test
    void sst2RejectsABadLabelWithFileAndLine() throws IOException {
        Path f = write("dev.tsv", "sentence\tlabel\ngood . \t1\nbad . \tmaybe\n");
        DataException e = assertThrows(DataException.class, () -> Sst2Reader.read(f));
        assertTrue(e.getMessage().startsWith(f + ":3: label must be 0 or 1"), e.getMessage());
        Path h = write("h.tsv", "text\tlabel\n");
        assertTrue(assertThrows(DataException.class, () -> Sst2Reader.read(h)).getMessage().contains(":1: expected the header"));
    }

    @Test
    void imdbSplitsAtTheFirstThreeTabsAndRemovesLineBreaks() throws IOException {
        Path f = write("train.tsv.gz", "label\tid\trating\ttext\npos\t7\t9\tGreat.<br /><br />A tab\there.\nneg\t8\t2\tBad<br/>film\n");
        List<ImdbReader.ImdbReview> r = ImdbReader.read(f);
        assertEquals(new ImdbReader.ImdbReview("pos", 7, 9, "Great.  A tab\there."), r.get(0));
        assertEquals("Bad film", r.get(1).text());
        assertEquals(2L, ImdbReader.counts(f).get("rows"));
        assertEquals(1L, ImdbReader.counts(f).get("neg"));
    }

    @Test
    void imdbRejectsMalformedLines() throws IOException {
        Path f = write("x.tsv.gz", "label\tid\trating\ttext\npos\t7\tnine\ttext\n");
        assertTrue(assertThrows(DataException.class, () -> ImdbReader.read(f)).getMessage().contains(":2: id and rating must be numbers"));
        Path g = write("y.tsv.gz", "label\tid\trating\ttext\npos\t7\n");
        assertTrue(assertThrows(DataException.class, () -> ImdbReader.read(g)).getMessage().contains(":2: expected 4 tab-separated fields, found 2"));
    }

    private static final String CONLLU = """
            # sent_id = s1
            # text = I don't know.
            1\tI\tI\tPRON\tPRP\t_\t3\tnsubj\t_\t_
            2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_
            2\tdo\tdo\tAUX\tVBP\t_\t3\taux\t_\t_
            3\tn't\tnot\tPART\tRB\t_\t0\troot\t_\t_
            3.1\tknow\tknow\tVERB\tVB\t_\t_\t_\t_\t_
            4\t.\t.\tPUNCT\t.\t_\t3\tpunct\t_\t_

            # sent_id = s2
            # text = Yes
            1\tYes\tyes\tINTJ\tUH\t_\t0\troot\t_\t_

            """;

    @Test
    void conlluKeepsIntegerWordsAndCountsTheRest() throws IOException {
        ConlluReader.Treebank t = ConlluReader.readTreebank(write("t.conllu.gz", CONLLU));
        assertEquals(2, t.sentences().size());
        ConlluReader.ConlluSentence s = t.sentences().get(0);
        assertEquals("s1", s.sentId());
        assertEquals("I don't know.", s.text());
        assertEquals(List.of("I", "do", "n't", "."), s.words());
        assertEquals(List.of("PRON", "AUX", "PART", "PUNCT"), s.upos());
        Map<String, Long> c = t.counts();
        assertEquals(5L, c.get("words"));
        assertEquals(4L, c.get("tokens"));   // "don't" is one surface token for two words
        assertEquals(1L, c.get("multiword_tokens"));
        assertEquals(1L, c.get("empty_nodes"));
    }

    @Test
    void conlluRejectsAWrongColumnCountAndOutOfOrderIds() throws IOException {
        Path f = write("bad.conllu", "# sent_id = x\n1\tA\ta\tDET\n");
        assertTrue(assertThrows(DataException.class, () -> ConlluReader.read(f)).getMessage().contains(":2: expected 10 tab-separated columns, found 4"));
        Path g = write("bad2.conllu", "1\tA\ta\tDET\tDT\t_\t0\troot\t_\t_\n3\tB\tb\tNOUN\tNN\t_\t1\tdep\t_\t_\n");
        assertTrue(assertThrows(DataException.class, () -> ConlluReader.read(g)).getMessage().contains(":2: word id 3 out of order"));
    }

    @Test
    void wikiTextHandlesCrlfAndBlankLines() throws IOException {
        List<String> lines = WikiTextReader.read(write("w.raw.gz", " = Title = \r\n \r\n Some text @-@ here . \r\n"));
        assertEquals(List.of(" = Title = ", "", " Some text @-@ here . "), lines);
        assertEquals(Map.of("lines", 3L, "blank_lines", 1L, "tokens", 8L), WikiTextReader.counts(lines));
    }

    @Test
    void invalidUtf8IsAnErrorNotAReplacementCharacter() throws IOException {
        Path f = dir.resolve("bad.tsv");
        Files.write(f, new byte[] {'s', 'e', 'n', 't', 'e', 'n', 'c', 'e', '\t', 'l', 'a', 'b', 'e', 'l', '\n', (byte) 0xff, '\t', '1', '\n'});
        assertThrows(DataException.class, () -> Sst2Reader.read(f));
    }

    @Test
    void brownReadsATarballWithTaggedSentences() throws IOException {
        Path tgz = dir.resolve("b.tgz");
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        tarEntry(tar, "package/ca01", "\n\n\tThe/at jury/nn said/vbd ./.\n\n\tIt/pps was/bedz 3/2/cd ./.\n");
        tarEntry(tar, "package/README", "not a corpus file\n");
        tar.write(new byte[1024]);
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(tgz))) {
            out.write(tar.toByteArray());
        }
        List<BrownReader.TaggedSentence> s = BrownReader.read(tgz);
        assertEquals(2, s.size());
        assertEquals(List.of("The", "jury", "said", "."), s.get(0).words());
        assertEquals(List.of("pps", "bedz", "cd", "."), s.get(1).tags());
        assertEquals("3/2", s.get(1).words().get(2));   // the tag is after the LAST slash
        assertEquals(Map.of("files", 1L, "sentences", 2L, "tokens", 8L, "tags", 7L), BrownReader.counts(s));
    }

    @Test
    void brownRejectsATruncatedArchive() throws IOException {
        Path tgz = dir.resolve("t.tgz");
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        tarEntry(tar, "package/ca01", "\tA/at\n");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(tgz))) {
            out.write(tar.toByteArray());
        }
        assertTrue(assertThrows(DataException.class, () -> BrownReader.read(tgz)).getMessage().contains("end-of-archive"));
    }

    @Test
    void gzipThatIsTruncatedOrNotGzipAndAnEndlessLineAreNamedWithTheFile() throws IOException {
        byte[] gz = java.nio.file.Files.readAllBytes(write("whole.tsv.gz", "label\tid\trating\ttext\npos\t1\t9\tfine\n"));
        Path cut = dir.resolve("cut.tsv.gz");
        Files.write(cut, java.util.Arrays.copyOf(gz, gz.length - 12));
        String m = assertThrows(DataException.class, () -> ImdbReader.read(cut)).getMessage();
        assertTrue(m.matches(java.util.regex.Pattern.quote(cut.toString()) + ":\\d+: ends early: the gzip stream is truncated"), m);
        Path plain = write("plain.tsv.gz", "label\tid\trating\ttext\n");
        Path notGzip = dir.resolve("not.tsv.gz");
        Files.writeString(notGzip, "label\tid\trating\ttext\n");
        assertTrue(assertThrows(DataException.class, () -> ImdbReader.read(notGzip)).getMessage()
                .startsWith(notGzip + " is not valid gzip (Not in GZIP format)"));
        Path empty = Files.write(dir.resolve("empty.tsv.gz"), new byte[0]);
        assertEquals(empty + " is empty: not even a gzip header",
                assertThrows(DataException.class, () -> ImdbReader.read(empty)).getMessage());
        Path endless = write("endless.raw", "x".repeat(TextFiles.MAX_LINE_CHARS + 1));
        assertTrue(assertThrows(DataException.class, () -> WikiTextReader.read(endless)).getMessage()
                .startsWith(endless + ":1: a line of more than 1048576 characters"));
        assertEquals(List.of(), ImdbReader.read(plain));
    }

    @Test
    void aByteOrderMarkBeforeTheHeaderIsDroppedAndAMissingFileIsNamed() throws IOException {
        Path f = write("dev.tsv", "\uFEFFsentence\tlabel\ngood . \t1\n");
        assertEquals(1, Sst2Reader.read(f).size());
        Path missing = dir.resolve("nope/dev.tsv");
        assertEquals("data file " + missing + " does not exist (there is no folder " + dir.resolve("nope") + ")",
                assertThrows(DataException.class, () -> Sst2Reader.read(missing)).getMessage());
        Path empty = write("empty.tsv", "");
        assertTrue(assertThrows(DataException.class, () -> Sst2Reader.read(empty)).getMessage()
                .endsWith("found nothing (the file ends)"));
    }

    @Test
    void brownRefusesAHugeSizeFieldAndInvalidUtf8ByMember() throws IOException {
        for (long size : new long[] {20L << 20, 8L << 30}) {
            ByteArrayOutputStream tar = new ByteArrayOutputStream();
            tar.writeBytes(TarWriter.header("package/ca01", '0', size, true));
            tar.writeBytes(new byte[4096]);
            Path tgz = dir.resolve("huge-" + size + ".tgz");
            try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(tgz))) {
                out.write(tar.toByteArray());
            }
            assertEquals(tgz + (size < 1L << 30
                            ? ": tar entry package/ca01 has 20971520 bytes, more than the 16777216 this reader holds in memory"
                            : ": the tar entries declare more than 1073741824 bytes in all, the limit for the Brown corpus "
                            + "('package/ca01' declares 8589934592)"),
                    assertThrows(DataException.class, () -> BrownReader.read(tgz)).getMessage());
        }
        ByteArrayOutputStream latin = new ByteArrayOutputStream();
        tarEntry(latin, "package/ca02", "\tA/at\n");
        byte[] l = latin.toByteArray();
        l[513] = (byte) 0xE9;
        latin.reset();
        latin.writeBytes(l);
        latin.write(new byte[1024]);
        Path bad = dir.resolve("latin.tgz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(bad))) {
            out.write(latin.toByteArray());
        }
        assertEquals(bad + ": ca02 is not UTF-8 text", assertThrows(DataException.class, () -> BrownReader.read(bad)).getMessage());
    }

    private static void tarEntry(ByteArrayOutputStream tar, String name, String content) {
        byte[] body = content.getBytes(StandardCharsets.UTF_8);
        tar.writeBytes(TarWriter.header(name, '0', body.length, true));
        tar.writeBytes(body);
        tar.writeBytes(new byte[(512 - body.length % 512) % 512]);
    }
}
