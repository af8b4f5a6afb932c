package dev.prefstream.ingest.binarize;

import dev.prefstream.schemas.avro.Response;

/** One (chosen, rejected) choice made by a binarizer, before ids, dedup and the degenerate check. */
public record CandidatePair(Response chosen, Response rejected, double scoreMargin) {
}
