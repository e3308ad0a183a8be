package io.github.getavatar;

/** {@link Status#VALIDATION}: the server rejected the request (HTTP 400); the message carries the server's own. */
public class ValidationException extends GetAvatarException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong
     * @param httpStatus the HTTP status of the last response whose headers arrived; 0 when none did
     */
    public ValidationException(String message, int httpStatus) {
        super(message, Status.VALIDATION, httpStatus);
    }
}
