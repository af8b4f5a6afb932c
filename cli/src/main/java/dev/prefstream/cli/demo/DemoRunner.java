package dev.prefstream.cli.demo;

import ai.djl.Device;
import dev.prefstream.checkpoint.follow.CheckpointFollower;
import dev.prefstream.checkpoint.format.VerifiedCheckpoint;
import dev.prefstream.checkpoint.registry.RegistryReader;
import dev.prefstream.checkpoint.store.LocalDirectoryCheckpointStore;
import dev.prefstream.devstack.broker.EmbeddedBrokerSettings;
import dev.prefstream.devstack.broker.EmbeddedKafkaBroker;
import dev.prefstream.devstack.registry.EmbeddedSchemaRegistry;
import dev.prefstream.cli.PrefstreamSettings;
import dev.prefstream.cli.TrainingAssembly;
import dev.prefstream.ingest.config.IngestConfig;
import dev.prefstream.ingest.metrics.IngestMetrics;
import dev.prefstream.ingest.service.IngestService;
import dev.prefstream.publisher.CandidateMetrics;
import dev.prefstream.publisher.CheckpointPublisher;
import dev.prefstream.publisher.EvaluationConfig;
import dev.prefstream.publisher.GateConfig;
import dev.prefstream.publisher.PublishResult;
import dev.prefstream.schemas.TopicLayout;
import dev.prefstream.schemas.avro.ModelCheckpoint;
import dev.prefstream.schemas.topics.TopicProvisioner;
import dev.prefstream.publisher.PublisherSettings;
import dev.prefstream.trainer.dpo.ReferenceMode;
import dev.prefstream.trainer.dpo.TrainerConfig;
import dev.prefstream.trainer.lora.LoraCheckpoints;
import dev.prefstream.trainer.model.HfModelLoader;
import dev.prefstream.trainer.model.LoadedModel;
import dev.prefstream.trainer.stream.DpoPairTrainer;
import dev.prefstream.trainer.stream.DpoSettings;
import dev.prefstream.trainer.stream.LoraSettings;
import dev.prefstream.trainer.stream.ModelSource;
import dev.prefstream.trainer.stream.StreamingTrainer;
import dev.prefstream.trainer.stream.StreamingTrainerConfig;
import dev.prefstream.trainer.stream.TrainerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Runs the closed loop in one process, on the same classes the separate services use: the embedded broker and
 * schema registry, the ingest Streams app ({@link IngestService}), the streaming DPO trainer
 * ({@link StreamingTrainer} over {@link DpoPairTrainer}) with the publisher in process as its checkpoint listener
 * ({@link CheckpointPublisher}: held-out evaluation, promotion gate, checkpoint store, model-registry), and the
 * chat simulator following the registry ({@link CheckpointFollower}). After the configured time (or
 * {@link #requestStop()}, e.g. from Ctrl-C) it stops everything in reverse order - simulator (flushing late
 * feedback), follower, trainer (final checkpoint, published), ingest (committing), registry, broker - and writes the
 * report.
 */
public final class DemoRunner {

    private static final Logger LOG = LoggerFactory.getLogger(DemoRunner.class);

    private final DemoSettings settings;
    private final DemoView view;
    private final Clock clock;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final RunHistory history = new RunHistory();
    private final LetterCountTask task = new LetterCountTask();
    private final LetterCountJudge judge = new LetterCountJudge();

    /** What a run produced. */
    public record Result(DemoSummary summary, Path reportDir, List<Path> files, RunHistory history) {
    }

    public DemoRunner(DemoSettings settings, DemoView view, Clock clock) {
        this.settings = settings;
        this.view = view;
        this.clock = clock;
    }

    /** Ends the streaming phase early (thread-safe; Ctrl-C calls it). The run then shuts down and reports. */
    public void requestStop() {
        stop.countDown();
    }

    /** Runs the demo to its report. */
    public Result run() throws InterruptedException {
        long started = clock.millis();
        EmbeddedBrokerSettings brokerSettings = EmbeddedBrokerSettings.onFreePorts(settings.dataDir());
        if (settings.fresh()) {
            freshStart(brokerSettings.kafkaDir());
        }
        view.phase("[1/4] Base policy: the built-in tiny model, supervised-fine-tuned on sloppy demonstrations of the task");
        view.line("      task: \"" + task.trainingPrompts().get(0).userMessage() + "\" (" + task.trainingPrompts().size()
                + " prompts for users, " + task.heldOutPrompts().size() + " held out for evaluation)");
        long sftStart = clock.millis();
        Path baseDir = BasePolicy.ensure(settings.basePolicyDir(), settings.base(), task, (done, total, loss) -> {
            if (stop.getCount() == 0) {
                throw new CancellationException("stopped while training the base policy (nothing cached)");
            }
            view.progress((double) done / total, "SFT step " + done + "/" + total, String.format(Locale.ROOT, "loss %.3f", loss));
        });
        view.endProgress();
        view.line(String.format(Locale.ROOT, "      base policy ready in %s (%s)", DemoView.clock(clock.millis() - sftStart), baseDir));
        JudgeEvaluator evaluator = new JudgeEvaluator(task.heldOutPrompts(), judge, settings.evaluation());
        Deque<Runnable> closers = new ArrayDeque<>();
        try (LoadedModel base = HfModelLoader.loadWithTokenizer(baseDir, Device.cpu())) {
            JudgeEvaluator.Evaluation baseEval = evaluator.evaluate(base, base);
            view.line(String.format(Locale.ROOT, "      judge reward of the base policy on held-out prompts: %.3f (%.0f%% perfect answers)",
                    baseEval.meanReward(), 100 * baseEval.exactRate()));
            if (!settings.fresh() && history.loadEarlier(settings.historyFile())) {
                view.line("      continuing: " + history.checkpoints().size() + " checkpoints of earlier runs (use --fresh to start over)");
            }
            history.persistTo(settings.historyFile());
            Services services = startServicesUnlessStopped(brokerSettings, baseDir, base, closers, evaluator);
            streamFor(services);
            view.endProgress();
            view.phase("[4/4] Stopping (simulator, follower, trainer with a final checkpoint, ingest, registry, broker) and writing the report");
            services.stopLoop();
            Map<String, Long> pairsByKind = TopicTally.pairsByKind(services.kafka, TopicLayout.PREFERENCE_PAIRS);
            long dlq = TopicTally.count(services.kafka, TopicLayout.PREFERENCE_EVENTS_DLQ);
            Optional<ModelCheckpoint> promoted = RegistryReader.read(services.kafka, TopicLayout.MODEL_REGISTRY)
                    .latestPromoted(settings.modelName());
            Optional<VerifiedCheckpoint> last = services.trainer.lastCheckpoint();
            closeAll(closers);
            DemoSummary summary = summarize(base, baseEval, evaluator, promoted, last, services, pairsByKind, dlq,
                    (clock.millis() - started) / 60000.0);
            history.save(settings.historyFile());
            List<Path> files = DemoReport.write(settings.reportDir(), summary, history, reportLegend(settings, summary.heldOutPrompts()));
            view.line(String.format(Locale.ROOT, "      %s judge reward %.3f -> %.3f on %d held-out prompts (%s); report in %s",
                    summary.improved() ? "IMPROVED:" : "NO CLEAR IMPROVEMENT:", summary.baseJudgeReward(), summary.finalJudgeReward(),
                    summary.heldOutPrompts(), summary.finalVersion(), settings.reportDir().toAbsolutePath().normalize()));
            return new Result(summary, settings.reportDir(), files, history);
        } finally {
            closeAll(closers);
        }
    }

    /** The running services; {@link #stopLoop()} stops the loop's active parts in reverse order of their start. */
    private final class Services {
        Map<String, Object> kafka;
        StreamingTrainer trainer;
        Thread trainerThread;
        ChatSimulator simulator;
        Thread simulatorThread;
        CheckpointFollower follower;
        ExecutorService judging;
        IngestService ingest;
        boolean stopped;

        void stopLoop() throws InterruptedException {
            if (stopped) {
                return;
            }
            stopped = true;
            simulator.stop();
            simulatorThread.join();
            follower.close();
            trainer.stop();
            trainerThread.join();
            judging.shutdown();
            if (!judging.awaitTermination(5, TimeUnit.MINUTES)) {
                LOG.warn("checkpoint evaluations still running after 5 minutes; the report lacks them");
            }
        }
    }

    /**
     * Starts the services unless a stop was requested first. A Ctrl-C while they start makes the JVM refuse new
     * shutdown hooks, which the broker's logging library registers on first use: the start then failed with an
     * ExceptionInInitializerError and its stack trace. Once a stop is requested, a failed start is a cancellation
     * (whatever started is closed by the caller); nothing streamed yet, so there is nothing to report.
     */
    private Services startServicesUnlessStopped(EmbeddedBrokerSettings brokerSettings, Path baseDir, LoadedModel base,
                                                Deque<Runnable> closers, JudgeEvaluator evaluator) {
        view.phase("[2/4] Starting the embedded Kafka broker and schema registry, ingest, trainer, publisher, chat simulator");
        String stopped = "stopped before streaming started (the base policy is cached; nothing to report)";
        if (stop.getCount() == 0) {
            throw new CancellationException(stopped);
        }
        try {
            return startServices(brokerSettings, baseDir, base, closers, evaluator);
        } catch (RuntimeException | Error e) {
            if (stop.getCount() == 0) {
                LOG.info("start interrupted by a stop request: {}", e.toString());
                throw new CancellationException(stopped);
            }
            throw e;
        }
    }

    private Services startServices(EmbeddedBrokerSettings brokerSettings, Path baseDir, LoadedModel base,
                                   Deque<Runnable> closers, JudgeEvaluator evaluator) {
        Services s = new Services();
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(brokerSettings);
        closers.push(() -> broker.close(Duration.ofSeconds(30)));
        try (Admin admin = Admin.create(broker.clientConfig())) {
            new TopicProvisioner(admin, Duration.ofSeconds(30)).ensure(TopicLayout.topics(TopicLayout.DEFAULT_DATA_PARTITIONS));
        }
        EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(new EmbeddedSchemaRegistry.Settings(
                Map.copyOf(broker.clientConfig()), "localhost", 0, TopicLayout.SCHEMAS, Duration.ofSeconds(30)));
        closers.push(registry::close);
        Map<String, Object> kafka = new HashMap<>(broker.clientConfig());
        kafka.put("schema.registry.url", registry.url());
        s.kafka = Map.copyOf(kafka);
        view.line("      Kafka at " + broker.bootstrapServers() + ", schema registry at " + registry.url() + ", data in "
                + settings.dataDir().toAbsolutePath().normalize());

        Map<String, Object> ingestProps = new HashMap<>(s.kafka);
        ingestProps.put("state.dir", settings.streamsStateDir().toString());
        ingestProps.put(IngestConfig.APPLICATION_ID, "prefstream-demo-ingest");
        ingestProps.put(IngestConfig.RATING_PAIRING, "MAX_VS_MIN");
        ingestProps.put(IngestConfig.METRICS_LOG_INTERVAL, "PT1M");
        s.ingest = new IngestService(IngestConfig.from(ingestProps));
        s.ingest.start();
        closers.push(() -> s.ingest.close(Duration.ofSeconds(30)));

        // the demo's choices are prefstream settings, assembled as train assembles a --config file's
        TrainingAssembly assembly = new TrainingAssembly(PrefstreamSettings.read(trainingSettings(settings)));
        StreamingTrainerConfig trainerConfig = assembly.streaming(settings.modelName(), settings.checkpointsDir());
        TrainerConfig dpo = assembly.freshCore(TrainingAssembly.CoreOptions.NONE);
        ModelSource initial = new ModelSource(baseDir, null, ModelSource.DEFAULT_SEED);
        s.trainer = new StreamingTrainer(trainerConfig, s.kafka,
                RecordingPairTrainer.wrap(DpoPairTrainer.factory(initial, dpo, trainerConfig, Device.cpu()), history),
                StreamingTrainer.resumeFromNewestCheckpoint(trainerConfig),
                new TrainerMetrics(new SimpleMeterRegistry(), settings.modelName(), clock::millis), clock);

        PublisherSettings publisherSettings = assembly.publisherSettings(settings.storeDir());
        LocalDirectoryCheckpointStore store = publisherSettings.store();
        CheckpointPublisher publisher = assembly.inProcessPublisher(s.kafka, s.trainer, trainerConfig, initial, Device.cpu(),
                publisherSettings);
        closers.push(publisher::close);
        s.judging = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "prefstream-demo-judge");
            t.setDaemon(true);
            return t;
        });
        closers.push(s.judging::shutdownNow);
        publisher.addObserver(result -> s.judging.submit(() -> judgeCheckpoint(result, store, base, evaluator)));
        s.trainer.addListener(publisher);
        s.trainerThread = new Thread(() -> {
            try {
                s.trainer.run();
            } catch (RuntimeException e) {
                LOG.error("trainer stopped with an error", e);
                view.line("      trainer stopped with an error: " + e);
            }
        }, "prefstream-demo-trainer");
        s.trainerThread.start();
        closers.push(() -> {
            s.trainer.stop();
            joinQuietly(s.trainerThread);
        });

        s.simulator = new ChatSimulator(settings.simulator(), task, judge, s.kafka, base, "base", clock);
        long maxBacklog = 4L * settings.pairsPerOptimizerStep();
        s.simulator.holdBackWhile(() -> trainable(s.ingest.counters().sum(IngestMetrics.PAIRS_OUT)) - history.pairsTrainedHere() > maxBacklog);
        closers.push(s.simulator::close);
        s.follower = new CheckpointFollower(s.kafka, TopicLayout.MODEL_REGISTRY, settings.modelName(), store,
                settings.followerCacheDir(), f -> s.simulator.offer(f.path(), f.version()));
        s.follower.start();
        closers.push(s.follower::close);
        s.simulatorThread = new Thread(() -> {
            try {
                s.simulator.run();
            } catch (RuntimeException e) {
                LOG.error("chat simulator stopped with an error", e);
                view.line("      chat simulator stopped with an error: " + e);
            }
        }, "prefstream-demo-chat");
        s.simulatorThread.start();
        closers.push(() -> {
            s.simulator.stop();
            joinQuietly(s.simulatorThread);
        });
        view.line("      trainer: DPO (sigmoid" + (settings.sftWeight() > 0 ? " + " + settings.sftWeight() + " x NLL of chosen" : "")
                + ", beta " + settings.beta() + ", lr " + settings.learningRate() + ", "
                + settings.pairsPerOptimizerStep() + " pairs/step, reference fixed at the base policy), checkpoint every "
                + settings.checkpointEverySteps() + " steps or " + settings.checkpointEvery().toSeconds() + " s");
        return s;
    }

    /** Pairs of {@code produced} the trainer will train (the held-out share is only evaluated). */
    private long trainable(long produced) {
        return Math.round(produced * (1 - settings.heldOutFraction()));
    }

    /** The streaming phase: progress bar until the time is up or a stop is requested. */
    private void streamFor(Services s) throws InterruptedException {
        view.phase(String.format(Locale.ROOT, "[3/4] Streaming feedback for %s: chat simulator -> preference-events -> ingest -> preference-pairs -> DPO -> checkpoints -> gate -> model-registry -> simulator",
                DemoView.clock(settings.duration().toMillis())));
        view.checkpointHeader();
        long begin = clock.millis();
        long total = settings.duration().toMillis();
        while (true) {
            long elapsed = clock.millis() - begin;
            SimulatorStats st = s.simulator.stats();
            RunHistory.StepPoint last = history.lastStep();
            long events = st.ratings() + st.thumbs() + st.duplicates() + st.comparisons() + st.rankings() + st.garbage();
            view.progress((double) elapsed / total, DemoView.clock(elapsed) + "/" + DemoView.clock(total),
                    String.format(Locale.ROOT, "events %d  step %d  loss %s  serving %s (reward %s)", events,
                            last == null ? 0 : last.step(), last == null ? "-" : String.format(Locale.ROOT, "%.3f", last.loss()),
                            st.servedVersion(), DemoView.orDash(st.recentReward())));
            if (elapsed >= total || stop.await(Math.min(1000, total - elapsed), TimeUnit.MILLISECONDS)) {
                return;
            }
        }
    }

    /**
     * What the demo trains and gates with, as the {@code prefstream.*} settings a {@code --config} file would give
     * {@code train}: short rows (128 tokens, prompts cut to 96 keeping their end), a fixed reference at the base
     * policy, one endless iteration, a batch closed after 3 s, no metrics endpoint; the publisher evaluates with the
     * training beta and lengths, 16 pairs a pass, and its gate asks for at least 20 held-out pairs (an accuracy
     * measured on fewer is too lucky a bar for the next candidates).
     */
    static Properties trainingSettings(DemoSettings settings) {
        Properties p = new Properties();
        set(p, StreamingTrainerConfig.MICRO_BATCH_PAIRS, settings.pairsPerOptimizerStep());
        set(p, StreamingTrainerConfig.GRADIENT_ACCUMULATION, 1);
        set(p, StreamingTrainerConfig.MAX_BATCH_WAIT_MS, 3000);
        set(p, StreamingTrainerConfig.ITERATION_STEPS, 0);
        set(p, StreamingTrainerConfig.REFERENCE_MODE, ReferenceMode.FIXED);
        set(p, StreamingTrainerConfig.CHECKPOINT_STEPS, settings.checkpointEverySteps());
        set(p, StreamingTrainerConfig.CHECKPOINT_SECONDS, settings.checkpointEvery().toSeconds());
        set(p, StreamingTrainerConfig.HELD_OUT_FRACTION, settings.heldOutFraction());
        set(p, StreamingTrainerConfig.START_FROM_EARLIEST, true);
        set(p, StreamingTrainerConfig.METRICS_PORT, -1);
        set(p, DpoSettings.LEARNING_RATE, settings.learningRate());
        set(p, DpoSettings.BETA, settings.beta());
        if (settings.sftWeight() > 0) {
            set(p, DpoSettings.LOSS, "sigmoid,sft"); // RPO: DPO plus an NLL term on the chosen answers
            set(p, DpoSettings.LOSS_WEIGHTS, "1.0," + settings.sftWeight());
        } else {
            set(p, DpoSettings.LOSS, "sigmoid");
        }
        set(p, DpoSettings.MAX_LENGTH, 128);
        set(p, DpoSettings.MAX_PROMPT_LENGTH, 96);
        set(p, DpoSettings.TRUNCATION, "keep_end");
        set(p, DpoSettings.CLIP_NORM, 1.0);
        set(p, DpoSettings.SEED, settings.base().initSeed());
        if (settings.lora().enabled()) {
            set(p, LoraSettings.RANK, settings.lora().rank());
            set(p, LoraSettings.ALPHA, settings.lora().alpha());
            set(p, LoraSettings.DROPOUT, settings.lora().dropout());
            if (!settings.lora().targets().isEmpty()) {
                set(p, LoraSettings.TARGETS, String.join(",", settings.lora().targets()));
            }
        }
        set(p, PublisherSettings.ACCURACY_TOLERANCE, settings.gateTolerance());
        set(p, PublisherSettings.MIN_HELD_OUT_PAIRS, 20);
        set(p, PublisherSettings.EVAL_BETA, settings.beta());
        set(p, PublisherSettings.EVAL_MAX_LENGTH, 128);
        set(p, PublisherSettings.EVAL_MAX_PROMPT_LENGTH, 96);
        set(p, PublisherSettings.EVAL_TRUNCATION, "keep_end");
        set(p, PublisherSettings.EVAL_BATCH_PAIRS, 16);
        set(p, PublisherSettings.KL_MAX_NEW_TOKENS, settings.evaluation().maxNewTokens());
        return p;
    }

    private static void set(Properties p, dev.prefstream.trainer.settings.SettingKey<?> key, Object value) {
        p.setProperty(key.name(), String.valueOf(value));
    }

    /** The demo's publisher settings (gate and evaluation), as {@link #trainingSettings} gives them. */
    static PublisherSettings publisherSettings(DemoSettings settings) {
        return new TrainingAssembly(PrefstreamSettings.read(trainingSettings(settings))).publisherSettings(settings.storeDir());
    }

    /** The demo's gate. */
    static GateConfig gateConfig(DemoSettings settings) {
        return publisherSettings(settings).gate();
    }

    /** The report's "how to read the table", with this run's gate and sampling settings. */
    static String reportLegend(DemoSettings settings, int heldOutPrompts) {
        EvaluationConfig e = publisherSettings(settings).evaluation();
        return DemoReport.legend(gateConfig(settings), GateConfig.defaults(), e.klPrompts() * e.klSamples(), heldOutPrompts,
                settings.evaluation().samplesPerPrompt());
    }

    /** Measures a published checkpoint with the judge and adds its line (runs on the judging thread). */
    private void judgeCheckpoint(PublishResult result, LocalDirectoryCheckpointStore store, LoadedModel base,
                                 JudgeEvaluator evaluator) {
        ModelCheckpoint r = result.record();
        double reward = Double.NaN;
        double exact = Double.NaN;
        double kl = Double.NaN;
        try {
            VerifiedCheckpoint cp = store.fetch(java.net.URI.create(r.getArtifactUri()), r.getManifestSha256(), settings.followerCacheDir());
            try (LoadedModel policy = LoraCheckpoints.loadCheckpoint(cp.dir(), Device.cpu())) {
                JudgeEvaluator.Evaluation e = evaluator.evaluate(policy, base);
                reward = e.meanReward();
                exact = e.exactRate();
                kl = e.klToBase();
            }
        } catch (RuntimeException e) {
            LOG.warn("cannot judge checkpoint {}: {}", r.getVersion(), e.toString());
        }
        Map<String, Double> m = r.getMetrics();
        RunHistory.StepPoint step = history.stepAtOrBefore(r.getStep());
        RunHistory.CheckpointPoint point = new RunHistory.CheckpointPoint(r.getVersion(), r.getStep(), r.getPairsTrained(),
                step == null ? Double.NaN : step.loss(), step == null ? Double.NaN : step.accuracy(),
                step == null ? Double.NaN : step.margin(), result.metrics().accuracy(),
                m.getOrDefault(CandidateMetrics.KL, Double.NaN), r.getStatus().name(),
                r.getStatusReason() == null ? "" : r.getStatusReason(), reward, exact, kl);
        history.addCheckpoint(point);
        view.checkpoint(point);
    }

    private DemoSummary summarize(LoadedModel base, JudgeEvaluator.Evaluation baseEval, JudgeEvaluator evaluator,
                                  Optional<ModelCheckpoint> promoted, Optional<VerifiedCheckpoint> last, Services s,
                                  Map<String, Long> pairsByKind, long dlq, double minutes) {
        JudgeEvaluator.Evaluation finalEval = baseEval;
        String finalVersion = "base";
        if (promoted.isPresent()) {
            ModelCheckpoint p = promoted.get();
            try {
                VerifiedCheckpoint cp = new LocalDirectoryCheckpointStore(settings.storeDir())
                        .fetch(java.net.URI.create(p.getArtifactUri()), p.getManifestSha256(), settings.followerCacheDir());
                try (LoadedModel policy = LoraCheckpoints.loadCheckpoint(cp.dir(), Device.cpu())) {
                    finalEval = evaluator.evaluate(policy, base);
                    finalVersion = p.getVersion();
                }
            } catch (RuntimeException e) {
                LOG.error("cannot load the final promoted checkpoint {}; reporting the base policy as final", p.getVersion(), e);
            }
        }
        int prompts = evaluator.prompts().size();
        double[] d = new double[prompts];
        double mean = 0;
        for (int i = 0; i < prompts; i++) {
            d[i] = finalEval.perPromptReward()[i] - baseEval.perPromptReward()[i];
            mean += d[i] / prompts;
        }
        double var = 0;
        for (double x : d) {
            var += (x - mean) * (x - mean) / Math.max(1, prompts - 1);
        }
        double se = Math.sqrt(var / prompts);
        boolean improved = mean > 0 && mean > 2 * se;
        List<DemoSummary.SideBySide> sbs = new ArrayList<>();
        for (int i = 0; i < Math.min(settings.sideBySide(), prompts); i++) {
            TaskPrompt p = evaluator.prompts().get(i);
            String b = baseEval.firstAnswers().get(i);
            String f = finalEval.firstAnswers().get(i);
            sbs.add(new DemoSummary.SideBySide(p.userMessage(), b, judge.reward(p, b), f, judge.reward(p, f)));
        }
        SimulatorStats st = s.simulator.stats();
        Map<String, Long> events = new LinkedHashMap<>();
        events.put("rating", st.ratings());
        events.put("thumbs", st.thumbs());
        events.put("thumbs_duplicates", st.duplicates());
        events.put("comparison", st.comparisons());
        events.put("ranking", st.rankings());
        events.put("garbage", st.garbage());
        List<RunHistory.CheckpointPoint> cps = history.checkpoints();
        return new DemoSummary(baseEval.meanReward(), finalEval.meanReward(), se, improved, baseEval.exactRate(),
                finalEval.exactRate(), finalEval.klToBase(), finalVersion, cps.size(),
                (int) cps.stream().filter(RunHistory.CheckpointPoint::promoted).count(),
                last.map(c -> c.manifest().pairsTrained()).orElse(promoted.map(ModelCheckpoint::getPairsTrained).orElse(0L)),
                last.map(VerifiedCheckpoint::step).orElse(promoted.map(ModelCheckpoint::getStep).orElse(0L)),
                pairsByKind, dlq, events, st.swaps(), minutes, prompts, settings.evaluation().samplesPerPrompt(),
                settings.evaluation().temperature(), sbs);
    }

    /** Deletes what a previous run left (broker log, ingest state, checkpoints, store, report), keeping the base policy. */
    private void freshStart(Path kafkaDir) {
        try {
            for (Path p : List.of(kafkaDir, settings.streamsStateDir(), settings.checkpointsDir(), settings.storeDir(),
                    settings.followerCacheDir(), settings.reportDir())) {
                BasePolicy.deleteTree(p);
            }
            java.nio.file.Files.deleteIfExists(settings.historyFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clear the previous run's data in " + settings.dataDir(), e);
        }
    }

    private static void closeAll(Deque<Runnable> closers) {
        while (!closers.isEmpty()) {
            try {
                closers.pop().run();
            } catch (RuntimeException e) {
                LOG.warn("error while stopping: {}", e.toString());
            }
        }
    }

    private static void joinQuietly(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
