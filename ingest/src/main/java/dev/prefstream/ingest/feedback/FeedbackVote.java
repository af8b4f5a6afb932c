package dev.prefstream.ingest.feedback;

import dev.prefstream.schemas.avro.FeedbackSource;
import dev.prefstream.schemas.avro.Response;
import dev.prefstream.schemas.avro.Thumb;

import java.util.Objects;

/**
 * One thumbs vote as kept in the per-prompt vote store: who voted what on which response, and enough of the
 * event to build a pair later without it.
 *
 * @param occurredAtMillis event time of the vote; of two votes by one annotator on one response the later replaces the earlier
 * @param weight           the training weight the vote's event gives (weight x confidence x AI-judge factor)
 */
public record FeedbackVote(String eventId, String annotatorId, String responseId, String text, String modelVersion,
                           Thumb thumb, long occurredAtMillis, FeedbackSource source, double weight, String tenant) {

    public FeedbackVote {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(annotatorId, "annotatorId");
        Objects.requireNonNull(responseId, "responseId");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(thumb, "thumb");
        Objects.requireNonNull(source, "source");
    }

    /** True when this vote and {@code other} are by the same annotator on the same response. */
    public boolean sameSlot(FeedbackVote other) {
        return annotatorId.equals(other.annotatorId) && responseId.equals(other.responseId);
    }

    /** True when this vote happened after {@code other} (event time, then event id to break ties deterministically). */
    public boolean newerThan(FeedbackVote other) {
        if (occurredAtMillis != other.occurredAtMillis) {
            return occurredAtMillis > other.occurredAtMillis;
        }
        return eventId.compareTo(other.eventId) > 0;
    }

    /** The voted response, rebuilt for the pair factory. */
    public Response response() {
        return Response.newBuilder().setResponseId(responseId).setText(text).setModelVersion(modelVersion).build();
    }
}
