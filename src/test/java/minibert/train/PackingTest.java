package minibert.train;

import minibert.text.WordPiece;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PackingTest {

    private static List<String> sentences(String text) {
        int[] bounds = new int[2];
        int n;
        while ((n = Packing.sentences(text, bounds)) < 0) {
            bounds = new int[bounds.length * 2];
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(text.substring(bounds[2 * i], bounds[2 * i + 1]));
        }
        return out;
    }

    @Test
    void sentencesEndAtTerminalPunctuationBeforeWhiteSpaceAndAtLineBreaks() {
        assertEquals(List.of("Great.", "Really!", "Why?"), sentences("Great. Really! Why?"));
        assertEquals(List.of("He said \"no.\"", "Then (oh!)", "left..."), sentences("He said \"no.\" Then (oh!) left..."));
        assertEquals(List.of("It cost 3.5 dollars", "and more"), sentences("It cost 3.5 dollars\nand more"));
        assertEquals(List.of("Mr.", "Smith came."), sentences("Mr. Smith came."));
        assertEquals(List.of("a", "", "b"), sentences("a\n\nb"));
        assertEquals(List.of(""), sentences(""));
    }

    @Test
    void encodingKeepsSentenceEndsAndDropsEmptySentences() {
        List<String> tokens = new ArrayList<>(minibert.text.Vocabulary.SPECIALS);
        tokens.addAll(List.of(".", "!", "d0w0", "d0w1", "d0w2"));
        minibert.text.Vocabulary v = new minibert.text.Vocabulary(tokens);
        WordPiece wp = new WordPiece(v);
        Packing.Document d = Packing.encode(wp, "d0w0 d0w1. \n\n d0w2 [MASK]!");
        int mask = v.maskId();
        assertArrayEquals(new int[] {3, 8}, d.sentenceEnds());   // d0w2 [ mask ] ! : five pieces, brackets and "mask" unknown
        assertTrue(Arrays.stream(d.pieces()).noneMatch(id -> id == mask), "a [MASK] written in the text is read as text");
        assertEquals(v.id("d0w2"), d.pieces()[3]);
        assertEquals(0, Packing.encode(wp, " \n ").sentences());
    }

    /** Two sentences of 3 pieces at T = 7 (room for 4): ties shorten B, so A and B keep 2 pieces each. */
    @Test
    void truncationShortensTheLongerSideAndBOnTies() {
        Packing.Document d = new Packing.Document(new int[] {10, 11, 12, 20, 21, 22}, new int[] {3, 6});
        for (long seed = 0; seed < 20; seed++) {
            List<int[]> got = new ArrayList<>();
            new Packing(7, 0).pack(d, new Random(seed), (p, as, ae, bs, be, dropped) -> got.add(new int[] {as, ae, bs, be, dropped}));
            assertEquals(1, got.size(), "seed " + seed);
            int[] s = got.get(0);
            assertEquals(2, s[1] - s[0], "A, seed " + seed);
            assertEquals(2, s[3] - s[2], "B, seed " + seed);
            assertEquals(2, s[4], "dropped, seed " + seed);
            assertTrue(s[0] >= 0 && s[1] <= 3 && s[2] >= 3 && s[3] <= 6, "A inside sentence 1, B inside sentence 2, seed " + seed);
        }
    }

    @Test
    void tooShortALengthIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Packing(4, 0.1));
        assertThrows(IllegalArgumentException.class, () -> new Packing(8, 1.5));
    }

    /**
     * Packing invariants on random documents: every sequence fits, A and B are non-empty ranges of the same
     * document with B after A, a chunk is whole sentences, the chunks cover the document in order, and
     * what truncation dropped is exactly what is missing.
     */
    @ParameterizedTest(name = "T = {0}, short_seq_prob = {1}, seed {2}")
    @CsvSource({"7, 0.1, 1", "13, 0.1, 2", "13, 1.0, 3", "64, 0.1, 4", "5, 0.5, 5", "13, 0.0, 6"})
    void packedSequencesKeepTheirInvariants(int length, double shortSeqProb, long seed) {
        Random r = new Random(seed);
        Packing packing = new Packing(length, shortSeqProb);
        for (int trial = 0; trial < 300; trial++) {
            int sentences = 1 + r.nextInt(12);
            int[] ends = new int[sentences];
            int total = 0;
            for (int s = 0; s < sentences; s++) {
                total += 1 + r.nextInt(r.nextInt(4) == 0 ? 3 * length : 15);
                ends[s] = total;
            }
            int[] pieces = new int[total];
            for (int i = 0; i < total; i++) {
                pieces[i] = 100 + i;
            }
            Packing.Document doc = new Packing.Document(pieces, ends);
            long docSeed = seed * 1000 + trial;
            List<int[]> seqs = new ArrayList<>();
            packing.pack(doc, new Random(docSeed), (p, as, ae, bs, be, dropped) -> {
                assertTrue(p == pieces, "pieces of this document only");
                seqs.add(new int[] {as, ae, bs, be, dropped});
            });
            String where = "T=" + length + " seed " + docSeed + " trial " + trial + " ends " + Arrays.toString(ends);
            int covered = 0, chunkStart = 0;
            for (int[] s : seqs) {
                int la = s[1] - s[0], lb = s[3] - s[2];
                boolean pair = lb > 0;
                assertTrue(la >= 1, "A is never empty: " + where);
                assertTrue(2 + la + (pair ? lb + 1 : 0) <= length, "fits in T: " + where);
                assertTrue(s[0] >= chunkStart, "A starts in this chunk: " + where);
                assertTrue(!pair || s[1] <= s[2], "B follows A: " + where);
                // the chunk runs from the previous chunk's end to a sentence end; what is missing was dropped
                int end = chunkStart + la + lb + s[4];
                assertTrue(Arrays.stream(ends).anyMatch(e -> e == end), "a chunk is whole sentences: " + where);
                assertTrue((pair ? s[3] : s[1]) <= end, "kept pieces lie inside the chunk: " + where);
                if (pair) {
                    // A and B were split at a sentence end: A's kept pieces end at or before it, B's start at or after
                    int split = s[1];
                    int boundary = Arrays.stream(ends).filter(e -> e >= split).min().orElseThrow();
                    assertTrue(boundary <= s[2] && boundary < end, "A and B meet at a sentence end: " + where);
                }
                covered += la + lb + s[4];
                chunkStart = end;
            }
            assertEquals(total, covered, "the chunks cover the document: " + where);
        }
    }

    @Test
    void withoutShortSequencesEveryChunkButTheLastReachesTheTarget() {
        // 40 sentences of 5 pieces, T = 23: target 20 = 4 sentences, so every sequence holds 20 pieces
        int[] ends = new int[40];
        for (int s = 0; s < 40; s++) {
            ends[s] = 5 * (s + 1);
        }
        Packing.Document doc = new Packing.Document(new int[200], ends);
        List<Integer> lengths = new ArrayList<>();
        new Packing(23, 0).pack(doc, new Random(3), (p, as, ae, bs, be, dropped) -> {
            lengths.add(ae - as + be - bs);
            assertEquals(0, dropped);
            assertTrue(be > bs, "a chunk of 4 sentences has a B");
        });
        assertEquals(List.of(20, 20, 20, 20, 20, 20, 20, 20, 20, 20), lengths);
    }
}
