package dev.prefstream.cli;

import dev.prefstream.schemas.avro.CheckpointStatus;
import dev.prefstream.schemas.avro.ModelCheckpoint;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Two training runs must not announce two lineages under one registry name (the second wiped the first's history). */
class ModelLineageTest {

    private static final Path OUT = Path.of("/runs/other");

    private static ModelCheckpoint record(String model, long step, String sha) {
        return ModelCheckpoint.newBuilder().setModelName(model).setVersion(String.format("step-%010d", step)).setStep(step)
                .setPairsTrained(step * 4).setOffsets(List.of()).setArtifactUri("file:/store/" + model + "/" + step)
                .setManifestSha256(sha).setMetrics(Map.of()).setStatus(CheckpointStatus.PROMOTED)
                .setCreatedAt(Instant.ofEpochMilli(step)).build();
    }

    private static ModelLineage.LocalCheckpoint local(String model, long step, String sha) {
        return new ModelLineage.LocalCheckpoint(String.format("step-%010d", step), sha, model);
    }

    private static final List<ModelCheckpoint> TINY_LINEAGE = List.of(record("tiny", 1, "aaa1"), record("tiny", 2, "aaa2"), record("other", 1, "bbb1"));

    @Test
    void aFreshRunUnderANameWithALineageIsRefusedNamingItAndTheWayOut() {
        assertThatThrownBy(() -> ModelLineage.decide(null, "tiny", false, OUT, List.of(), TINY_LINEAGE))
                .isInstanceOf(ModelLineage.LineageClashException.class)
                .hasMessageStartingWith("model name 'tiny' already has a lineage in the registry (2 versions, newest step-0000000002 at file:/store/tiny/2)")
                .hasMessageContaining("no checkpoint in " + OUT)
                .hasMessageContaining("--model-name NAME")
                .hasMessageContaining("--new-lineage to have it named tiny-2");
        // an explicit name is held to the same rule
        assertThatThrownBy(() -> ModelLineage.decide("other", "tiny", false, OUT, List.of(), TINY_LINEAGE))
                .hasMessageStartingWith("model name 'other' already has a lineage");
    }

    @Test
    void newLineageTakesTheFirstFreeNumberedNameSoVersionsStayUnique() {
        List<ModelCheckpoint> registry = new java.util.ArrayList<>(TINY_LINEAGE);
        ModelLineage first = ModelLineage.decide(null, "tiny", true, OUT, List.of(), registry);
        assertThat(first.name()).isEqualTo("tiny-2");
        assertThat(first.notice()).hasValueSatisfying(n -> assertThat(n).contains("announced as 'tiny-2'"));
        registry.add(record("tiny-2", 1, "ccc1"));
        assertThat(ModelLineage.decide(null, "tiny", true, OUT, List.of(), registry).name()).isEqualTo("tiny-3");
        // every (name, version) key is now unique across the lineages
        assertThat(registry.stream().map(r -> r.getModelName() + " " + r.getVersion()).distinct()).hasSize(registry.size());
    }

    @Test
    void aRunContinuingItsOwnLineageKeepsTheNameFromItsCheckpoints() {
        ModelLineage resumed = ModelLineage.decide(null, "ignored-default", false, OUT, List.of(local("tiny", 2, "aaa2")), TINY_LINEAGE);
        assertThat(resumed.name()).isEqualTo("tiny");
        assertThat(resumed.notice()).isEmpty();
        // a name the registry has never seen is free, with or without checkpoints
        assertThat(ModelLineage.decide(null, "fresh", false, OUT, List.of(), TINY_LINEAGE).name()).isEqualTo("fresh");
        assertThat(ModelLineage.decide("renamed", "tiny", false, OUT, List.of(local("tiny", 2, "aaa2")), TINY_LINEAGE).name()).isEqualTo("renamed");
    }

    @Test
    void checkpointsOfAnotherLineageCannotBeAnnouncedUnderATakenName() {
        assertThatThrownBy(() -> ModelLineage.decide(null, "tiny", true, OUT, List.of(local("tiny", 5, "zzz5")), TINY_LINEAGE))
                .isInstanceOf(ModelLineage.LineageClashException.class)
                .hasMessageContaining("none of it comes from the checkpoints in " + OUT);
    }
}
