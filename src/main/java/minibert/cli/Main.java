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
                AttentionCommand.class,
                TraceCommand.class,
                AnalyzeCommand.class,
                BenchCommand.class,
                ConfigCommand.class,
                CommandLine.HelpCommand.class
        })
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Exit status of a usage error or of input that cannot be used. */
    static final int BAD_INPUT = 2;
    /** Exit status of a failure that is minibert's fault, or the machine's (out of memory, a full disk). */
    static final int INTERNAL = 3;

    public static void main(String[] args) {
        int code;
        try {
            code = commandLine().execute(args);
        } catch (OutOfMemoryError e) {
            System.err.println("minibert: out of memory (" + e.getMessage() + "); the JVM may use "
                    + minibert.io.InputFile.size(Runtime.getRuntime().maxMemory()) + ": raise -Xmx or use smaller inputs");
            code = INTERNAL;
        }
        System.exit(code);
    }

    /**
     * The configured command line (shared by {@link #main} and the tests). Every failure ends in one line on
     * standard error and a non-zero status: a usage error names the option; input that cannot be used gets the
     * reader's own message (which names the file); anything else is reported as an internal error, without a
     * stack trace unless {@code MINIBERT_DEBUG} is set.
     */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine cmd = ex.getCommandLine();
            String name = cmd.getCommandSpec().qualifiedName();
            cmd.getErr().println(name + ": " + ex.getMessage());
            cmd.getErr().println("(see '" + name + " --help')");
            cmd.getErr().flush();
            return BAD_INPUT;
        });
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("minibert: " + describe(ex));
            if (System.getenv("MINIBERT_DEBUG") != null) {
                ex.printStackTrace(cmd.getErr());
            }
            cmd.getErr().flush();
            // a write that failed (a full disk) is the machine's failure, not the input's; its message says what to do
            return ex instanceof minibert.train.RunDirectory.WriteFailure ? INTERNAL : expected(ex) ? BAD_INPUT : INTERNAL;
        });
        return cl;
    }

    /** Failures caused by the input or the environment, whose messages are written for the user. */
    private static boolean expected(Exception ex) {
        return ex instanceof minibert.config.ConfigException || ex instanceof minibert.text.TokenizerException
                || ex instanceof minibert.model.checkpoint.CheckpointException || ex instanceof minibert.data.DataException
                || ex instanceof minibert.io.InputException || ex instanceof CommandException
                || ex instanceof IllegalArgumentException || ex instanceof java.io.IOException
                || ex instanceof java.io.UncheckedIOException || ex instanceof minibert.train.RunDirectory.RunException
                || ex instanceof minibert.train.PretrainingCache.CacheException;
    }

    private static String describe(Exception ex) {
        Throwable t = ex instanceof java.io.UncheckedIOException u ? u.getCause() : ex;
        if (t instanceof java.nio.file.NoSuchFileException e) {
            return e.getFile() + " does not exist" + (e.getReason() == null ? "" : " (" + e.getReason() + ")");
        }
        if (t instanceof java.nio.file.AccessDeniedException e) {
            return e.getFile() + ": permission denied";
        }
        if (t instanceof java.nio.file.FileSystemException e) {
            return e.getFile() + ": " + (e.getReason() == null ? e.getClass().getSimpleName() : e.getReason());
        }
        if (t instanceof java.io.IOException e) {
            return "input/output error: " + e.getMessage();
        }
        if (expected(ex)) {
            return String.valueOf(ex.getMessage());
        }
        return "internal error, a bug in minibert (please report it with the command line): " + ex;
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
