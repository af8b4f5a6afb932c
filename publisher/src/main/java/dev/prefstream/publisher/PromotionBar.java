package dev.prefstream.publisher;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.Function;

/**
 * The promoted checkpoint candidates must not fall behind: the MOST accurate one promoted so far (not the last one,
 * or accuracy could sink by the gate's tolerance with every promotion), with the held-out pairs its accuracy was
 * measured on. When the held-out sample has changed since (it grows until it reaches the evaluation's max pairs),
 * the bar's checkpoint is scored again on the candidate's sample before the two are compared, so both numbers come
 * from the same pairs; that costs one more evaluation per candidate while the sample grows. Not thread-safe (the
 * publisher's synchronized publish owns it).
 */
final class PromotionBar {

    private static final Logger log = LoggerFactory.getLogger(PromotionBar.class);

    /**
     * @param dir    the stored checkpoint, to score again; null when it cannot be read here (then its number stands)
     * @param sample ids of the pairs {@code accuracy} was measured on; null when unknown (read from the registry)
     */
    record Holder(String version, Path dir, double accuracy, List<String> sample) {
    }

    private Optional<Holder> holder;

    PromotionBar(Optional<Holder> initial) {
        this.holder = initial;
    }

    /** The holder, if anything was promoted. */
    Optional<Holder> holder() {
        return holder;
    }

    /**
     * The bar's accuracy on {@code sample}: as measured when it was measured there, else scored again with
     * {@code rescore} (directory -> accuracy) when its files are readable, else the number it has.
     */
    OptionalDouble accuracyOn(List<String> sample, Function<Path, Double> rescore) {
        if (holder.isEmpty()) {
            return OptionalDouble.empty();
        }
        Holder b = holder.get();
        if (!sample.equals(b.sample()) && b.dir() != null && Files.isDirectory(b.dir())) {
            double again = rescore.apply(b.dir());
            log.info("Bar {} scored again on the current {} held-out pairs: accuracy {} (was {} on {})", b.version(),
                    sample.size(), again, b.accuracy(), b.sample() == null ? "the registry's pairs" : b.sample().size() + " pairs");
            b = new Holder(b.version(), b.dir(), again, List.copyOf(sample));
            holder = Optional.of(b);
        }
        return OptionalDouble.of(b.accuracy());
    }

    /** The version of the checkpoint that is the bar, if any. */
    Optional<String> version() {
        return holder.map(Holder::version);
    }

    /** After a promotion: the candidate becomes the bar when nothing was promoted before or it is more accurate. */
    void promoted(String version, Path dir, double accuracy, List<String> sample) {
        if (holder.isEmpty() || accuracy > holder.get().accuracy()) {
            holder = Optional.of(new Holder(version, dir, accuracy, List.copyOf(sample)));
        }
    }
}
