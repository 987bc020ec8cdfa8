package minibert.book;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import minibert.explore.RunLog;
import minibert.io.InputException;
import minibert.io.InputFile;
import minibert.io.Json;
import minibert.model.FillMask;
import minibert.model.checkpoint.Checkpoint;
import minibert.train.RunDirectory;

/**
 * The recorded reference run ({@code runs/reference}): its provenance, its curves beside the build's short run,
 * the full evaluation of each milestone it keeps (10K steps; 100K once the run has passed it) beside the project
 * summary's expectations for that step count and the issue's goals where it set some, and the fill-mask
 * demonstration of its 10K-step weights. Every figure is read from the record (which says how it was made) or
 * computed from it in this build; the record itself is checked by {@code ReferenceRecordTest}.
 */
public final class RecordResults implements ResultProducer {

    /** The record, relative to the project. */
    public static final String RECORD = "runs/reference";
    /** The project summary's expectations and the goals, quoted in a file of their own. */
    public static final String EXPECTATIONS = "configs/eval/seed-expectations.yaml";
    /** The milestone the book reports. */
    public static final long MILESTONE = 10_000;
    /** The texts of the fill-mask demonstration (also in the README, whose copy a test compares with this one). */
    public static final List<String> FILL_MASK_TEXTS = List.of(
            "the movie was [MASK] .",
            "this is one of the best [MASK] i have ever seen .",
            "the acting was bad and the [MASK] was worse .",
            "i [MASK] this film to anyone who likes horror .");

    @Override
    public String name() {
        return "record";
    }

    @Override
    public void produce(Results results) throws Exception {
        Path project = ProjectFiles.projectDir();
        Path dir = project.resolve(RECORD);
        RunDirectory run = new RunDirectory(dir);
        if (!run.exists()) {
            throw new InputException(dir, "holds no recorded run (run.json is missing): the Results chapter reads the "
                    + "reference run recorded there");
        }
        RunLog log = RunLog.read(dir);
        JsonNode provenance = Json.readObject(run.provenance(), "a run's provenance", 4 * InputFile.MIB);
        List<Long> checkpoints = run.checkpointSteps();
        if (checkpoints.isEmpty()) {
            throw new InputException(run.path().resolve("checkpoints"), "holds no checkpoint: the record keeps its newest");
        }
        long newest = checkpoints.get(checkpoints.size() - 1);
        Path configFile = dir.resolve("config.yaml");

        provenance(results, provenance, log, newest, configFile);
        curves(results, log, configFile);
        heldOut(results, log, configFile);
        Expectations expected = Expectations.load(project.resolve(EXPECTATIONS));
        expectations(results, expected, project.resolve(EXPECTATIONS));
        List<Evaluated> evaluated = new ArrayList<>();
        for (long step : RunDirectory.MILESTONES.stream().sorted().toList()) {
            if (step == MILESTONE || Files.isDirectory(run.milestone(step))) {   // the later ones once the run has passed them
                evaluated.add(Evaluated.read(run, step));
            }
        }
        for (int i = 0; i < evaluated.size(); i++) {
            milestone(results, evaluated.get(i), i == 0 ? null : evaluated.get(i - 1), log, expected, configFile);
        }
        evaluationTable(results, evaluated, configFile);
        evaluationCost(results, evaluated, configFile);
        fillMask(results, run);
    }

    // ------------------------------------------------------------------ provenance

    private static void provenance(Results results, JsonNode p, RunLog log, long newest, Path configFile) {
        List<List<Object>> rows = new ArrayList<>();
        long to = 0;
        double wall = 0;
        List<String> gaps = new ArrayList<>();
        for (JsonNode s : p.path("segments")) {
            long from = s.path("from_step").asLong(), end = s.path("to_step").asLong();
            if (from > to) {
                gaps.add(fmt("%,d–%,d", to, from));
                rows.add(List.of(fmt("%,d → %,d", to, from), "not recorded: the process was killed before it "
                        + "could write its segment; the log holds its steps", "", "", "killed"));
            }
            wall += s.path("wall_seconds").asDouble();
            rows.add(List.of(fmt("%,d → %,d", from, end), s.path("started").asText().replaceAll("\\.\\d+Z$", "Z"),
                    fmt("%.1f h", s.path("wall_seconds").asDouble() / 3600), s.path("commit").asText(), s.path("ended_by").asText()));
            to = end;
        }
        if (newest > to) {
            gaps.add(fmt("%,d–%,d", to, newest));
            rows.add(List.of(fmt("%,d → %,d", to, newest), "not recorded: the process was killed before it could "
                    + "write its segment; the log holds its steps", "", "", "killed"));
        }
        // the trainer's own clock (seconds of steps, evaluations and checkpoints over every segment), and its speeds
        double trainingSeconds = log.train().isEmpty() ? 0 : log.train().get(log.train().size() - 1).seconds();
        double[] speed = log.train().stream().mapToDouble(RunLog.TrainPoint::tokensPerSecond).filter(v -> !Double.isNaN(v))
                .sorted().toArray();
        double slow = speed.length == 0 ? Double.NaN : speed[speed.length / 20];           // 5th and 95th percentiles
        double fast = speed.length == 0 ? Double.NaN : speed[speed.length - 1 - speed.length / 20];
        results.publish("record/provenance").config(configFile)
                .attribute("step", fmt("%,d", newest))
                .attribute("config-sha", p.path("config_sha256").asText().substring(0, 12))
                .attribute("vocabulary-sha", p.path("vocabulary_sha256").asText().substring(0, 12))
                .attribute("corpus-sha", p.path("corpus_sha256").asText().substring(0, 12))
                .attribute("precision", p.path("precision").asText())
                .attribute("backend", p.path("backend").asText())
                .attribute("jdk", p.path("jdk").asText())
                .attribute("machine", p.path("machine").asText())
                .attribute("recorded-hours", fmt("%.1f", wall / 3600))
                .attribute("training-hours", fmt("%.1f", trainingSeconds / 3600))
                .attribute("unrecorded", gaps.isEmpty() ? "none" : String.join(" and ", gaps))
                .attribute("uncommitted-steps", uncommittedSteps(p.path("segments")))
                .attribute("newest-segment", newestSegment(p.path("segments")))
                .attribute("speed-slow", fmt("%,.0f", slow))
                .attribute("speed-fast", fmt("%,.0f", fast))
                .attribute("speed-ratio", fmt("%.1f", fast / slow))
                .table("The segments of the reference run, from its provenance.json (config " + p.path("config_sha256").asText()
                                .substring(0, 12) + ", corpus " + p.path("corpus_sha256").asText().substring(0, 12) + ", "
                                + p.path("precision").asText() + ", " + p.path("jdk").asText() + ", " + p.path("machine").asText() + ")",
                        List.of("Steps", "Started", "Wall time", "Commit", "Ended by"), rows);
    }

