package minibert.eval;

import minibert.text.Vocabulary;
import minibert.text.WordPiece;
import minibert.train.Packing;
import minibert.train.PretrainingCache;
import minibert.train.Seeds;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Packed sequences to evaluate a masked language model on: {@code [CLS] A [SEP] B [SEP]}, padded to T.
 * The IMDB held-out split is a {@link PretrainingCache}; other corpora (WikiText) are packed here, in memory,
 * by the same {@link Packing} rules and seeds, so the two are read the same way.
 */
public interface Sequences {

    /** Sequences held. */
    int size();

    /** T, positions per sequence. */
    int length();

    /** Fills row {@code row} of the batch arrays with sequence {@code index}, as {@link PretrainingCache#read}. */
    void read(int index, int[] ids, int[] types, int[] mask, int row);

    /** A pre-training cache, as it is. */
    static Sequences of(PretrainingCache cache) {
        return new Sequences() {
            @Override
            public int size() {
                return cache.size();
            }

            @Override
            public int length() {
                return cache.length();
            }

            @Override
            public void read(int index, int[] ids, int[] types, int[] mask, int row) {
                cache.read(index, ids, types, mask, row);
            }
        };
    }

    /**
     * Documents packed as the pre-training cache packs them: each document tokenized and cut into sentences
     * ({@link Packing#encode}), then packed with its own random numbers, {@code Seeds.of(seed, PACKING, d)}
     * for document d, and BERT's {@code short_seq_prob}.
     *
     * @param dropped receives, at index 0, the pieces truncation removed (may be null)
     */
    static Sequences pack(List<String> documents, WordPiece wordPiece, int length, long seed, long[] dropped) {
        Vocabulary v = wordPiece.vocabulary();
        Packing packing = new Packing(length, PretrainingCache.Spec.SHORT_SEQ_PROB);
        List<int[]> sequences = new ArrayList<>();
        List<Integer> separators = new ArrayList<>();
        long[] lost = {0};
        for (int d = 0; d < documents.size(); d++) {
            Packing.Document doc = Packing.encode(wordPiece, documents.get(d));
            if (doc.pieces().length == 0) {
                continue;
            }
            packing.pack(doc, new Random(Seeds.of(seed, Seeds.PACKING, d)), (pieces, aStart, aEnd, bStart, bEnd, cut) -> {
                int[] s = new int[2 + (aEnd - aStart) + (bEnd > bStart ? bEnd - bStart + 1 : 0)];
                int k = 0;
                s[k++] = v.clsId();
                for (int i = aStart; i < aEnd; i++) {
                    s[k++] = pieces[i];
                }
                s[k++] = v.sepId();
                if (bEnd > bStart) {
                    for (int i = bStart; i < bEnd; i++) {
                        s[k++] = pieces[i];
                    }
                    s[k++] = v.sepId();
                }
                sequences.add(s);
                separators.add(1 + aEnd - aStart);
                lost[0] += cut;
            });
        }
        if (dropped != null) {
            dropped[0] = lost[0];
        }
        return new Sequences() {
            @Override
            public int size() {
                return sequences.size();
            }

            @Override
            public int length() {
                return length;
            }

            @Override
            public void read(int index, int[] ids, int[] types, int[] mask, int row) {
                int[] s = sequences.get(index);
                int sep = separators.get(index), base = row * length;
                for (int t = 0; t < s.length; t++) {
                    ids[base + t] = s[t];
                    types[base + t] = t <= sep ? 0 : 1;
                    mask[base + t] = 1;
                }
                Arrays.fill(ids, base + s.length, base + length, 0);
                Arrays.fill(types, base + s.length, base + length, 0);
                Arrays.fill(mask, base + s.length, base + length, 0);
            }
        };
    }

    /**
     * WikiText's raw lines as documents: an article starts at a top-level heading {@code " = Title = "};
     * section headings ({@code " = = … = = "}) and blank lines are left out; each paragraph line ends a
     * sentence (it is joined with {@code '\n'}, which {@link Packing} reads as a sentence end).
     */
    static List<String> wikiTextDocuments(List<String> lines) {
        List<String> docs = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : lines) {
            String s = line.strip();
            if (s.isEmpty()) {
                continue;
            }
            if (s.startsWith("=") && s.endsWith("=")) {
                boolean article = s.startsWith("= ") && !s.startsWith("= =");
                if (article && !current.isEmpty()) {
                    docs.add(current.toString());
                    current.setLength(0);
                }
                continue;                                 // headings are not sentences
            }
            if (!current.isEmpty()) {
                current.append('\n');
            }
            current.append(s);
        }
        if (!current.isEmpty()) {
            docs.add(current.toString());
        }
        return docs;
    }
}
