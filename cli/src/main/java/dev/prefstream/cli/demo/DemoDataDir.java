package dev.prefstream.cli.demo;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks the demo's {@code --data} directory before anything starts: a file in its place, or a directory the user
 * cannot write, otherwise only showed up after the base policy's minute of training ("cannot save model to ...")
 * or as a bare path ("prefstream demo: ./data").
 */
public final class DemoDataDir {

    private DemoDataDir() {
    }

    /** Creates {@code dir} if missing and proves it writable (a probe file, created and deleted); returns it. */
    public static Path prepare(Path dir) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("--data " + dir + " is a file, not a directory");
        }
        try {
            Files.createDirectories(dir);
        } catch (FileAlreadyExistsException e) {
            throw new IllegalArgumentException("--data " + dir + ": " + e.getFile() + " is a file, not a directory");
        } catch (IOException e) {
            throw new IllegalArgumentException("--data " + dir + " cannot be created: " + reason(e));
        }
        try {
            Files.delete(Files.createTempFile(dir, ".write-check", ".tmp"));
        } catch (IOException e) {
            throw new IllegalArgumentException("--data " + dir + " is not writable: " + reason(e));
        }
        return dir;
    }

    /** The OS's reason alone (the exception's message repeats the path), so the error is one line. */
    private static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.toString();
    }
}
