package dev.prefstream.trainer.stream;

import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.FeedbackSource;
import dev.prefstream.schemas.avro.JudgementKind;
import dev.prefstream.schemas.avro.PreferencePair;

import java.time.Instant;
import java.util.List;

/** Small preference pairs for stream tests. */
final class TestPairs {

    private TestPairs() {
    }

    static PreferencePair pair(String id, String prompt, String chosen, String rejected) {
        return PreferencePair.newBuilder()
                .setPairId(id)
                .setPromptId("p-" + prompt.hashCode())
                .setPrompt(List.of(ChatMessage.newBuilder().setRole("user").setContent(prompt).build()))
                .setChosen(chosen)
                .setRejected(rejected)
                .setScoreMargin(1.0)
                .setWeight(1.0)
                .setSource(FeedbackSource.HUMAN)
                .setKind(JudgementKind.COMPARISON)
                .setEventIds(List.of("e-" + id))
                .setCreatedAt(Instant.parse("2026-11-23T00:00:00Z"))
                .build();
    }

    static PreferencePair pair(String id) {
        return pair(id, "say " + id, "good " + id, "bad " + id);
    }

    static PairRecord record(int partition, long offset, long timestamp) {
        return new PairRecord("preference-pairs", partition, offset, timestamp, pair("p" + partition + "-" + offset));
    }
}
