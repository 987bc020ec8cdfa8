package minibert.explore;

import com.fasterxml.jackson.databind.JsonNode;
import minibert.config.TrainConfig;
import minibert.data.DataStore;
import minibert.io.InputFile;
import minibert.io.Json;
import minibert.text.Vocabulary;
import minibert.train.Masking;
import minibert.train.PretrainingCache;
import minibert.train.PretrainingCorpus;
import minibert.train.Progress;
import minibert.train.RunDirectory;
import minibert.train.Tally;
import minibert.train.Unigram;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * The unigram loss U of a run directory, on exactly the held-out batches and masks its trainer evaluated on.
 *
 * <p>A run directory holds no corpus. U is computed from the two corpus caches the run trained and evaluated with:
 * {@code CACHE/train-KEY.bin} (the frequencies) and {@code CACHE/held-out-KEY.bin} (the masked tokens they
 * predict), whose KEY follows from the run's settings (T, seed, document limit) and its vocabulary, as
 * {@code minibert train} names them. When they are missing and a data store is given, they are built from the
 * run's corpus, as {@code minibert train} would build them (minutes for the whole of IMDB); without a data store,
 * or for a corpus other than IMDB, U is reported unknown with the reason.
 */
public final class UnigramSource {

    private UnigramSource() {
    }

    /**
     * U, or empty, with how it was obtained (or why not) in words.
     */
    public record Outcome(OptionalDouble loss, String how) {
    }

    /**
     * @param cacheDir where the run's caches live ({@code data/cache} for {@code minibert train}'s default)
     * @param store    the data store to build missing caches from, or null to use only caches that exist
     */
    public static Outcome forRun(Path runDir, Path cacheDir, DataStore store, Progress progress) {
        Path runJson = runDir.resolve("run.json");
        JsonNode s = Json.readObject(runJson, "a run's settings", 4 * InputFile.MIB).path("settings");
        String corpus = setting(runJson, s, "train.corpus").asText();
        if (!corpus.equals("imdb")) {
            return new Outcome(OptionalDouble.empty(), "the run trained on '" + corpus + "'; only IMDB runs have their "
                    + "caches rebuilt here");
        }
        Path vocabTxt = runDir.resolve("vocab/vocab.txt");
        int t = setting(runJson, s, "train.sequenceLength").asInt(), v = setting(runJson, s, "model.vocabSize").asInt();
        long seed = setting(runJson, s, "train.seed").asLong(), limit = setting(runJson, s, "train.documentLimit").asLong();
        int batch = setting(runJson, s, "train.batchSize").asInt(), evalBatches = setting(runJson, s, "train.evalBatches").asInt();
        double maskProbability = setting(runJson, s, "train.maskProbability").asDouble();
        String key = String.format(Locale.ROOT, "T%d-seed%d-docs%d-vocab%s", t, seed, limit,
                RunDirectory.sha256(vocabTxt).substring(0, 12));
        Path train = cacheDir.resolve("train-" + key + ".bin"), heldOut = cacheDir.resolve("held-out-" + key + ".bin");
        boolean present = Files.isRegularFile(train) && Files.isRegularFile(heldOut);
        if (!present && store == null) {
            return new Outcome(OptionalDouble.empty(), "no caches " + train.getFileName() + " and " + heldOut.getFileName()
                    + " in " + cacheDir);
        }
        Vocabulary vocabulary = Vocabulary.load(vocabTxt);
        PretrainingCorpus imdb = PretrainingCorpus.imdb(store != null ? store : DataStore.fromEnvironment());
        var spec = PretrainingCache.Spec.of(t, seed, limit, PretrainingCache.Split.TRAIN);
        try (PretrainingCache trainCache = PretrainingCache.openOrBuild(train, spec, vocabulary, imdb, progress);
             PretrainingCache heldOutCache = PretrainingCache.openOrBuild(heldOut, spec.withSplit(PretrainingCache.Split.HELD_OUT),
                     vocabulary, imdb, progress)) {
            // only the fields the held-out evaluation reads matter: B, T, the seed, p and the number of batches
            TrainConfig config = new TrainConfig(null, corpus, seed, batch, t, 1, 1e-3, 0, 0, 0.9, 0.999, 1e-6, 1, 1,
                    maskProbability, 1, 1, 1, evalBatches, 1, "float32", "vector", limit);
            Tally tally = Unigram.fit(trainCache, v).heldOut(heldOutCache, new Masking(vocabulary, config.maskProbability()), config);
            return new Outcome(OptionalDouble.of(tally.loss()), "the unigram distribution of " + train.getFileName()
                    + ", on the held-out masks of " + heldOut.getFileName() + (present ? "" : " (both built now)"));
        }
    }

    private static JsonNode setting(Path file, JsonNode settings, String key) {
        JsonNode n = settings.get(key);
        if (n == null || !(n.isNumber() || n.isTextual())) {
            throw new minibert.io.InputException(file, "setting \"" + key + "\" is missing or not a value, found " + Json.kind(n));
        }
        return n;
    }

    /** U of a run whose caches are open already (the book's short run). */
    public static double of(PretrainingCache train, PretrainingCache heldOut, Vocabulary vocabulary, TrainConfig config) {
        Tally tally = Unigram.fit(train, vocabulary.size()).heldOut(heldOut, new Masking(vocabulary, config.maskProbability()), config);
        return tally.loss();
    }
}