    /**
     * The steps that ran a jar built from a modified tree (a segment's commit "uncommitted on …"), as merged ranges
     * ("51,313–69,000"), or "none". The chapter describes one such build, so segments naming two are refused.
     */
    static String uncommittedSteps(JsonNode segments) {
        List<long[]> ranges = new ArrayList<>();
        String build = null;
        for (JsonNode s : segments) {
            String commit = s.path("commit").asText();
            if (!commit.startsWith("uncommitted")) {
                continue;
            }
            if (build == null) {
                build = commit;
            } else if (!build.equals(commit)) {
                throw new IllegalStateException("the reference run's provenance.json names two builds of modified trees, '"
                        + build + "' and '" + commit + "': the Results chapter describes one");
            }
            long from = s.path("from_step").asLong(), to = s.path("to_step").asLong();
            long[] last = ranges.isEmpty() ? null : ranges.get(ranges.size() - 1);
            if (last != null && last[1] == from) {
                last[1] = to;
            } else {
                ranges.add(new long[] {from, to});
            }
        }
        return ranges.isEmpty() ? "none" : String.join(" and ", ranges.stream().map(r -> fmt("%,d–%,d", r[0], r[1])).toList());
    }

    /**
     * How the newest segment ended, as the chapter's sentence about it says it. The chapter also says that every
     * recorded segment before the newest was ended with SIGTERM ("interrupted"): a record that says otherwise is refused.
     */
    static String newestSegment(JsonNode segments) {
        for (int i = 0; i < segments.size() - 1; i++) {
            String ended = segments.get(i).path("ended_by").asText();
            if (!ended.equals("interrupted")) {
                throw new IllegalStateException("the reference run's provenance.json: segment " + (i + 1) + " ended '" + ended
                        + "', where the Results chapter says that every segment before the newest was interrupted");
            }
        }
        String ending = segments.isEmpty() ? "" : segments.get(segments.size() - 1).path("ended_by").asText();
        return ending.startsWith("running")
                ? "the newest segment, still training when the record was committed, is the one marked \"running\" at the "
                        + "checkpoint the record keeps"
                : ending.equals("finished") ? "the last segment ran to the end of the schedule (\"finished\")"
                : "the newest segment's end is recorded as \"" + ending + "\"";
    }

    // ------------------------------------------------------------------ curves

    private static void curves(Results results, RunLog log, Path configFile) throws IOException {
        // the short run that the training producer ran earlier in this build
        Path shortDir = ProjectFiles.projectDir().resolve("target/short-run");
        if (!Files.isRegularFile(shortDir.resolve("metrics.jsonl"))) {
            throw new InputException(shortDir, "holds no short run: the training producer runs it before this one");
        }
        RunLog shortRun = RunLog.read(shortDir);
        double[][] train = trainSeries(log), shortTrain = trainSeries(shortRun);
        double[][] eval = evalSeries(log), shortEval = evalSeries(shortRun);
        RunLog.EvalPoint last = log.eval().get(log.eval().size() - 1);
        RunLog.EvalPoint shortLast = shortRun.eval().get(shortRun.eval().size() - 1);
        results.publish("record/loss").config(configFile)
                .attribute("held-out-loss", fmt("%.3f", last.loss()))
                .attribute("held-out-step", fmt("%,d", last.step()))
                .attribute("short-held-out-loss", fmt("%.3f", shortLast.loss()))
                .attribute("short-steps", fmt("%,d", shortLast.step()))
                .plot("Recorded: the reference run's masked-LM loss (training, mean of each 100 steps; held-out, every "
                                + "1,000 steps), beside this build's short run (live)",
                        Plot.of("step", "loss (nats)").logX()
                                .line("reference run, training (recorded)", train[0], train[1])
                                .line("reference run, held-out (recorded)", eval[0], eval[1])
                                .line("short run, training (this build)", shortTrain[0], shortTrain[1])
                                .line("short run, held-out (this build)", shortEval[0], shortEval[1]));
        results.publish("record/accuracy").config(configFile)
                .attribute("held-out-accuracy", fmt("%.1f%%", 100 * last.accuracy()))
                .attribute("held-out-perplexity", fmt("%.1f", last.perplexity()))
                .plot("Recorded: the reference run's held-out masked accuracy, beside this build's short run (live)",
                        Plot.of("step", "masked accuracy").logX()
                                .line("reference run, held-out (recorded)", eval[0], eval[2])
                                .line("short run, held-out (this build)", shortEval[0], shortEval[2]));
    }

