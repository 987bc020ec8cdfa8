package minibert.text;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The arrays a BERT model reads for one sequence of length {@code length}:
 * {@code [CLS] a… [SEP]} or {@code [CLS] a… [SEP] b… [SEP]}, then {@code [PAD]} up to the length.
 *
 * @param inputIds      piece ids                                  [T]
 * @param tokenTypeIds  0 for [CLS], segment a and its [SEP]; 1 for segment b and its [SEP]; 0 on padding [T]
 * @param attentionMask 1 on real positions, 0 on padding          [T]
 * @param wordStarts    for {@link #ofWords}: the position of each word's first piece, or -1 if it was
 *                      truncated away; empty otherwise
 */
public record ModelInputs(int[] inputIds, int[] tokenTypeIds, int[] attentionMask, int[] wordStarts) {

    /** The number of real (non-padding) positions. */
    public int realLength() {
        int n = 0;
        for (int m : attentionMask) {
            n += m;
        }
        return n;
    }

    /**
     * One text, truncated to fit {@code length} positions with [CLS] and [SEP], then padded.
     */
    public static ModelInputs of(WordPiece wp, String text, int length) {
        return of(wp, text, null, length);
    }

    /**
     * What fitting one text into {@code length} positions (with [CLS] and [SEP]) drops from its end.
     *
     * @param pieces       the text's pieces
     * @param kept         how many of them fit
     * @param masks        [MASK] pieces in the whole text
     * @param droppedMasks [MASK] pieces among those dropped
     */
    public record Truncation(int pieces, int kept, int masks, int droppedMasks) {
        public int dropped() {
            return pieces - kept;
        }
    }

    /** How {@link #of(WordPiece, String, int)} truncates {@code text}. */
    public static Truncation truncation(WordPiece wp, String text, int length) {
        int[] ids = wp.encode(text);
        int kept = Math.max(0, Math.min(ids.length, length - 2));
        int masks = 0, droppedMasks = 0;
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == wp.vocabulary().maskId()) {
                masks++;
                droppedMasks += i >= kept ? 1 : 0;
            }
        }
        return new Truncation(ids.length, kept, masks, droppedMasks);
    }

    /**
     * A text pair; when too long, pieces are dropped from the end of the longer segment first (BERT's
     * {@code _truncate_seq_pair}).
     */
    // tag::pair[]
    public static ModelInputs of(WordPiece wp, String a, String b, int length) {
        int specials = b == null ? 2 : 3;
        if (length < specials) {
            throw new IllegalArgumentException("length " + length + " leaves no room for [CLS] and [SEP]");
        }
        int[] pa = wp.encode(a);
        int[] pb = b == null ? new int[0] : wp.encode(b);
        int la = pa.length, lb = pb.length;
        while (la + lb > length - specials) {     // drop from the longer segment, one piece at a time
            if (la > lb) {
                la--;
            } else {
                lb--;
            }
        }
        Vocabulary v = wp.vocabulary();
        int[] ids = new int[length], types = new int[length], mask = new int[length];
        int t = 0;
        ids[t++] = v.clsId();
        for (int i = 0; i < la; i++) {
            ids[t++] = pa[i];
        }
        ids[t++] = v.sepId();
        if (b != null) {
            for (int i = 0; i < lb; i++) {
                types[t] = 1;
                ids[t++] = pb[i];
            }
            types[t] = 1;
            ids[t++] = v.sepId();
        }
        Arrays.fill(ids, t, length, v.padId());   // positions t.. are [PAD] with mask 0
        Arrays.fill(mask, 0, t, 1);
        return new ModelInputs(ids, types, mask, new int[0]);
    }
    // end::pair[]

    /**
     * Pre-split words (a treebank sentence), with the position of each word's first piece: the POS probe
     * reads the hidden state there. Words that do not fit are truncated away ({@code wordStarts[i] = -1}).
     */
    public static ModelInputs ofWords(WordPiece wp, List<String> words, int length) {
        Vocabulary v = wp.vocabulary();
        int[] ids = new int[length], types = new int[length], mask = new int[length];
        int[] starts = new int[words.size()];
        Arrays.fill(starts, -1);
        int t = 0;
        ids[t++] = v.clsId();
        for (int w = 0; w < words.size(); w++) {
            List<Integer> pieces = new ArrayList<>();
            for (String basic : wp.basicTokens(words.get(w))) {
                for (int id : wp.encodeWord(basic)) {
                    pieces.add(id);
                }
            }
            if (pieces.isEmpty()) {
                pieces.add(v.unkId());              // a word of only control characters still has a position
            }
            if (t + pieces.size() > length - 1) {
                break;
            }
            starts[w] = t;
            for (int id : pieces) {
                ids[t++] = id;
            }
        }
        ids[t++] = v.sepId();
        Arrays.fill(ids, t, length, v.padId());
        Arrays.fill(mask, 0, t, 1);
        return new ModelInputs(ids, types, mask, starts);
    }
}
