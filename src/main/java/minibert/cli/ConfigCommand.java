package minibert.cli;

import minibert.config.ConfigException;
import minibert.config.EvalConfig;
import minibert.config.ModelConfig;
import minibert.config.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code minibert config check FILE…}: validates config files and prints what they say. */
@Command(name = "config", description = "Check configuration files.", mixinStandardHelpOptions = true,
        subcommands = ConfigCommand.Check.class)
final class ConfigCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "check", description = "Validate model, train or eval configs (kind taken from the folder name).",
            mixinStandardHelpOptions = true)
    static final class Check implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "FILE", arity = "1..*", description = "configs/{model,train,eval}/*.yaml")
        Path[] files;

        @Override
        public Integer call() {
            int bad = 0;
            for (Path f : files) {
                String kind = f.toAbsolutePath().getParent().getFileName().toString();
                try {
                    Object parsed = switch (kind) {
                        case "model" -> ModelConfig.load(f);
                        case "train" -> TrainConfig.load(f);
                        case "eval" -> EvalConfig.load(f);
                        default -> throw new ConfigException(f, null,
                                "is not under configs/model, configs/train or configs/eval, so its kind is unknown");
                    };
                    spec.commandLine().getOut().println("ok    " + f + "  " + parsed);
                } catch (ConfigException e) {
                    spec.commandLine().getErr().println("error " + e.getMessage());
                    bad++;
                }
            }
            return bad == 0 ? 0 : 1;
        }
    }
}
