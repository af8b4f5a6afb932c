package dev.prefstream.ingest.importer;

/**
 * One record of a dataset file: a line of a JSON-lines file, or an element of a JSON array file.
 *
 * @param number 1-based position in the file (line number, or element number for an array)
 * @param text   the record's JSON text (line terminator and BOM removed); null when it was longer than the limit
 * @param chars  its length in chars (also when too long, so the reason can say how long)
 */
record DatasetRecord(long number, String text, long chars) {

    boolean tooLong() {
        return text == null;
    }
}