    /** The held-out evaluations of the record, every {@code eval_every} steps. */
    private static void heldOut(Results results, RunLog log, Path configFile) {
        List<List<Object>> rows = new ArrayList<>();
        for (RunLog.EvalPoint e : log.eval()) {
            rows.add(List.of(fmt("%,d", e.step()), fmt("%.3f", e.loss()), pct(e.accuracy()), fmt("%.1f", e.perplexity())));
        }
        results.publish("record/held-out").config(configFile)
                .table("Recorded: the reference run's held-out evaluations (the same masked sequences every time)",
                        List.of("Step", "Loss", "Masked accuracy", "Perplexity"), rows);
    }

    private static double[][] trainSeries(RunLog log) {
        int n = log.train().size();
        double[][] s = new double[2][n];
        for (int i = 0; i < n; i++) {
            s[0][i] = log.train().get(i).step();
            s[1][i] = log.train().get(i).loss();
        }
        return s;
    }

    /** Steps, loss, accuracy of the held-out evaluations after step 0 (a log scale has no 0). */
    private static double[][] evalSeries(RunLog log) {
        List<RunLog.EvalPoint> points = log.eval().stream().filter(e -> e.step() > 0).toList();
        double[][] s = new double[3][points.size()];
        for (int i = 0; i < points.size(); i++) {
            s[0][i] = points.get(i).step();
            s[1][i] = points.get(i).loss();
            s[2][i] = points.get(i).accuracy();
        }
        return s;
    }

    // ------------------------------------------------------------------ the milestones

    /**
     * Two figures to one decimal, or to as many more (up to four) as it takes to tell them apart: "20.7 to 20.7" says
     * less than "20.73 to 20.68". Equal figures, or NaN, stay at one decimal.
     */
    static String[] distinct(double a, double b) {
        for (int decimals = 1; decimals <= 4; decimals++) {
            String x = fmt("%." + decimals + "f", a), y = fmt("%." + decimals + "f", b);
            if (!x.equals(y)) {
                return new String[] {x, y};
            }
        }
        return new String[] {fmt("%.1f", a), fmt("%.1f", b)};           // the same to four decimals (or NaN): one will do
    }

    /** How the book names milestone {@code step} in result names and attributes: 10000 → {@code 10k}. */
    static String label(long step) {
        return step % 1000 == 0 ? (step / 1000) + "k" : Long.toString(step);
    }

    /**
     * The full evaluation of the weights kept at a milestone ({@code RUN/step-N/evaluation/evaluation.json}), with
     * the parts the book compares: the masked LM on both corpora, the POS probe's best layer on dev, SST-2.
     */
    record Evaluated(long step, Path json, JsonNode root, JsonNode imdb, JsonNode wiki, JsonNode pos, JsonNode best, JsonNode sst2) {

        static Evaluated read(RunDirectory run, long step) {
            Path kept = run.milestone(step);
            Path json = kept.resolve("evaluation").resolve("evaluation.json");
            if (!Files.isRegularFile(json)) {
                throw new InputException(json, "is missing: the record's weights of step " + step + " are evaluated with "
                        + "`MINIBERT_JAVA_OPTS=-Xmx3g ./minibert evaluate " + RECORD + "/step-" + step + "` (full), which writes it");
            }
            JsonNode e = Json.readObject(json, "an evaluation", 16 * InputFile.MIB);
            if (e.path("quick").asBoolean(true)) {
                throw new InputException(json, "is a quick evaluation (\"quick\": true); the record's is the full one");
            }
            if (e.path("step").asLong(-1) != step) {
                throw new InputException(json, "evaluates step " + e.path("step").asText("(none)") + ", not the milestone's "
                        + step + " whose folder holds it");
            }
            JsonNode pos = require(json, e, "pos");
            JsonNode best = null;
            for (JsonNode layer : pos.path("pretrained")) {
                if (best == null || layer.path("dev_accuracy").asDouble() > best.path("dev_accuracy").asDouble()) {
                    best = layer;
                }
            }
            if (best == null) {
                throw new InputException(json, "has no POS probe layers (\"pos\".\"pretrained\" is empty)");
            }
            return new Evaluated(step, json, e, require(json, e, "masked_lm", "IMDB held-out"),
                    require(json, e, "masked_lm", "WikiText-2 valid"), pos, best, require(json, e, "sst2"));
        }

        double maskedAccuracy() {
            return imdb.path("model").path("accuracy").asDouble();
        }

        double perplexity() {
            return imdb.path("model").path("perplexity").asDouble();
        }

        double posAccuracy() {
            return best.path("accuracy").asDouble();
        }

        double sst2Accuracy() {
            return sst2.path("pretrained").path("dev_accuracy").asDouble();
        }

        /** The best layer's POS accuracy of the same probe on the untrained model's features: a baseline. */
        double untrainedPosAccuracy() {
            double best = 0;
            for (JsonNode layer : pos.path("untrained")) {
                best = Math.max(best, layer.path("accuracy").asDouble());
            }
            return best;
        }

        /** The four measures of the project summary's table, by their names in {@link #EXPECTATIONS}. */
        double measure(String name) {
            return switch (name) {
                case "masked_accuracy" -> maskedAccuracy();
                case "perplexity" -> perplexity();
                case "pos_accuracy" -> posAccuracy();
                case "sst2_accuracy" -> sst2Accuracy();
                default -> throw new IllegalArgumentException(name);
            };
        }
    }

    /** A held-out loss that fell by less than this over 2,000 steps (nats) has levelled off, as the book words it. */
    static final double LEVELLED = 0.02;

    /** The measures of the project summary's table: name in {@link #EXPECTATIONS}, row title, higher is better. */
    private static final String[][] MEASURES = {
            {"masked_accuracy", "Masked accuracy, IMDB held-out"}, {"perplexity", "Perplexity, IMDB held-out"},
            {"pos_accuracy", "POS accuracy, EWT test"}, {"sst2_accuracy", "SST-2 accuracy, dev"}};

