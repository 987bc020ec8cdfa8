package minibert.eval;

import minibert.model.Batch;
import minibert.model.BertForMaskedLM;
import minibert.nn.MlmHead;
import minibert.nn.Pass;
import minibert.text.WordPiece;
import minibert.train.Masking;
import minibert.train.PretrainingCache;
import minibert.train.PretrainingCorpus;
import minibert.train.Progress;
import minibert.train.Seeds;
import minibert.train.Unigram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MaskedLmEvaluationTest {

    private static final WordPiece WP = new WordPiece(Fixtures.vocabulary());

    @Test
    void wikiTextArticlesStartAtTopLevelHeadingsAndHeadingsAreNotText() {
        var docs = Sequences.wikiTextDocuments(List.of("", " = Film = ", "", " The movie was good . ", " = = Plot = = ",
                " The plot is dull . ", "", " = Other = ", " It is great . "));
        assertEquals(List.of("The movie was good .\nThe plot is dull .", "It is great ."), docs);
    }

    @Test
    void packedSequencesReadLikeTheCache() {
        long[] dropped = new long[1];
        Sequences s = Sequences.pack(List.of("the movie was good . the plot is dull .", "it is great ."), WP, 16, 3, dropped);
        assertTrue(s.size() >= 2, "sequences " + s.size());
        int t = s.length();
        int[] ids = new int[2 * t], types = new int[2 * t], mask = new int[2 * t];
        s.read(0, ids, types, mask, 1);
        var v = Fixtures.vocabulary();
        assertEquals(v.clsId(), ids[t]);
        int real = 0;
        for (int i = t; i < 2 * t; i++) {
            real += mask[i];
            if (mask[i] == 0) {
                assertEquals(0, ids[i]);
            }
        }
        assertEquals(v.sepId(), ids[t + real - 1]);
        assertEquals(0, dropped[0]);
        Sequences.pack(List.of("the movie was good . the plot is dull . a bad movie and not a great plot ."), WP, 7, 3, dropped);
        assertTrue(dropped[0] > 0, "truncation at T = 7 is counted");
    }

    @Test
    void theModelAndTheUnigramAreMeasuredOnTheSameMasks(@TempDir Path dir) {
        var texts = List.of("the movie was good . it is great .", "the plot is dull . a bad movie .",
                "a great plot . the movie is not dull .", "it was bad and dull . not a good movie .");
        var corpus = PretrainingCorpus.of("toy", texts);
        var v = Fixtures.vocabulary();
        var spec = PretrainingCache.Spec.of(11, 1, 0, PretrainingCache.Split.TRAIN);
        var cache = PretrainingCache.openOrBuild(dir.resolve("c.bin"), spec, v, corpus, Progress.NONE);
        Unigram unigram = Unigram.fit(cache, v.size());
        BertForMaskedLM model = new BertForMaskedLM(Fixtures.config(11), 9);
        Fixtures.perturb(model.parameters(), 9, 0.1);
        Masking masking = new Masking(v, 0.3);
        Sequences seqs = Sequences.of(cache);
        var o = MaskedLmEvaluation.run("toy", seqs, new LayerByLayer(model, LayerByLayer.Rounding.NONE), masking, unigram,
                2, 3, 5);
        // by hand: the same batches and masks through the model's own forward pass and the unigram
        double lossSum = 0, unigramSum = 0;
        long masked = 0, correct = 0;
        int t = seqs.length();
        for (int k = 0; k < o.batches(); k++) {
            Batch batch = new Batch(new int[3 * t], new int[3 * t], new int[3 * t], new int[3 * t], 3, t);
            for (int r = 0; r < 3; r++) {
                seqs.read((k * 3 + r) % seqs.size(), batch.inputIds(), batch.tokenTypes(), batch.attentionMask(), r);
            }
            Arrays.fill(batch.labels(), MlmHead.IGNORE);
            masking.apply(Seeds.of(5, Seeds.EVALUATION, k), batch);
            var acts = model.activations(3, t);
            double loss = model.forward(batch, acts, Pass.INFERENCE);
            lossSum += loss * acts.head().masked();
            masked += acts.head().masked();
            correct += acts.head().correct();
            for (int label : batch.labels()) {
                unigramSum += label == MlmHead.IGNORE ? 0 : unigram.loss(label);
            }
        }
        assertEquals(masked, o.model().masked());
        assertEquals(masked, o.unigram().masked());
        assertEquals(correct, o.model().correct());
        assertEquals(lossSum / masked, o.model().loss(), 1e-12);
        assertEquals(unigramSum / masked, o.unigram().loss(), 1e-12);
        assertEquals(Math.exp(o.model().loss()), o.model().perplexity(), 1e-9);
    }
}
