package dev.prefstream.ingest.config;

import dev.prefstream.schemas.TopicLayout;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Everything the ingest topology and service are configured with, typed and validated once.
 *
 * <p>Keys starting with {@code ingest.} are ours (listed below with their defaults). Every other key is a Kafka,
 * Kafka Streams or serde property ({@code bootstrap.servers}, {@code security.protocol}, {@code sasl.*},
 * {@code ssl.*}, {@code schema.registry.url}, ...) and is passed through unchanged to the Streams client and the
 * Avro serdes. Unknown {@code ingest.*} keys are rejected so that a typo does not silently fall back to a default.
 *
 * @param applicationId      {@code application.id}: the Streams application id, also the consumer group and state-dir name (default {@code prefstream-ingest})
 * @param inputTopic         {@code ingest.topic.events}: topic of the raw PreferenceEvents
 * @param outputTopic        {@code ingest.topic.pairs}: topic the PreferencePairs are written to
 * @param dlqTopic           {@code ingest.topic.dlq}: dead-letter topic for input ingest cannot use
 * @param rankingStrategy    {@code ingest.ranking.strategy}: how rankings become pairs (default BEST_VS_WORST)
 * @param ratingScore        {@code ingest.rating.score}: which number is a rated response's score (default OVERALL)
 * @param ratingPairing      {@code ingest.rating.pairing}: which rated responses pair (default BEST_VS_RANDOM_LOWER)
 * @param ratingMinMargin    {@code ingest.rating.min-margin}: minimum score difference for a rating pair (default 0: any strictly positive difference)
 * @param aiJudgePolicy      {@code ingest.ai-judge.policy}: KEEP or DROP AI-judge events (default KEEP)
 * @param aiJudgeWeight      {@code ingest.ai-judge.weight}: weight multiplier of pairs from AI-judge events, in (0,1] (default 1.0)
 * @param feedbackWindow     {@code ingest.feedback.window}: thumbs votes on the same prompt pair only when they occurred at most this far apart; also the retention of the vote store (default PT24H)
 * @param maxVotesPerPrompt  {@code ingest.feedback.max-votes-per-prompt}: most thumbs votes kept per prompt within the window; a vote beyond it is dropped and counted ({@code dropped{kind=feedback,reason=prompt_vote_cap}}), so a hot prompt costs each new vote at most this many stored votes and pairs (default 256)
 * @param dedupRetention     {@code ingest.dedup.retention}: how long a pair id is remembered to drop duplicates (default P7D)
 * @param maxTextChars       {@code ingest.limits.max-text-chars}: longest accepted response text or prompt message, in chars (default 32768)
 * @param maxPromptChars     {@code ingest.limits.max-prompt-chars}: longest accepted prompt, all messages together, in chars (default 131072)
 * @param maxResponses       {@code ingest.limits.max-responses}: most candidate responses one event may carry (default 64)
 * @param maxFutureSkew      {@code ingest.limits.max-future-skew}: an occurred_at further than this past the record's broker timestamp is not trusted as event time (default PT10M)
 * @param metricsLogInterval {@code ingest.metrics.log-interval}: how often the service logs its counters (default PT30S)
 * @param clientProperties   every non-{@code ingest.} key: passed through to Kafka Streams and the serdes
 */
