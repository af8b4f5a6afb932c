package dev.prefstream.trainer.chat;

import dev.prefstream.schemas.error.FatalException;

/**
 * A chat template refused a conversation ({@code raise_exception(...)}, e.g. roles out of order or a system message
 * the model has no slot for) or failed to render it. The message is the template's own. Fatal: the same
 * conversation fails the same way every time, so the trainer dead-letters the pair with the reason
 * {@value #REASON} instead of retrying.
 */
public final class ChatTemplateException extends FatalException {

    /** Dead-letter reason of pairs whose prompt the model's chat template refuses. */
    public static final String REASON = "chat_template";

    public ChatTemplateException(String message) {
        super(message);
    }

    public ChatTemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}
