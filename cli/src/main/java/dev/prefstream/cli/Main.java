package dev.prefstream.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParseResult;

import java.util.List;

/** Entry point of {@code prefstream.jar}: the {@code prefstream} command and its subcommands. */
@Command(name = "prefstream", mixinStandardHelpOptions = true, version = "prefstream 0.1.0",
        description = "Keeps a language model aligned with what its users prefer, continuously (feedback on Kafka -> iterative DPO).",
        exitCodeListHeading = "%nExit codes (every command):%n")
public final class Main {

    /** Every subcommand, in the order `prefstream --help` lists them. Add one line per new command. */
    static List<Object> subcommands() {
        return List.of(
                new DemoCommand(),
                new UpCommand(),
                new IngestCommand(),
                new ImportCommand(),
                new BenchCommand(),
                new LogpsCommand(),
                new ChatTemplateCommand(),
                new TrainCommand(),
                new PublishCommand(),
                new RegistryCommand(),
                new ReplayCommand(),
                new ReprocessCommand(),
                new ExportCommand()
        );
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line (tests call this instead of {@link #main}, which exits). */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        subcommands().forEach(cli::addSubcommand);
        cli.getCommandSpec().usageMessage().exitCodeList(ExitCodes.helpList());
        cli.setParameterExceptionHandler(Main::reportUsageError);
        cli.setExecutionExceptionHandler(Main::reportFailure);
        return cli;
    }

    /** A usage error: one line saying what is wrong and where to read more, exit {@link ExitCodes#USAGE}. */
    private static int reportUsageError(CommandLine.ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        String name = command.getCommandSpec().qualifiedName(" ");
        command.getErr().println(name + ": " + e.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(e, command.getErr());
        command.getErr().println("Try '" + name + " --help' for its options.");
        command.getErr().flush();
        return ExitCodes.USAGE;
    }

    /**
     * A failed command prints one line per cause instead of a stack trace (set PREFSTREAM_TRACE=1 for the trace);
     * exit {@link ExitCodes#UNAVAILABLE} when Kafka or the registry did not answer, else {@link ExitCodes#FAILED}.
     */
    private static int reportFailure(Exception e, CommandLine command, ParseResult parsed) {
        StringBuilder message = new StringBuilder(command.getCommandSpec().qualifiedName() + ": ");
        String previous = null;
        boolean unreachable = false;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ServiceUnreachableException) {
                unreachable = true;
                message.append(t.getMessage()); // the one line says it all; the client's own exception adds only noise
                break;
            }
            String line = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            if (previous == null || !previous.contains(line)) {
                message.append(previous == null ? "" : "\n  caused by: ").append(line);
            }
            previous = line;
        }
        command.getErr().println(dev.prefstream.schemas.security.Redaction.text(message.toString())); // no user:pass@ or JAAS password on the console
        if (System.getenv("PREFSTREAM_TRACE") != null) {
            e.printStackTrace(command.getErr());
        }
        command.getErr().flush();
        return unreachable ? ExitCodes.UNAVAILABLE : ExitCodes.FAILED;
    }
}
