package dev.prefstream.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.chat.ChatFormat;
import dev.prefstream.trainer.dpo.ChatTemplate;
import dev.prefstream.trainer.model.DecoderModel;
import dev.prefstream.trainer.model.HfModelLoader;
import dev.prefstream.trainer.model.LoadedModel;
import dev.prefstream.trainer.model.ModelFormatException;
import dev.prefstream.trainer.model.PairLogProbScorer;
import dev.prefstream.trainer.tokenizer.HfTokenizer;
import dev.prefstream.trainer.tokenizer.Tokenizers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code prefstream logps}: summed response log-probs of preference pairs under a model (and a reference), one JSON
 * line out per pair line in. Input lines are TRL's standard format {@code {"prompt", "chosen", "rejected"}} with
 * strings, or the conversational format with lists of {@code {"role", "content"}} messages: the prompt messages are
 * rendered with the model's chat template (its tokenizer_config.json {@code chat_template}, else the built-in
 * {@link ChatTemplate}: {@code <|role|>\n content \n} per message, then {@code <|assistant|>\n}), a
 * response list becomes its messages' contents, and without a "prompt" key the messages that chosen and rejected
 * share at the start are the prompt. A bad line is reported on stderr with its number and skipped; the exit code
 * is then 1.
 */
@Command(name = "logps", mixinStandardHelpOptions = true,
        description = "Print per-pair log-probs (policy, and reference + sigmoid DPO loss when --reference is given) as JSON lines.")