    /**
     * One kept milestone beside the project summary's expectations for its step count (and the goals, where the issue
     * set some), the baselines that need no pre-training, and what the log says about the run at that step: result
     * {@code record/at-10k} (or {@code at-100k}, …).
     */
    private static void milestone(Results results, Evaluated ev, Evaluated previous, RunLog log, Expectations expected,
                                  Path configFile) {
        long step = ev.step();
        JsonNode imdb = ev.imdb(), wiki = ev.wiki(), pos = ev.pos(), best = ev.best(), sst2 = ev.sst2();
        double maskedAcc = ev.maskedAccuracy(), ppl = ev.perplexity(), posAcc = ev.posAccuracy(), sstAcc = ev.sst2Accuracy();
        double mostFrequent = pos.path("most_frequent_tag").asDouble();
        double bagOfWords = sst2.path("bag_of_words").path("dev_accuracy").asDouble();
        double majority = sst2.path("majority").asDouble();
        double randomInit = sst2.path("random_init").path("dev_accuracy").asDouble();
        double untrainedPos = ev.untrainedPosAccuracy();

        Map<String, double[]> range = expected.expectations().get(step);
        Map<String, Double> goal = expected.goals().get(step);                // none set for some step counts
        List<List<Object>> rows = new ArrayList<>();
        for (String[] m : MEASURES) {
            boolean higherIsBetter = !m[0].equals("perplexity");
            String title = m[0].equals("pos_accuracy") ? m[1] + " (layer " + best.path("layer").asInt() + ", chosen on dev)" : m[1];
            double value = ev.measure(m[0]);
            rows.add(row(title, higherIsBetter ? pct(value) : fmt("%.1f", value), value, range.get(m[0]),
                    goal == null ? null : goal.get(m[0]), higherIsBetter, higherIsBetter));
        }

        // The tokens seen by the milestone against the corpus, and the held-out loss's fall over the 2,000 steps before it.
        long tokensAt = 0;
        double lrAt = Double.NaN;
        for (RunLog.TrainPoint t : log.train()) {
            if (t.step() <= step) {
                tokensAt = t.tokens();
                lrAt = t.lr();
            }
        }
        double lossAt = Double.NaN, lossBefore = Double.NaN, pplAt = Double.NaN, pplBefore = Double.NaN;
        for (RunLog.EvalPoint e : log.eval()) {
            if (e.step() == step) {
                lossAt = e.loss();
                pplAt = e.perplexity();
            } else if (e.step() == step - 2000) {
                lossBefore = e.loss();
                pplBefore = e.perplexity();
            }
        }
        double fall = lossBefore - lossAt;                                  // NaN unless the log has both evaluations
        String[] logPerplexity = distinct(pplBefore, pplAt);
        double posRangeStart = range.get("pos_accuracy")[0] - mostFrequent;  // where the summary's POS range starts
        String name = "record/at-" + label(step);
        Publication pub = results.publish(name).config(configFile);
        for (String measure : range.keySet()) {
            double[] r = range.get(measure);
            boolean percent = !measure.equals("perplexity");
            pub.attribute("expected-" + measure.replace('_', '-'), percent ? fmt("%.0f–%.0f%%", 100 * r[0], 100 * r[1])
                    : fmt("%.0f–%.0f", r[0], r[1]));
        }
        if (goal != null) {
            pub.attribute("goals-met", Long.toString(rows.stream().filter(r -> r.get(4).equals("met")).count()))
                    .attribute("goals-missed", names(rows, 4, "not met"));
        }
        if (previous != null) {                                           // what the steps since the milestone before added
            pub.attribute("previous-step", fmt("%,d", previous.step()))
                    .attribute("masked-accuracy-gain", pp(maskedAcc - previous.maskedAccuracy()))
                    .attribute("perplexity-before", fmt("%.1f", previous.perplexity()))
                    .attribute("pos-accuracy-gain", pp(posAcc - previous.posAccuracy()))
                    .attribute("sst2-accuracy-gain", pp(sstAcc - previous.sst2Accuracy()));
        }
        pub.attribute("masked-accuracy", pct(maskedAcc))
                .attribute("pos-beats-most-frequent", posAcc > mostFrequent ? "beats" : "does not beat")
                .attribute("sst2-beats-bag-of-words", sstAcc > bagOfWords ? "beats" : "does not beat")
                .attribute("sst2-beats-random-init", sstAcc > randomInit ? "beats" : "does not beat")
                .attribute("sst2-beats-majority", sstAcc > majority ? "beats" : "does not beat")
                .attribute("beats-unigram", ppl < imdb.path("unigram").path("perplexity").asDouble() ? "below" : "not below")
                .attribute("perplexity", fmt("%.1f", ppl))
                .attribute("wikitext-accuracy", pct(wiki.path("model").path("accuracy").asDouble()))
                .attribute("wikitext-perplexity", fmt("%.1f", wiki.path("model").path("perplexity").asDouble()))
                .attribute("unigram-perplexity", fmt("%.0f", imdb.path("unigram").path("perplexity").asDouble()))
                .attribute("pos-accuracy", pct(posAcc))
                .attribute("pos-layer", Integer.toString(best.path("layer").asInt()))
                .attribute("pos-most-frequent", pct(mostFrequent))
                .attribute("pos-versus-most-frequent", pp(posAcc - mostFrequent))
                .attribute("pos-untrained", pct(untrainedPos))
                .attribute("pos-selectivity", pp(best.path("selectivity").asDouble()))
                .attribute("sst2-accuracy", pct(sstAcc))
                .attribute("sst2-bag-of-words", pct(bagOfWords))
                .attribute("sst2-versus-bag-of-words", pp(sstAcc - bagOfWords))
                .attribute("sst2-majority", pct(majority))
                .attribute("sst2-versus-majority", pp(sstAcc - majority))
                .attribute("sst2-random-init", pct(randomInit))
                .attribute("sst2-versus-random-init", pp(sstAcc - randomInit))
                .attribute("short-of-expectation", names(rows, 5, "short of it"))
                .attribute("above-expectation", names(rows, 5, "better"))
                .attribute("tokens", fmt("%,d", tokensAt))
                .attribute("tokens-millions", fmt("%.1f", tokensAt / 1e6))
                .attribute("loss-fall-2000", Double.isNaN(fall) ? "not in the log" : fmt("%.3f", fall))
                .attribute("loss-change-2000", Double.isNaN(fall) ? "changed by an amount not in the log"
                        : fall >= 0 ? fmt("fell by %.3f nats", fall) : fmt("rose by %.3f nats", -fall))
                .attribute("loss-trend", Double.isNaN(fall) ? "cannot be told from the log"
                        : fall >= LEVELLED ? "was still falling" : "had levelled off")
                .attribute("lr-at", fmt("%.2e", lrAt))
                .attribute("lr-share", fmt("%.0f%%", 100 * lrAt / log.settings().learningRate()))
                .attribute("remaining-steps", fmt("%,d", log.settings().steps() - step))
                .attribute("log-perplexity-before", logPerplexity[0])
                .attribute("log-perplexity-at", logPerplexity[1])
                .attribute("pos-expected-start", fmt("%.1f pp %s", 100 * Math.abs(posRangeStart),
                        posRangeStart >= 0 ? "above" : "below"))
                .attribute("perplexity-and-accuracy", pairing(log.eval(), step, range.get("perplexity"),
                        range.get("masked_accuracy")))
                .attribute("checkpoint-step", Long.toString(step));
        List<String> header = new ArrayList<>(List.of("Measure", fmt("After %,d steps (recorded)", step),
                "Expected (project summary)"));
        if (goal != null) {
            header.addAll(List.of("Goal", "Goal met"));
        }
        header.add("Against the expectation");
        List<List<Object>> shown = rows.stream().map(r -> goal != null ? r
                : List.of(r.get(0), r.get(1), r.get(2), r.get(5))).toList();
        pub.table("Recorded: the reference run after " + fmt("%,d", step) + " steps (minibert evaluate, full, on " + RECORD
                + "/step-" + step + "), beside " + expected.source() + (goal != null ? " and the goals" : ""), header, shown);
    }

