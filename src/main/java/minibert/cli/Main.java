package minibert.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code minibert} command line. Commands are thin: they parse, call project code and print.
 */
@Command(name = "minibert",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "A small BERT built from first principles, kept as a literate program.",
        subcommands = {
                DataCommand.class,
                TrainCommand.class,
                EvaluateCommand.class,
                VocabCommand.class,
                TokenizeCommand.class,
                GradcheckCommand.class,
                FillMaskCommand.class,
                BenchCommand.class,
                ConfigCommand.class,
                CommandLine.HelpCommand.class
        })
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line (shared by {@link #main} and the tests). */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("minibert: " + ex.getMessage());
            return 2;
        });
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Reads the version from the jar manifest, or says it runs from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {
                    "minibert " + (v == null ? "(development build, not from a jar)" : v),
                    "JDK " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + "), "
                            + Runtime.getRuntime().availableProcessors() + " CPUs"
            };
        }
    }
}
