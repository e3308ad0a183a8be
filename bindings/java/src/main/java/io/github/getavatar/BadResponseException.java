package io.github.getavatar;

/** {@link Status#BAD_RESPONSE}: the answer was unusable (not JSON, wrong shape, too large, a redirect, an unexpected status, an image link that answers no image). */
public class BadResponseException extends GetAvatarException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong
     * @param httpStatus the HTTP status of the last response whose headers arrived; 0 when none did
     */
    public BadResponseException(String message, int httpStatus) {
        super(message, Status.BAD_RESPONSE, httpStatus);
    }
}