public record IngestConfig(
        String applicationId,
        String inputTopic,
        String outputTopic,
        String dlqTopic,
        RankingStrategy rankingStrategy,
        RatingScore ratingScore,
        RatingPairing ratingPairing,
        double ratingMinMargin,
        AiJudgePolicy aiJudgePolicy,
        double aiJudgeWeight,
        Duration feedbackWindow,
        int maxVotesPerPrompt,
        Duration dedupRetention,
        int maxTextChars,
        int maxPromptChars,
        int maxResponses,
        Duration maxFutureSkew,
        Duration metricsLogInterval,
        Map<String, String> clientProperties) {

    public static final String APPLICATION_ID = "application.id";
    public static final String TOPIC_EVENTS = "ingest.topic.events";
    public static final String TOPIC_PAIRS = "ingest.topic.pairs";
    public static final String TOPIC_DLQ = "ingest.topic.dlq";
    public static final String RANKING_STRATEGY = "ingest.ranking.strategy";
    public static final String RATING_SCORE = "ingest.rating.score";
    public static final String RATING_PAIRING = "ingest.rating.pairing";
    public static final String RATING_MIN_MARGIN = "ingest.rating.min-margin";
    public static final String AI_JUDGE_POLICY = "ingest.ai-judge.policy";
    public static final String AI_JUDGE_WEIGHT = "ingest.ai-judge.weight";
    public static final String FEEDBACK_WINDOW = "ingest.feedback.window";
    public static final String MAX_VOTES_PER_PROMPT = "ingest.feedback.max-votes-per-prompt";
    public static final String DEDUP_RETENTION = "ingest.dedup.retention";
    public static final String MAX_TEXT_CHARS = "ingest.limits.max-text-chars";
    public static final String MAX_PROMPT_CHARS = "ingest.limits.max-prompt-chars";
    public static final String MAX_RESPONSES = "ingest.limits.max-responses";
    public static final String MAX_FUTURE_SKEW = "ingest.limits.max-future-skew";
    public static final String METRICS_LOG_INTERVAL = "ingest.metrics.log-interval";

    /** The serde's registry key; defaults to the embedded registry's address. */
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String DEFAULT_REGISTRY_URL = "http://localhost:8081";
    public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    /** Kafka Streams' state directory (a pass-through key; see {@link #withDefaultStateDir}). */
    public static final String STATE_DIR = "state.dir";
    public static final String DEFAULT_BOOTSTRAP = "localhost:9092";

    private static final Map<String, String> DEFAULTS = defaults();

    private static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put(APPLICATION_ID, "prefstream-ingest");
        d.put(TOPIC_EVENTS, TopicLayout.PREFERENCE_EVENTS);
        d.put(TOPIC_PAIRS, TopicLayout.PREFERENCE_PAIRS);
        d.put(TOPIC_DLQ, TopicLayout.PREFERENCE_EVENTS_DLQ);
        d.put(RANKING_STRATEGY, RankingStrategy.BEST_VS_WORST.name());
        d.put(RATING_SCORE, RatingScore.OVERALL.name());
        d.put(RATING_PAIRING, RatingPairing.BEST_VS_RANDOM_LOWER.name());
        d.put(RATING_MIN_MARGIN, "0");
        d.put(AI_JUDGE_POLICY, AiJudgePolicy.KEEP.name());
        d.put(AI_JUDGE_WEIGHT, "1.0");
        d.put(FEEDBACK_WINDOW, "PT24H");
        d.put(MAX_VOTES_PER_PROMPT, "256");
        d.put(DEDUP_RETENTION, "P7D");
        d.put(MAX_TEXT_CHARS, "32768");
        d.put(MAX_PROMPT_CHARS, "131072");
        d.put(MAX_RESPONSES, "64");
        d.put(MAX_FUTURE_SKEW, "PT10M");
        d.put(METRICS_LOG_INTERVAL, "PT30S");
        return Map.copyOf(d);
    }

    public IngestConfig {
        requireText(APPLICATION_ID, applicationId);
        requireText(TOPIC_EVENTS, inputTopic);
        requireText(TOPIC_PAIRS, outputTopic);
        requireText(TOPIC_DLQ, dlqTopic);
        if (inputTopic.equals(outputTopic) || inputTopic.equals(dlqTopic) || outputTopic.equals(dlqTopic)) {
            throw new IngestConfigException("input, output and dead-letter topics must differ: " + inputTopic + ", " + outputTopic + ", " + dlqTopic);
        }
        if (!(ratingMinMargin >= 0) || Double.isInfinite(ratingMinMargin)) {
            throw new IngestConfigException(RATING_MIN_MARGIN + " must be a finite number >= 0, got " + ratingMinMargin);
        }
        if (!(aiJudgeWeight > 0 && aiJudgeWeight <= 1)) {
            throw new IngestConfigException(AI_JUDGE_WEIGHT + " must be in (0, 1] (use " + AI_JUDGE_POLICY + "=DROP to drop them), got " + aiJudgeWeight);
        }
        requirePositive(FEEDBACK_WINDOW, feedbackWindow);
        if (maxVotesPerPrompt < 2) {
            throw new IngestConfigException(MAX_VOTES_PER_PROMPT + " must be at least 2 (one up and one down vote make a pair), got " + maxVotesPerPrompt);
        }
        requirePositive(DEDUP_RETENTION, dedupRetention);
        requirePositive(MAX_FUTURE_SKEW, maxFutureSkew);
        requirePositive(METRICS_LOG_INTERVAL, metricsLogInterval);
        if (dedupRetention.toMillis() < 2) {
            throw new IngestConfigException(DEDUP_RETENTION + " must be at least 2ms");
        }
        if (maxTextChars < 1 || maxPromptChars < 1 || maxResponses < 2) {
            throw new IngestConfigException("limits must be positive (max-text-chars, max-prompt-chars >= 1, max-responses >= 2), got "
                    + maxTextChars + ", " + maxPromptChars + ", " + maxResponses);
        }
        clientProperties = Map.copyOf(clientProperties);
    }

    /** The configuration with every default. */
    public static IngestConfig defaultConfig() {
        return from(Map.of());
    }

    /**
     * Reads a configuration from properties (a parsed config file, or a map in tests). Values may be strings or
     * any object whose {@code toString()} is the value.
     */
    public static IngestConfig from(Map<?, ?> properties) {
        Map<String, String> all = new TreeMap<>();
        properties.forEach((k, v) -> {
            if (v != null) {
                all.put(String.valueOf(k).trim(), String.valueOf(v).trim());
            }
        });
        for (String key : all.keySet()) {
            if (key.startsWith("ingest.") && !DEFAULTS.containsKey(key)) {
                throw new IngestConfigException("unknown ingest key '" + key + "'; known keys: " + new TreeMap<>(DEFAULTS).keySet());
            }
        }
        Map<String, String> merged = new TreeMap<>(DEFAULTS);
        merged.putAll(all);
        Map<String, String> client = new TreeMap<>();
        merged.forEach((k, v) -> {
            if (!k.startsWith("ingest.")) {
                client.put(k, v);
            }
        });
        client.putIfAbsent(SCHEMA_REGISTRY_URL, DEFAULT_REGISTRY_URL);
        client.putIfAbsent(BOOTSTRAP_SERVERS, DEFAULT_BOOTSTRAP);
        return new IngestConfig(
                merged.get(APPLICATION_ID),
                merged.get(TOPIC_EVENTS),
                merged.get(TOPIC_PAIRS),
                merged.get(TOPIC_DLQ),
                enumValue(RANKING_STRATEGY, merged.get(RANKING_STRATEGY), RankingStrategy.class),
                enumValue(RATING_SCORE, merged.get(RATING_SCORE), RatingScore.class),
                enumValue(RATING_PAIRING, merged.get(RATING_PAIRING), RatingPairing.class),
                doubleValue(RATING_MIN_MARGIN, merged.get(RATING_MIN_MARGIN)),
                enumValue(AI_JUDGE_POLICY, merged.get(AI_JUDGE_POLICY), AiJudgePolicy.class),
                doubleValue(AI_JUDGE_WEIGHT, merged.get(AI_JUDGE_WEIGHT)),
                DurationValue.parse(FEEDBACK_WINDOW, merged.get(FEEDBACK_WINDOW)),
                intValue(MAX_VOTES_PER_PROMPT, merged.get(MAX_VOTES_PER_PROMPT)),
                DurationValue.parse(DEDUP_RETENTION, merged.get(DEDUP_RETENTION)),
                intValue(MAX_TEXT_CHARS, merged.get(MAX_TEXT_CHARS)),
                intValue(MAX_PROMPT_CHARS, merged.get(MAX_PROMPT_CHARS)),
                intValue(MAX_RESPONSES, merged.get(MAX_RESPONSES)),
                DurationValue.parse(MAX_FUTURE_SKEW, merged.get(MAX_FUTURE_SKEW)),
                DurationValue.parse(METRICS_LOG_INTERVAL, merged.get(METRICS_LOG_INTERVAL)),
                client);
    }

    /** The serde configuration: every pass-through property (registry URL, auth, subject strategy, ...). */
    public Map<String, Object> serdeConfig() {
        return new LinkedHashMap<>(clientProperties);
    }

    /** The registry URL the serdes talk to. */
    public String registryUrl() {
        return clientProperties.get(SCHEMA_REGISTRY_URL);
    }

    /**
     * This configuration with Kafka Streams' {@code state.dir} defaulted to {@code DATA/streams/CLUSTER_ID} (Streams
     * adds the application id below it) unless the properties set one. Streams' own default, {@code /tmp/kafka-streams},
     * is shared by every cluster: state left there by a run against an earlier broker was picked up on a fresh one
     * and logged {@code TaskCorruptedException} stack traces before Streams wiped and restored it. Keyed by the
     * cluster id, a new cluster starts with an empty directory and a restarted one keeps its state.
     *
     * @param dataDir   prefstream's data directory (the CLI's {@code --data}, default {@code ./data})
     * @param clusterId the Kafka cluster id ({@code describeCluster}); characters other than [A-Za-z0-9_-] become '_'
     */
    public IngestConfig withDefaultStateDir(java.nio.file.Path dataDir, String clusterId) {
        if (clientProperties.containsKey(STATE_DIR)) {
            return this;
        }
        Map<String, String> client = new TreeMap<>(clientProperties);
        client.put(STATE_DIR, dataDir.resolve("streams").resolve(clusterId.replaceAll("[^A-Za-z0-9_-]", "_"))
                .toAbsolutePath().normalize().toString());
        return new IngestConfig(applicationId, inputTopic, outputTopic, dlqTopic, rankingStrategy, ratingScore, ratingPairing,
                ratingMinMargin, aiJudgePolicy, aiJudgeWeight, feedbackWindow, maxVotesPerPrompt, dedupRetention, maxTextChars,
                maxPromptChars, maxResponses, maxFutureSkew, metricsLogInterval, client);
    }

    /** Where Kafka Streams keeps this application's state: {@code state.dir}/{@code application.id}. */
    public java.nio.file.Path stateDirectory() {
        String root = clientProperties.getOrDefault(STATE_DIR, System.getProperty("java.io.tmpdir") + java.io.File.separator + "kafka-streams");
        return java.nio.file.Path.of(root).resolve(applicationId);
    }

    /** The pass-through client properties plus the application id, as Properties (the service adds what it enforces). */
    public Properties streamsProperties() {
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.put(APPLICATION_ID, applicationId);
        return props;
    }

    /** All ingest keys with their default values, for documentation and {@code --help}. */
    public static Map<String, String> defaultValues() {
        return new TreeMap<>(DEFAULTS);
    }

    private static void requireText(String key, String value) {
        if (value == null || value.isBlank()) {
            throw new IngestConfigException(key + " must not be empty");
        }
    }

    private static void requirePositive(String key, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IngestConfigException(key + " must be a positive duration, got " + value);
        }
    }

    private static <E extends Enum<E>> E enumValue(String key, String value, Class<E> type) {
        try {
            return Enum.valueOf(type, value.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IngestConfigException(key + ": '" + value + "' is not one of " + java.util.Arrays.toString(type.getEnumConstants()), e);
        }
    }

    private static double doubleValue(String key, String value) {
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IngestConfigException(key + ": '" + value + "' is not a number", e);
        }
    }

    private static int intValue(String key, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IngestConfigException(key + ": '" + value + "' is not an integer", e);
        }
    }
}
