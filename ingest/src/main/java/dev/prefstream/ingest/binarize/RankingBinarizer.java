package dev.prefstream.ingest.binarize;

import dev.prefstream.ingest.config.RankingStrategy;
import dev.prefstream.schemas.avro.Ranking;
import dev.prefstream.schemas.avro.Response;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Tiers best first; responses in one tier are tied and never pair. The margin of a pair is the number of tiers
 * between its two sides (1 for neighbours).
 */
final class RankingBinarizer {

    private final RankingStrategy strategy;

    RankingBinarizer(RankingStrategy strategy) {
        this.strategy = strategy;
    }

    Binarization binarize(Ranking ranking, Map<String, Response> byId) {
        List<List<String>> tiers = ranking.getTiers();
        int last = tiers.size() - 1;
        List<CandidatePair> pairs = new ArrayList<>();
        switch (strategy) {
            case BEST_VS_WORST -> {
                if (last > 0) {
                    cross(tiers, 0, last, byId, pairs);
                }
            }
            case ADJACENT -> {
                for (int t = 0; t < last; t++) {
                    cross(tiers, t, t + 1, byId, pairs);
                }
            }
            case ALL_PAIRS -> {
                for (int hi = 0; hi < last; hi++) {
                    for (int lo = hi + 1; lo <= last; lo++) {
                        cross(tiers, hi, lo, byId, pairs);
                    }
                }
            }
        }
        return Binarization.orElse(pairs, NoPairReason.TIE);
    }

    private static void cross(List<List<String>> tiers, int hi, int lo, Map<String, Response> byId, List<CandidatePair> out) {
        for (String better : tiers.get(hi)) {
            for (String worse : tiers.get(lo)) {
                out.add(new CandidatePair(byId.get(better), byId.get(worse), lo - hi));
            }
        }
    }
}