    /**
     * What the log's held-out evaluations up to {@code step} say about the project summary's pairing of a perplexity
     * with a masked accuracy: among the evaluations whose perplexity is at or below the top of the expected range,
     * the masked accuracy they reached, against the accuracy the summary expects with it. A perplexity in range means
     * the model gives the right word as much probability, as a geometric mean over the masked positions, as the
     * summary expects; the accuracy says how often that word also comes first.
     *
     * @param perplexity the expected perplexity [lowest, highest]
     * @param accuracy   the expected masked accuracy [lowest, highest], as fractions
     */
    static String pairing(List<RunLog.EvalPoint> eval, long step, double[] perplexity, double[] accuracy) {
        List<RunLog.EvalPoint> upTo = eval.stream().filter(e -> e.step() <= step).toList();
        if (upTo.isEmpty()) {
            return "The log has no held-out evaluation up to step " + fmt("%,d", step) + ".";
        }
        String expectedPpl = fmt("%.0f–%.0f", perplexity[0], perplexity[1]);
        String expectedAcc = fmt("%.0f–%.0f%%", 100 * accuracy[0], 100 * accuracy[1]);
        List<RunLog.EvalPoint> inRange = upTo.stream().filter(e -> e.perplexity() <= perplexity[1]).toList();
        if (inRange.isEmpty()) {
            RunLog.EvalPoint lowest = upTo.stream().min(java.util.Comparator.comparingDouble(RunLog.EvalPoint::perplexity))
                    .orElseThrow();
            return fmt("The log's held-out perplexity had not come down into the summary's range of %s by step %,d (its "
                    + "lowest, %.1f, at step %,d), so the log cannot say which masked accuracy comes with such a "
                    + "perplexity.", expectedPpl, step, lowest.perplexity(), lowest.step());
        }
        double lowestAcc = inRange.stream().mapToDouble(RunLog.EvalPoint::accuracy).min().orElseThrow();
        double highestAcc = inRange.stream().mapToDouble(RunLog.EvalPoint::accuracy).max().orElseThrow();
        String expectation = fmt("the %s that the summary expects beside such a perplexity", expectedAcc);
        String reached;
        if (highestAcc < accuracy[0]) {
            reached = fmt("below %s, by %.1f pp at best: this model gives the right word at least as much probability as "
                    + "the summary's perplexity asks (as a geometric mean over the masked positions), but ranks it first "
                    + "less often", expectation, 100 * (accuracy[0] - highestAcc));
        } else if (lowestAcc > accuracy[1]) {
            reached = "above " + expectation;
        } else if (lowestAcc >= accuracy[0] && highestAcc <= accuracy[1]) {
            reached = "within " + expectation;
        } else {
            reached = "against " + expectation + ": " + side(lowestAcc, accuracy) + " at the lowest, " + side(highestAcc, accuracy)
                    + " at the highest";
        }
        String count = (inRange.size() == 1 ? "one" : Integer.toString(inRange.size())) + " of the log's held-out evaluations";
        return fmt("Up to step %,d, %s had a perplexity at or below %.0f, the top of the summary's range of %s (%s "
                + "step %,d); %s masked accuracy %s, %s.", step, count, perplexity[1], expectedPpl,
                inRange.size() == 1 ? "at" : "the first at", inRange.get(0).step(), inRange.size() == 1 ? "its" : "their",
                lowestAcc == highestAcc ? "was " + pct(lowestAcc)
                        : "ranged from " + pct(lowestAcc) + " to " + pct(highestAcc), reached);
    }

