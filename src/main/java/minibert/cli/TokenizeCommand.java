package minibert.cli;

import minibert.data.Corpora;
import minibert.data.DataStore;
import minibert.text.BasicTokenizer;
import minibert.text.TokenizerFiles;
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

    @Option(names = "--vocab", defaultValue = "runs/vocab",
            description = "a vocab.txt, or a folder holding one; tokenizer_config.json beside it sets the casing (default: ${DEFAULT-VALUE})")
    Path vocab;

    @Option(names = "--bench", description = "encode the IMDB corpus and print MB/s (median of 5 passes after warm-up)")
    boolean bench;

    @Parameters(paramLabel = "TEXT", arity = "0..*", description = "text to tokenize; standard input when absent")
    List<String> text = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        TokenizerFiles tokenizer = TokenizerFiles.load(vocab);
        tokenizer.notes().forEach(n -> err.println("note: " + n));
        err.flush();
        WordPiece wp = tokenizer.wordPiece();
        if (bench) {
            List<String> texts = Corpora.imdb(DataStore.fromEnvironment());
            double[] mbPerSecond = minibert.bench.EncodingBenchmark.run(wp, texts, 2, 5);
            out.printf(Locale.ROOT, "encoding %.1f MB of IMDB text, one thread: median %.1f MB/s (passes: %s)%n",
                    Corpora.characters(texts) / 1e6, mbPerSecond[mbPerSecond.length / 2],
                    java.util.Arrays.toString(mbPerSecond));
            return 0;
        }
        if (text.isEmpty()) {
            // Bytes that are not UTF-8 become U+FFFD here, which BERT's cleaning removes and the note counts.
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            long lineNo = 0;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                lineNo++;
                print(out, err, wp, line, "line " + lineNo + " of standard input");
            }
        } else {
            print(out, err, wp, String.join(" ", text), "the text");
        }
        return 0;
    }

    private static void print(PrintWriter out, PrintWriter err, WordPiece wp, String line, String where) {
        int removed = BasicTokenizer.countDropped(line);
        if (removed > 0) {
            err.println("note: BERT's cleaning removed " + removed + " invalid or control character" + (removed > 1 ? "s" : "")
                    + " from " + where);
            err.flush();
        }
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
