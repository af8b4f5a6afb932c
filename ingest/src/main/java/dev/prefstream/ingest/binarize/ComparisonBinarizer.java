package dev.prefstream.ingest.binarize;

import dev.prefstream.schemas.avro.Comparison;
import dev.prefstream.schemas.avro.ComparisonOutcome;
import dev.prefstream.schemas.avro.Response;

import java.util.List;
import java.util.Map;

/** A vs B: one pair; a tie gives none. The margin is the comparison's strength when given, else 1. */
final class ComparisonBinarizer {

    Binarization binarize(Comparison comparison, Map<String, Response> byId) {
        if (comparison.getOutcome() == ComparisonOutcome.TIE) {
            return Binarization.none(NoPairReason.TIE);
        }
        Response a = byId.get(comparison.getResponseA());
        Response b = byId.get(comparison.getResponseB());
        double margin = comparison.getStrength() == null ? 1.0 : comparison.getStrength();
        return comparison.getOutcome() == ComparisonOutcome.A
                ? Binarization.of(List.of(new CandidatePair(a, b, margin)))
                : Binarization.of(List.of(new CandidatePair(b, a, margin)));
    }
}
