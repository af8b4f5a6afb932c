package dev.prefstream.cli.demo;

import ai.djl.Device;
import dev.prefstream.cli.demo.FeedbackEvents.Answer;
import dev.prefstream.cli.demo.FeedbackEvents.Conversation;
import dev.prefstream.schemas.TopicLayout;
import dev.prefstream.schemas.avro.ComparisonOutcome;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.serde.AvroSerdes;
import dev.prefstream.trainer.lora.LoraCheckpoints;
import dev.prefstream.trainer.model.HfModelLoader;
import dev.prefstream.trainer.model.LoadedModel;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Plays production chat: in rounds, draws task prompts, samples several answers from the policy it serves, and
 * sends feedback as real {@link PreferenceEvent}s (Avro, through the registry-aware serde) to
 * {@code preference-events}: the AI judge's rating of every answer, and simulated humans with their noise (thumbs
 * that arrive late and are sometimes delivered twice, A/B comparisons, rankings), plus now and then a record that
 * is not in the wire format at all, which ingest must dead-letter.
 *
 * <p>The served policy is hot-swapped: {@link #offer} (called by the checkpoint follower's thread) only records the
 * newest promoted checkpoint; the simulator thread loads it between rounds and drops the old one, so sampling and
 * swapping never race. On {@link #stop()} every late event still held back is sent before the producer closes:
 * nothing is lost.
 */
public final class ChatSimulator implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ChatSimulator.class);

    private final SimulatorConfig config;
    private final LetterCountTask task;
    private final LetterCountJudge judge;
    private final Clock clock;
    private final KafkaProducer<String, byte[]> producer;
    private final Serializer<PreferenceEvent> serializer;
    private final SimulatorStats stats = new SimulatorStats();
    private final AtomicReference<Offer> pending = new AtomicReference<>();
    private final PriorityQueue<Delayed> late = new PriorityQueue<>((a, b) -> Long.compare(a.due, b.due));
    private final SplittableRandom random;
    private final String runId;
    private LoadedModel served;
    private boolean ownsServed;
    private volatile boolean stopping;
    private volatile java.util.function.BooleanSupplier holdBack = () -> false;
    private long sequence;

    private record Offer(Path dir, String version) {
    }

    private record Delayed(long due, String key, byte[] value, boolean duplicate) {
    }

    /**
     * @param config         behaviour
     * @param task           prompts
     * @param judge          the AI judge
     * @param kafka          client settings incl. bootstrap.servers and schema.registry.url
     * @param initial        the policy served until a promoted checkpoint arrives (not owned)
     * @param initialVersion its version label
     * @param clock          event time
     */
    public ChatSimulator(SimulatorConfig config, LetterCountTask task, LetterCountJudge judge, Map<String, Object> kafka,
                         LoadedModel initial, String initialVersion, Clock clock) {
        this.config = config;
        this.task = task;
        this.judge = judge;
        this.clock = clock;
        this.served = initial;
        this.random = new SplittableRandom(config.seed());
        this.runId = Long.toHexString(clock.millis());
        stats.servedVersion.set(initialVersion);
        Map<String, Object> p = new HashMap<>(kafka);
        p.remove("schema.registry.url");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "prefstream-demo-chat");
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        this.serializer = AvroSerdes.specific(PreferenceEvent.class, kafka, false).serializer();
    }

    /** Counters for the view and the report. */
    public SimulatorStats stats() {
        return stats;
    }

    /** A newer promoted checkpoint to serve from the next round on (thread-safe; the newest offer wins). */
    public void offer(Path checkpointDir, String version) {
        pending.set(new Offer(checkpointDir, version));
    }

    /**
     * Back-pressure: while {@code holdBack} says so, no new conversation starts (late feedback is still delivered).
     * The demo holds back while the trainer has more than a few steps of pairs waiting, so that feedback stays
     * close to on-policy and sampling does not take the CPU the trainer needs.
     */
    public void holdBackWhile(java.util.function.BooleanSupplier condition) {
        this.holdBack = condition;
    }

    /** Asks {@link #run()} to return after the current round. */
    public void stop() {
        stopping = true;
    }

    /** Runs rounds until {@link #stop()}; then sends every held-back late event and flushes. */
    public void run() {
        try {
            while (!stopping) {
                swapIfOffered();
                if (holdBack.getAsBoolean()) {
                    sendDue(clock.millis());
                    pause(200);
                    continue;
                }
                round();
                sendDue(clock.millis());
                pause(config.roundPause());
            }
        } finally {
            sendDue(Long.MAX_VALUE); // late feedback still in flight is delivered, not dropped
            producer.flush();
        }
    }

    private void pause(long ms) {
        long until = clock.millis() + ms;
        while (!stopping && clock.millis() < until) {
            try {
                Thread.sleep(Math.min(50, Math.max(1, until - clock.millis())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stopping = true;
            }
        }
    }

    private void swapIfOffered() {
        Offer o = pending.getAndSet(null);
        if (o == null) {
            return;
        }
        try {
            LoadedModel next = LoraCheckpoints.loadCheckpoint(o.dir(), Device.cpu());
            LoadedModel previous = served;
            boolean ownedPrevious = ownsServed;
            served = next;
            ownsServed = true;
            if (ownedPrevious) {
                previous.close();
            }
            stats.servedVersion.set(o.version());
            stats.swaps.incrementAndGet();
            stats.resetRecent();
            LOG.info("Chat simulator now serves {} from {}", o.version(), o.dir());
        } catch (RuntimeException e) {
            LOG.error("Chat simulator cannot load checkpoint {} from {}; keeps serving {}: {}", o.version(), o.dir(),
                    stats.servedVersion(), e.getMessage());
        }
    }

    /** One batch of conversations and their feedback. */
    void round() {
        List<TaskPrompt> prompts = new ArrayList<>();
        for (int i = 0; i < config.promptsPerRound(); i++) {
            prompts.add(task.draw(random));
        }
        int k = config.responsesPerPrompt();
        List<String> texts = new PolicySampler(served.model(), served.tokenizer())
                .sample(prompts, k, config.maxNewTokens(), config.temperature(), random.nextLong());
        String version = stats.servedVersion();
        long now = clock.millis();
        for (int i = 0; i < prompts.size(); i++) {
            TaskPrompt prompt = prompts.get(i);
            String conversationId = "conv-" + runId + "-" + (++sequence);
            Set<String> distinct = new LinkedHashSet<>();
            for (int j = 0; j < k; j++) {
                String t = texts.get(i * k + j);
                stats.recordReward(judge.reward(prompt, t));
                stats.answers.incrementAndGet();
                if (!t.isBlank()) {
                    distinct.add(t);
                }
            }
            stats.conversations.incrementAndGet();
            if (distinct.size() < 2) {
                stats.skippedConversations.incrementAndGet(); // nothing to prefer: production would log no feedback
                continue;
            }
            List<Answer> answers = new ArrayList<>();
            int n = 0;
            for (String t : distinct) {
                answers.add(new Answer(conversationId + "-r" + (n++), t, judge.reward(prompt, t)));
            }
            feedback(new Conversation(conversationId, prompt, version, answers), now);
        }
        if (random.nextDouble() < config.garbageProbability()) {
            sendGarbage();
        }
    }

    private void feedback(Conversation c, long now) {
        Instant at = Instant.ofEpochMilli(now);
        send(c.id(), FeedbackEvents.rating(c.id() + "-rating", at, c));
        stats.ratings.incrementAndGet();
        String user = "user-" + Integer.toHexString(random.nextInt(64) + 0x100);
        List<Answer> answers = c.answers();
        if (random.nextDouble() < config.thumbsProbability()) {
            int first = random.nextInt(answers.size());
            int second = (first + 1 + random.nextInt(answers.size() - 1)) % answers.size();
            for (int idx : new int[] {first, second}) {
                Answer a = answers.get(idx);
                boolean up = perceive(a) >= config.thumbsUpAt();
                long clicked = now + random.nextLong(2_000);
                PreferenceEvent e = FeedbackEvents.thumbs(c.id() + "-thumb-" + idx, Instant.ofEpochMilli(clicked), user, c, a, up);
                byte[] bytes = serializer.serialize(TopicLayout.PREFERENCE_EVENTS, e);
                long delivered = clicked + (config.maxThumbsDelayMs() == 0 ? 0 : random.nextLong(config.maxThumbsDelayMs() + 1));
                late.add(new Delayed(delivered, c.id(), bytes, false));
                if (random.nextDouble() < config.duplicateProbability()) {
                    late.add(new Delayed(delivered + random.nextLong(3_000), c.id(), bytes, true));
                }
            }
        }
        if (random.nextDouble() < config.comparisonProbability()) {
            int first = random.nextInt(answers.size());
            int second = (first + 1 + random.nextInt(answers.size() - 1)) % answers.size();
            Answer a = answers.get(first);
            Answer b = answers.get(second);
            double pa = perceive(a);
            double pb = perceive(b);
            ComparisonOutcome outcome = Math.abs(pa - pb) < 0.05 ? ComparisonOutcome.TIE
                    : pa > pb ? ComparisonOutcome.A : ComparisonOutcome.B;
            send(c.id(), FeedbackEvents.comparison(c.id() + "-ab", at, user, c, a, b, outcome));
            stats.comparisons.incrementAndGet();
        }
        if (random.nextDouble() < config.rankingProbability()) {
            double[] perceived = new double[answers.size()];
            for (int i = 0; i < perceived.length; i++) {
                perceived[i] = Math.round(perceive(answers.get(i)) * 10) / 10.0; // people rank coarsely: ties happen
            }
            send(c.id(), FeedbackEvents.ranking(c.id() + "-rank", at, user, c, perceived));
            stats.rankings.incrementAndGet();
        }
    }

    /** What a person thinks of an answer: the true quality plus their noise. */
    private double perceive(Answer a) {
        return a.reward() + config.thumbsNoise() * gaussian();
    }

    private double gaussian() {
        double u1 = random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2.0 * Math.log(1.0 - u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    private void send(String key, PreferenceEvent event) {
        producer.send(new ProducerRecord<>(TopicLayout.PREFERENCE_EVENTS, key, serializer.serialize(TopicLayout.PREFERENCE_EVENTS, event)));
    }

    /** Alternately: JSON text (no magic byte) and a wire-format header naming a schema id the registry never issued. */
    private void sendGarbage() {
        long n = stats.garbage.incrementAndGet();
        byte[] bytes;
        if (n % 2 == 1) {
            bytes = "{\"thumb\":\"up\",\"note\":\"json from an old client\"}".getBytes(StandardCharsets.UTF_8);
        } else {
            bytes = ByteBuffer.allocate(9).put((byte) 0).putInt(987_654_321).putInt(42).array();
        }
        producer.send(new ProducerRecord<>(TopicLayout.PREFERENCE_EVENTS, "garbage-" + n, bytes));
    }

    private void sendDue(long now) {
        while (!late.isEmpty() && late.peek().due() <= now) {
            Delayed d = late.poll();
            producer.send(new ProducerRecord<>(TopicLayout.PREFERENCE_EVENTS, d.key(), d.value()));
            if (d.duplicate()) {
                stats.duplicates.incrementAndGet();
            } else {
                stats.thumbs.incrementAndGet();
            }
        }
    }

    /** Closes the producer (after {@link #run()} returned) and the checkpoint model it loaded, if any. */
    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
        serializer.close();
        if (ownsServed && served != null) {
            served.close();
        }
    }
}
