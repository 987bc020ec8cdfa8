package minibert.cli;

import minibert.config.ModelConfig;
import minibert.data.Corpora;
import minibert.data.DataStore;
import minibert.text.WordPieceTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/** {@code minibert vocab train}: learns the WordPiece vocabulary from the IMDB corpus. */
@Command(name = "vocab", description = "WordPiece vocabulary.", mixinStandardHelpOptions = true,
        subcommands = VocabCommand.Train.class)
final class VocabCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = "Learn a WordPiece vocabulary from the IMDB reviews (unsup + train); writes vocab.txt and tokenizer_config.json.")
    static final class Train implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--out", defaultValue = "runs/vocab", description = "output folder (default: ${DEFAULT-VALUE})")
        Path outDir;

        @Option(names = "--model-config", defaultValue = "configs/model/mini-bert.yaml",
                description = "model config giving vocab_size and max_position_embeddings (default: ${DEFAULT-VALUE})")
        Path modelConfig;

        @Option(names = "--alphabet", defaultValue = "1000", description = "most frequent characters kept (default: ${DEFAULT-VALUE})")
        int alphabet;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            ModelConfig config = ModelConfig.load(modelConfig);
            long t0 = System.nanoTime();
            err.println("reading IMDB through the data store…");
            List<String> texts = Corpora.imdb(DataStore.fromEnvironment());
            long total = Corpora.characters(texts);
            AtomicLong done = new AtomicLong();
            AtomicLong shown = new AtomicLong(-1);
            var counts = WordPieceTrainer.countWords(texts, n -> {
                long d = done.addAndGet(n);
                long pct = d * 100 / total;
                if (shown.getAndSet(pct) != pct && pct % 2 == 0) {
                    synchronized (err) {
                        int bar = (int) (pct / 2);
                        err.print("\rcounting words [" + "#".repeat(bar) + " ".repeat(50 - bar) + "] " + pct + "%");
                        err.flush();
                    }
                }
            });
            err.println();
            err.println("merging to " + config.vocabSize() + " pieces…");
            WordPieceTrainer.Result result = new WordPieceTrainer(config.vocabSize(), alphabet).train(counts);
            result.vocabulary().save(outDir, config.maxPositions());
            out.printf(Locale.ROOT, "%d pieces (%d alphabet symbols, %d merges) from %,d words (%,d types), %.1f MB of text, in %.1f s%n",
                    result.vocabulary().size(), result.alphabetSize(), result.merges().size(), result.words(),
                    result.wordTypes(), total / 1e6, (System.nanoTime() - t0) / 1e9);
            out.println("wrote " + outDir.resolve("vocab.txt") + " and " + outDir.resolve("tokenizer_config.json"));
            return 0;
        }
    }
}
