package minibert.train;

import minibert.text.BasicTokenizer;
import minibert.text.WordPiece;

import java.util.Arrays;
import java.util.Random;

/**
 * Cuts documents into sentences and packs each document's sentences into sequences
 * {@code [CLS] A [SEP] B [SEP]} of at most T positions, as {@code create_instances_from_document} of
 * google-research/bert's {@code create_pretraining_data.py} does, without its next-sentence task: B is
 * always the text that follows A in the same document.
 *
 * <p>Sequences never cross a document boundary, so no document's pieces appear in another's sequence.
 */
public final class Packing {

    /**
     * A document as the packer reads it: its pieces, and where each sentence ends.
     *
     * @param pieces       piece ids of the whole document, sentence after sentence
     * @param sentenceEnds the exclusive end of each sentence in {@code pieces}, ascending; no sentence is empty
     */
    public record Document(int[] pieces, int[] sentenceEnds) {

        public int sentences() {
            return sentenceEnds.length;
        }

        /** The first piece of sentence {@code s}. */
        public int start(int s) {
            return s == 0 ? 0 : sentenceEnds[s - 1];
        }

        /** The exclusive end of sentence {@code s}. */
        public int end(int s) {
            return sentenceEnds[s];
        }
    }

    /** Receives each packed sequence as ranges of the document's pieces. */
    @FunctionalInterface
    public interface Sink {
        /**
         * One sequence {@code [CLS] pieces[aStart, aEnd) [SEP]}, followed by {@code pieces[bStart, bEnd) [SEP]}
         * when {@code bEnd > bStart}.
         *
         * @param dropped pieces of the chunk that truncation removed to make it fit
         */
        void sequence(int[] pieces, int aStart, int aEnd, int bStart, int bEnd, int dropped);
    }

    private final int length;
    private final double shortSeqProb;

    /**
     * @param length       T, the sequence length (at least 5: [CLS], two pieces and two [SEP]s)
     * @param shortSeqProb the share of documents packed to a random shorter target length (BERT: 0.1)
     */
    public Packing(int length, double shortSeqProb) {
        if (length < 5) {
            throw new IllegalArgumentException("sequence length " + length + " leaves no room for [CLS] A [SEP] B [SEP]");
        }
        if (!(shortSeqProb >= 0 && shortSeqProb <= 1)) {
            throw new IllegalArgumentException("short_seq_prob must be in [0, 1], found " + shortSeqProb);
        }
        this.length = length;
        this.shortSeqProb = shortSeqProb;
    }

    /**
     * The sentences of a text, as [start, end) character ranges in {@code bounds} (two entries per sentence);
     * returns their number. A sentence ends at a line break, or at white space after a run of {@code . ! ?}
     * and any closing quotes or brackets ({@code Great. Really!) And}). "Mr. Smith" is cut too: a rule this
     * simple errs on the side of short sentences, which packing joins again.
     */
    // tag::sentences[]
    static int sentences(String text, int[] bounds) {
        int count = 0, start = 0;
        for (int i = 0; i <= text.length(); i++) {
            boolean end = i == text.length() || text.charAt(i) == '\n';
            if (!end && Character.isWhitespace(text.charAt(i))) {
                int j = i - 1;
                while (j >= start && isCloser(text.charAt(j))) {
                    j--;
                }
                end = j >= start && isTerminal(text.charAt(j));
            }
            if (end) {
                if (count * 2 + 2 > bounds.length) {
                    return -1;                      // the caller grows the array and asks again
                }
                bounds[2 * count] = start;
                bounds[2 * count + 1] = i;
                count++;
                start = i + 1;
            }
        }
        return count;
    }
    // end::sentences[]

    private static boolean isTerminal(char c) {
        return c == '.' || c == '!' || c == '?';
    }

    private static boolean isCloser(char c) {
        return c == '"' || c == '\'' || c == ')' || c == ']';
    }

    /**
     * Tokenizes a document sentence by sentence (basic tokenization, then WordPiece); sentences without
     * pieces are left out. Special tokens written in the text ({@code [MASK]}) are read as ordinary text, so
     * the corpus never contains a special token.
     */
    public static Document encode(WordPiece wordPiece, String text) {
        int[] bounds = new int[64];
        int n;
        while ((n = sentences(text, bounds)) < 0) {
            bounds = new int[bounds.length * 2];
        }
        int[] pieces = new int[Math.max(16, text.length() / 3)];
        int[] ends = new int[n];
        int count = 0, sentences = 0;
        for (int s = 0; s < n; s++) {
            for (String word : BasicTokenizer.tokenize(text.substring(bounds[2 * s], bounds[2 * s + 1]))) {
                int[] ids = wordPiece.encodeWord(word);
                if (count + ids.length > pieces.length) {
                    pieces = Arrays.copyOf(pieces, Math.max(2 * pieces.length, count + ids.length));
                }
                System.arraycopy(ids, 0, pieces, count, ids.length);
                count += ids.length;
            }
            if (count > (sentences == 0 ? 0 : ends[sentences - 1])) {
                ends[sentences++] = count;
            }
        }
        return new Document(Arrays.copyOf(pieces, count), Arrays.copyOf(ends, sentences));
    }

    /**
     * Packs one document. Chunks of whole sentences are gathered until they reach a target length; each
     * chunk becomes one sequence, split into A and B at a random sentence boundary.
     *
     * @param rng this document's own random numbers (so its packing does not depend on other documents)
     */
    // tag::pack[]
    public void pack(Document doc, Random rng, Sink sink) {
        int maxTokens = length - 3;                       // room for [CLS], [SEP], [SEP]
        // Usually fill the sequence; sometimes (short_seq_prob) aim shorter, so that the model also meets
        // the short inputs of fine-tuning. BERT draws this once per document.
        int target = maxTokens;
        if (rng.nextDouble() < shortSeqProb) {
            target = 2 + rng.nextInt(maxTokens - 1);      // randint(2, maxTokens)
        }
        int first = 0;                                    // first sentence of the current chunk
        int chunkLength = 0;
        for (int s = 0; s < doc.sentences(); s++) {
            chunkLength += doc.end(s) - doc.start(s);
            if (s == doc.sentences() - 1 || chunkLength >= target) {
                int sentences = s - first + 1;
                // A is the first aSentences sentences of the chunk, B the rest: B is the true continuation.
                int aSentences = sentences >= 2 ? 1 + rng.nextInt(sentences - 1) : 1;   // randint(1, n − 1)
                int aStart = doc.start(first), aEnd = doc.end(first + aSentences - 1);
                int bStart = aEnd, bEnd = doc.end(s);
                // One sentence alone has no B (BERT would take B from a random document, for the
                // next-sentence task we do not have), so A alone may use the third special position.
                int room = sentences >= 2 ? maxTokens : maxTokens + 1;
                int dropped = 0;
                while ((aEnd - aStart) + (bEnd - bStart) > room) {
                    // BERT's truncate_seq_pair: shorten the longer side, at the front or the back at random
                    boolean a = aEnd - aStart > bEnd - bStart;
                    if (rng.nextDouble() < 0.5) {
                        if (a) {
                            aStart++;
                        } else {
                            bStart++;
                        }
                    } else if (a) {
                        aEnd--;
                    } else {
                        bEnd--;
                    }
                    dropped++;
                }
                sink.sequence(doc.pieces(), aStart, aEnd, bStart, bEnd, dropped);
                first = s + 1;
                chunkLength = 0;
            }
        }
    }
    // end::pack[]
}
