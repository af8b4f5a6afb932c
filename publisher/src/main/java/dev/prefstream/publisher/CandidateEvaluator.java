package dev.prefstream.publisher;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.prefstream.checkpoint.format.DurableFiles;
import dev.prefstream.checkpoint.lora.BaseReference;
import dev.prefstream.checkpoint.lora.LoraCheckpointFiles;
import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.trainer.dpo.CollatedBatch;
import dev.prefstream.trainer.dpo.PairCollator;
import dev.prefstream.trainer.dpo.SequenceLimits;
import dev.prefstream.trainer.dpo.SequenceScores;
import dev.prefstream.trainer.dpo.TextPair;
import dev.prefstream.trainer.lora.LoraAdapters;
import dev.prefstream.trainer.lora.LoraCheckpoints;
import dev.prefstream.trainer.model.CausalLM;
import dev.prefstream.trainer.model.DecoderModel;
import dev.prefstream.trainer.model.Generation;
import dev.prefstream.trainer.model.GenerationConfig;
import dev.prefstream.trainer.model.Generator;
import dev.prefstream.trainer.model.HfModelSaver;
import dev.prefstream.trainer.model.LoadedModel;
import dev.prefstream.trainer.stream.PairTexts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Scores a checkpoint on held-out pairs against the initial policy: preference accuracy and mean margin of the
 * implicit reward, and KL(pi || pi_init) estimated by sampling pi on held-out prompts with the {@link Generator}
 * and averaging log pi(y|x) - log pi_init(y|x). The initial policy's log-probs of held-out pairs are computed once
 * per pair and reused for every later candidate (the initial policy never changes).
 */
