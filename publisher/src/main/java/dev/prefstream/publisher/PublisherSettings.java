package dev.prefstream.publisher;

import dev.prefstream.checkpoint.store.LocalDirectoryCheckpointStore;
import dev.prefstream.checkpoint.store.ManifestSigner;
import dev.prefstream.trainer.dpo.TruncationMode;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;

/**
 * The publisher's settings, also readable from the {@code --config} properties file as
 * {@code prefstream.publisher.<key>}: store-dir, held-out-capacity, min-accuracy, accuracy-tolerance, max-kl,
 * min-held-out-pairs, eval-beta, eval-max-length, eval-max-prompt-length, eval-truncation, eval-max-pairs,
 * kl-prompts, kl-samples, kl-max-new-tokens, eval-seed. Unknown keys are an error.
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

    /** Prefix of these keys. */
    public static final String PREFIX = "prefstream.publisher.";

    public PublisherSettings {
        if (heldOutCapacity < 1) {
            throw new IllegalArgumentException("held-out capacity must be >= 1, got " + heldOutCapacity);
        }
    }

    /** Defaults with the store under {@code storeDir}. */
    public static PublisherSettings defaults(Path storeDir) {
        return new PublisherSettings(storeDir, 512, GateConfig.defaults(), EvaluationConfig.defaults());
    }

    /** This with every {@code prefstream.publisher.*} key of {@code p} applied. */
    public PublisherSettings withProperties(Properties p) {
        Path store = storeDir;
        int capacity = heldOutCapacity;
        GateConfig g = gate;
        EvaluationConfig e = evaluation;
        java.util.Optional<Path> key0 = signingKeyFile;
        for (String key : p.stringPropertyNames()) {
            if (!key.startsWith(PREFIX)) {
                continue;
            }
            String v = p.getProperty(key).trim();
            try {
                switch (key.substring(PREFIX.length())) {
                    case "store-dir" -> store = Path.of(v);
                    case "signing-key-file" -> key0 = v.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(Path.of(v));
                    case "held-out-capacity" -> capacity = Integer.parseInt(v);
                    case "min-accuracy" -> g = new GateConfig(Double.parseDouble(v), g.accuracyTolerance(), g.maxKl(), g.minHeldOutPairs());
                    case "accuracy-tolerance" -> g = new GateConfig(g.minAccuracy(), Double.parseDouble(v), g.maxKl(), g.minHeldOutPairs());
                    case "max-kl" -> g = new GateConfig(g.minAccuracy(), g.accuracyTolerance(), Double.parseDouble(v), g.minHeldOutPairs());
                    case "min-held-out-pairs" -> g = new GateConfig(g.minAccuracy(), g.accuracyTolerance(), g.maxKl(), Integer.parseInt(v));
                    case "eval-beta" -> e = new EvaluationConfig(Double.parseDouble(v), e.maxLength(), e.maxPromptLength(), e.truncation(),
                            e.batchPairs(), e.maxPairs(), e.klPrompts(), e.klSamples(), e.maxNewTokens(), e.seed());
                    case "eval-max-length" -> e = new EvaluationConfig(e.beta(), Integer.parseInt(v), e.maxPromptLength(), e.truncation(),
                            e.batchPairs(), e.maxPairs(), e.klPrompts(), e.klSamples(), e.maxNewTokens(), e.seed());
                    case "eval-max-prompt-length" -> e = new EvaluationConfig(e.beta(), e.maxLength(), Integer.parseInt(v), e.truncation(),
                            e.batchPairs(), e.maxPairs(), e.klPrompts(), e.klSamples(), e.maxNewTokens(), e.seed());
                    case "eval-truncation" -> e = new EvaluationConfig(e.beta(), e.maxLength(), e.maxPromptLength(),
                            TruncationMode.valueOf(v.toUpperCase(Locale.ROOT)), e.batchPairs(), e.maxPairs(), e.klPrompts(), e.klSamples(),
                            e.maxNewTokens(), e.seed());
                    case "eval-max-pairs" -> e = new EvaluationConfig(e.beta(), e.maxLength(), e.maxPromptLength(), e.truncation(),
                            e.batchPairs(), Integer.parseInt(v), e.klPrompts(), e.klSamples(), e.maxNewTokens(), e.seed());
                    case "kl-prompts" -> e = new EvaluationConfig(e.beta(), e.maxLength(), e.maxPromptLength(), e.truncation(),
                            e.batchPairs(), e.maxPairs(), Integer.parseInt(v), e.klSamples(), e.maxNewTokens(), e.seed());
                    case "kl-samples" -> e = new EvaluationConfig(e.beta(), e.maxLength(), e.maxPromptLength(), e.truncation(),
                            e.batchPairs(), e.maxPairs(), e.klPrompts(), Integer.parseInt(v), e.maxNewTokens(), e.seed());
                    case "kl-max-new-tokens" -> e = new EvaluationConfig(e.beta(), e.maxLength(), e.maxPromptLength(), e.truncation(),
                            e.batchPairs(), e.maxPairs(), e.klPrompts(), e.klSamples(), Integer.parseInt(v), e.seed());
                    case "eval-seed" -> e = new EvaluationConfig(e.beta(), e.maxLength(), e.maxPromptLength(), e.truncation(),
                            e.batchPairs(), e.maxPairs(), e.klPrompts(), e.klSamples(), e.maxNewTokens(), Long.parseLong(v));
                    default -> throw new IllegalArgumentException("unknown publisher setting '" + key + "'");
                }
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException("setting " + key + "=" + v + " is not a number", ex);
            }
        }
        return new PublisherSettings(store, capacity, g, e, key0);
    }
}
