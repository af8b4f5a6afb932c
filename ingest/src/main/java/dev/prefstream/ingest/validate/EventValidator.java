package dev.prefstream.ingest.validate;

import dev.prefstream.ingest.canonical.TextNormalizer;
import dev.prefstream.ingest.config.IngestConfig;
import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.Comparison;
import dev.prefstream.schemas.avro.Feedback;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.Ranking;
import dev.prefstream.schemas.avro.Rating;
import dev.prefstream.schemas.avro.Response;
import dev.prefstream.schemas.avro.ResponseScore;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Checks one deserialized event against the rules of ingest; the first broken rule is reported. The checks are
 * ordered from the envelope (ids, time, prompt, responses) to the judgement, so that the reason names the most
 * basic problem.
 */
public final class EventValidator {

    private final int maxTextChars;
    private final int maxPromptChars;
    private final int maxResponses;

    public EventValidator(IngestConfig config) {
        this.maxTextChars = config.maxTextChars();
        this.maxPromptChars = config.maxPromptChars();
        this.maxResponses = config.maxResponses();
    }

    /** The first rule the event breaks, or empty when it is valid. */
    public Optional<Rejection> validate(PreferenceEvent event) {
        Rejection r = envelope(event);
        if (r == null) {
            r = prompt(event.getPrompt());
        }
        if (r == null) {
            r = responses(event.getResponses());
        }
        if (r == null) {
            r = judgement(event);
        }
        return Optional.ofNullable(r);
    }

    private Rejection envelope(PreferenceEvent e) {
        if (e.getEventId() == null || e.getEventId().isBlank()) {
            return reject(RejectReason.MISSING_EVENT_ID, "event_id is empty");
        }
        if (e.getOccurredAt() == null || e.getOccurredAt().toEpochMilli() <= 0) {
            return reject(RejectReason.INVALID_TIMESTAMP, "occurred_at " + e.getOccurredAt() + " is not after the epoch");
        }
        Double weight = e.getWeight();
        if (weight != null && !(Double.isFinite(weight) && weight >= 0)) {
            return reject(RejectReason.INVALID_WEIGHT, "weight " + weight + " is not a finite number >= 0");
        }
        Double confidence = e.getConfidence();
        if (confidence != null && !(confidence >= 0 && confidence <= 1)) {
            return reject(RejectReason.INVALID_WEIGHT, "confidence " + confidence + " is not in [0,1]");
        }
        return null;
    }

    private Rejection prompt(List<ChatMessage> prompt) {
        if (prompt == null || prompt.isEmpty()) {
            return reject(RejectReason.NO_PROMPT, "prompt has no messages");
        }
        long total = 0;
        boolean anyText = false;
        for (int i = 0; i < prompt.size(); i++) {
            String content = prompt.get(i).getContent();
            int length = content == null ? 0 : content.length();
            if (length > maxTextChars) {
                return reject(RejectReason.TEXT_TOO_LONG, "prompt message " + i + " has " + length + " chars, limit " + maxTextChars);
            }
            total += length;
            anyText |= !TextNormalizer.isBlank(content);
        }
        if (!anyText) {
            return reject(RejectReason.NO_PROMPT, "all " + prompt.size() + " prompt messages are empty");
        }
        if (total > maxPromptChars) {
            return reject(RejectReason.TEXT_TOO_LONG, "prompt has " + total + " chars in all, limit " + maxPromptChars);
        }
        return null;
    }

    private Rejection responses(List<Response> responses) {
        if (responses == null || responses.isEmpty()) {
            return reject(RejectReason.TOO_FEW_RESPONSES, "event carries no responses");
        }
        if (responses.size() > maxResponses) {
            return reject(RejectReason.TOO_MANY_RESPONSES, responses.size() + " responses, limit " + maxResponses);
        }
        Set<String> ids = new HashSet<>();
        for (Response response : responses) {
            String id = response.getResponseId();
            if (id == null || id.isBlank()) {
                return reject(RejectReason.MISSING_RESPONSE_ID, "a response has an empty response_id");
            }
            if (!ids.add(id)) {
                return reject(RejectReason.DUPLICATE_RESPONSE_ID, "response_id '" + id + "' appears twice");
            }
            String text = response.getText();
            if (TextNormalizer.isBlank(text)) {
                return reject(RejectReason.EMPTY_TEXT, "response '" + id + "' has an empty text");
            }
            if (text.length() > maxTextChars) {
                return reject(RejectReason.TEXT_TOO_LONG, "response '" + id + "' has " + text.length() + " chars, limit " + maxTextChars);
            }
        }
        return null;
    }