    /** Where an accuracy lies against an expected range: "below it", "within it" or "above it". */
    private static String side(double value, double[] range) {
        return value < range[0] ? "below it" : value > range[1] ? "above it" : "within it";
    }

    /**
     * Every kept milestone's full evaluation side by side, a column each, with the baselines that need no pre-training
     * (they do not depend on the weights; shown from the newest evaluation): result {@code record/evaluation}.
     */
    private static void evaluationTable(Results results, List<Evaluated> all, Path configFile) {
        Evaluated last = all.get(all.size() - 1);
        List<String> header = new ArrayList<>(List.of("Measure"));
        all.forEach(ev -> header.add(fmt("After %,d steps", ev.step())));
        header.add("Baselines");
        JsonNode imdb = last.imdb(), wiki = last.wiki(), pos = last.pos(), sst2 = last.sst2();
        double untrainedPos = last.untrainedPosAccuracy();
        List<List<Object>> rows = new ArrayList<>();
        rows.add(evaluationRow("Masked accuracy, IMDB held-out", all, ev -> pct(ev.maskedAccuracy()),
                "unigram " + pct(imdb.path("unigram").path("accuracy").asDouble())));
        rows.add(evaluationRow("Perplexity, IMDB held-out", all, ev -> fmt("%.1f", ev.perplexity()),
                "unigram " + fmt("%.0f", imdb.path("unigram").path("perplexity").asDouble())));
        rows.add(evaluationRow("Masked accuracy, WikiText-2 valid", all, ev -> pct(ev.wiki().path("model").path("accuracy").asDouble()),
                "unigram " + pct(wiki.path("unigram").path("accuracy").asDouble())));
        rows.add(evaluationRow("Perplexity, WikiText-2 valid", all, ev -> fmt("%.1f", ev.wiki().path("model").path("perplexity").asDouble()),
                "unigram " + fmt("%.0f", wiki.path("unigram").path("perplexity").asDouble())));
        rows.add(evaluationRow("POS accuracy, EWT test (the layer chosen on dev)", all,
                ev -> pct(ev.posAccuracy()) + " (layer " + ev.best().path("layer").asInt() + "; control task "
                        + pct(ev.best().path("control_accuracy").asDouble()) + ", selectivity " + pp(ev.best().path("selectivity").asDouble()) + ")",
                "most frequent tag " + pct(pos.path("most_frequent_tag").asDouble()) + "; untrained model " + pct(untrainedPos)));
        rows.add(evaluationRow("SST-2 accuracy, dev", all, ev -> pct(ev.sst2Accuracy()), "majority class "
                + pct(sst2.path("majority").asDouble()) + "; bag of words " + pct(sst2.path("bag_of_words").path("dev_accuracy").asDouble())
                + "; fine-tuned from random initialisation " + pct(sst2.path("random_init").path("dev_accuracy").asDouble())));
        results.publish("record/evaluation").config(configFile).table("Recorded: minibert evaluate (full) on the reference "
                + "run's kept weights (" + String.join(", ", all.stream().map(ev -> RECORD + "/step-" + ev.step()
                + "/evaluation/evaluation.json").toList()) + ")", header, rows);
    }

    private static List<Object> evaluationRow(String measure, List<Evaluated> all, java.util.function.Function<Evaluated, String> value,
                                              String baselines) {
        List<Object> row = new ArrayList<>(List.of(measure));
        all.forEach(ev -> row.add(value.apply(ev)));
        row.add(baselines);
        return row;
    }

    /** The budget for the full evaluation of one checkpoint on this machine: one hour, 3 GB of heap (read as the JVM's -Xmx3g). */
    static final double EVALUATION_SECONDS = 3600;
    static final long EVALUATION_HEAP_BYTES = 3L << 30;

