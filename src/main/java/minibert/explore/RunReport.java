package minibert.explore;

import java.util.List;
import java.util.Locale;

import static minibert.explore.Stats.fmt;
import static minibert.explore.Stats.num;

/** The analysis of one or two runs as text for a terminal: what {@code minibert analyze} prints. */
public final class RunReport {

    private RunReport() {
    }

    /**
     * A run's folder as the report names it: relative to the project folder ({@code minibert.project.dir}, else the
     * working directory) when it lies inside it, so that a report reads the same on every machine.
     */
    static String shown(java.nio.file.Path dir) {
        java.nio.file.Path project = java.nio.file.Path.of(System.getProperty("minibert.project.dir", "")).toAbsolutePath()
                .normalize();
        java.nio.file.Path abs = dir.toAbsolutePath().normalize();
        return abs.startsWith(project) && !abs.equals(project) ? project.relativize(abs).toString() : dir.toString();
    }

    /** One run: its log, U and how it was obtained, the phases, the gradient flow, the findings and the rules. */
    public static String render(TrainingDynamics.Analysis a, String unigramHow) {
        RunLog log = a.log();
        StringBuilder b = new StringBuilder();
        List<RunLog.TrainPoint> train = log.train();
        b.append("Run ").append(shown(log.dir())).append('\n');
        if (train.isEmpty()) {
            b.append("  its metrics log has no training log point yet\n");
            return b.toString();
        }
        RunLog.TrainPoint first = train.get(0), last = train.get(train.size() - 1);
        b.append(fmt("  %d training log points (steps %,d–%,d of %,d, %,d tokens seen), %d held-out evaluations%n", train.size(),
                first.step(), last.step(), log.settings().steps(), last.tokens(), log.eval().size()));
        b.append(fmt("  warm-up %,d steps to a peak learning rate of %.1e; V = %,d, ln V = %.3f%n", log.settings().warmupSteps(),
                log.settings().learningRate(), log.settings().vocabSize(), a.lnV()));
        b.append(fmt("  training loss %s at step %,d, %s at step %,d", num(first.loss()), first.step(), num(last.loss()), last.step()));
        if (!log.eval().isEmpty()) {
            RunLog.EvalPoint e = log.eval().get(log.eval().size() - 1);
            b.append(fmt("; held-out loss %s and masked accuracy %.1f%% at step %,d", num(e.loss()), 100 * e.accuracy(), e.step()));
        }
        b.append('\n');
        log.notes().forEach(n -> b.append("  note: ").append(n).append('\n'));
        b.append(a.unigram().isPresent() ? fmt("  unigram loss U = %.3f: %s%n", a.unigram().getAsDouble(), unigramHow)
                : "  unigram loss unknown (" + unigramHow + "): the phase rules are not applied\n");

        b.append("\nPhases\n");
        if (a.phases().isEmpty()) {
            b.append("  none detected without U\n");
        }
        for (TrainingDynamics.Phase p : a.phases()) {
            b.append(fmt("  %-12s steps %,d–%,d   loss %s → %s%n", p.name(), p.fromStep(), p.toStep(), num(lossAt(log, p.fromStep())),
                    num(lossAt(log, p.toStep()))));
        }

        GradientFlow.Diagnosis d = a.flow();
        b.append(fmt("%nGradient flow over steps %,d–%,d (%d log points%s)%n", d.fromStep(), d.toStep(), d.points(),
                d.fromStep() > log.settings().warmupSteps() ? " after warm-up" : ""));
        b.append(fmt("  %-12s %12s %14s %13s %12s %24s%n", "group", "grad norm", "÷ median layer", "update ratio", "weight norm",
                "grad norm, 1st → 4th qtr"));
        for (GradientFlow.Summary s : d.groups()) {
            b.append(fmt("  %-12s %12s %14s %13s %12s %24s%n", s.group(), num(s.gradNorm()),
                    Double.isNaN(s.relative()) ? "–" : num(s.relative()), num(s.updateRatio()), num(s.weightNorm()),
                    num(s.firstQuarter()) + " → " + num(s.lastQuarter())));
        }

        b.append("\nFindings\n");
        if (a.findings().isEmpty()) {
            b.append("  none: no rule below fired\n");
        }
        for (Finding f : a.findings()) {
            b.append("  - ").append(f.subject()).append(": ").append(f.verdict()).append(". ").append(f.measurement()).append('\n');
            if (!f.suggestion().isEmpty()) {
                b.append("    try: ").append(f.suggestion()).append('\n');
            }
        }
        b.append("\nRules\n");
        for (String r : TrainingDynamics.rules()) {
            b.append("  - ").append(r).append('\n');
        }
        for (String r : GradientFlow.rules()) {
            b.append("  - ").append(r).append('\n');
        }
        b.append(fmt("  (b = %s nats, c = %d log points; the gradient rules read the log points after warm-up)%n",
                TrainingDynamics.BAND, TrainingDynamics.CONFIRM));
        return b.toString();
    }

    /** Two runs side by side: where each stands at the end, and when context started to help. */
    public static String compare(TrainingDynamics.Analysis a, TrainingDynamics.Analysis b) {
        StringBuilder out = new StringBuilder("Comparison\n");
        out.append(fmt("  %-34s %22s %22s%n", "", clip(a.log().name()), clip(b.log().name())));
        row(out, "last logged step", a, b, x -> x.log().train().isEmpty() ? "–" : fmt("%,d", last(x).step()));
        row(out, "tokens seen", a, b, x -> x.log().train().isEmpty() ? "–" : fmt("%,d", last(x).tokens()));
        row(out, "training loss at the last log point", a, b, x -> x.log().train().isEmpty() ? "–" : num(last(x).loss()));
        row(out, "last held-out loss", a, b, x -> x.log().eval().isEmpty() ? "–"
                : num(x.log().eval().get(x.log().eval().size() - 1).loss()));
        row(out, "unigram loss U", a, b, x -> x.unigram().isPresent() ? num(x.unigram().getAsDouble()) : "unknown");
        row(out, "plateau from step", a, b, x -> x.plateauStart() < 0 ? "–" : fmt("%,d", x.plateauStart()));
        row(out, "context helps from step", a, b, x -> x.contextStep() < 0 ? "not yet" : fmt("%,d", x.contextStep()));
        row(out, "findings", a, b, x -> Integer.toString(x.findings().size()));
        return out.toString();
    }

    private static void row(StringBuilder out, String label, TrainingDynamics.Analysis a, TrainingDynamics.Analysis b,
                            java.util.function.Function<TrainingDynamics.Analysis, String> f) {
        out.append(String.format(Locale.ROOT, "  %-34s %22s %22s%n", label, f.apply(a), f.apply(b)));
    }

    private static RunLog.TrainPoint last(TrainingDynamics.Analysis a) {
        return a.log().train().get(a.log().train().size() - 1);
    }

    private static String clip(String s) {
        return s.length() <= 22 ? s : "…" + s.substring(s.length() - 21);
    }

    /** The training loss logged at {@code step}. */
    static double lossAt(RunLog log, long step) {
        for (RunLog.TrainPoint p : log.train()) {
            if (p.step() == step) {
                return p.loss();
            }
        }
        return Double.NaN;
    }
}
