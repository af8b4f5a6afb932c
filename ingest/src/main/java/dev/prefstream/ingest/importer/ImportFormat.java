package dev.prefstream.ingest.importer;

import dev.prefstream.schemas.avro.FeedbackSource;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The dataset formats {@code prefstream import} reads, one JSON object per line (or per element of a JSON array). */
public enum ImportFormat {
    /** TRL preference data: prompt/chosen/rejected as strings (standard) or message lists (conversational), prompt optional when implicit in conversational chosen/rejected. */
    TRL("trl", FeedbackSource.HUMAN),
    /** TRL unpaired preference (KTO): prompt + one completion + a boolean label, each line a thumbs up/down feedback event. */
    TRL_UNPAIRED("trl-unpaired", FeedbackSource.HUMAN),
    /** Anthropic HH-RLHF: chosen/rejected transcripts "\n\nHuman: ...\n\nAssistant: ...", split into prompt and final answer. */
    HH_RLHF("hh-rlhf", FeedbackSource.HUMAN),
    /** UltraFeedback: instruction + completions[] with per-aspect GPT-4 ratings (annotations.*.Rating), one multi-aspect rating event per line. */
    ULTRAFEEDBACK("ultrafeedback", FeedbackSource.AI_JUDGE),
    /** OpenAI preference fine-tuning: input.messages, preferred_output, non_preferred_output. */
    OPENAI("openai", FeedbackSource.HUMAN),
    /** Stanford Human Preferences (stanfordnlp/SHP): a Reddit post's history, two comments, which got more upvotes. */
    SHP("shp", FeedbackSource.HUMAN),
    /** PKU-Alignment/PKU-SafeRLHF: prompt, response_0/1, better_response_id and safer_response_id, safety flags. */
    PKU_SAFERLHF("pku-saferlhf", FeedbackSource.HUMAN),
    /** lmsys/chatbot_arena_conversations: two models' conversations on the same user turns and the user's vote. */
    CHATBOT_ARENA("chatbot-arena", FeedbackSource.HUMAN),
    /** berkeley-nest/Nectar: an HH-style prompt and answers[] ranked by GPT-4 (rank 1 best), one ranking event per line. */
    NECTAR("nectar", FeedbackSource.AI_JUDGE);

    private final String cliName;
    private final FeedbackSource naturalSource;

    ImportFormat(String cliName, FeedbackSource naturalSource) {
        this.cliName = cliName;
        this.naturalSource = naturalSource;
    }

    /** Who judged in this dataset: its events' source unless the import overrides it ({@link ImportOptions#source()}). */
    public FeedbackSource naturalSource() {
        return naturalSource;
    }

    /** The name used on the command line. */
    public String cliName() {
        return cliName;
    }

    /** The name that asks for detection from the file's first JSON object ({@link FormatDetector}). */
    public static final String AUTO = "auto";

    public static ImportFormat parse(String name) {
        return parseOrAuto(name).orElseThrow(() -> new IllegalArgumentException("format 'auto' is not a concrete format"));
    }

    /** A format by its command-line name; empty for {@value #AUTO}. */
    public static Optional<ImportFormat> parseOrAuto(String name) {
        String wanted = name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        if (wanted.equals(AUTO)) {
            return Optional.empty();
        }
        if (wanted.equals("kto")) {
            return Optional.of(TRL_UNPAIRED);
        }
        return Optional.of(Arrays.stream(values()).filter(f -> f.cliName.equals(wanted)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown format '" + name + "'; one of " + AUTO + ", " + names())));
    }

    /** Every concrete format's command-line name. */
    public static List<String> names() {
        return Arrays.stream(values()).map(ImportFormat::cliName).toList();
    }

    LineParser parser(ImportOptions options) {
        return switch (this) {
            case TRL -> new TrlLineParser();
            case TRL_UNPAIRED -> new TrlUnpairedLineParser();
            case HH_RLHF -> new HhRlhfLineParser();
            case ULTRAFEEDBACK -> new UltraFeedbackLineParser();
            case OPENAI -> new OpenAiLineParser();
            case SHP -> new ShpLineParser();
            case PKU_SAFERLHF -> new PkuSafeRlhfLineParser(options.preference());
            case CHATBOT_ARENA -> new ChatbotArenaLineParser();
            case NECTAR -> new NectarLineParser();
        };
    }
}
