package minibert.cli;

import minibert.config.ModelConfig;
import minibert.data.Corpora;
import minibert.data.DataStore;
import minibert.text.Vocabulary;
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

        Path outDir;

        @Option(names = "--out", defaultValue = "runs/vocab", description = "output folder (default: ${DEFAULT-VALUE})")
        void outDir(Path value) {
            outDir = Checks.outputFolder(spec, "--out", value);
        }

        @Option(names = "--model-config", defaultValue = "configs/model/mini-bert.yaml",
                description = "model config giving vocab_size and max_position_embeddings (default: ${DEFAULT-VALUE})")
        Path modelConfig;

        int alphabet;

        @Option(names = "--alphabet", defaultValue = "1000",
                description = "most frequent characters kept, 1 to 1000000 (default: ${DEFAULT-VALUE})")
        void alphabet(int value) {
            alphabet = Checks.between(spec, "--alphabet", value, 1, 1_000_000);
        }

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            ModelConfig config = ModelConfig.load(modelConfig);
            // Everything that can be refused is refused now, before the minute of counting and merging.
            long symbols = Vocabulary.SPECIALS.size() + WordPieceTrainer.maxAlphabetSymbols(alphabet);
            if (symbols > config.vocabSize()) {
                throw new CommandException("--alphabet " + alphabet + " may give " + symbols + " symbols with the "
                        + Vocabulary.SPECIALS.size() + " special tokens (each character word-initial and as a ## continuation), "
                        + "more than vocab_size " + config.vocabSize() + " of " + modelConfig + "; use --alphabet "
                        + Math.max(1, (config.vocabSize() - Vocabulary.SPECIALS.size()) / 2) + " or less");
            }
            WordPieceTrainer trainer = new WordPieceTrainer(config.vocabSize(), alphabet);
            DataStore store = DataStore.fromEnvironment();
            long t0 = System.nanoTime();
            err.println("reading IMDB through the data store…");
            List<String> texts = Corpora.imdb(store);
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
            WordPieceTrainer.Result result = trainer.train(counts);
            result.vocabulary().save(outDir, config.maxPositions());
            if (result.vocabulary().size() < config.vocabSize()) {
                err.println("note: the corpus ran out of pairs to merge at " + result.vocabulary().size() + " pieces, fewer than "
                        + "vocab_size " + config.vocabSize() + " of " + modelConfig + "; a model over this vocabulary needs "
                        + "vocab_size " + result.vocabulary().size());
            }
            out.printf(Locale.ROOT, "%d pieces (%d alphabet symbols, %d merges) from %,d words (%,d types), %.1f MB of text, in %.1f s%n",
                    result.vocabulary().size(), result.alphabetSize(), result.merges().size(), result.words(),
                    result.wordTypes(), total / 1e6, (System.nanoTime() - t0) / 1e9);
            out.println("wrote " + outDir.resolve("vocab.txt") + " and " + outDir.resolve("tokenizer_config.json"));
            return 0;
        }
    }
}
