package dev.prefstream.trainer.dpo;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One hyperparameter a restore changed relative to the checkpoint's saved config (recorded in the trainer state and
 * in the manifests of the checkpoints that follow, so a replayed lineage says how it differs from the original).
 *
 * @param setting {@link TrainerConfig} component name, {@code dpo.<name>} for the loss part (e.g. {@code dpo.beta})
 * @param from    value in the checkpoint the change was first applied to
 * @param to      value used from then on
 */
public record SettingChange(String setting, String from, String to) {

    public SettingChange {
        Objects.requireNonNull(setting, "setting");
    }

    /** Every component of {@code after} that differs from {@code before}, in declaration order. */
    public static List<SettingChange> between(TrainerConfig before, TrainerConfig after) {
        List<SettingChange> out = new ArrayList<>();
        diff("", before, after, out);
        return out;
    }

    /**
     * {@code earlier} changes followed by {@code later} ones: a setting changed twice keeps its first {@code from}
     * and its last {@code to}; one changed back to where it started disappears.
     */
    public static List<SettingChange> compose(List<SettingChange> earlier, List<SettingChange> later) {
        Map<String, SettingChange> m = new LinkedHashMap<>();
        for (SettingChange c : earlier == null ? List.<SettingChange>of() : earlier) {
            m.put(c.setting(), c);
        }
        for (SettingChange c : later) {
            SettingChange prev = m.get(c.setting());
            SettingChange merged = prev == null ? c : new SettingChange(c.setting(), prev.from(), c.to());
            if (Objects.equals(merged.from(), merged.to())) {
                m.remove(c.setting());
            } else {
                m.put(c.setting(), merged);
            }
        }
        return List.copyOf(m.values());
    }

    /** Compact text for a manifest property: {@code dpo.beta: 0.1 -> 0.5; learningRate: 0.001 -> 0.002}. */
    public static String describe(List<SettingChange> changes) {
        return String.join("; ", changes.stream().map(c -> c.setting() + ": " + c.from() + " -> " + c.to()).toList());
    }

    /** Where the weights are kept changes no number a run computes: not a change of the lineage's hyperparameters. */
    private static final java.util.Set<String> PLACEMENT = java.util.Set.of("referencePlacement");

    private static void diff(String prefix, Record before, Record after, List<SettingChange> out) {
        for (RecordComponent rc : before.getClass().getRecordComponents()) {
            if (PLACEMENT.contains(prefix + rc.getName())) {
                continue;
            }
            Object a = value(rc, before);
            Object b = value(rc, after);
            if (a instanceof Record ra && b instanceof Record rb) {
                diff(prefix + rc.getName() + ".", ra, rb, out);
            } else if (!Objects.equals(a, b)) {
                out.add(new SettingChange(prefix + rc.getName(), String.valueOf(a), String.valueOf(b)));
            }
        }
    }

    private static Object value(RecordComponent rc, Record r) {
        try {
            return rc.getAccessor().invoke(r);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read " + rc.getName() + " of " + r.getClass().getSimpleName(), e);
        }
    }
}
