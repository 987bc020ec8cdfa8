package minibert.cli;

import minibert.data.Corpora;
import minibert.data.DataStore;
import minibert.text.Vocabulary;
import minibert.text.WordPiece;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code minibert tokenize}: text to WordPiece pieces and ids; {@code --bench} measures encoding speed. */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Split text (arguments, or standard input line by line) into WordPiece pieces and ids.")
final class TokenizeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--vocab", defaultValue = "runs/vocab", description = "folder holding vocab.txt (default: ${DEFAULT-VALUE})")
    Path vocab;

    @Option(names = "--bench", description = "encode the IMDB corpus and print MB/s (median of 5 passes after warm-up)")
    boolean bench;

    @Parameters(paramLabel = "TEXT", arity = "0..*", description = "text to tokenize; standard input when absent")
    List<String> text = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        WordPiece wp = new WordPiece(Vocabulary.load(vocab.resolve("vocab.txt")));
        if (bench) {
            List<String> texts = Corpora.imdb(DataStore.fromEnvironment());
            double[] mbPerSecond = minibert.bench.EncodingBenchmark.run(wp, texts, 2, 5);
            out.printf(Locale.ROOT, "encoding %.1f MB of IMDB text, one thread: median %.1f MB/s (passes: %s)%n",
                    Corpora.characters(texts) / 1e6, mbPerSecond[mbPerSecond.length / 2],
                    java.util.Arrays.toString(mbPerSecond));
            return 0;
        }
        if (text.isEmpty()) {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                print(out, wp, line);
            }
        } else {
            print(out, wp, String.join(" ", text));
        }
        return 0;
    }

    private static void print(PrintWriter out, WordPiece wp, String line) {
        int[] ids = wp.encode(line);
        List<String> pieces = new ArrayList<>();
        for (int id : ids) {
            pieces.add(wp.vocabulary().token(id));
        }
        out.println(String.join(" ", pieces));
        out.println(java.util.Arrays.toString(ids));
        out.flush();
    }
}
