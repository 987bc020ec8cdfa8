package minibert.book;

import minibert.data.BrownReader;
import minibert.data.ConlluReader;
import minibert.data.Counts;
import minibert.data.DataStore;
import minibert.data.ImdbReader;
import minibert.data.Manifest;
import minibert.data.Sst2Reader;
import minibert.data.WikiTextReader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Resolves and verifies every data file this build can read, reads it with its reader, and publishes what
 * the readers counted next to what the manifest expects: the "Data" chapter's tables.
 */
public final class DataResults implements ResultProducer {

    @Override
    public String name() {
        return "data";
    }

    @Override
    public void produce(Results results) throws Exception {
        DataStore store = DataStore.fromEnvironment();
        publish(results, store, "sst2", f -> Sst2Reader.counts(Sst2Reader.read(f)));
        publish(results, store, "ud_english_ewt", f -> ConlluReader.readTreebank(f).counts());
        publish(results, store, "imdb", ImdbReader::counts);
        publish(results, store, "wikitext2_raw", f -> WikiTextReader.counts(WikiTextReader.read(f)));
        publish(results, store, "brown", f -> BrownReader.counts(BrownReader.read(f)));
        publish(results, store, "nltk", f -> Map.of());

        sst2Lengths(results, store);

        List<List<Object>> sources = new ArrayList<>();
        for (Manifest.Dataset d : store.manifest().datasets().values()) {
            sources.add(List.of(d.name(), d.title(), d.license(), d.citation()));
        }
        results.publish("data/sources").table("The data sets, from data/datasets.yaml",
                List.of("Name", "What", "License", "Cite"), sources);
    }

    /** How long the SST-2 dev sentences are, in whitespace tokens: what an exercise of the chapter starts from. */
    private static void sst2Lengths(Results results, DataStore store) throws Exception {
        List<Sst2Reader.Sst2Example> dev = Sst2Reader.read(store.file("sst2", "dev.tsv"));
        int longest = 0;
        long total = 0;
        for (Sst2Reader.Sst2Example e : dev) {
            int words = e.sentence().split(" +").length;
            longest = Math.max(longest, words);
            total += words;
        }
        results.publish("data/sst2-lengths")
                .data("sst2/dev.tsv", store.sha256("sst2", "dev.tsv"))
                .attribute("longest", Integer.toString(longest))
                .attribute("mean", String.format(Locale.ROOT, "%.1f", (double) total / dev.size()))
                .table("SST-2 dev: sentence lengths in whitespace tokens",
                        List.of("Sentences", "Mean length", "Longest"),
                        List.of(List.of(String.format(Locale.ROOT, "%,d", dev.size()),
                                String.format(Locale.ROOT, "%.1f", (double) total / dev.size()), longest)));
    }

    private static void publish(Results results, DataStore store, String dataset,
                                Function<Path, Map<String, Long>> count) throws Exception {
        Publication p = results.publish("data/" + dataset.replace('_', '-'));
        List<List<Object>> rows = new ArrayList<>();
        for (Manifest.DataFile f : store.manifest().datasets().get(dataset).files().values()) {
            // tag::use[]
            Path file = store.file(dataset, f.name());                 // found, verified
            Map<String, Long> measured = count.apply(file);             // read by its reader
            Counts.check(file, f.counts(), measured);                   // as SOURCES.md says
            // end::use[]
            p.data(dataset + "/" + f.name(), f.sha256());
            StringBuilder counts = new StringBuilder();
            f.counts().forEach((k, v) -> counts.append(counts.isEmpty() ? "" : ", ").append(k).append(' ')
                    .append(String.format(Locale.ROOT, "%,d", measured.get(k))));
            rows.add(List.of(f.name(), f.sha256().substring(0, 16) + "…",
                    String.format(Locale.ROOT, "%,d", Files.size(file)),
                    counts.isEmpty() ? "(archive; no counts asserted)" : counts.toString()));
        }
        p.table("Data set " + dataset + ": files verified and counted by this build",
                        List.of("File", "SHA-256 (verified)", "Bytes", "Counted by the reader (all equal to the manifest)"), rows);
    }
}
