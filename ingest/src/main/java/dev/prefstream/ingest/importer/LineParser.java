package dev.prefstream.ingest.importer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prefstream.schemas.avro.PreferenceEvent;

/** Turns one parsed JSON line of a dataset into one event, or throws {@link LineRejectedException}. */
interface LineParser {

    /**
     * @param line the JSON object of the line
     * @param base an event builder with the envelope filled in (id, time, conversation, metadata); the parser sets
     *             source, annotator, prompt, responses and judgement
     */
    PreferenceEvent parse(JsonNode line, PreferenceEvent.Builder base);

    /**
     * What this parser's options add to the event id ("" when none): a line read with other options is another
     * event (e.g. PKU-SafeRLHF's safer label instead of the better one) and must not share the id.
     */
    default String idVariant() {
        return "";
    }
}
