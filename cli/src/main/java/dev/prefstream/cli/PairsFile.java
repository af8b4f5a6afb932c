package dev.prefstream.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.prefstream.trainer.chat.ChatFormat;
import dev.prefstream.trainer.chat.ChatTemplateException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A JSON-lines file of pairs ({@code prompt}, {@code chosen}, {@code rejected}, as {@code logps} and
 * {@code chat-template} read it), line by line: each good line goes to the handler with its number and texts; a bad
 * one (not JSON, a missing field, a template error, anything the handler refuses with an IllegalArgumentException)
 * is reported on {@code err} with its line number and counted, and reading goes on.
 */
final class PairsFile {

    /** What a command does with one good line. */
    interface LineHandler {
        void accept(int lineNo, String[] promptChosenRejected) throws JsonProcessingException;
    }

    private PairsFile() {
    }

    /**
     * @param command the command's name, first on every error line ({@code prefstream logps})
     * @return 0 when every line was handled, 1 when some were not, 2 when the file cannot be read
     */
    static int forEach(Path file, ChatFormat format, String command, PrintWriter out, PrintWriter err, LineHandler handler) {
        int failures = 0;
        int lineNo = 0;
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = reader.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                try {
                    handler.accept(lineNo, LogpsCommand.parse(line, format));
                    out.flush();
                } catch (ChatTemplateException e) {
                    failures++;
                    err.println(command + ": " + file + " line " + lineNo + ": chat_template: " + e.getMessage());
                    err.flush();
                } catch (IllegalArgumentException | JsonProcessingException e) {
                    failures++;
                    String msg = e instanceof JsonProcessingException j ? "not valid JSON (" + j.getOriginalMessage() + ")"
                            : e.getMessage();
                    err.println(command + ": " + file + " line " + lineNo + ": " + msg);
                    err.flush();
                }
            }
        } catch (IOException e) {
            err.println(command + ": cannot read " + file + ": " + e.getMessage());
            return 2;
        }
        return failures == 0 ? 0 : 1;
    }
}
