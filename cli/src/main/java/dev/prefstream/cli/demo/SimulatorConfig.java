package dev.prefstream.cli.demo;

/**
 * How the chat simulator plays production.
 *
 * @param promptsPerRound      conversations simulated per round (their responses are sampled in one batch)
 * @param responsesPerPrompt   responses sampled per conversation (all rated by the AI judge)
 * @param roundPause           pause between rounds in ms (paces the feedback so the trainer stays near on-policy)
 * @param temperature          sampling temperature of the served policy
 * @param maxNewTokens         longest answer sampled, in tokens
 * @param thumbsProbability    chance that a simulated user leaves thumbs on two of a conversation's responses
 * @param thumbsNoise          std-dev of the noise added to the judge reward before a user decides up/down
 * @param thumbsUpAt           a user gives thumbs up when the (noisy) perceived quality is at least this
 * @param maxThumbsDelayMs     thumbs arrive uniformly 0..this many ms after the conversation (late feedback)
 * @param duplicateProbability chance that a thumbs event is delivered twice (at-least-once clients)
 * @param comparisonProbability chance of a human A/B comparison of two responses of a conversation
 * @param rankingProbability   chance of a human ranking of all responses of a conversation
 * @param garbageProbability   chance per round of one record that is not in the wire format (must go to the DLQ)
 * @param seed                 seeds prompts, sampling and every simulated human decision
 */
public record SimulatorConfig(int promptsPerRound, int responsesPerPrompt, long roundPause, double temperature,
                              int maxNewTokens, double thumbsProbability, double thumbsNoise, double thumbsUpAt, long maxThumbsDelayMs,
                              double duplicateProbability, double comparisonProbability, double rankingProbability,
                              double garbageProbability, long seed) {

    public SimulatorConfig {
        require(promptsPerRound >= 1, "promptsPerRound must be >= 1");
        require(responsesPerPrompt >= 2, "responsesPerPrompt must be >= 2 (preferences need two answers)");
        require(roundPause >= 0, "roundPause must be >= 0");
        require(temperature > 0 && Double.isFinite(temperature), "temperature must be finite and > 0 (sampling)");
        require(maxNewTokens >= 1, "maxNewTokens must be >= 1");
        require(maxThumbsDelayMs >= 0, "maxThumbsDelayMs must be >= 0");
        require(thumbsNoise >= 0 && Double.isFinite(thumbsNoise), "thumbsNoise must be finite and >= 0");
        require(Double.isFinite(thumbsUpAt), "thumbsUpAt must be finite");
        for (double p : new double[] {thumbsProbability, duplicateProbability, comparisonProbability, rankingProbability,
                garbageProbability}) {
            require(p >= 0 && p <= 1, "probabilities must be in [0, 1], got " + p);
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** The demo's defaults: 8 conversations x 4 answers per round at temperature 1; users are demanding (thumbs up only for
     * what looks exactly right). */
    public static SimulatorConfig defaults() {
        return new SimulatorConfig(8, 4, 500, 1.0, 14, 0.3, 0.15, 0.9, 8_000, 0.1, 0.2, 0.1, 0.05, 7L);
    }

    /** Copy with another garbage rate and thumbs delay (tests: every path exercised in a short run). */
    public SimulatorConfig withGarbageAndDelay(double garbage, long maxDelayMs) {
        return new SimulatorConfig(promptsPerRound, responsesPerPrompt, roundPause, temperature, maxNewTokens, thumbsProbability,
                thumbsNoise, thumbsUpAt, maxDelayMs, duplicateProbability, comparisonProbability, rankingProbability, garbage, seed);
    }

    /** Copy with another pause between rounds. */
    public SimulatorConfig withRoundPause(long ms) {
        return new SimulatorConfig(promptsPerRound, responsesPerPrompt, ms, temperature, maxNewTokens, thumbsProbability,
                thumbsNoise, thumbsUpAt, maxThumbsDelayMs, duplicateProbability, comparisonProbability, rankingProbability,
                garbageProbability, seed);
    }
}