final class LogpsCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "Hugging Face model directory: config.json, model.safetensors (or sharded index), tokenizer.json.")
    Path model;

    @Option(names = "--pairs", required = true, paramLabel = "FILE.jsonl",
            description = "One pair per line: {\"prompt\":..., \"chosen\":..., \"rejected\":...} (strings or role/content message lists).")
    Path pairs;

    @Option(names = "--reference", paramLabel = "DIR",
            description = "Reference model directory; adds reference_chosen_logp, reference_rejected_logp and loss.")
    Path reference;

    @Option(names = "--tokenizer", paramLabel = "FILE|DIR",
            description = "tokenizer.json (or a directory holding it) when --model has none; by default the model "
                    + "directory's, else its parent directory's (as in a policy/ + reference/ layout sharing one).")
    Path tokenizer;

    @Option(names = "--beta", paramLabel = "B", defaultValue = "0.1",
            description = "DPO beta of the sigmoid loss -log sigmoid(beta * ((pc - rc) - (pr - rr))) (default: ${DEFAULT-VALUE}).")
    double beta;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!(beta > 0) || Double.isInfinite(beta)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--beta must be a finite number > 0, got " + beta);
        }
        if (!Files.isRegularFile(pairs)) {
            err.println("prefstream logps: pairs file " + pairs + " does not exist");
            return 2;
        }
        Device device = Engine.getInstance().defaultDevice();
        LoadedModel policy;
        LoadedModel ref = null;
        try {
            policy = loadPolicy(device, err);
        } catch (ModelFormatException e) {
            err.println("prefstream logps: cannot load --model: " + e.getMessage());
            return 2;
        }
        try {
            if (reference != null) {
                ref = tokenizer == null && Files.isRegularFile(reference.resolve(HfTokenizer.TOKENIZER_FILE))
                        ? HfModelLoader.loadWithTokenizer(reference, device)
                        : new LoadedModel(HfModelLoader.load(reference, device), null);
            }
        } catch (ModelFormatException e) {
            policy.close();
            err.println("prefstream logps: cannot load --reference: " + e.getMessage());
            return 2;
        }
        try {
            return run(policy, ref, out, err);
        } finally {
            if (ref != null) {
                if (ref.tokenizer() == null) {
                    ref.model().close();
                } else {
                    ref.close();
                }
            }
            policy.close();
        }
    }

    /**
     * The policy with its tokenizer: {@code --tokenizer} when given, else the model directory's tokenizer.json, else
     * the parent directory's (said on stderr, since it is a guess). With {@code --tokenizer} the reference is scored
     * with the same tokenizer.
     */
    private LoadedModel loadPolicy(Device device, PrintWriter err) {
        DecoderModel m = HfModelLoader.load(model, device);
        try {
            return new LoadedModel(m, HfTokenizer.load(tokenizerDir(err), m.config().eosTokenId()));
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    private Path tokenizerDir(PrintWriter err) {
        if (tokenizer != null) {
            Path dir = Files.isDirectory(tokenizer) ? tokenizer : tokenizer.toAbsolutePath().getParent();
            boolean namedRight = Files.isDirectory(tokenizer)
                    || tokenizer.getFileName().toString().equals(HfTokenizer.TOKENIZER_FILE);
            if (!namedRight || !Files.isRegularFile(dir.resolve(HfTokenizer.TOKENIZER_FILE))) {
                throw new ModelFormatException("--tokenizer " + tokenizer + ": expected a " + HfTokenizer.TOKENIZER_FILE
                        + " file or a directory holding one");
            }
            return dir;
        }
        try {
            // said once, on stderr: the library's own WARN of the same fallback printed it a second time
            return Tokenizers.directoryFor(model, notice -> {
                err.println("prefstream logps: " + notice);
                err.flush();
            });
        } catch (ModelFormatException e) {
            throw new ModelFormatException(e.getMessage() + " (pass --tokenizer FILE)", e);
        }
    }

    private int run(LoadedModel policy, LoadedModel ref, PrintWriter out, PrintWriter err) {
        PairLogProbScorer policyScorer = new PairLogProbScorer(policy.model(), policy.tokenizer());
        PairLogProbScorer refScorer = ref == null ? null : new PairLogProbScorer(ref.model(),
                ref.tokenizer() == null ? policy.tokenizer() : ref.tokenizer());
        return PairsFile.forEach(pairs, policy.tokenizer().chatFormat(), "prefstream logps", out, err, (lineNo, pair) -> {
            PairLogProbScorer.Scores p = policyScorer.score(pair[0], pair[1], pair[2]);
            ObjectNode o = JSON.createObjectNode();
            o.put("line", lineNo);
            o.put("policy_chosen_logp", p.chosen());
            o.put("policy_rejected_logp", p.rejected());
            if (refScorer != null) {
                PairLogProbScorer.Scores r = refScorer.score(pair[0], pair[1], pair[2]);
                o.put("reference_chosen_logp", r.chosen());
                o.put("reference_rejected_logp", r.rejected());
                double logits = beta * ((p.chosen() - r.chosen()) - (p.rejected() - r.rejected()));
                o.put("loss", softplus(-logits));
            }
            o.put("chosen_tokens", p.chosenTokens());
            o.put("rejected_tokens", p.rejectedTokens());
            out.println(JSON.writeValueAsString(o));
        });
    }

    /** -log sigmoid(-x) = log(1 + e^x), without overflow. */
    static double softplus(double x) {
        return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
    }

    /** {prompt, chosen, rejected} text of one line; IllegalArgumentException says what is wrong. */
    static String[] parse(String line) throws JsonProcessingException {
        return parse(line, ChatFormat.builtin());
    }

    /** {prompt, chosen, rejected} text of one line, conversations rendered with {@code format}. */
    static String[] parse(String line, ChatFormat format) throws JsonProcessingException {
        JsonNode n = JSON.readTree(line);
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException("expected a JSON object with prompt, chosen and rejected");
        }
        JsonNode chosen = required(n, "chosen");
        JsonNode rejected = required(n, "rejected");
        JsonNode prompt = n.get("prompt");
        if (prompt == null || prompt.isNull()) {
            if (!chosen.isArray() || !rejected.isArray()) {
                throw new IllegalArgumentException("missing \"prompt\" (only conversational pairs may leave it implicit)");
            }
            List<ChatTemplate.Message> c = messages(chosen, "chosen");
            List<ChatTemplate.Message> r = messages(rejected, "rejected");
            int shared = 0;
            while (shared < Math.min(c.size(), r.size()) - 1 && c.get(shared).equals(r.get(shared))) {
                shared++;
            }
            if (shared == 0) {
                throw new IllegalArgumentException("implicit prompt: chosen and rejected share no leading messages");
            }
            return new String[] {format.prompt(c.subList(0, shared)), responseText(c.subList(shared, c.size())),
                    responseText(r.subList(shared, r.size()))};
        }
        String promptText;
        if (prompt.isTextual()) {
            promptText = prompt.asText();
        } else if (prompt.isArray()) {
            promptText = format.prompt(messages(prompt, "prompt"));
        } else {
            throw new IllegalArgumentException("\"prompt\" must be a string or a list of {role, content} messages");
        }
        return new String[] {promptText, response(chosen, "chosen"), response(rejected, "rejected")};
    }

    private static JsonNode required(JsonNode n, String key) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("missing \"" + key + "\"");
        }
        return v;
    }

    private static String response(JsonNode v, String key) {
        if (v.isTextual()) {
            return v.asText();
        }
        if (v.isArray()) {
            return responseText(messages(v, key));
        }
        throw new IllegalArgumentException("\"" + key + "\" must be a string or a list of {role, content} messages");
    }

    /** The response as the assistant turn's text: the messages' contents, later messages introduced by their role tag. */
    private static String responseText(List<ChatTemplate.Message> messages) {
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("empty response message list");
        }
        StringBuilder sb = new StringBuilder(messages.get(0).content());
        for (ChatTemplate.Message m : messages.subList(1, messages.size())) {
            sb.append('\n').append("<|").append(m.role()).append("|>\n").append(m.content());
        }
        return sb.toString();
    }

    static List<ChatTemplate.Message> messages(JsonNode arr, String key) {
        List<ChatTemplate.Message> out = new ArrayList<>();
        for (JsonNode m : arr) {
            if (!m.isObject() || !m.path("role").isTextual() || !m.path("content").isTextual()) {
                throw new IllegalArgumentException("\"" + key + "\" messages must be {\"role\": string, \"content\": string}");
            }
            out.add(new ChatTemplate.Message(m.get("role").asText(), m.get("content").asText()));
        }
        return out;
    }
}
