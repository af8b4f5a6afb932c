package dev.prefstream.trainer.stream;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The streaming trainer (real DPO, tiny model) as its own JVM, for the kill test:
 * {@code TrainerProcessMain <bootstrap> <registryUrl> <topic> <model> <checkpointsDir> [lora]}. SIGTERM stops it cleanly
 * (final checkpoint); SIGKILL is what the test is about.
 */
public final class TrainerProcessMain {

    private TrainerProcessMain() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, Object> kafka = new HashMap<>();
        kafka.put("bootstrap.servers", args[0]);
        kafka.put("schema.registry.url", args[1]);
        StreamingTrainerConfig c = StreamingTrainerConfig.defaults(args[3], Path.of(args[4])).with(b -> {
            b.inputTopic = args[2];
            b.microBatchPairs = 4;
            b.checkpointEverySteps = 1;
            b.checkpointEvery = Duration.ofSeconds(1);
            b.maxBatchWait = Duration.ofMillis(400);
            b.heldOutFraction = 0.1;
            b.keepCheckpoints = 10_000;
            b.leaderInstanceId = "kill-test-" + args[3];
            b.leaderSessionTimeout = Duration.ofSeconds(6);
        });
        // optional 6th argument "lora": train rank-8 LoRA adapters instead of the whole model
        boolean lora = args.length > 5 && args[5].equals("lora");
        StreamingTrainer trainer = new StreamingTrainer(c, kafka, lora ? TinyDpo.loraFactory(c) : TinyDpo.factory(c), StreamingTrainer.resumeFromNewestCheckpoint(c),
                new TrainerMetrics(new SimpleMeterRegistry(), c.modelName(), System::currentTimeMillis), Clock.systemUTC());
        Thread main = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            trainer.stop();
            try {
                main.join(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        System.out.println("TRAINER-STARTED");
        trainer.run();
        System.out.println("TRAINER-STOPPED");
    }
}
