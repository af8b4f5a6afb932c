package dev.prefstream.ingest.importer;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.Reader;

/**
 * A file holding one JSON array of records ({@code [ {...}, {...} ]}, as pandas' {@code to_json(orient="records")}
 * writes), read element by element with a streaming parser. Each element's text is its compact re-serialization
 * (so its event id does not depend on the file's indentation). An element longer than the limit is parsed (a
 * streaming parser cannot know its size sooner; Jackson's own limits bound it) and then returned as too long.
 * A syntax error cannot be skipped inside an array, so it ends the import with an IOException naming the place.
 */
final class JsonArrayReader implements RecordReader {

    private final JsonParser parser;
    private final ObjectMapper json;
    private final int maxChars;
    private long elements;
    private boolean done;

    JsonArrayReader(Reader in, ObjectMapper json, int maxChars) throws IOException {
        this.json = json;
        this.maxChars = maxChars;
        this.parser = json.createParser(in);
        try {
            if (parser.nextToken() != JsonToken.START_ARRAY) {
                throw new IOException("not a JSON array");
            }
        } catch (JsonProcessingException e) {
            throw malformed(e);
        }
    }

    @Override
    public DatasetRecord next() throws IOException {
        if (done) {
            return null;
        }
        try {
            JsonToken token = parser.nextToken();
            if (token == JsonToken.END_ARRAY) {
                done = true;
                if (parser.nextToken() != null) {
                    throw new IOException("content after the JSON array's closing ] at " + where(parser.currentTokenLocation()));
                }
                return null;
            }
            if (token == null) {
                throw new IOException("the JSON array is not closed (file ends after " + elements + " elements)");
            }
            long start = parser.currentTokenLocation().getCharOffset();
            JsonNode node = parser.readValueAsTree();
            long chars = parser.currentLocation().getCharOffset() - start;
            elements++;
            if (chars > maxChars) {
                return new DatasetRecord(elements, null, chars);
            }
            return new DatasetRecord(elements, node == null ? "null" : json.writeValueAsString(node), chars);
        } catch (JsonProcessingException e) {
            throw malformed(e);
        }
    }

    private IOException malformed(JsonProcessingException e) {
        return new IOException("malformed JSON array after " + elements + " elements, at " + where(e.getLocation()) + ": " + e.getOriginalMessage(), e);
    }

    private static String where(JsonLocation at) {
        return at == null ? "an unknown place" : "line " + at.getLineNr() + " column " + at.getColumnNr();
    }
}
