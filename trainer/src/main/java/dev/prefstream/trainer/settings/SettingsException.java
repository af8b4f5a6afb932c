package dev.prefstream.trainer.settings;

import dev.prefstream.schemas.error.FatalException;

/**
 * A {@code prefstream.*} setting is unknown, given twice (under its name and a deprecated one), or its value does not
 * parse; the message names the key, the value and, for an unknown key, the nearest known one. Fatal: the same file
 * fails the same way on every try.
 */
public class SettingsException extends FatalException {

    public SettingsException(String message) {
        super(message);
    }

    public SettingsException(String message, Throwable cause) {
        super(message, cause);
    }
}
