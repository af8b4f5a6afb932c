package dev.prefstream.cli;

import dev.prefstream.checkpoint.registry.RegistryReader;
import dev.prefstream.publisher.CandidateMetrics;
import dev.prefstream.schemas.TopicLayout;
import dev.prefstream.schemas.avro.ModelCheckpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code prefstream registry list|latest [--model NAME]}: the model registry as the compacted topic holds it. */
@Command(name = "registry", mixinStandardHelpOptions = true,
        description = "Print checkpoints announced on model-registry: 'list' (every version) or 'latest' (newest promoted per model).")
final class RegistryCommand implements Callable<Integer> {

    @Mixin
    KafkaOptions kafkaOptions;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "list|latest", description = "What to print.")
    String what;

    @Option(names = "--model", paramLabel = "NAME", description = "Only this model.")
    String model;

    @Option(names = "--json", description = "One JSON object per checkpoint (Avro's JSON rendering) instead of a table.")
    boolean json;

    @Option(names = "--topic", defaultValue = TopicLayout.MODEL_REGISTRY, paramLabel = "TOPIC", description = "Registry topic (default: ${DEFAULT-VALUE}).")
    String topic;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (!what.equals("list") && !what.equals("latest")) {
            throw new ParameterException(spec.commandLine(), "expected 'list' or 'latest', got '" + what + "'");
        }
        kafkaOptions.requireReachable();
        RegistryReader registry = RegistryReader.read(SplitClientConfig.of(kafkaOptions).kafka(), topic);
        List<ModelCheckpoint> rows = switch (what) {
            case "list" -> registry.list(Optional.ofNullable(model));
            case "latest" -> model != null ? registry.latestPromoted(model).stream().toList()
                    : registry.latest().values().stream().sorted((a, b) -> a.getModelName().compareTo(b.getModelName())).toList();
            default -> throw new IllegalStateException(what); // checked above
        };
        if (rows.isEmpty()) {
            spec.commandLine().getErr().println("prefstream registry: no " + (what.equals("latest") ? "promoted " : "") + "checkpoints"
                    + (model == null ? "" : " of " + model) + " on " + topic);
            return what.equals("latest") ? ExitCodes.NO_RESULT : ExitCodes.OK;
        }
        if (json) {
            rows.forEach(r -> out.println(r.toString()));
            out.flush();
            return 0;
        }
        out.printf("%-20s %-16s %-9s %8s %9s %8s %8s %-24s %s%n", "MODEL", "VERSION", "STATUS", "STEP", "PAIRS", "ACC", "KL", "CREATED", "URI");
        for (ModelCheckpoint r : rows) {
            out.printf(Locale.ROOT, "%-20s %-16s %-9s %8d %9d %8s %8s %-24s %s%n", r.getModelName(), r.getVersion(), r.getStatus(), r.getStep(),
                    r.getPairsTrained(), fmt(r.getMetrics().get(CandidateMetrics.ACCURACY)), fmt(r.getMetrics().get(CandidateMetrics.KL)),
                    r.getCreatedAt(), r.getArtifactUri());
            if (r.getStatusReason() != null) {
                out.println("    " + r.getStatusReason());
            }
        }
        out.flush();
        return 0;
    }

    private static String fmt(Double d) {
        return d == null ? "-" : String.format(Locale.ROOT, "%.4f", d);
    }
}