    private Rejection judgement(PreferenceEvent e) {
        Set<String> ids = new HashSet<>();
        e.getResponses().forEach(r -> ids.add(r.getResponseId()));
        Object judgement = e.getJudgement();
        if (judgement instanceof Comparison c) {
            return comparison(c, ids);
        } else if (judgement instanceof Ranking r) {
            return ranking(r, ids);
        } else if (judgement instanceof Rating r) {
            return rating(r, ids);
        } else if (judgement instanceof Feedback f) {
            return known(f.getResponseId(), ids, "feedback");
        }
        return reject(RejectReason.UNSUPPORTED_JUDGEMENT, "judgement is " + (judgement == null ? "missing" : judgement.getClass().getSimpleName()));
    }

    private Rejection comparison(Comparison c, Set<String> ids) {
        if (c.getResponseA() != null && c.getResponseA().equals(c.getResponseB())) {
            return reject(RejectReason.SELF_COMPARISON, "comparison of response '" + c.getResponseA() + "' with itself");
        }
        Rejection r = known(c.getResponseA(), ids, "comparison response_a");
        if (r == null) {
            r = known(c.getResponseB(), ids, "comparison response_b");
        }
        if (r != null) {
            return r;
        }
        Double strength = c.getStrength();
        if (strength != null && !(strength >= 0 && strength <= 1)) {
            return reject(RejectReason.INVALID_SCORE, "comparison strength " + strength + " is not in [0,1]");
        }
        if (c.getOutcome() == null) {
            return reject(RejectReason.UNSUPPORTED_JUDGEMENT, "comparison has no outcome");
        }
        return null;
    }

    private Rejection ranking(Ranking ranking, Set<String> ids) {
        List<List<String>> tiers = ranking.getTiers();
        if (tiers == null || tiers.isEmpty()) {
            return reject(RejectReason.INVALID_RANKING, "ranking has no tiers");
        }
        Set<String> seen = new HashSet<>();
        for (int t = 0; t < tiers.size(); t++) {
            List<String> tier = tiers.get(t);
            if (tier == null || tier.isEmpty()) {
                return reject(RejectReason.INVALID_RANKING, "ranking tier " + t + " is empty");
            }
            for (String id : tier) {
                Rejection r = known(id, ids, "ranking tier " + t);
                if (r != null) {
                    return r;
                }
                if (!seen.add(id)) {
                    return reject(RejectReason.INVALID_RANKING, "response '" + id + "' is ranked twice");
                }
            }
        }
        if (seen.size() < 2) {
            return reject(RejectReason.TOO_FEW_RESPONSES, "ranking ranks " + seen.size() + " response(s), needs 2");
        }
        return null;
    }

    private Rejection rating(Rating rating, Set<String> ids) {
        double min = rating.getScaleMin();
        double max = rating.getScaleMax();
        if (!Double.isFinite(min) || !Double.isFinite(max) || !(min < max)) {
            return reject(RejectReason.INVALID_SCALE, "rating scale [" + min + ", " + max + "] is not a finite range");
        }
        Set<String> rated = new HashSet<>();
        for (ResponseScore score : rating.getScores()) {
            String id = score.getResponseId();
            Rejection r = known(id, ids, "rating");
            if (r != null) {
                return r;
            }
            if (!rated.add(id)) {
                return reject(RejectReason.MISSING_SCORE, "response '" + id + "' is rated twice");
            }
            Map<String, Double> aspects = score.getAspects();
            if (score.getScore() == null && (aspects == null || aspects.isEmpty())) {
                return reject(RejectReason.MISSING_SCORE, "response '" + id + "' has neither a score nor aspect scores");
            }
            if (score.getScore() != null) {
                r = inScale(score.getScore(), min, max, "score of '" + id + "'");
                if (r != null) {
                    return r;
                }
            }
            if (aspects != null) {
                for (Map.Entry<String, Double> aspect : aspects.entrySet()) {
                    r = inScale(aspect.getValue(), min, max, aspect.getKey() + " score of '" + id + "'");
                    if (r != null) {
                        return r;
                    }
                }
            }
        }
        if (rated.size() < 2) {
            return reject(RejectReason.TOO_FEW_RESPONSES, "rating scores " + rated.size() + " response(s), needs 2");
        }
        return null;
    }

    private static Rejection inScale(Double value, double min, double max, String what) {
        if (value == null || !Double.isFinite(value)) {
            return reject(RejectReason.INVALID_SCORE, what + " is " + value);
        }
        if (value < min || value > max) {
            return reject(RejectReason.INVALID_SCORE, what + " = " + value + " is outside the scale [" + min + ", " + max + "]");
        }
        return null;
    }

    private static Rejection known(String id, Set<String> ids, String where) {
        if (id == null || !ids.contains(id)) {
            return reject(RejectReason.UNKNOWN_RESPONSE_ID, where + " names response '" + id + "', which the event does not carry (has " + new java.util.TreeSet<>(ids) + ")");
        }
        return null;
    }

    private static Rejection reject(RejectReason reason, String message) {
        return new Rejection(reason, message);
    }
}
