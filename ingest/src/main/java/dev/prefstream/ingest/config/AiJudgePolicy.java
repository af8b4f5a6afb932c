package dev.prefstream.ingest.config;

/** What happens to events judged by an AI rather than a person. */
public enum AiJudgePolicy {
    /** Keep them, with their pair weight multiplied by {@code ingest.ai-judge.weight} (1.0 keeps them as they are). */
    KEEP,
    /** Drop them (counted as {@code ai_judge_filtered}, not dead-lettered: they are valid, just not wanted). */
    DROP
}
