package dev.prefstream.publisher;

import dev.prefstream.checkpoint.store.LocalDirectoryCheckpointStore;
import dev.prefstream.checkpoint.store.ManifestSigner;
import dev.prefstream.trainer.dpo.TruncationMode;
import dev.prefstream.trainer.settings.SettingKey;
import dev.prefstream.trainer.settings.Settings;
import dev.prefstream.trainer.settings.SettingsRegistry;

import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

/**
 * The publisher's settings; this record owns the {@code prefstream.publisher.*} keys of the {@code --config} file
 * ({@link #KEYS}, read by {@link #REGISTRY}: unknown keys are an error naming the nearest known one).
 *
 * @param storeDir         root of the local checkpoint store
 * @param heldOutCapacity  most held-out pairs kept for evaluation
 * @param gate             promotion thresholds
 * @param evaluation       evaluation settings
 * @param signingKeyFile   {@code signing-key-file}: HMAC key (at least 32 bytes) to sign each stored manifest with
 *                         (see {@link ManifestSigner}); serving verifies with the same key. Empty: unsigned
 */
public record PublisherSettings(Path storeDir, int heldOutCapacity, GateConfig gate, EvaluationConfig evaluation,
                                java.util.Optional<Path> signingKeyFile) {

    /** Unsigned. */
    public PublisherSettings(Path storeDir, int heldOutCapacity, GateConfig gate, EvaluationConfig evaluation) {
        this(storeDir, heldOutCapacity, gate, evaluation, java.util.Optional.empty());
    }

    /** The checkpoint store these settings describe (signing when a key file is set). */
    public LocalDirectoryCheckpointStore store() {
        return new LocalDirectoryCheckpointStore(storeDir, signingKeyFile.map(ManifestSigner::fromKeyFile));
    }

    public PublisherSettings {
        if (heldOutCapacity < 1) {
            throw new IllegalArgumentException("held-out capacity must be >= 1, got " + heldOutCapacity);
        }
    }

    /** Defaults with the store under {@code storeDir}. */
    public static PublisherSettings defaults(Path storeDir) {
        return new PublisherSettings(storeDir, HELD_OUT_CAPACITY.defaultValue(), GateConfig.defaults(), EvaluationConfig.defaults());
    }

    private static final String KEY = "prefstream.publisher.";
    private static final GateConfig G = GateConfig.defaults();
    private static final EvaluationConfig E = EvaluationConfig.defaults();

    public static final SettingKey<String> STORE_DIR = SettingKey.ofString(KEY + "store-dir", null,
            "root of the local checkpoint store").documentedDefault("the command's --store (./data/checkpoint-store)");
    public static final SettingKey<String> SIGNING_KEY_FILE = SettingKey.ofString(KEY + "signing-key-file", "",
            "HMAC key file (at least 32 bytes) each stored manifest is signed with; empty = unsigned").documentedDefault("unsigned");
    public static final SettingKey<Integer> HELD_OUT_CAPACITY = SettingKey.ofInt(KEY + "held-out-capacity", 512,
            "most held-out pairs kept for evaluation");
    public static final SettingKey<Double> MIN_ACCURACY = SettingKey.ofDouble(KEY + "min-accuracy", G.minAccuracy(),
            "gate: held-out preference accuracy a candidate needs");
    public static final SettingKey<Double> ACCURACY_TOLERANCE = SettingKey.ofDouble(KEY + "accuracy-tolerance", G.accuracyTolerance(),
            "gate: how far below the promoted model's accuracy a candidate may fall");
    public static final SettingKey<Double> MAX_KL = SettingKey.ofDouble(KEY + "max-kl", G.maxKl(),
            "gate: largest KL (nats) from the initial model a candidate may have");
    public static final SettingKey<Integer> MIN_HELD_OUT_PAIRS = SettingKey.ofInt(KEY + "min-held-out-pairs", G.minHeldOutPairs(),
            "gate: held-out pairs needed before anything is promoted");
    public static final SettingKey<Double> EVAL_BETA = SettingKey.ofDouble(KEY + "eval-beta", E.beta(),
            "evaluation: beta of the implicit reward");
    public static final SettingKey<Integer> EVAL_MAX_LENGTH = SettingKey.ofInt(KEY + "eval-max-length", E.maxLength(),
            "evaluation: prompt + response token limit");
    public static final SettingKey<Integer> EVAL_MAX_PROMPT_LENGTH = SettingKey.ofInt(KEY + "eval-max-prompt-length", E.maxPromptLength(),
            "evaluation: prompt limit applied when a row is too long");
    public static final SettingKey<TruncationMode> EVAL_TRUNCATION = SettingKey.of(KEY + "eval-truncation", TruncationMode::parse,
            E.truncation(), "evaluation: which end of a long prompt is kept, keep_end or keep_start");
    public static final SettingKey<Integer> EVAL_BATCH_PAIRS = SettingKey.ofInt(KEY + "eval-batch-pairs", E.batchPairs(),
            "evaluation: pairs per forward pass");
    public static final SettingKey<Integer> EVAL_MAX_PAIRS = SettingKey.ofInt(KEY + "eval-max-pairs", E.maxPairs(),
            "evaluation: most held-out pairs scored per evaluation");
    public static final SettingKey<Integer> KL_PROMPTS = SettingKey.ofInt(KEY + "kl-prompts", E.klPrompts(),
            "evaluation: held-out prompts sampled for the KL estimate; 0 = no KL");
    public static final SettingKey<Integer> KL_SAMPLES = SettingKey.ofInt(KEY + "kl-samples", E.klSamples(),
            "evaluation: samples per KL prompt");
    public static final SettingKey<Integer> KL_MAX_NEW_TOKENS = SettingKey.ofInt(KEY + "kl-max-new-tokens", E.maxNewTokens(),
            "evaluation: length limit of each KL sample");
    public static final SettingKey<Long> EVAL_SEED = SettingKey.ofLong(KEY + "eval-seed", E.seed(),
            "evaluation: sampling seed (same seed, same samples)");

    /** The keys this record owns, in documentation order. */
    public static final List<SettingKey<?>> KEYS = List.of(STORE_DIR, SIGNING_KEY_FILE, HELD_OUT_CAPACITY, MIN_ACCURACY,
            ACCURACY_TOLERANCE, MAX_KL, MIN_HELD_OUT_PAIRS, EVAL_BETA, EVAL_MAX_LENGTH, EVAL_MAX_PROMPT_LENGTH, EVAL_TRUNCATION,
            EVAL_BATCH_PAIRS, EVAL_MAX_PAIRS, KL_PROMPTS, KL_SAMPLES, KL_MAX_NEW_TOKENS, EVAL_SEED);

    /** The publisher's keys as a registry answering for {@code prefstream.publisher.}. */
    public static final SettingsRegistry REGISTRY = SettingsRegistry.of(List.of(KEY), KEYS);

    /** This with every {@code prefstream.publisher.*} key of {@code p} applied (unknown keys are an error). */
    public PublisherSettings withProperties(Properties p) {
        return withSettings(REGISTRY.read(p));
    }

    /** This with the given settings applied (the others keep this one's values). */
    public PublisherSettings withSettings(Settings s) {
        GateConfig g = new GateConfig(s.get(MIN_ACCURACY, gate.minAccuracy()), s.get(ACCURACY_TOLERANCE, gate.accuracyTolerance()),
                s.get(MAX_KL, gate.maxKl()), s.get(MIN_HELD_OUT_PAIRS, gate.minHeldOutPairs()));
        EvaluationConfig e = evaluation;
        e = new EvaluationConfig(s.get(EVAL_BETA, e.beta()), s.get(EVAL_MAX_LENGTH, e.maxLength()),
                s.get(EVAL_MAX_PROMPT_LENGTH, e.maxPromptLength()), s.get(EVAL_TRUNCATION, e.truncation()), s.get(EVAL_BATCH_PAIRS, e.batchPairs()),
                s.get(EVAL_MAX_PAIRS, e.maxPairs()), s.get(KL_PROMPTS, e.klPrompts()), s.get(KL_SAMPLES, e.klSamples()),
                s.get(KL_MAX_NEW_TOKENS, e.maxNewTokens()), s.get(EVAL_SEED, e.seed()));
        java.util.Optional<Path> key = s.get(SIGNING_KEY_FILE).map(v -> v.isEmpty() ? java.util.Optional.<Path>empty()
                : java.util.Optional.of(Path.of(v))).orElse(signingKeyFile);
        return new PublisherSettings(s.get(STORE_DIR).map(Path::of).orElse(storeDir), s.get(HELD_OUT_CAPACITY, heldOutCapacity), g, e, key);
    }
}
