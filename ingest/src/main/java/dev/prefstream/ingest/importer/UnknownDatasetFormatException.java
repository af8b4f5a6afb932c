package dev.prefstream.ingest.importer;

/** {@code --format auto} could not tell the dataset's format from its first JSON object; the message names its keys. */
public final class UnknownDatasetFormatException extends RuntimeException {

    public UnknownDatasetFormatException(String message) {
        super(message);
    }
}
