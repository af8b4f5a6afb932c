package dev.prefstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.chat.ChatFormat;
import dev.prefstream.trainer.chat.ChatTemplateException;
import dev.prefstream.trainer.dpo.ChatTemplate;
import dev.prefstream.trainer.model.HfModelLoader;
import dev.prefstream.trainer.model.ModelConfig;
import dev.prefstream.trainer.model.ModelFormatException;
import dev.prefstream.trainer.model.ModelPresets;
import dev.prefstream.trainer.tokenizer.ByteTokenizer;
import dev.prefstream.trainer.tokenizer.HfTokenizer;
import dev.prefstream.trainer.tokenizer.TextTokenizer;
import dev.prefstream.trainer.tokenizer.Tokenizers;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code prefstream chat-template}: shows exactly what the trainer sees for a model: conversations rendered with
 * the model's chat template (tokenizer_config.json's {@code chat_template}, or {@code --chat-template FILE}, or the
 * built-in format for models without one), like transformers' {@code apply_chat_template(messages,
 * add_generation_prompt=True, tokenize=False)}.
 * <ul>
 *   <li>{@code --messages FILE.json} (a list of {@code {"role", "content"}}): prints the rendered text verbatim;
 *       with {@code --ids} a JSON object with {@code text} and the prompt's token {@code ids} (BOS once).</li>
 *   <li>{@code --pairs FILE.jsonl} (the {@code logps} command's format): one JSON line per pair with the rendered
 *       {@code prompt}, {@code chosen} and {@code rejected}; with {@code --ids} also {@code prompt_ids},
 *       {@code chosen_ids} and {@code rejected_ids} (responses end with the model's end-of-turn id, as trained).</li>
 * </ul>
 * A conversation the template refuses is reported on stderr with the template's message (exit code 1).
 */
@Command(name = "chat-template", mixinStandardHelpOptions = true,
        description = "Print conversations rendered with the model's chat template (and with --ids the token ids the trainer uses).")
final class ChatTemplateCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR|PRESET",
            description = "Hugging Face model directory (its tokenizer.json and tokenizer_config.json) or a built-in preset.")
    String model;

    static final class Input {
        @Option(names = "--messages", required = true, paramLabel = "FILE.json", description = "One conversation: a JSON list of {role, content}.")
        Path messages;

        @Option(names = "--pairs", required = true, paramLabel = "FILE.jsonl", description = "Preference pairs, one JSON object per line (prompt, chosen, rejected).")
        Path pairs;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    @Option(names = "--no-generation-prompt", description = "Render --messages without the assistant generation prompt (add_generation_prompt=False).")
    boolean noGenerationPrompt;

    @Option(names = "--ids", description = "Also print the token ids.")
    boolean ids;

    @Option(names = "--chat-template", paramLabel = "FILE", description = "Render with this Jinja template instead of the model's.")
    Path chatTemplate;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        TextTokenizer tok;
        try {
            tok = load(model, chatTemplate);
        } catch (ModelFormatException | IllegalArgumentException | IOException e) {
            err.println("prefstream chat-template: " + e.getMessage());
            return 2;
        }
        try (TextTokenizer t = tok) {
            return input.messages != null ? messages(t, out, err) : pairs(t, out, err);
        }
    }

    /** The tokenizer of {@code model} (a preset's byte tokenizer, or the directory's), with {@code template} when given. */
    static TextTokenizer load(String model, Path template) throws IOException {
        TextTokenizer tok;
        if (!Files.isDirectory(Path.of(model)) && ModelPresets.isPreset(model)) {
            tok = new ByteTokenizer();
        } else {
            Path dir = Path.of(model);
            Path config = dir.resolve(HfModelLoader.CONFIG_FILE);
            Integer eos = Files.isRegularFile(config) ? ModelConfig.read(config).eosTokenId() : null;
            tok = HfTokenizer.load(Tokenizers.directoryFor(dir), eos);
        }
        if (template == null) {
            return tok;
        }
        try (TextTokenizer original = tok) {
            return original.withChatTemplate(Files.readString(template, StandardCharsets.UTF_8), template.toString());
        }
    }

    private int messages(TextTokenizer tok, PrintWriter out, PrintWriter err) {
        List<ChatTemplate.Message> ms;
        try {
            JsonNode root = JSON.readTree(Files.readString(input.messages, StandardCharsets.UTF_8));
            JsonNode list = root != null && root.isObject() ? root.get("messages") : root;
            if (list == null || !list.isArray()) {
                throw new IllegalArgumentException("expected a JSON list of {\"role\", \"content\"} messages");
            }
            ms = LogpsCommand.messages(list, "messages");
        } catch (IOException | IllegalArgumentException e) {
            err.println("prefstream chat-template: " + input.messages + ": " + e.getMessage());
            return 2;
        }
        String text;
        try {
            text = tok.chatFormat().render(ms, !noGenerationPrompt);
        } catch (ChatTemplateException e) {
            err.println("prefstream chat-template: the chat template refuses " + input.messages + ": " + e.getMessage());
            return 1;
        }
        if (!ids) {
            out.print(text);
            out.flush();
            return 0;
        }
        ObjectNode o = JSON.createObjectNode();
        o.put("text", text);
        ids(o, "ids", tok.encodePrompt(text));
        out.println(o);
        out.flush();
        return 0;
    }

    private int pairs(TextTokenizer tok, PrintWriter out, PrintWriter err) {
        ChatFormat format = tok.chatFormat();
        return PairsFile.forEach(input.pairs, format, "prefstream chat-template", out, err, (lineNo, pair) -> {
            ObjectNode o = JSON.createObjectNode();
            o.put("line", lineNo);
            o.put("prompt", pair[0]);
            o.put("chosen", pair[1]);
            o.put("rejected", pair[2]);
            if (ids) {
                ids(o, "prompt_ids", tok.encodePrompt(pair[0]));
                ids(o, "chosen_ids", withEnd(tok.encode(pair[1]), tok.responseEndId()));
                ids(o, "rejected_ids", withEnd(tok.encode(pair[2]), tok.responseEndId()));
            }
            out.println(JSON.writeValueAsString(o));
        });
    }

    private static long[] withEnd(long[] ids, long end) {
        long[] out = java.util.Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = end;
        return out;
    }

    private static void ids(ObjectNode o, String key, long[] ids) {
        var a = o.putArray(key);
        for (long id : ids) {
            a.add(id);
        }
    }
}
