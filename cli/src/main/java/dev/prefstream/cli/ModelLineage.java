package dev.prefstream.cli;

import dev.prefstream.checkpoint.format.CheckpointLayout;
import dev.prefstream.checkpoint.format.CheckpointManifest;
import dev.prefstream.checkpoint.format.CheckpointReader;
import dev.prefstream.checkpoint.format.Sha256;
import dev.prefstream.schemas.avro.ModelCheckpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which registry name a {@code train} run announces its checkpoints under, so that two lineages never share one.
 * Versions are {@code step-N} per lineage, and the registry topic is compacted by model name and by
 * (model, version): a second run from scratch under the name of another ({@code train --model tiny --out OTHER})
 * announced {@code tiny step-0000000001} again and wiped the first lineage's history from the topic.
 *
 * <p>A lineage is the chain of checkpoints in one {@code --out} directory; the registry knows it by the manifest
 * hashes it announced. A run continues a name's lineage when one of its own checkpoints is among that name's
 * registry records; a run with no checkpoint yet may only take a name the registry has never seen, unless asked
 * ({@code --new-lineage}: the first free {@code NAME-2}, {@code NAME-3} ...). Costs one read of the registry topic
 * and of each local manifest.json (not of the weights).
 *
 * @param name   the registry name to use
 * @param notice a line to tell the user, or empty
 */
record ModelLineage(String name, Optional<String> notice) {

    /** What this run already has in its --out directory: one entry per checkpoint, newest first. */
    record LocalCheckpoint(String version, String manifestSha256, String modelName) {
    }

    /** Reads the manifests of the checkpoints under {@code out} (unreadable ones are skipped: the trainer refuses them itself). */
    static List<LocalCheckpoint> localCheckpoints(Path out) {
        List<LocalCheckpoint> found = new ArrayList<>();
        for (Path dir : CheckpointReader.checkpointDirs(out)) {
            try {
                byte[] manifest = Files.readAllBytes(dir.resolve(CheckpointLayout.MANIFEST));
                CheckpointManifest m = CheckpointManifest.fromJsonBytes(manifest, dir.toString());
                found.add(new LocalCheckpoint(m.version(), Sha256.of(manifest), m.modelName()));
            } catch (IOException | RuntimeException unreadable) {
                // not ours to judge here: CheckpointReader.newestGood logs and skips it when the trainer resumes
            }
        }
        return found;
    }

    /**
     * Decides the name, or throws {@link LineageClashException} when the run would start or continue a second
     * lineage under a name the registry already gives to another.
     *
     * @param requested   --model-name, or null
     * @param defaultName the preset or model directory name
     * @param newLineage  --new-lineage: a run without checkpoints takes the first free NAME-k instead of refusing
     * @param out         --out (for the messages)
     * @param local       this run's checkpoints, newest first
     * @param registry    every registry record (all models)
     */
    static ModelLineage decide(String requested, String defaultName, boolean newLineage, Path out, List<LocalCheckpoint> local,
                               List<ModelCheckpoint> registry) {
        String name = requested != null ? requested : !local.isEmpty() ? local.get(0).modelName() : defaultName;
        List<ModelCheckpoint> records = registry.stream().filter(r -> r.getModelName().equals(name)).toList();
        if (records.isEmpty()) {
            return new ModelLineage(name, Optional.empty());
        }
        Set<String> ours = local.stream().map(LocalCheckpoint::manifestSha256).collect(Collectors.toSet());
        if (records.stream().anyMatch(r -> ours.contains(r.getManifestSha256()))) {
            return new ModelLineage(name, Optional.empty()); // continuing our own lineage
        }
        ModelCheckpoint newest = records.stream().max((a, b) -> Long.compare(a.getStep(), b.getStep())).orElseThrow();
        String theirs = "model name '" + name + "' already has a lineage in the registry (" + records.size()
                + (records.size() == 1 ? " version" : " versions") + ", newest " + newest.getVersion() + " at " + newest.getArtifactUri() + ")";
        if (!local.isEmpty()) {
            throw new LineageClashException(theirs + ", and none of it comes from the checkpoints in " + out
                    + "; announcing them would overwrite its versions. Pass --model-name with this lineage's own name");
        }
        if (!newLineage) {
            throw new LineageClashException(theirs + "; this run has no checkpoint in " + out + " and would start another from step 1, "
                    + "overwriting its versions. Continue that lineage with its own --out directory, name this one with "
                    + "--model-name NAME, or pass --new-lineage to have it named " + freeName(name, registry));
        }
        String fresh = freeName(name, registry);
        return new ModelLineage(fresh, Optional.of("'" + name + "' already has a lineage in the registry; this new one (--out " + out
                + ") is announced as '" + fresh + "' (pass --model-name " + fresh + " or keep this --out to continue it)"));
    }

    /** The first of NAME-2, NAME-3 ... that no registry record uses. */
    static String freeName(String name, List<ModelCheckpoint> registry) {
        Set<String> taken = registry.stream().map(ModelCheckpoint::getModelName).collect(Collectors.toSet());
        for (int k = 2; ; k++) {
            String candidate = name + "-" + k;
            if (!taken.contains(candidate)) {
                return candidate;
            }
        }
    }

    /** A run that would mix two lineages under one registry name: a usage error (exit 64), nothing was started. */
    static final class LineageClashException extends dev.prefstream.schemas.error.FatalException {
        LineageClashException(String message) {
            super(message);
        }
    }
}
