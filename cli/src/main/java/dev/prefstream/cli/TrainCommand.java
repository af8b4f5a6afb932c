package dev.prefstream.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.prefstream.checkpoint.registry.RegistryReader;
import dev.prefstream.publisher.CandidateAnnouncer;
import dev.prefstream.publisher.CheckpointPublisher;
import dev.prefstream.schemas.TopicLayout;
import dev.prefstream.schemas.avro.CheckpointStatus;
import dev.prefstream.trainer.dpo.DpoTrainer;
import dev.prefstream.trainer.dpo.Precision;
import dev.prefstream.trainer.dpo.TrainerConfig;
import dev.prefstream.trainer.stream.DpoPairTrainer;
import dev.prefstream.trainer.stream.ModelSource;
import dev.prefstream.trainer.stream.PrometheusEndpoint;
import dev.prefstream.trainer.stream.StreamingTrainer;
import dev.prefstream.trainer.stream.StreamingTrainerConfig;
import dev.prefstream.trainer.stream.TrainerMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code prefstream train}: the streaming DPO trainer service (one active instance per model; others wait as
 * standbys). Publishing: {@code in-process} (default: evaluate, gate, store, model-registry after each checkpoint),
 * {@code candidates} (announce on the candidates topic for a separate {@code prefstream publish}), or {@code none}.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train continuously (iterative DPO) on preference-pairs, checkpointing with exactly-once accounting.")
final class TrainCommand implements Callable<Integer> {

    @Mixin
    KafkaOptions kafkaOptions;

    @Option(names = "--model", required = true, paramLabel = "DIR|PRESET", description = "Initial policy: a Hugging Face directory or a built-in preset (tiny, tiny-gpt2).")
    String model;

    @Option(names = "--chat-template", paramLabel = "FILE",
            description = "Jinja chat template to render prompts with instead of the model's own (tokenizer_config.json chat_template, or the built-in format); saved into the checkpoints.")
    Path chatTemplate;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Checkpoints directory (resumed from its newest good checkpoint).")
    Path out;

    @Option(names = "--model-name", paramLabel = "NAME", description = "Registry name of the model (default: the name in --out's "
            + "checkpoints, else the preset or directory name). A name the registry gives to another lineage is refused.")
    String modelName;

    @Option(names = "--new-lineage", description = "When --out has no checkpoint and the model name already has a lineage in the "
            + "registry, announce this one as NAME-2 (NAME-3 ...) instead of refusing to start.")
    boolean newLineage;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--checkpoint-steps", paramLabel = "N", description = "Checkpoint every N optimizer steps (default 50).")
    Long checkpointSteps;

    @Option(names = "--checkpoint-seconds", paramLabel = "T", description = "... and at least every T seconds while training (default 300).")
    Long checkpointSeconds;

    @Option(names = "--pairs-topic", paramLabel = "TOPIC", description = "Pairs topic to learn from (default: preference-pairs).")
    String pairsTopic;

    @Option(names = "--publish", defaultValue = "in-process", paramLabel = "MODE",
            description = "in-process | candidates | none (default: ${DEFAULT-VALUE}).")
    String publish;

    @Option(names = "--store", defaultValue = "./data/checkpoint-store", paramLabel = "DIR",
            description = "Checkpoint store directory for in-process publishing (default: ${DEFAULT-VALUE}).")
    Path store;

    @Option(names = "--metrics-port", defaultValue = "9464", paramLabel = "PORT",
            description = "Prometheus /metrics port; -1 disables (default: ${DEFAULT-VALUE}).")
    int metricsPort;