public final class CandidateEvaluator implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CandidateEvaluator.class);

    private final InitialPolicy initial;
    private final EvaluationConfig config;
    private final Device device;
    private final Map<String, float[]> initialLogps = new HashMap<>();
    private String initialSha256;
    private Path initialDir;

    /**
     * @param initial the initial policy with its tokenizer (owned by the evaluator from now on)
     * @param config  evaluation settings
     */
    public CandidateEvaluator(LoadedModel initial, EvaluationConfig config) {
        this(InitialPolicy.owned(initial), config, initial.model().manager().getDevice());
    }

    /**
     * @param initial the initial policy, owned or borrowed ({@link InitialPolicy}); closed with the evaluator
     * @param config  evaluation settings
     * @param device  where candidates are loaded
     */
    public CandidateEvaluator(InitialPolicy initial, EvaluationConfig config, Device device) {
        this.initial = initial;
        this.config = config;
        this.device = device;
    }

    /**
     * Evaluates the checkpoint in {@code dir} on {@code heldOut} (at most maxPairs of them). A LoRA checkpoint whose
     * base is the initial policy is evaluated with ONE model in memory: its adapters are attached to the initial
     * model for the evaluation (on for the candidate, off for the initial policy) and detached afterwards. Any other
     * checkpoint (full, or LoRA on a REFRESH-merged base) is loaded beside the initial policy.
     */
    public CandidateMetrics evaluate(Path dir, List<PreferencePair> heldOut) {
        if (sharesInitialBase(dir)) {
            log.info("Evaluating LoRA candidate {} on the initial model with its adapters attached", dir);
            LoadedModel own = initial.own();   // attaching adapters changes the model: never a borrowed one
            DecoderModel model = own.model();
            LoraAdapters adapters = LoraCheckpoints.attach(model, dir);
            try {
                return evaluate(new LoadedModel(model, own.tokenizer()), heldOut);
            } finally {
                model.attachAdapters(null);
                adapters.close();
            }
        }
        try (LoadedModel candidate = LoraCheckpoints.loadCheckpoint(dir, device)) {
            return evaluate(candidate, heldOut);
        }
    }

    /** Whether {@code dir} is a LoRA checkpoint whose base is the initial policy (same file hash). */
    boolean sharesInitialBase(Path dir) {
        return LoraCheckpointFiles.isLora(dir) && LoraCheckpointFiles.baseOf(dir).sha256().equals(initialSha256());
    }

    /**
     * SHA-256 of the initial policy's weight files as {@link BaseReference#hashOf} computes it, once: of its
     * directory ({@link #withInitialDir}), else of the model written to a temporary directory (what the trainer
     * does with a preset base, so the hashes agree).
     */
    private String initialSha256() {
        if (initialSha256 == null && initialDir != null) {
            initialSha256 = BaseReference.hashOf(initialDir);
        }
        if (initialSha256 == null) {
            Path tmp = null;
            try {
                tmp = Files.createTempDirectory("prefstream-initial-");
                HfModelSaver.save(initial.own().model(), tmp.resolve("m"), null);
                initialSha256 = BaseReference.hashOf(tmp.resolve("m"));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot hash the initial policy", e);
            } finally {
                if (tmp != null) {
                    try {
                        DurableFiles.deleteTree(tmp);
                    } catch (IOException ignored) {
                        // a temporary directory left behind
                    }
                }
            }
        }
        return initialSha256;
    }

    /**
     * Declares the directory the initial policy was loaded from, so that a LoRA candidate's base is compared with
     * it by hashing its files (once, when the first LoRA candidate arrives) rather than by writing the model out.
     */
    public CandidateEvaluator withInitialDir(Path dir) {
        this.initialDir = dir;
        return this;
    }

    /** Log-probs under the initial policy: with adapters attached to it (a LoRA candidate), they are off here. */
    private float[] initialModelLogps(CollatedBatch batch) {
        DecoderModel model = initial.model();
        LoraAdapters adapters = model.adapters();
        boolean previous = adapters != null && adapters.setEnabled(false);
        try {
            return logps(model, batch);
        } finally {
            if (adapters != null) {
                adapters.setEnabled(previous);
            }
        }
    }

    /** The held-out pairs an evaluation on {@code heldOut} scores: the first maxPairs of them. */
    public List<PreferencePair> sample(List<PreferencePair> heldOut) {
        return heldOut.subList(0, Math.min(heldOut.size(), config.maxPairs()));
    }

    /** Evaluates a loaded candidate. */
    public CandidateMetrics evaluate(LoadedModel candidate, List<PreferencePair> heldOut) {
        // rendered with the candidate's own chat template; pairs it refuses (the trainer dead-letters those) are not scored
        PairTexts pairTexts = PairTexts.of(candidate.tokenizer());
        List<PreferencePair> pairs = sample(heldOut).stream().filter(p -> pairTexts.problem(p).isEmpty()).toList();
        // a model with fewer positions than the configured length is evaluated within them, as it was trained
        SequenceLimits limits = new SequenceLimits(config.maxLength(), config.maxPromptLength())
                .fitTo(candidate.model().config().maxPositions());
        PairCollator collator = new PairCollator(candidate.tokenizer(), limits.maxLength(), limits.maxPromptLength(),
                config.truncation());
        int n = 0;
        int correct = 0;
        double margin = 0;
        double chosen = 0;
        double rejected = 0;
        for (int from = 0; from < pairs.size(); from += config.batchPairs()) {
            List<PreferencePair> chunk = pairs.subList(from, Math.min(pairs.size(), from + config.batchPairs()));
            List<TextPair> texts = new ArrayList<>();
            for (PreferencePair p : chunk) {
                texts.add(pairTexts.toTextPair(p));
            }
            CollatedBatch batch = collator.collate(texts);
            float[] pol = logps(candidate.model(), batch);
            float[] ref = initialLogps(chunk, batch);
            int b = chunk.size();
            for (int i = 0; i < b; i++) {
                double rc = config.beta() * (pol[i] - ref[i]);
                double rr = config.beta() * (pol[b + i] - ref[b + i]);
                chosen += rc;
                rejected += rr;
                margin += rc - rr;
                if (rc > rr) {
                    correct++;
                }
                n++;
            }
        }
        double kl = Double.NaN;
        int klSamples = 0;
        if (config.klPrompts() > 0 && !pairs.isEmpty()) {
            double[] est = estimateKl(candidate, pairs);
            kl = est[0];
            klSamples = (int) est[1];
        }
        CandidateMetrics m = n == 0
                ? new CandidateMetrics(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, kl, klSamples)
                : new CandidateMetrics(n, (double) correct / n, margin / n, chosen / n, rejected / n, kl, klSamples);
        log.info("Evaluated on {} held-out pairs: accuracy {}, margin {}, KL {} ({} samples)", n, m.accuracy(), m.rewardMargin(), m.kl(), m.klSamples());
        return m;
    }

    private float[] initialLogps(List<PreferencePair> chunk, CollatedBatch batch) {
        int b = chunk.size();
        boolean allCached = chunk.stream().allMatch(p -> initialLogps.containsKey(p.getPairId()));
        float[] out = new float[2 * b];
        if (!allCached) {
            float[] fresh = initialModelLogps(batch);
            for (int i = 0; i < b; i++) {
                initialLogps.put(chunk.get(i).getPairId(), new float[] {fresh[i], fresh[b + i]});
            }
        }
        for (int i = 0; i < b; i++) {
            float[] cached = initialLogps.get(chunk.get(i).getPairId());
            out[i] = cached[0];
            out[b + i] = cached[1];
        }
        return out;
    }

    /** Summed response log-probs of every row of the batch, under no-grad, in a scope closed before returning. */
    private float[] logps(CausalLM model, CollatedBatch batch) {
        try (NDManager scope = NDManager.newBaseManager(device)) {
            return SequenceScores.computeNoGrad(model, batch, scope, false).sums().toFloatArray();
        }
    }

    /** {mean KL per sample, samples}. */
    private double[] estimateKl(LoadedModel candidate, List<PreferencePair> pairs) {
        LinkedHashSet<String> prompts = new LinkedHashSet<>();
        for (PreferencePair p : pairs) {
            if (prompts.size() >= config.klPrompts()) {
                break;
            }
            prompts.add(PairTexts.of(candidate.tokenizer()).renderPrompt(p.getPrompt()));
        }
        long eos = candidate.tokenizer().responseEndId();
        List<long[]> promptIds = new ArrayList<>();
        for (String prompt : prompts) {
            long[] ids = candidate.tokenizer().encodePrompt(prompt);
            int limit = Math.min(config.maxPromptLength(), candidate.model().config().maxPositions() - config.maxNewTokens() - 1);
            if (limit < 1) {
                continue;
            }
            if (ids.length > limit) {
                ids = Arrays.copyOfRange(ids, ids.length - limit, ids.length); // keep the end: the question being asked
            }
            if (ids.length > 0) {
                promptIds.add(ids);
            }
        }
        if (promptIds.isEmpty()) {
            return new double[] {Double.NaN, 0};
        }
        DecoderModel policy = candidate.model();
        Generator generator = new Generator(policy, eos);
        double sum = 0;
        int count = 0;
        for (int s = 0; s < config.klSamples(); s++) {
            List<Generation> gens = generator.generate(promptIds, GenerationConfig.sampling(config.maxNewTokens(), 1.0, 1.0, config.seed() + s));
            List<PairCollator.TokenizedPair> rows = new ArrayList<>();
            for (int i = 0; i < gens.size(); i++) {
                Generation g = gens.get(i);
                long[] resp = g.stoppedAtEos() ? append(g.tokens(), eos) : g.tokens();
                if (resp.length == 0) {
                    continue;
                }
                rows.add(new PairCollator.TokenizedPair(promptIds.get(i), resp, resp, false, 0));
            }
            if (rows.isEmpty()) {
                continue;
            }
            float[] w = new float[rows.size()];
            Arrays.fill(w, 1f);
            CollatedBatch batch = PairCollator.collateTokenized(rows, w, eos);
            float[] lp = logps(policy, batch);
            float[] li = initialModelLogps(batch);
            for (int i = 0; i < rows.size(); i++) {
                sum += lp[i] - li[i];
                count++;
            }
        }
        return new double[] {count == 0 ? Double.NaN : sum / count, count};
    }

    private static long[] append(long[] a, long x) {
        long[] out = Arrays.copyOf(a, a.length + 1);
        out[a.length] = x;
        return out;
    }

    /** The initial policy, owned or borrowed. */
    public InitialPolicy initial() {
        return initial;
    }

    @Override
    public void close() {
        initial.close();
    }
}
