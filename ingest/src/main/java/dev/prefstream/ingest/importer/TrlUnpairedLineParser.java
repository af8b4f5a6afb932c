package dev.prefstream.ingest.importer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prefstream.ingest.canonical.ContentHash;
import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.Feedback;
import dev.prefstream.schemas.avro.FeedbackSource;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.Response;
import dev.prefstream.schemas.avro.Thumb;

import java.util.List;

/**
 * TRL unpaired preference (KTO) lines: {@code {"prompt": "...", "completion": "...", "label": true}} (standard) or
 * with message lists for prompt and completion (conversational). Each line is a thumbs {@code feedback} event on its
 * one response (label true = UP), so ingest's thumbs path pairs the ups and downs given to the same prompt.
 * <p>
 * The response id is a hash of the completion text ({@value #RESPONSE_ID_PREFIX} + 16 hex) and every line has the
 * same annotator ({@value #ANNOTATOR}): re-importing a file gives the same votes, and two lines on the same
 * completion of the same prompt are one vote slot (ingest keeps the newer, ties broken by event id). A completion
 * that repeats the prompt's messages first has them stripped. The label may also be 1/0 or "true"/"false".
 */
final class TrlUnpairedLineParser implements LineParser {

    static final String ANNOTATOR = "trl-unpaired-import";
    static final String RESPONSE_ID_PREFIX = "r-";

    @Override
    public PreferenceEvent parse(JsonNode line, PreferenceEvent.Builder base) {
        List<ChatMessage> prompt = JsonFields.prompt(JsonFields.required(line, "prompt"), "prompt");
        JsonNode completion = JsonFields.required(line, "completion");
        String text = completion.isTextual() ? completion.asText()
                : JsonFields.answer(JsonFields.withoutLeading(JsonFields.messages(completion, "completion"), prompt));
        Thumb thumb = JsonFields.binary(JsonFields.required(line, "label"), "label") ? Thumb.UP : Thumb.DOWN;
        String responseId = responseId(text);
        return base.setSource(FeedbackSource.HUMAN)
                .setAnnotatorId(ANNOTATOR)
                .setPrompt(prompt)
                .setResponses(List.of(new Response(responseId, text, null)))
                .setJudgement(new Feedback(responseId, thumb))
                .build();
    }

    static String responseId(String completion) {
        return RESPONSE_ID_PREFIX + ContentHash.sha256Hex(completion).substring(0, 16);
    }
}
