package minibert.cli;

import minibert.model.checkpoint.Checkpoint;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * The {@code --checkpoint DIR} option that the commands reading one model share (fill-mask, attention, trace), mixed
 * into each with {@code @Mixin}: the folder, and loading it with its notes (tensors ignored, ties checked) printed.
 */
final class CheckpointOption {

    @Option(names = "--checkpoint", required = true,
            description = "checkpoint folder (model.safetensors, config.json, vocab.txt), ours or Hugging Face's")
    Path folder;

    /** Loads the checkpoint, printing each note of the loader to {@code err}. */
    Checkpoint.Pretrained load(PrintWriter err) {
        Checkpoint.Pretrained loaded = Checkpoint.loadPretrained(folder);
        loaded.notes().forEach(n -> err.println("note: " + n));
        return loaded;
    }

    @Override
    public String toString() {
        return folder.toString();
    }
}
