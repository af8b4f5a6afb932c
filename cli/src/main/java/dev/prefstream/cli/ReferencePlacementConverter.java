package dev.prefstream.cli;

import dev.prefstream.trainer.dpo.ReferencePlacement;

/** {@code --reference-placement device|host}: a wrong value is a usage error with the reason, not a trace. */
final class ReferencePlacementConverter extends ParsingConverter<ReferencePlacement> {

    ReferencePlacementConverter() {
        super(ReferencePlacement::parse);
    }
}
