package minibert.book;

import minibert.fuzz.DiskFullExperiment;
import minibert.fuzz.KillExperiment;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The Reliability appendix's faults, made in this build: a training run killed with {@code kill -9} again and
 * again at random moments ({@link KillExperiment}), and a disk that fills up in the middle of each kind of
 * write ({@link DiskFullExperiment}). Each publishes its figures, and a check that fails the build if a fault
 * lost anything: a checkpoint that does not load, a run that does not resume, an outcome that differs by a
 * bit from an uninterrupted run's.
 */
public final class FaultResults implements ResultProducer {

    /** The seed of the kill moments; not the unit test's, so each build kills at other moments too. */
    static final long SEED = 60_013;
    /** The fewest kills a build makes. */
    static final int MIN_KILLS = 20;

    @Override
    public String name() {
        return "faults";
    }

    @Override
    public void produce(Results results) throws Exception {
        kills(results);
        diskFull(results);
    }

    private static void kills(Results results) throws Exception {
        KillExperiment.Settings settings = KillExperiment.Settings.standard(SEED);
        KillExperiment.Report r = KillExperiment.run(ProjectFiles.projectDir(), settings, line -> { });
        int training = r.of(KillExperiment.Moment.TRAINING) + r.of(KillExperiment.Moment.AIMED);
        int midDelete = (int) r.kills().stream().filter(k -> k.leftovers().stream().anyMatch(n -> n.startsWith("checkpoints/.del-"))).count();
        String outcome = r.identical() && r.sameLog()
                ? "weights and optimiser state identical, byte for byte, to those of the uninterrupted run, and the same metrics log"
                : "an outcome that differs from the uninterrupted run's";
        results.publish("reliability/kills").seed(SEED)
                .attribute("kills", Integer.toString(r.kills().size()))
                .attribute("startup", Integer.toString(r.of(KillExperiment.Moment.STARTUP)))
                .attribute("training", Integer.toString(training))
                .attribute("mid-write", Integer.toString(r.midWrite()))
                .attribute("mid-delete", Integer.toString(midDelete))
                .attribute("resumes", Integer.toString(r.resumes()))
                .attribute("loaded", Integer.toString(r.checkpointsLoaded()))
                .attribute("unloadable", Integer.toString(r.unloadable()))
                .attribute("identical", r.identical() && r.sameLog() ? "yes" : "no")
                .attribute("outcome", outcome)
                .attribute("steps", Integer.toString(r.steps()))
                .attribute("chains", Integer.toString(settings.chains()))
                .attribute("pause", Long.toString(settings.slowWriteMillis()))
                .attribute("seconds", fmt("%.0f", r.seconds()))
                .table("kill -9 at random moments: " + r.steps() + " steps of a tiny model, a checkpoint every step, in "
                                + settings.chains() + " run directories side by side (seed " + SEED + ")",
                        List.of("Quantity", "Value"), List.of(
                                List.of("kills", r.kills().size()),
                                List.of("of which during start-up, before training", r.of(KillExperiment.Moment.STARTUP)),
                                List.of("of which during training", training),
                                List.of("of which in the middle of writing a checkpoint (its temporary folder left behind)", r.midWrite()),
                                List.of("of which in the middle of deleting an old checkpoint", midDelete),
                                List.of("children that resumed, each from the newest complete checkpoint", r.resumes()),
                                List.of("checkpoints loaded after the kills", r.checkpointsLoaded()),
                                List.of("checkpoints that did not load", r.unloadable()),
                                List.of("final weights and optimiser state byte for byte those of the uninterrupted run",
                                        r.identical() ? "yes" : "no"),
                                List.of("metrics log the uninterrupted run's (timings aside)", r.sameLog() ? "yes" : "no"),
                                List.of("wall time of the experiment", fmt("%.0f s", r.seconds()))));
        results.publish("reliability/kills-check").seed(SEED)
                .check("No kill loses the run: after each of at least " + MIN_KILLS + " kills every checkpoint loads, the next "
                                + "invocation resumes from the newest, and the run ends as an uninterrupted one, bit for bit",
                        r.passed() && r.kills().size() >= MIN_KILLS,
                        r.kills().size() + " kills (" + r.midWrite() + " mid-write), " + r.resumes() + " resumes, "
                                + r.unloadable() + " of " + r.checkpointsLoaded() + " checkpoints unloadable, " + outcome
                                + (r.problems().isEmpty() ? "" : "; first problem: " + r.problems().get(0)));
    }

    private static void diskFull(Results results) throws Exception {
        long t0 = System.nanoTime();
        List<DiskFullExperiment.Outcome> outcomes = DiskFullExperiment.run();
        double seconds = (System.nanoTime() - t0) / 1e9;
        List<List<Object>> rows = new ArrayList<>();
        boolean all = true;
        for (DiskFullExperiment.Outcome o : outcomes) {
            all &= o.passed();
            rows.add(List.of(o.failing().what(), o.message() == null ? "(the run did not stop)" : shorten(o.message()),
                    o.previousIntact() ? "yes" : "no", o.leftovers().isEmpty() ? "nothing" : String.join(", ", o.leftovers()),
                    o.resumedFrom(), o.identical() ? "yes" : "no"));
        }
        results.publish("reliability/disk-full")
                .attribute("cases", Integer.toString(outcomes.size()))
                .attribute("seconds", fmt("%.1f", seconds))
                .table("A write that fails half-way (\"No space left on device\"), each in its own run of 8 steps with a "
                                + "checkpoint every 2 (the run folder shown as …/)",
                        List.of("Write that fails", "What the run says", "Checkpoint before intact", "Left behind",
                                "Next run resumes from step", "Then ends bit for bit as an uninterrupted run"), rows);
        results.publish("reliability/disk-full-check")
                .check("A write that fails part-way stops the run with one message naming the file, the reason and the last "
                                + "good checkpoint, leaves that checkpoint as it was and nothing half-written, and the next run resumes",
                        all, outcomes.size() + " failing writes");
    }

    /** The message with the temporary run folder replaced by {@code …/}, at most 300 characters. */
    private static String shorten(String m) {
        String s = m.replaceAll("/\\S*?/minibert-disk-full-\\d+/case-\\d+/", "…/");
        return s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }

    private static String fmt(String f, Object... a) {
        return String.format(Locale.ROOT, f, a);
    }
}
