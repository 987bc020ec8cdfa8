package minibert.train;

import minibert.model.Batch;
import minibert.nn.MlmHead;

import java.util.Arrays;
import java.util.Random;

/**
 * The cache's sequences as an endless, deterministic stream: position p of the stream is in epoch
 * e = ⌊p / N⌋ (N sequences) and holds sequence π_e(p mod N), where π_e is a permutation drawn from
 * (seed, e) alone. So batch k of a run with batch size B, {@code fill(k·B, batch)}, is a pure function of
 * (cache, seed, k): a resumed run sees exactly the batches an uninterrupted one would. A batch that
 * straddles an epoch's end takes the last sequences of one permutation and the first of the next.
 *
 * <p>Not thread-safe. The only allocation is one permutation per epoch (N ints), reused.
 */
public final class BatchStream {

    private final PretrainingCache cache;
    private final long seed;
    private final int n;
    // the two most recently used epochs' permutations: a batch needs at most two
    private final long[] epochs = {-1, -1};
    private final int[][] orders = new int[2][];
    private int older;

    public BatchStream(PretrainingCache cache, long seed) {
        if (cache.size() == 0) {
            throw new IllegalArgumentException("the pretraining cache " + cache.file() + " holds no sequences");
        }
        this.cache = cache;
        this.seed = seed;
        this.n = cache.size();
    }

    /** Sequences per epoch. */
    public int epochLength() {
        return n;
    }

    /** The cache index of the sequence at stream position {@code position}. */
    public int sequenceAt(long position) {
        if (position < 0) {
            throw new IllegalArgumentException("stream position " + position + " < 0");
        }
        return order(position / n)[(int) (position % n)];
    }

    /**
     * Fills every row of {@code into} with the sequences at stream positions {@code firstSequence},
     * {@code firstSequence + 1}, …; labels become {@link MlmHead#IGNORE} (masking sets them).
     *
     * @param into Modified; its T must be the cache's
     */
    // tag::fill[]
    public void fill(long firstSequence, Batch into) {
        if (into.length() != cache.length()) {
            throw new IllegalArgumentException("batch of length " + into.length() + ", cache of length " + cache.length());
        }
        for (int row = 0; row < into.batch(); row++) {
            cache.read(sequenceAt(firstSequence + row), into.inputIds(), into.tokenTypes(), into.attentionMask(), row);
        }
        Arrays.fill(into.labels(), MlmHead.IGNORE);
    }
    // end::fill[]

    /** Epoch {@code e}'s permutation: Fisher–Yates driven by (seed, e) alone. */
    private int[] order(long epoch) {
        for (int i = 0; i < 2; i++) {
            if (epochs[i] == epoch) {
                older = 1 - i;
                return orders[i];
            }
        }
        int slot = older;
        int[] p = orders[slot] == null ? new int[n] : orders[slot];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        Random rng = new Random(Seeds.of(seed, Seeds.SHUFFLE, epoch));
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        orders[slot] = p;
        epochs[slot] = epoch;
        older = 1 - slot;
        return p;
    }
}