    /**
     * What each milestone's full evaluation cost: its wall time per part, the heap limit it ran under (a bound the heap
     * in use never crossed) and the heap pools' peaks, against the budget of one hour and 3 GB; a column per milestone,
     * and attributes per milestone ({@code 10k-minutes}, …).
     */
    private static void evaluationCost(Results results, List<Evaluated> all, Path configFile) {
        Publication pub = results.publish("record/evaluation-cost").config(configFile);
        List<String> header = new ArrayList<>(List.of("Part"));
        List<List<Object>> rows = new ArrayList<>();
        String[][] parts = {{"masked_lm", "masked LM (both corpora, unigram)"},
                {"pos", "POS probe (features of two models, every layer, probes and controls)"},
                {"sst2", "SST-2 (baselines, two fine-tunings)"}, {"bf16", "BF16 (masked LM, SST-2, sizes on disk)"},
                {"total", "total (budget: one hour)"}};
        for (String[] part : parts) {
            rows.add(new ArrayList<>(List.of(part[1])));
        }
        List<Object> limit = new ArrayList<>(List.of("the JVM's heap limit (-Xmx) it ran under"));
        List<Object> peakRow = new ArrayList<>(List.of("peak heap (sum of the pools' peaks: an upper bound)"));
        List<Object> inUse = new ArrayList<>(List.of("heap in use, at most (budget: 3 GB, the JVM's -Xmx3g)"));
        for (Evaluated ev : all) {
            JsonNode e = ev.root(), t = require(ev.json(), e, "seconds");
            if (!e.path("max_heap_bytes").canConvertToLong() || !e.path("peak_heap_bytes").canConvertToLong()) {
                throw new InputException(ev.json(), "has no \"max_heap_bytes\" or \"peak_heap_bytes\" (written by minibert "
                        + "evaluate since it records the heap limit it ran under): evaluate the weights again");
            }
            long max = e.path("max_heap_bytes").asLong(), peak = e.path("peak_heap_bytes").asLong();
            double total = t.path("total").asDouble();
            // The heap in use never exceeds the limit, and never exceeds the sum of the pools' peaks: the smaller bound.
            long bound = Math.min(max, peak);
            String l = label(ev.step()) + "-";
            pub.attribute(l + "seconds", fmt("%,.0f", total))
                    .attribute(l + "minutes", fmt("%.0f", total / 60))
                    .attribute(l + "limit-mib", fmt("%,d", max >> 20))
                    .attribute(l + "peak-mib", fmt("%,d", peak >> 20))
                    .attribute(l + "bound-gib", fmt("%.2f", bound / (double) (1L << 30)))
                    .attribute(l + "bound-source", bound == max
                            ? fmt("the heap limit it ran under, which the JVM enforces (the sum of the pools' peaks, %,d MiB, "
                                    + "is a looser bound)", peak >> 20)
                            : fmt("the sum of the pools' peaks (below the heap limit it ran under, %,d MiB)", max >> 20))
                    .attribute(l + "time-verdict", total <= EVALUATION_SECONDS ? "within" : "over")
                    .attribute(l + "heap-verdict", bound <= EVALUATION_HEAP_BYTES ? "within" : "over");
            header.add(fmt("After %,d steps", ev.step()));
            for (int i = 0; i < parts.length; i++) {
                rows.get(i).add(fmt("%,.0f s", t.path(parts[i][0]).asDouble()));
            }
            limit.add(fmt("%,d MiB", max >> 20));
            peakRow.add(fmt("%,d MiB", peak >> 20));
            inUse.add(fmt("%.2f GiB", bound / (double) (1L << 30)));
        }
        rows.addAll(List.of(limit, peakRow, inUse));
        pub.table("Recorded: time and memory of the full evaluation of the reference run's kept weights ("
                + String.join(", ", all.stream().map(ev -> RECORD + "/step-" + ev.step() + "/evaluation/evaluation.json").toList())
                + ")", header, rows);
    }

    /** The project summary's expectations at each step count, as quoted in {@link #EXPECTATIONS}. */
    private static void expectations(Results results, Expectations expected, Path file) {
        List<Long> steps = new ArrayList<>(expected.expectations().keySet());
        List<String> header = new ArrayList<>(List.of("Measure (" + expected.source() + ")"));
        steps.forEach(st -> header.add(fmt("After %,d steps", st)));
        List<List<Object>> rows = new ArrayList<>();
        for (String[] m : new String[][] {{"masked_accuracy", "Masked accuracy"}, {"perplexity", "Perplexity"},
                {"pos_accuracy", "POS accuracy"}, {"sst2_accuracy", "SST-2 accuracy"}}) {
            List<Object> row = new ArrayList<>(List.of(m[1]));
            for (long st : steps) {
                double[] r = expected.expectations().get(st).get(m[0]);
                row.add(r == null ? "–" : m[0].equals("perplexity") ? fmt("%.0f–%.0f", r[0], r[1])
                        : fmt("%.0f–%.0f%%", 100 * r[0], 100 * r[1]));
            }
            rows.add(row);
        }
        results.publish("record/expectations").config(file).table("Quoted, not measured: " + expected.source()
                + " (configs/eval/seed-expectations.yaml)", header, rows);
    }

    /**
     * A row: measure, value, the expected range, the goal ("–" where none is set), met or not, and where the value sits
     * in the range.
     */
    private static List<Object> row(String measure, String shown, double value, double[] range, Double goal,
                                    boolean higherIsBetter, boolean percent) {
        String r = percent ? fmt("%.0f–%.0f%%", 100 * range[0], 100 * range[1]) : fmt("%.0f–%.0f", range[0], range[1]);
        String g = goal == null ? "–" : (higherIsBetter ? "> " : "< ") + (percent ? fmt("%.0f%%", 100 * goal) : fmt("%.0f", goal));
        boolean met = goal != null && (higherIsBetter ? value > goal : value < goal);
        boolean better = higherIsBetter ? value > range[1] : value < range[0];
        boolean worse = higherIsBetter ? value < range[0] : value > range[1];
        return List.of(measure, shown, r, g, met ? "met" : "not met", better ? "better" : worse ? "short of it" : "within");
    }

    /** The measures (first column, without their details) whose column {@code c} says {@code what}; "none" if none. */
    private static String names(List<List<Object>> rows, int c, String what) {
        List<String> out = rows.stream().filter(r -> r.get(c).equals(what))
                .map(r -> ((String) r.get(0)).replaceAll(",.*", "").replaceAll(" \\(.*", "").toLowerCase(Locale.ROOT)
                        .replace("pos", "POS").replace("sst-2", "SST-2")).toList();
        return out.isEmpty() ? "none" : String.join(", ", out);
    }

    private static JsonNode require(Path file, JsonNode root, String... path) {
        JsonNode n = root;
        for (String key : path) {
            n = n.path(key);
        }
        if (n.isMissingNode() || !n.isObject()) {
            throw new InputException(file, "has no \"" + String.join("\".\"", path) + "\" object");
        }
        return n;
    }

    // ------------------------------------------------------------------ fill-mask

    private static void fillMask(Results results, RunDirectory run) {
        for (long step : RunDirectory.MILESTONES.stream().sorted().toList()) {
            if (step != MILESTONE && !Files.isDirectory(run.milestone(step))) {
                continue;                                                  // a later milestone the run has not reached
            }
            Checkpoint.Pretrained loaded = Checkpoint.loadPretrained(run.milestone(step));
            results.publish(step == MILESTONE ? "record/fill-mask" : "record/fill-mask-" + label(step))
                    .config(String.join("\n", FILL_MASK_TEXTS))
                    .listing("The reference run's weights after " + fmt("%,d", step) + " steps (recorded), "
                            + "predicting in this build", fillMaskText(loaded, step));
        }
    }

