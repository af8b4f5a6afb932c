package dev.prefstream.cli.demo;

import dev.prefstream.trainer.model.DecoderModel;
import dev.prefstream.trainer.model.Generation;
import dev.prefstream.trainer.model.GenerationConfig;
import dev.prefstream.trainer.model.Generator;
import dev.prefstream.trainer.optim.NoGrad;
import dev.prefstream.trainer.tokenizer.TextTokenizer;

import java.util.ArrayList;
import java.util.List;

/** Samples answers to task prompts from one policy (several per prompt, all in one batch). */
public final class PolicySampler {

    private final DecoderModel model;
    private final TextTokenizer tokenizer;

    /** Samples from {@code model} (not owned). */
    public PolicySampler(DecoderModel model, TextTokenizer tokenizer) {
        this.model = model;
        this.tokenizer = tokenizer;
    }

    /**
     * {@code perPrompt} answers per prompt, row i * perPrompt + j being answer j to prompt i.
     *
     * @param maxNewTokens longest answer, in tokens
     * @param temperature  sampling temperature (0 = greedy)
     * @param seed         seeds the sampler: same policy, prompts and seed give the same answers
     */
    public List<String> sample(List<TaskPrompt> prompts, int perPrompt, int maxNewTokens, double temperature, long seed) {
        List<Generation> out = generate(prompts, perPrompt, maxNewTokens, temperature, seed);
        List<String> texts = new ArrayList<>(out.size());
        for (Generation g : out) {
            texts.add(tokenizer.decode(g.tokens()));
        }
        return texts;
    }

    /** Same as {@link #sample} but the raw generations (token ids, whether EOS ended them). */
    public List<Generation> generate(List<TaskPrompt> prompts, int perPrompt, int maxNewTokens, double temperature, long seed) {
        List<long[]> rows = new ArrayList<>(prompts.size() * perPrompt);
        for (TaskPrompt p : prompts) {
            long[] ids = tokenizer.encode(p.rendered());
            for (int j = 0; j < perPrompt; j++) {
                rows.add(ids);
            }
        }
        GenerationConfig cfg = temperature > 0 ? GenerationConfig.sampling(maxNewTokens, temperature, 1.0, seed)
                : GenerationConfig.greedy(maxNewTokens);
        List<Generation> out;
        try (NoGrad ignored = NoGrad.enter()) {
            out = new Generator(model, tokenizer.eosId()).generate(rows, cfg);
        }
        return out;
    }
}
