package minibert.model;

/**
 * A batch of B sequences of length T, flattened row-major ([B·T]).
 *
 * @param inputIds      token ids
 * @param tokenTypes    segment ids (0 or 1)
 * @param attentionMask 1 for real tokens, 0 for padding
 * @param labels        the token to predict at masked positions, −100 elsewhere
 * @param batch         B
 * @param length        T
 */
public record Batch(int[] inputIds, int[] tokenTypes, int[] attentionMask, int[] labels, int batch, int length) {

    public Batch {
        int n = batch * length;
        if (inputIds.length != n || tokenTypes.length != n || attentionMask.length != n || labels.length != n) {
            throw new IllegalArgumentException("batch of " + batch + " × " + length + " needs arrays of " + n
                    + " entries; found ids " + inputIds.length + ", types " + tokenTypes.length + ", mask "
                    + attentionMask.length + ", labels " + labels.length);
        }
    }
}
