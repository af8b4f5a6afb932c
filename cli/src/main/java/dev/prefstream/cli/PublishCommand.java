package dev.prefstream.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.prefstream.checkpoint.split.HeldOutSplit;
import dev.prefstream.publisher.CheckpointPublisher;
import dev.prefstream.publisher.PublisherService;
import dev.prefstream.publisher.RegistryPublisher;
import dev.prefstream.schemas.TopicLayout;
import dev.prefstream.trainer.stream.ModelSource;
import dev.prefstream.trainer.stream.StreamingTrainerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code prefstream publish}: the publisher as its own service, for trainers started with
 * {@code --publish candidates}: evaluates each announced candidate on held-out pairs, gates it, copies it into
 * the store and announces the verdict on model-registry.
 */
@Command(name = "publish", mixinStandardHelpOptions = true,
        description = "Evaluate, gate, store and announce checkpoints that trainers put on the candidates topic.")
final class PublishCommand implements Callable<Integer> {

    @Mixin
    KafkaOptions kafkaOptions;

    @Option(names = "--model", required = true, paramLabel = "DIR|PRESET", description = "The initial policy the trainer started from (KL and implicit-reward baseline).")
    String model;

    @Option(names = "--model-name", paramLabel = "NAME", description = "Registry name of the model (default: the preset or directory name).")
    String modelName;

    @Option(names = "--store", defaultValue = "./data/checkpoint-store", paramLabel = "DIR", description = "Checkpoint store directory (default: ${DEFAULT-VALUE}).")
    Path store;

    @Option(names = "--candidates-topic", defaultValue = TopicLayout.MODEL_CANDIDATES, paramLabel = "TOPIC", description = "Default: ${DEFAULT-VALUE}.")
    String candidatesTopic;

    @Option(names = "--pairs-topic", defaultValue = TopicLayout.PREFERENCE_PAIRS, paramLabel = "TOPIC", description = "Where held-out pairs come from (default: ${DEFAULT-VALUE}).")
    String pairsTopic;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "N", description = "Initialisation seed of a preset model (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        kafkaOptions.requireReachable(); // broker and registry, in seconds
        kafkaOptions.provisionTopics(); // a bare cluster gets prefstream's topics (idempotent)
        SplitClientConfig cfg = SplitClientConfig.of(kafkaOptions);
        ModelSource source = ModelSource.parse(model, seed);
        String name = modelName != null ? modelName : source.preset() != null ? source.preset() : source.dir().getFileName().toString();
        // the held-out split must be the trainer's: same prefstream.trainer.* settings file
        TrainingAssembly assembly = cfg.assembly();
        StreamingTrainerConfig trainerSettings = kafkaOptions.fromConfigFile(() -> assembly.streaming(name, Path.of(".")));
        Device device = Engine.getInstance().defaultDevice();
        try (CheckpointPublisher publisher = assembly.publisher(cfg.kafka(), name, pairsTopic, trainerSettings, source, device,
                kafkaOptions.fromConfigFile(() -> assembly.publisherSettings(store)));
             RegistryPublisher rejections = new RegistryPublisher(cfg.kafka(), TopicLayout.MODEL_REGISTRY)) {
            PublisherService service = new PublisherService(cfg.kafka(), candidatesTopic, Optional.of(name), publisher, rejections);
            CountDownLatch finished = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                service.stop();
                try {
                    finished.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "prefstream-publish-shutdown"));
            try {
                System.out.println("prefstream publish: evaluating candidates of " + name + " from " + candidatesTopic + " (Ctrl-C to stop)");
                service.run();
            } finally {
                finished.countDown();
            }
        }
        return 0;
    }
}
