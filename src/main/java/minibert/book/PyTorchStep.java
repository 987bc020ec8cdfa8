package minibert.book;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * PyTorch's float32 training step as {@code tools/reference/pytorch_step.py} recorded it, by hand, in
 * {@code src/main/resources/recorded/pytorch-step.json}: a recorded figure with its provenance (torch version,
 * threads, BLAS, machine, load, date, command), never measured by the build. The book shows it as recorded.
 */
record PyTorchStep(String version, String date, String command, String machine, String loadAverage, String blas, int batch,
                   int length, int masked, int timedSteps, List<Run> runs, int threads, double medianSeconds) {

    static final String RESOURCE = "/recorded/pytorch-step.json";

    /** One thread setting's figures. */
    record Run(int threads, double medianSeconds, double minSeconds, double maxSeconds) {
    }

    static PyTorchStep load() throws IOException {
        try (InputStream in = PyTorchStep.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing: run tools/reference/pytorch_step.py by hand to record it");
            }
            JsonNode n = new ObjectMapper().readTree(in);
            List<Run> runs = new ArrayList<>();
            int timed = 0;
            for (JsonNode r : require(n, "runs")) {
                runs.add(new Run(require(r, "threads").asInt(), require(r, "median_seconds").asDouble(),
                        require(r, "min_seconds").asDouble(), require(r, "max_seconds").asDouble()));
                timed = require(r, "timed_steps").asInt();
            }
            JsonNode machine = require(n, "machine"), load = machine.path("load_average_before");
            String loadText = load.isArray() && load.size() > 0 ? String.format(Locale.ROOT, "%.1f", load.get(0).asDouble()) : "unknown";
            List<String> blas = new ArrayList<>();
            n.path("blas_loaded").forEach(b -> blas.add(b.asText().replaceAll(".*/", "")));
            String torch = n.path("torch_package").isTextual() ? n.path("torch_package").asText() : require(n, "torch").asText();
            return new PyTorchStep(torch, require(n, "date").asText().substring(0, 10), require(n, "command").asText(),
                    require(machine, "cpu").asText() + ", " + require(machine, "cores").asInt() + " cores", loadText,
                    blas.isEmpty() ? "unknown" : String.join(" + ", blas), require(n, "batch").asInt(),
                    require(n, "sequence_length").asInt(), require(n, "masked").asInt(), timed, runs,
                    require(require(n, "best"), "threads").asInt(), require(require(n, "best"), "median_seconds").asDouble());
        }
    }

    private static JsonNode require(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalStateException(RESOURCE + ": no field '" + field + "'");
        }
        return v;
    }
}
