package io.github.getavatar;

/** {@link Status#INVALID_ARGUMENT}: a bad argument (a malformed URL or chatId, text with a NUL character or half a surrogate pair, an option out of range). No request was sent. A {@code null} argument is a {@link NullPointerException} instead, as Java code expects. */
public class InvalidArgumentException extends GetAvatarException {
    private static final long serialVersionUID = 1L;

    /** @param message what was wrong (no request was sent) */
    public InvalidArgumentException(String message) {
        super(message, Status.INVALID_ARGUMENT, 0);
    }
}
