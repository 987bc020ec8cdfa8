package minibert.book;

import minibert.config.ConfigSource;
import minibert.data.BrownReader;
import minibert.data.Manifest;
import minibert.data.TextFiles;
import minibert.fuzz.FuzzTarget;
import minibert.fuzz.FuzzTargets;
import minibert.fuzz.Fuzzer;
import minibert.fuzz.Mutations;
import minibert.io.InputFile;
import minibert.model.checkpoint.Checkpoint;
import minibert.model.checkpoint.Safetensors;
import minibert.text.TokenizerConfig;
import minibert.text.Vocabulary;
import minibert.train.RunDirectory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The reliability appendix: every reader's limit, and the fuzzing of every reader with seeded mutations of a
 * valid file, run in this build. A case that ends in anything but acceptance or the reader's own error naming
 * the file, or that outlasts the time bound, fails the check and so the build.
 */
public final class ReliabilityResults implements ResultProducer {

    /** Not the unit test's seed: each build fuzzes two different samples of cases. */
    static final long SEED = 7_919;
    static final Duration BOUND = Duration.ofSeconds(10);

    @Override
    public String name() {
        return "reliability";
    }

    @Override
    public void produce(Results results) throws Exception {
        publishLimits(results);
        List<FuzzTarget> targets = FuzzTargets.all();
        long start = System.nanoTime();
        List<Fuzzer.Report> reports = Fuzzer.run(targets, SEED, BOUND);
        double seconds = (System.nanoTime() - start) / 1e9;

        List<String> header = new ArrayList<>(List.of("Reader", "File", "Its own error"));
        for (Mutations.Kind k : Mutations.Kind.values()) {
            header.add(k.label());
        }
        header.addAll(List.of("Cases", "Still valid, read", "Refused by its own error", "Anything else"));
        List<List<Object>> rows = new ArrayList<>();
        int cases = 0, accepted = 0, rejected = 0, failed = 0;
        double slowest = 0;
        for (Fuzzer.Report r : reports) {
            List<Object> row = new ArrayList<>(List.of(r.target().name(), r.target().fileName(), r.target().error().getSimpleName()));
            for (Mutations.Kind k : Mutations.Kind.values()) {
                row.add(r.byKind().containsKey(k) ? r.byKind().get(k).tried() : 0);
            }
            Fuzzer.Tally t = r.total();
            row.addAll(List.of(t.tried(), t.accepted(), t.rejected(), t.failed()));
            rows.add(row);
            cases += t.tried();
            accepted += t.accepted();
            rejected += t.rejected();
            failed += t.failed();
            slowest = Math.max(slowest, r.slowest());
        }
        List<Object> total = new ArrayList<>(List.of("all " + reports.size() + " readers", "", ""));
        Fuzzer.triedByKind(reports).values().forEach(total::add);
        total.addAll(List.of(cases, accepted, rejected, failed));
        rows.add(total);
        results.publish("reliability/fuzz").seed(SEED)
                .attribute("cases", Integer.toString(cases))
                .attribute("readers", Integer.toString(reports.size()))
                .attribute("accepted", Integer.toString(accepted))
                .attribute("rejected", Integer.toString(rejected))
                .attribute("seconds", fmt("%.1f", seconds))
                .attribute("slowest", fmt("%.3f", slowest))
                .attribute("bound", Long.toString(BOUND.toSeconds()))
                .table("Seeded mutations of a valid file, by reader and kind of mutation (seed " + SEED + ")", header, rows);

        List<List<Object>> said = new ArrayList<>();
        Mutations.Kind[] kinds = Mutations.Kind.values();
        for (int i = 0; i < reports.size(); i++) {
            Fuzzer.Report r = reports.get(i);
            for (int k = 0; k < kinds.length; k++) {        // one kind per reader, in turn, so that every kind shows
                Mutations.Kind kind = kinds[(i + k) % kinds.length];
                if (r.examples().containsKey(kind)) {
                    said.add(List.of(r.target().name(), kind.label(), shorten(r.examples().get(kind))));
                    break;
                }
            }
        }
        results.publish("reliability/messages").seed(SEED)
                .table("What each reader said about one of its mutated files (the folder shown as …/)",
                        List.of("Reader", "Mutation", "Message"), said);

        List<String> failures = Fuzzer.failures(reports);
        results.publish("reliability/all").seed(SEED)
                .check("Every mutated file is read, or refused by its reader's own error naming the file, within "
                                + BOUND.toSeconds() + " s", failures.isEmpty(),
                        cases + " cases over " + reports.size() + " readers: " + accepted + " still valid and read, " + rejected
                                + " refused by the reader's own error, " + failed + " otherwise; the slowest case took "
                                + fmt("%.3f", slowest) + " s" + (failures.isEmpty() ? "" : "; first failure: " + failures.get(0)));
    }

    private static void publishLimits(Results results) {
        List<List<Object>> rows = List.of(
                List.of("model, training and evaluation configs (YAML)", InputFile.size(ConfigSource.MAX_BYTES), "the whole file"),
                List.of("vocab.txt", InputFile.size(Vocabulary.MAX_BYTES), "the whole file"),
                List.of("tokenizer_config.json", InputFile.size(TokenizerConfig.MAX_BYTES), "the whole file"),
                List.of("config.json", InputFile.size(Checkpoint.MAX_CONFIG_BYTES), "the whole file"),
                List.of("safetensors", InputFile.size(Safetensors.MAX_HEADER) + " of header; "
                        + String.format(Locale.ROOT, "%,d", Safetensors.MAX_ELEMENTS) + " elements per tensor",
                        "the header; tensors are read one at a time, after the model's memory is checked"),
                List.of("data manifest (YAML)", InputFile.size(Manifest.MAX_BYTES), "the whole file"),
                List.of("SST-2, IMDB, CoNLL-U, WikiText", String.format(Locale.ROOT, "%,d characters a line; %,d in all",
                        TextFiles.MAX_LINE_CHARS, TextFiles.MAX_TEXT_CHARS), "line by line, after gzip"),
                List.of("Brown corpus (tar)", InputFile.size(BrownReader.MAX_MEMBER_BYTES) + " a member; "
                        + InputFile.size(BrownReader.MAX_ARCHIVE_BYTES) + " in all", "member by member, after gzip"),
                List.of("a run's run.json, trainer_state.json, provenance.json", InputFile.size(RunDirectory.MAX_JSON_BYTES),
                        "the whole file"),
                List.of("a run's metrics.jsonl", InputFile.size(RunDirectory.MAX_METRICS_LINE) + " a line", "line by line"),
                List.of("pretraining cache", "the size its header states", "mapped into memory, after its size, checksums, "
                        + "index and ids are checked"));
        results.publish("reliability/limits")
                .table("The most each reader reads; beyond it the file is refused at once, with its name and the limit",
                        List.of("Reader", "Limit", "Read as"), rows);
    }

    /** At most 220 characters, control characters (a mutation may put them in a message) made visible. */
    private static String shorten(String m) {
        StringBuilder b = new StringBuilder();
        m.codePoints().forEach(c -> b.append(c == '\n' || c == '\t' ? " " : c < 0x20 || c == 0x7F
                ? String.format(Locale.ROOT, "\\u%04X", c) : new String(Character.toChars(c))));
        return b.length() > 220 ? b.substring(0, 220) + "…" : b.toString();
    }

    private static String fmt(String f, Object... a) {
        return String.format(Locale.ROOT, f, a);
    }
}
