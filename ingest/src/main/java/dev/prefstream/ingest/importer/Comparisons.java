package dev.prefstream.ingest.importer;

import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.Comparison;
import dev.prefstream.schemas.avro.ComparisonOutcome;
import dev.prefstream.schemas.avro.FeedbackSource;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.Response;

import java.util.List;

/** The event of a (prompt, chosen, rejected) dataset line: a comparison with chosen as response A and outcome A. */
final class Comparisons {

    private Comparisons() {
    }

    static PreferenceEvent of(PreferenceEvent.Builder base, String annotator, List<ChatMessage> prompt, String chosen, String rejected) {
        return base.setSource(FeedbackSource.HUMAN)
                .setAnnotatorId(annotator)
                .setPrompt(prompt)
                .setResponses(List.of(new Response("chosen", chosen, null), new Response("rejected", rejected, null)))
                .setJudgement(new Comparison("chosen", "rejected", ComparisonOutcome.A, null))
                .build();
    }
}
