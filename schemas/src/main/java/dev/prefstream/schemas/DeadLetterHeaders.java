package dev.prefstream.schemas;

/**
 * Header names of prefstream's dead-letter records, shared by ingest ({@code preference-events-dlq}) and the trainer
 * ({@code preference-pairs-dlq}). Dead-letter records keep the input record's key, value bytes and headers, and add
 * these (UTF-8 strings):
 * <ul>
 *   <li>{@value #REASON}: the stable reason code, e.g. {@code not_wire_format}, {@code no_prompt}, {@code degenerate_pair}</li>
 *   <li>{@value #MESSAGE}: what exactly is wrong, for a person</li>
 *   <li>{@value #SOURCE_TOPIC}, {@value #SOURCE_PARTITION}, {@value #SOURCE_OFFSET}: where the input record was
 *       read from ({@code preference-events}, also for records rejected after the repartition; {@code preference-pairs}
 *       for the trainer)</li>
 *   <li>{@value #STAGE}: {@code deserialize}, {@code validate}, {@code binarize} or {@code dedup} in ingest,
 *       {@code trainer} in the trainer</li>
 *   <li>{@value #CONSUMER}: the trainer's model name (trainer dead letters only)</li>
 *   <li>{@value #EXCEPTION}: class of the exception, for unexpected processing errors</li>
 * </ul>
 * In ingest, the value of a record rejected before the repartition (deserialization and validation) is the exact input
 * bytes. After the repartition (degenerate pairs, processing errors) it is the event as ingest re-encoded it for
 * the repartition topic: same content and wire format, written with the current schema id.
 */
public final class DeadLetterHeaders {

    public static final String REASON = "prefstream.dlq.reason";
    public static final String MESSAGE = "prefstream.dlq.message";
    public static final String SOURCE_TOPIC = "prefstream.dlq.source.topic";
    public static final String SOURCE_PARTITION = "prefstream.dlq.source.partition";
    public static final String SOURCE_OFFSET = "prefstream.dlq.source.offset";
    public static final String STAGE = "prefstream.dlq.stage";
    public static final String EXCEPTION = "prefstream.dlq.exception";
    public static final String CONSUMER = "prefstream.dlq.consumer";

    /** Where an event was first read; set by validation so that later stages can name it. Also present on pairs. */
    public static final String ORIGIN_TOPIC = "prefstream.origin.topic";
    public static final String ORIGIN_PARTITION = "prefstream.origin.partition";
    public static final String ORIGIN_OFFSET = "prefstream.origin.offset";

    private DeadLetterHeaders() {
    }
}
