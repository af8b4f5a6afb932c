package dev.prefstream.ingest.config;

/** Which number of a rated response is its score. */
public enum RatingScore {
    /** The overall {@code score}; when a response only has aspects, their mean (the default). */
    OVERALL,
    /** The mean over the per-aspect scores (the Argilla/Notus choice); when a response has no aspects, its overall score. */
    ASPECT_MEAN
}
