package dev.prefstream.publisher;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.FeedbackSource;
import dev.prefstream.schemas.avro.JudgementKind;
import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.trainer.model.HfModelLoader;
import dev.prefstream.trainer.model.HfModelSaver;
import dev.prefstream.trainer.model.LoadedModel;
import dev.prefstream.trainer.model.ModelPresets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class CandidateEvaluatorTest {

    @TempDir
    Path tmp;

    /**
     * The default evaluation length (512) on a model with 64 positions and held-out pairs of ~300 tokens: the pairs
     * are cut to the model's context (as the trainer cuts them) instead of failing the forward pass.
     */
    @Test
    void pairsLongerThanTheModelsContextAreEvaluatedWithinIt() throws Exception {
        Path dir = tmp.resolve("short-context");
        try (LoadedModel m = ModelPresets.builtin(ModelPresets.TINY, Device.cpu(), 5)) {
            HfModelSaver.save(m.model(), dir, m.tokenizer());
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
        config.put("max_position_embeddings", 64);  // RoPE: the context is only a config value
        Files.writeString(dir.resolve("config.json"), json.writeValueAsString(config));

        List<PreferencePair> heldOut = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            heldOut.add(PreferencePair.newBuilder().setPairId("long-" + i).setPromptId("p" + i)
                    .setPrompt(List.of(ChatMessage.newBuilder().setRole("user")
                            .setContent("Tell me a long story number " + i + ". ".repeat(60)).build()))
                    .setChosen("Once upon a time ".repeat(10)).setRejected("no.").setScoreMargin(1).setWeight(1)
                    .setSource(FeedbackSource.HUMAN).setKind(JudgementKind.COMPARISON).setEventIds(List.of("e" + i))
                    .setCreatedAt(Instant.EPOCH).build());
        }
        EvaluationConfig defaults = EvaluationConfig.defaults();
        assertThat(defaults.maxLength()).isGreaterThan(64);
        try (CandidateEvaluator evaluator = new CandidateEvaluator(HfModelLoader.loadWithTokenizer(dir, Device.cpu()),
                defaults)) {
            CandidateMetrics metrics = evaluator.evaluate(dir, heldOut);
            assertThat(metrics.heldOutPairs()).isEqualTo(4);
            // the candidate is the initial policy itself: zero implicit reward and (near) zero KL
            assertThat(metrics.rewardMargin()).isCloseTo(0.0, org.assertj.core.api.Assertions.within(1e-4));
            assertThat(metrics.kl()).isCloseTo(0.0, org.assertj.core.api.Assertions.within(1e-3));
            assertThat(metrics.klSamples()).isPositive();
        }
    }

    /**
     * In the trainer's process the evaluator reads the trainer's frozen copy of the initial policy instead of loading
     * a third copy: the metrics are the same as with a copy of its own, its loader is never called, and when the
     * lender has nothing to lend the own copy is loaded once and kept.
     */
    @Test
    void borrowingTheTrainersFrozenInitialPolicyScoresAsAnOwnCopyAndLoadsNothing() throws Exception {
        Path initialDir = tmp.resolve("initial");
        Path candidateDir = tmp.resolve("candidate");
        try (LoadedModel m = ModelPresets.builtin(ModelPresets.TINY, Device.cpu(), 5)) {
            HfModelSaver.save(m.model(), initialDir, m.tokenizer());
        }
        try (LoadedModel m = ModelPresets.builtin(ModelPresets.TINY, Device.cpu(), 6)) {
            HfModelSaver.save(m.model(), candidateDir, m.tokenizer());
        }
        List<PreferencePair> heldOut = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            heldOut.add(PreferencePair.newBuilder().setPairId("p-" + i).setPromptId("p" + i)
                    .setPrompt(List.of(ChatMessage.newBuilder().setRole("user").setContent("What is " + i + " plus one?").build()))
                    .setChosen("It is " + (i + 1) + ".").setRejected("No idea.").setScoreMargin(1).setWeight(1)
                    .setSource(FeedbackSource.HUMAN).setKind(JudgementKind.COMPARISON).setEventIds(List.of("e" + i))
                    .setCreatedAt(Instant.EPOCH).build());
        }
        EvaluationConfig config = EvaluationConfig.defaults();
        CandidateMetrics withOwnCopy;
        try (CandidateEvaluator own = new CandidateEvaluator(HfModelLoader.loadWithTokenizer(initialDir, Device.cpu()), config)) {
            withOwnCopy = own.evaluate(candidateDir, heldOut);
        }
        AtomicInteger loads = new AtomicInteger();
        try (LoadedModel trainersCopy = HfModelLoader.loadWithTokenizer(initialDir, Device.cpu());
             CandidateEvaluator borrowing = new CandidateEvaluator(InitialPolicy.borrowing(
                     () -> Optional.of(trainersCopy.model()), () -> {
                         loads.incrementAndGet();
                         return HfModelLoader.loadWithTokenizer(initialDir, Device.cpu());
                     }), config, Device.cpu())) {
            CandidateMetrics lent = borrowing.evaluate(candidateDir, heldOut);
            assertThat(lent).isEqualTo(withOwnCopy);
            assertThat(withOwnCopy.heldOutPairs()).isEqualTo(6);
            assertThat(withOwnCopy.rewardMargin()).isNotZero();   // a different candidate: the comparison means something
            assertThat(loads).hasValue(0);
            assertThat(borrowing.initial().hasOwnCopy()).isFalse();
            assertThat(borrowing.initial().borrowedUses()).isPositive();
            // the borrowed model is still open and usable: the evaluator closed nothing of the trainer's
            assertThat(trainersCopy.model().parameters().values().iterator().next().toFloatArray()).isNotEmpty();
        }
        AtomicInteger fallbackLoads = new AtomicInteger();
        try (CandidateEvaluator nothingToBorrow = new CandidateEvaluator(InitialPolicy.borrowing(Optional::empty, () -> {
            fallbackLoads.incrementAndGet();
            return HfModelLoader.loadWithTokenizer(initialDir, Device.cpu());
        }), config, Device.cpu())) {
            assertThat(nothingToBorrow.evaluate(candidateDir, heldOut)).isEqualTo(withOwnCopy);
            nothingToBorrow.evaluate(candidateDir, heldOut);
            assertThat(fallbackLoads).hasValue(1);
            assertThat(nothingToBorrow.initial().hasOwnCopy()).isTrue();
        }
    }
}
