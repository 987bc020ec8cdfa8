package minibert.cli;

import minibert.data.DataException;
import minibert.data.DataStore;
import minibert.data.Manifest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code minibert data status|fetch}: where each data file is, whether it verifies, and fetching what is missing. */
@Command(name = "data", description = "Inspect and fetch the data sets of data/datasets.yaml.",
        mixinStandardHelpOptions = true, subcommands = {DataCommand.Status.class, DataCommand.Fetch.class})
final class DataCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Each data file's resolved location and checksum state (reads every file found; downloads nothing).")
    static final class Status implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            DataStore store = DataStore.fromEnvironment();
            out.println("manifest: " + store.manifest().file());
            out.println("mirror:   " + (store.mirror() == null ? "(none: set MINIBERT_DATA_MIRROR)" : store.mirror()));
            out.printf("%-16s %-28s %-8s %s%n", "DATASET", "FILE", "STATE", "LOCATION / DETAIL");
            int bad = 0;
            for (DataStore.FileStatus s : store.status()) {
                String where = s.location() == null ? s.detail() : s.location() + ("ok".equals(s.state()) ? "  sha256 " + s.detail() + "…" : "");
                out.printf("%-16s %-28s %-8s %s%n", s.dataset(), s.file(), s.state(), where);
                if ("CORRUPT".equals(s.state())) {
                    out.println("    " + s.detail());
                }
                bad += "ok".equals(s.state()) ? 0 : 1;
            }
            out.println(bad == 0 ? "all files present and verified" : bad + " file(s) missing or corrupt: ./minibert data fetch");
            return bad == 0 ? 0 : 1;
        }
    }

    @Command(name = "fetch", mixinStandardHelpOptions = true,
            description = "Resolve, download if needed, and verify every file of the named data sets (all when none is named).")
    static final class Fetch implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "DATASET", arity = "0..*", description = "data set names, e.g. sst2 imdb")
        List<String> datasets = List.of();

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            DataStore store = DataStore.fromEnvironment();
            List<String> names = datasets.isEmpty() ? List.copyOf(store.manifest().datasets().keySet()) : datasets;
            int failed = 0;
            for (String name : names) {
                Manifest.Dataset d = store.manifest().datasets().get(name);
                if (d == null) {
                    err.println("unknown data set '" + name + "'; known: " + store.manifest().datasets().keySet());
                    failed++;
                    continue;
                }
                for (String file : d.files().keySet()) {
                    try {
                        out.println("ok     " + name + "/" + file + "  " + store.file(name, file));
                    } catch (DataException e) {
                        err.println("FAILED " + name + "/" + file + ": " + e.getMessage());
                        failed++;
                    }
                }
            }
            return failed == 0 ? 0 : 1;
        }
    }
}
