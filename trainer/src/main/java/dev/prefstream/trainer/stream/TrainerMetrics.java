package dev.prefstream.trainer.stream;

import dev.prefstream.trainer.dpo.StepMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The trainer's Micrometer meters (exported by {@link PrometheusEndpoint}): the last step's DPO metrics as gauges
 * ({@code prefstream_trainer_loss}, {@code prefstream_trainer_rewards_margins}, ...), counters of pairs, tokens and
 * steps (Prometheus' rate() gives pairs/s and tokens/s), pairs/s and tokens/s of the last step, consumer lag,
 * checkpoint age, and promotions/rejections reported by the publisher.
 */
public final class TrainerMetrics {

    private final MeterRegistry registry;
    private final String model;
    private final Counter pairs;
    private final Counter tokens;
    private final Counter steps;
    private final Counter heldOut;
    private final Counter truncated;
    private final Counter badRecords;
    private final Counter deadLettersUndeliverable;
    private final Counter checkpoints;
    private final Counter promotions;
    private final Counter rejections;
    private final AtomicLong lag = new AtomicLong();
    private final AtomicLong lastCheckpointMillis = new AtomicLong(-1);
    private final AtomicDoubleHolder pairsPerSecond = new AtomicDoubleHolder();
    private final AtomicDoubleHolder tokensPerSecond = new AtomicDoubleHolder();
    private final AtomicDoubleHolder loss;
    private final AtomicDoubleHolder rewardsChosen;
    private final AtomicDoubleHolder rewardsRejected;
    private final AtomicDoubleHolder rewardsAccuracies;
    private final AtomicDoubleHolder rewardsMargins;
    private final AtomicDoubleHolder logpsChosen;
    private final AtomicDoubleHolder logpsRejected;
    private final AtomicDoubleHolder gradNorm;
    private final AtomicDoubleHolder learningRate;
    private final AtomicDoubleHolder tokensPerS;
    private final AtomicDoubleHolder skipped;

    /** Mutable double for gauges (Micrometer gauges hold a weak reference to their state object). */
    private static final class AtomicDoubleHolder {
        volatile double value = Double.NaN;
    }

    public TrainerMetrics(MeterRegistry registry, String modelName, LongSupplier clockMillis) {
        this.registry = registry;
        this.model = modelName;
        this.pairs = Counter.builder("prefstream.trainer.pairs").description("Pairs trained").tag("model", model).register(registry);
        this.tokens = Counter.builder("prefstream.trainer.tokens").description("Tokens (chosen + rejected) trained").tag("model", model).register(registry);
        this.steps = Counter.builder("prefstream.trainer.steps").description("Optimizer steps").tag("model", model).register(registry);
        this.heldOut = Counter.builder("prefstream.trainer.held.out.pairs").description("Pairs skipped because they are held out for evaluation").tag("model", model).register(registry);
        this.truncated = Counter.builder("prefstream.trainer.truncated.pairs").description("Pairs truncated to the max length (trained, not dropped)").tag("model", model).register(registry);
        this.deadLettersUndeliverable = Counter.builder("prefstream.trainer.dlq.undeliverable")
                .description("Checkpoints put off (or the trainer stopped) because dead letters were not acknowledged").tag("model", model).register(registry);
        this.badRecords = Counter.builder("prefstream.trainer.bad.records").description("Records that could not be decoded (skipped, logged)").tag("model", model).register(registry);
        this.checkpoints = Counter.builder("prefstream.trainer.checkpoints").description("Checkpoints written").tag("model", model).register(registry);
        this.promotions = Counter.builder("prefstream.publisher.promotions").description("Checkpoints promoted").tag("model", model).register(registry);
        this.rejections = Counter.builder("prefstream.publisher.rejections").description("Checkpoints rejected by the gate").tag("model", model).register(registry);
        Gauge.builder("prefstream.trainer.consumer.lag", lag, AtomicLong::get).description("Pairs on the input topic not yet consumed").tag("model", model).register(registry);
        Gauge.builder("prefstream.trainer.checkpoint.age.seconds", lastCheckpointMillis,
                        t -> t.get() < 0 ? Double.NaN : (clockMillis.getAsLong() - t.get()) / 1000.0)
                .description("Seconds since the last checkpoint").tag("model", model).register(registry);
        Gauge.builder("prefstream.trainer.pairs.per.second", pairsPerSecond, h -> h.value).description("Pairs/s of the last step").tag("model", model).register(registry);
        Gauge.builder("prefstream.trainer.tokens.per.second", tokensPerSecond, h -> h.value).description("Tokens/s of the last step").tag("model", model).register(registry);
        this.loss = stepGauge("loss");
        this.rewardsChosen = stepGauge("rewards/chosen");
        this.rewardsRejected = stepGauge("rewards/rejected");
        this.rewardsAccuracies = stepGauge("rewards/accuracies");
        this.rewardsMargins = stepGauge("rewards/margins");
        this.logpsChosen = stepGauge("logps/chosen");
        this.logpsRejected = stepGauge("logps/rejected");
        this.gradNorm = stepGauge("grad_norm");
        this.learningRate = stepGauge("learning_rate");
        this.tokensPerS = stepGauge("tokens_per_s");
        this.skipped = stepGauge("skipped");
    }

    /** The registry these meters live in. */
    public MeterRegistry registry() {
        return registry;
    }

    /** Records one optimizer step: its pairs, tokens and truncations counted, its other metrics as last-step gauges. */
    public void step(StepMetrics m, long stepNanos) {
        steps.increment();
        pairs.increment(m.pairs());
        double seconds = Math.max(stepNanos, 1) / 1e9;
        pairsPerSecond.value = m.pairs() / seconds;
        tokens.increment(m.tokens());
        tokensPerSecond.value = m.tokens() / seconds;
        if (m.truncated() > 0) {
            truncated.increment(m.truncated());
        }
        loss.value = m.loss();
        rewardsChosen.value = m.rewardsChosen();
        rewardsRejected.value = m.rewardsRejected();
        rewardsAccuracies.value = m.rewardsAccuracies();
        rewardsMargins.value = m.rewardsMargins();
        logpsChosen.value = m.logpsChosen();
        logpsRejected.value = m.logpsRejected();
        gradNorm.value = m.gradNorm();
        learningRate.value = m.learningRate();
        tokensPerS.value = m.tokensPerS();
        skipped.value = m.skipped() ? 1.0 : 0.0;
    }

    /** A last-step gauge named after the step metric's TRL name: rewards/margins -> prefstream_trainer_rewards_margins. */
    private AtomicDoubleHolder stepGauge(String metricName) {
        AtomicDoubleHolder h = new AtomicDoubleHolder();
        String meter = "prefstream.trainer." + metricName.replaceAll("[^A-Za-z0-9]+", ".");
        Gauge.builder(meter, h, x -> x.value).description("Last step's " + metricName).tag("model", model).register(registry);
        return h;
    }

    /** Pairs skipped as held out. */
    public void heldOut() {
        heldOut.increment();
    }

    /** A record that could not be decoded. */
    public void badRecord() {
        badRecords.increment();
    }

    /** Dead letters were not acknowledged before a checkpoint (it was put off, or the trainer stopped). */
    public void deadLettersUndeliverable() {
        deadLettersUndeliverable.increment();
    }

    /** Current consumer lag (sum over partitions). */
    public void lag(long pairsBehind) {
        lag.set(pairsBehind);
    }

    /** A checkpoint was written at {@code atMillis}. */
    public void checkpointWritten(long atMillis) {
        checkpoints.increment();
        lastCheckpointMillis.set(atMillis);
    }

    /** The gate promoted a checkpoint. */
    public void promoted() {
        promotions.increment();
    }

    /** The gate rejected a checkpoint. */
    public void rejected() {
        rejections.increment();
    }
}