    /**
     * What {@code ./minibert fill-mask --checkpoint runs/reference/step-10000 --top 3 TEXT} prints for each of
     * {@link #FILL_MASK_TEXTS}, each after its command line: the README's demonstration.
     */
    public static String fillMaskText(Checkpoint.Pretrained loaded) {
        return fillMaskText(loaded, MILESTONE);
    }

    /** {@link #fillMaskText(Checkpoint.Pretrained)} for the weights kept at {@code step}, named in the command lines. */
    static String fillMaskText(Checkpoint.Pretrained loaded, long step) {
        StringBuilder b = new StringBuilder();
        for (String text : FILL_MASK_TEXTS) {
            b.append("$ ./minibert fill-mask --checkpoint ").append(RECORD).append("/step-").append(step)
                    .append(" --top 3 \"").append(text).append("\"\n");
            List<List<FillMask.Candidate>> predictions = FillMask.predict(loaded.model(), loaded.wordPiece(), text, 3);
            for (int m = 0; m < predictions.size(); m++) {
                b.append("[MASK] ").append(m + 1).append(":\n");
                for (FillMask.Candidate c : predictions.get(m)) {
                    b.append(String.format(Locale.ROOT, "  %-16s %.4f%n", c.token(), c.probability()));
                }
            }
        }
        return b.toString();
    }

    // ------------------------------------------------------------------ expectations

    /** The project summary's expected ranges and the goals, by step. */
    record Expectations(String source, Map<Long, Map<String, double[]>> expectations, Map<Long, Map<String, Double>> goals) {

        static Expectations load(Path file) {
            Object doc;
            try {
                doc = new org.yaml.snakeyaml.Yaml(new org.yaml.snakeyaml.constructor.SafeConstructor(
                        new org.yaml.snakeyaml.LoaderOptions())).load(InputFile.text(file, "the expected results", InputFile.MIB, false));
            } catch (org.yaml.snakeyaml.error.YAMLException e) {
                throw new InputException(file, "is not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
            }
            Map<String, Object> root = asMap(file, doc, file.getFileName().toString());
            String source = string(file, root, "source");
            Map<Long, Map<String, double[]>> ranges = new java.util.TreeMap<>();
            for (Map.Entry<String, Object> step : map(file, root, "expectations").entrySet()) {
                Map<String, double[]> m = new java.util.LinkedHashMap<>();
                for (Map.Entry<String, Object> measure : map(file, asMap(file, step.getValue(), step.getKey()), null).entrySet()) {
                    if (!(measure.getValue() instanceof List<?> l) || l.size() != 2 || !(l.get(0) instanceof Number lo)
                            || !(l.get(1) instanceof Number hi) || lo.doubleValue() > hi.doubleValue()) {
                        throw new InputException(file, "expectations." + step.getKey() + "." + measure.getKey()
                                + " must be a range [low, high]");
                    }
                    m.put(measure.getKey(), new double[] {lo.doubleValue(), hi.doubleValue()});
                }
                ranges.put(step(file, step.getKey()), m);
            }
            Map<Long, Map<String, Double>> goals = new java.util.TreeMap<>();
            for (Map.Entry<String, Object> step : map(file, root, "goals").entrySet()) {
                Map<String, Double> m = new java.util.LinkedHashMap<>();
                for (Map.Entry<String, Object> measure : map(file, asMap(file, step.getValue(), step.getKey()), null).entrySet()) {
                    if (!(measure.getValue() instanceof Number n)) {
                        throw new InputException(file, "goals." + step.getKey() + "." + measure.getKey() + " must be a number");
                    }
                    m.put(measure.getKey(), n.doubleValue());
                }
                goals.put(step(file, step.getKey()), m);
            }
            for (String[] m : MEASURES) {
                if (!goals.getOrDefault(MILESTONE, Map.of()).containsKey(m[0])) {
                    throw new InputException(file, "needs a goal for " + m[0] + " at step " + MILESTONE);
                }
                for (long step : RunDirectory.MILESTONES) {
                    if (!ranges.getOrDefault(step, Map.of()).containsKey(m[0])) {
                        throw new InputException(file, "needs an expectation for " + m[0] + " at step " + step
                                + " (a milestone whose weights the run keeps)");
                    }
                }
            }
            return new Expectations(source, ranges, goals);
        }

        private static long step(Path file, String key) {
            try {
                return Long.parseLong(key);
            } catch (NumberFormatException e) {
                throw new InputException(file, "'" + key + "' is not a step count");
            }
        }

        @SuppressWarnings("unchecked")
        private static Map<String, Object> asMap(Path file, Object value, String key) {
            if (!(value instanceof Map<?, ?> m)) {
                throw new InputException(file, "'" + key + "' must be a mapping");
            }
            Map<String, Object> out = new java.util.LinkedHashMap<>();
            m.forEach((k, v) -> out.put(String.valueOf(k), v));
            return out;
        }

        private static Map<String, Object> map(Path file, Map<String, Object> root, String key) {
            return key == null ? root : asMap(file, root.get(key), key);
        }

        private static String string(Path file, Map<String, Object> root, String key) {
            if (!(root.get(key) instanceof String s) || s.isBlank()) {
                throw new InputException(file, "'" + key + "' must be a text");
            }
            return s;
        }
    }

    // ------------------------------------------------------------------ formatting

    private static String pct(double v) {
        return fmt("%.1f%%", 100 * v);
    }

    private static String pp(double v) {
        return fmt("%+.1f pp", 100 * v);
    }

    private static String fmt(String f, Object... a) {
        return String.format(Locale.ROOT, f, a);
    }
}
