package io.github.getavatar;

/** {@link Status#RATE_LIMITED}: HTTP 429 on every attempt, or the server asked to wait longer than 60 s (the message says when to retry). */
public class RateLimitException extends GetAvatarException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong
     * @param httpStatus the HTTP status of the last response whose headers arrived; 0 when none did
     */
    public RateLimitException(String message, int httpStatus) {
        super(message, Status.RATE_LIMITED, httpStatus);
    }
}
