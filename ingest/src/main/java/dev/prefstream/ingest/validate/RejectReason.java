package dev.prefstream.ingest.validate;

import java.util.Locale;

/**
 * Why ingest could not use an input record. The {@link #code()} is what goes into the dead-letter header
 * {@code prefstream.dlq.reason} and the {@code reason} tag of the drop metrics; it never changes once released.
 */
public enum RejectReason {
    /** The bytes are not Confluent wire format (magic byte 0 + schema id + Avro). */
    NOT_WIRE_FORMAT,
    /** The record names a schema id the registry does not know. */
    UNKNOWN_SCHEMA_ID,
    /** Wire format and schema are fine but the Avro body cannot be read as a PreferenceEvent (truncated, wrong schema, ...). */
    UNDESERIALIZABLE,
    /** The record has no value (a tombstone): there is no event to use. */
    TOMBSTONE,
    /** The event id is empty. */
    MISSING_EVENT_ID,
    /** occurred_at is missing or not after the epoch. */
    INVALID_TIMESTAMP,
    /** The prompt has no message with text. */
    NO_PROMPT,
    /** A candidate response has an empty (or whitespace-only) text. */
    EMPTY_TEXT,
    /** A text, or the prompt as a whole, is over the configured size limit. */
    TEXT_TOO_LONG,
    /** More candidate responses than the configured limit. */
    TOO_MANY_RESPONSES,
    /** A response has an empty id. */
    MISSING_RESPONSE_ID,
    /** Two responses share one id. */
    DUPLICATE_RESPONSE_ID,
    /** The judgement names a response id the event does not carry. */
    UNKNOWN_RESPONSE_ID,
    /** A comparison, ranking or rating judges fewer than two distinct responses. */
    TOO_FEW_RESPONSES,
    /** A comparison of a response with itself. */
    SELF_COMPARISON,
    /** A ranking with an empty tier or a response in more than one tier. */
    INVALID_RANKING,
    /** A rating scale that is not finite or whose minimum is not below its maximum. */
    INVALID_SCALE,
    /** A score (or comparison strength) that is NaN, infinite or outside its scale. */
    INVALID_SCORE,
    /** A rated response with neither an overall score nor aspect scores, or rated twice. */
    MISSING_SCORE,
    /** A weight that is NaN, infinite or negative, or a confidence outside [0,1]. */
    INVALID_WEIGHT,
    /** The judgement is none of comparison, ranking, rating, feedback. */
    UNSUPPORTED_JUDGEMENT,
    /** A pair whose chosen and rejected texts are equal after normalization. */
    DEGENERATE_PAIR,
    /** The pair made from a valid event could not be written to the pairs topic (too large for it, refused by the broker). */
    UNPRODUCIBLE,
    /** An unexpected failure while processing a valid-looking record (a bug): dead-lettered rather than stopping the app. */
    PROCESSING_ERROR;

    /** The stable lowercase code, e.g. {@code no_prompt}. */
    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }
}
