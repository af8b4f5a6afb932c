package dev.prefstream.ingest.topology;

import dev.prefstream.ingest.config.IngestConfig;
import dev.prefstream.ingest.dedup.PairObservationsSerde;
import dev.prefstream.ingest.feedback.FeedbackVoteSerde;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.schemas.serde.AvroSerdes;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;

/**
 * The ingest topology, {@code preference-events -> preference-pairs} with bad input to {@code preference-events-dlq}:
 * <pre>
 *  events (byte[] key, PreferenceEvent; event time = occurred_at)
 *    -> validate          invalid -> DLQ (original bytes); AI-judge policy; key := prompt_id
 *    -> repartition       "events-by-prompt" (String, the input's bytes): every event of a prompt on one task
 *    -> binarize          per kind; thumbs via the vote store "feedback-votes"; key := pair_id; degenerate -> DLQ
 *    -> dedup             FixedKeyProcessor over the window store "seen-pairs": duplicates dropped, conflicts weighted
 *    -> pairs (String pair_id, PreferencePair)
 * </pre>
 * Undeserializable input is dead-lettered by {@link DeadLetterDeserializationHandler}, rejected records by
 * {@link DeadLetterProcessingHandler}; {@link #streamsProperties(IngestConfig)} wires both and exactly-once.
 * Pair ids embed the prompt id, so dedup needs no second repartition.
 */
public final class IngestTopology {

    public static final String VOTE_STORE = "feedback-votes";
    public static final String DEDUP_STORE = "seen-pairs";
    public static final String REPARTITION = "events-by-prompt";

    /**
     * The stores are windowed by event time (occurred_at), but the broker deletes changelog records by their
     * timestamp and wall-clock retention (store retention + 1 day). Replayed or imported events can be weeks old,
     * and their store entries would be deleted from the changelog at once, so a restore after a restart would
     * forget them. Stamping changelog records with the broker's append time makes the changelog keep every entry
     * for the retention from when it was written; the local store still expires entries by event time.
     */
    private static final Map<String, String> CHANGELOG_CONFIG = Map.of("message.timestamp.type", "LogAppendTime");

    private IngestTopology() {
    }

    public static Topology build(IngestConfig config) {
        Map<String, Object> serdeConfig = config.serdeConfig();
        Serde<PreferenceEvent> eventSerde = AvroSerdes.specific(PreferenceEvent.class, serdeConfig, false);
        Serde<PreferencePair> pairSerde = AvroSerdes.specific(PreferencePair.class, serdeConfig, false);
        // events keep the bytes they were read from, which the repartition writes again (stage 1 changes no event)
        Serde<EncodedEvent> encodedEventSerde = new EncodedEventSerde(eventSerde);

        StreamsBuilder builder = new StreamsBuilder();
        // votes pair within one feedback window of each other; keeping two windows lets a late vote still find
        // the partners it would have had on time
        Duration voteRetention = config.feedbackWindow().multipliedBy(2);
        builder.addStateStore(Stores.windowStoreBuilder(
                        Stores.persistentWindowStore(VOTE_STORE, voteRetention, Duration.ofMillis(1), true),
                        Serdes.String(), new FeedbackVoteSerde())
                .withLoggingEnabled(CHANGELOG_CONFIG));
        builder.addStateStore(Stores.windowStoreBuilder(
                        Stores.persistentWindowStore(DEDUP_STORE, config.dedupRetention(), Duration.ofMillis(1), false),
                        Serdes.String(), new PairObservationsSerde())
                // no cache: every pair id is written once (repeats only bump a count), so a cache saves no writes
                // but puts a merge of cache and RocksDB iterators into every lookup
                .withLoggingEnabled(CHANGELOG_CONFIG));

        builder.stream(config.inputTopic(), Consumed.with(Serdes.ByteArray(), encodedEventSerde)
                        .withTimestampExtractor(new OccurredAtTimestampExtractor(config.maxFutureSkew()))
                        .withName("events"))
                .process(() -> new ValidateProcessor(config), Named.as("validate"))
                .repartition(Repartitioned.with(Serdes.String(), encodedEventSerde).withName(REPARTITION))
                .process(() -> new BinarizeProcessor(config, VOTE_STORE), Named.as("binarize"), VOTE_STORE)
                .processValues(() -> new DedupProcessor(config, DEDUP_STORE), Named.as("dedup"), DEDUP_STORE)
                .to(config.outputTopic(), Produced.with(Serdes.String(), pairSerde).withName("pairs"));
        return builder.build();
    }

    /**
     * The Streams properties to run {@link #build(IngestConfig)} with: the pass-through client properties, the
     * application id, exactly-once v2, a 1 s commit interval and one stream thread per core (at most 4) unless configured, and the two dead-letter handlers (which read the DLQ topic from the ingest
     * keys included here).
     */
    public static Properties streamsProperties(IngestConfig config) {
        Properties props = config.streamsProperties();
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        // exactly-once commits a transaction every commit interval (100 ms by default); each costs a flush and two
        // round trips to the transaction coordinator. A second amortizes that over ~10x more records; pairs become
        // visible to read_committed readers (the trainer) at most ~1 s after their event. Overridable in the config.
        props.putIfAbsent(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "1000");
        // one stream thread runs validate, binarize and dedup for every task in series and is CPU-bound (profiled:
        // ~70% of the Java samples of bench ingest's process, rarely waiting), so with a remote broker it caps the app
        // at about one core. A thread per core lets stage 1 and stage 2 tasks run in parallel; each extra thread costs
        // one consumer, one transactional producer and its own commits. On the 2-core bench box, where the in-process
        // broker takes the other core, 1 and 2 threads measured the same (README). Overridable.
        props.putIfAbsent(StreamsConfig.NUM_STREAM_THREADS_CONFIG, String.valueOf(defaultStreamThreads()));
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterDeserializationHandler.class.getName());
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterProcessingHandler.class.getName());
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, "true");
        props.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterProductionHandler.class.getName());
        props.put(DeserializationFailureTally.CONFIG_KEY, new DeserializationFailureTally());
        props.put(IngestConfig.TOPIC_EVENTS, config.inputTopic());
        props.put(IngestConfig.TOPIC_PAIRS, config.outputTopic());
        props.put(IngestConfig.TOPIC_DLQ, config.dlqTopic());
        return props;
    }

    /** The available cores, at least 1 and at most {@value #MAX_DEFAULT_STREAM_THREADS}. */
    static int defaultStreamThreads() {
        return Math.max(1, Math.min(MAX_DEFAULT_STREAM_THREADS, Runtime.getRuntime().availableProcessors()));
    }

    /** More threads than this rarely pay off for a default: each needs tasks (partitions) to work on. */
    private static final int MAX_DEFAULT_STREAM_THREADS = 4;
}
