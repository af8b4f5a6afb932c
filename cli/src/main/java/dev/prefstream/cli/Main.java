package dev.prefstream.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.List;

/** Entry point of {@code prefstream.jar}: the {@code prefstream} command and its subcommands. */
@Command(name = "prefstream", mixinStandardHelpOptions = true, version = "prefstream 0.1.0",
        description = "Keeps a language model aligned with what its users prefer, continuously (feedback on Kafka -> iterative DPO).")
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
                new ReprocessCommand()
        );
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line (tests call this instead of {@link #main}, which exits). */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        subcommands().forEach(cli::addSubcommand);
        cli.setExecutionExceptionHandler(Main::reportFailure);
        return cli;
    }

    /** A failed command prints one line per cause instead of a stack trace (set PREFSTREAM_TRACE=1 for the trace). */
    private static int reportFailure(Exception e, CommandLine command, CommandLine.ParseResult parsed) {
        StringBuilder message = new StringBuilder("prefstream " + command.getCommandName() + ": ");
        String previous = null;
        for (Throwable t = e; t != null; t = t.getCause()) {
            String line = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            if (previous == null || !previous.contains(line)) {
                message.append(previous == null ? "" : "\n  caused by: ").append(line);
            }
            previous = line;
        }
        command.getErr().println(message);
        if (System.getenv("PREFSTREAM_TRACE") != null) {
            e.printStackTrace(command.getErr());
        }
        return 1;
    }
}
