package dev.prefstream.ingest.importer;

import java.io.IOException;

/** Reads a dataset file's records one at a time, never holding more than one (bounded) record in memory. */
interface RecordReader {

    /** The next record, or null at the end of the file. */
    DatasetRecord next() throws IOException;
}