    @Option(names = "--metrics-bind", paramLabel = "HOST", defaultValue = "localhost",
            description = "Interface the metrics endpoint listens on; 0.0.0.0 opens it to other machines (default: ${DEFAULT-VALUE}).")
    String metricsBind;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "N", description = "Initialisation seed of a preset model (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--max-steps", defaultValue = "0", paramLabel = "N",
            description = "Stop with a checkpoint once the optimizer step, counted from the initial model, reaches N "
                    + "(prefstream.trainer.stop-at-step; 0: run until stopped).")
    long maxSteps;

    @Option(names = "--precision", paramLabel = "fp32|fp16", converter = PrecisionConverter.class,
            description = "Training precision; fp16 (mixed, GPU only) loads the model as float16 (default: prefstream.dpo.precision, else fp32). "
                    + "A checkpoint to resume must have been trained in the same precision.")
    Precision precision;

    @Mixin
    LoraOptions loraOptions;

    @Option(names = "--gradient-checkpointing",
            description = "Recompute each decoder block in backward instead of keeping its activations: about a third more "
                    + "compute, activation memory of one block (default: prefstream.trainer.gradient-checkpointing, else off).")
    boolean gradientCheckpointing;

    /** The /metrics endpoint; a port already taken (a standby on the same host) falls back to a free one. */
    private PrometheusEndpoint metricsEndpoint(PrometheusMeterRegistry prometheus) {
        try {
            return new PrometheusEndpoint(prometheus, metricsBind, metricsPort);
        } catch (java.io.UncheckedIOException e) {
            PrometheusEndpoint any = new PrometheusEndpoint(prometheus, metricsBind, 0);
            System.err.println("prefstream train: metrics port " + metricsPort + " is taken; serving /metrics on port " + any.port());
            return any;
        }
    }

    @Override
    public Integer call() throws Exception {
        SplitClientConfig cfg = SplitClientConfig.of(kafkaOptions);
        ModelSource source = ModelSource.parse(model, seed).withChatTemplate(chatTemplate);
        String defaultName = source.preset() != null ? source.preset() : source.dir().getFileName().toString();
        List<ModelLineage.LocalCheckpoint> local = ModelLineage.localCheckpoints(out);
        String provisionalName = modelName != null ? modelName : !local.isEmpty() ? local.get(0).modelName() : defaultName;
        String name = provisionalName;
        TrainingAssembly assembly = cfg.assembly();
        StreamingTrainerConfig validated = kafkaOptions.fromConfigFile(() -> assembly.streaming(provisionalName, out)).with(b -> {
            if (checkpointSteps != null) {
                b.checkpointEverySteps = checkpointSteps;
            }
            if (checkpointSeconds != null) {
                b.checkpointEvery = Duration.ofSeconds(checkpointSeconds);
            }
            if (pairsTopic != null) {
                b.inputTopic = pairsTopic;
            }
            b.metricsPort = metricsPort;
            if (maxSteps > 0) {
                b.stopAtStep = maxSteps;
            }
        });
        TrainerConfig dpo = kafkaOptions.fromConfigFile(() -> assembly.freshCore(
                new TrainingAssembly.CoreOptions(precision, gradientCheckpointing, loraOptions::apply)));
        Device device = Engine.getInstance().defaultDevice();
        DpoTrainer.checkPrecisionSupported(dpo.precision(), device); // one clear line before anything connects or loads
        kafkaOptions.requireReachable(); // broker and registry, in seconds; after the settings are validated
        kafkaOptions.provisionTopics(); // a bare cluster gets prefstream's topics (idempotent)
        if (!publish.equals("none")) {
            try {
                ModelLineage lineage = ModelLineage.decide(modelName, defaultName, newLineage, out, local,
                        RegistryReader.read(cfg.kafka(), TopicLayout.MODEL_REGISTRY).history());
                lineage.notice().ifPresent(n -> System.err.println("prefstream train: " + n));
                name = lineage.name();
            } catch (ModelLineage.LineageClashException e) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
            }
        }
        StreamingTrainerConfig config = validated.withModelName(name);

        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TrainerMetrics metrics = new TrainerMetrics(prometheus, name, System::currentTimeMillis);
        StreamingTrainer trainer = new StreamingTrainer(config, cfg.kafka(), DpoPairTrainer.factory(source, dpo, config, device),
                StreamingTrainer.resumeFromNewestCheckpoint(config), metrics, Clock.systemUTC());
        AutoCloseable publisher = switch (publish) {
            case "in-process" -> {
                CheckpointPublisher p = assembly.inProcessPublisher(cfg.kafka(), trainer, config, source, device,
                        assembly.publisherSettings(store));
                p.addObserver(r -> {
                    if (r.decision().status() == CheckpointStatus.PROMOTED) {
                        metrics.promoted();
                    } else {
                        metrics.rejected();
                    }
                });
                trainer.addListener(p);
                yield p;
            }
            case "candidates" -> {
                CandidateAnnouncer a = new CandidateAnnouncer(cfg.kafka(), TopicLayout.MODEL_CANDIDATES);
                trainer.addListener(a);
                yield a;
            }
            case "none" -> () -> { };
            default -> throw new IllegalArgumentException("--publish must be in-process, candidates or none, got '" + publish + "'");
        };
        PrometheusEndpoint endpoint = metricsPort >= 0 ? metricsEndpoint(prometheus) : null;
        CountDownLatch finished = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            trainer.stop(); // final checkpoint, then run() returns
            try {
                finished.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "prefstream-train-shutdown"));
        try {
            StreamingTrainer.Outcome outcome = trainer.run();
            System.out.println("prefstream train: " + outcome + trainer.lastCheckpoint().map(cp -> ", last checkpoint " + cp.dir()).orElse(""));
            return 0;
        } finally {
            try {
                publisher.close();
            } finally {
                if (endpoint != null) {
                    endpoint.close();
                }
                finished.countDown();
            }
        }
    }
}
