package dev.prefstream.schemas.serde;

import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.CheckpointStatus;
import dev.prefstream.schemas.avro.Comparison;
import dev.prefstream.schemas.avro.ComparisonOutcome;
import dev.prefstream.schemas.avro.Feedback;
import dev.prefstream.schemas.avro.FeedbackSource;
import dev.prefstream.schemas.avro.JudgementKind;
import dev.prefstream.schemas.avro.ModelCheckpoint;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.schemas.avro.Ranking;
import dev.prefstream.schemas.avro.Rating;
import dev.prefstream.schemas.avro.Response;
import dev.prefstream.schemas.avro.ResponseScore;
import dev.prefstream.schemas.avro.Thumb;
import dev.prefstream.schemas.avro.TopicPartitionOffset;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** One realistic instance of every record type, for serde tests. */
final class AvroSamples {

    static final Instant AT = Instant.parse("2026-11-22T12:34:56.789Z");

    private AvroSamples() {
    }

    static List<ChatMessage> prompt() {
        return List.of(new ChatMessage("system", "Be brief."), new ChatMessage("user", "What is the capital of France? Antwort bitte kurz — merci ✓"));
    }

    static List<Response> responses() {
        return List.of(new Response("r1", "Paris.", "policy-v3"), new Response("r2", "Lyon, I think.", null), new Response("r3", "Paris, France.", "policy-v2"));
    }

    static PreferenceEvent event(String id, Object judgement) {
        return PreferenceEvent.newBuilder()
                .setEventId(id).setOccurredAt(AT).setSource(FeedbackSource.HUMAN).setAnnotatorId("sha256:ab12")
                .setConversationId("conv-1").setPrompt(prompt()).setResponses(responses()).setJudgement(judgement)
                .setWeight(null).setConfidence(0.75).setTenant("acme").setMetadata(Map.of("ui", "web", "locale", "fr-FR"))
                .build();
    }

    static PreferenceEvent comparisonEvent() {
        return event("e-cmp", new Comparison("r1", "r2", ComparisonOutcome.A, 0.9));
    }

    static PreferenceEvent rankingEvent() {
        return event("e-rank", new Ranking(List.of(List.of("r1", "r3"), List.of("r2"))));
    }

    static PreferenceEvent ratingEvent() {
        return event("e-rate", new Rating(1.0, 7.0, List.of(
                new ResponseScore("r1", 6.5, Map.of("helpfulness", 7.0, "honesty", 6.0)),
                new ResponseScore("r2", null, Map.of("helpfulness", 2.0)))));
    }

    static PreferenceEvent feedbackEvent() {
        PreferenceEvent e = event("e-thumb", new Feedback("r2", Thumb.DOWN));
        e.setSource(FeedbackSource.AI_JUDGE);
        e.setAnnotatorId("judge-llama-70b");
        e.setWeight(0.5);
        return e;
    }

    static PreferencePair pair() {
        return PreferencePair.newBuilder()
                .setPairId("pair-sha").setPromptId("prompt-sha").setPrompt(prompt())
                .setChosen("Paris.").setRejected("Lyon, I think.")
                .setChosenModelVersion("policy-v3").setRejectedModelVersion(null)
                .setScoreMargin(1.0).setWeight(0.8).setSource(FeedbackSource.HUMAN).setKind(JudgementKind.COMPARISON)
                .setEventIds(List.of("e-cmp")).setTenant("acme").setCreatedAt(AT)
                .build();
    }

    static ModelCheckpoint checkpoint() {
        return ModelCheckpoint.newBuilder()
                .setModelName("tiny-gpt2").setVersion("v7").setParentVersion("v6").setReferenceVersion("v0")
                .setIteration(2).setStep(1234).setPairsTrained(5678)
                .setOffsets(List.of(new TopicPartitionOffset("preference-pairs", 0, 42L), new TopicPartitionOffset("preference-pairs", 1, 7L)))
                .setArtifactUri("file:///data/checkpoints/tiny-gpt2/v7").setManifestSha256("0123abcd")
                .setMetrics(Map.of("loss", 0.42, "reward_accuracy", 0.81)).setStatus(CheckpointStatus.CANDIDATE).setStatusReason(null)
                .setCreatedAt(AT)
                .build();
    }
}
