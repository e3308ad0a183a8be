package io.github.getavatar;

/** {@link Status#NOT_FOUND}: HTTP 404, check apiUrl. */
public class NotFoundException extends GetAvatarException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong
     * @param httpStatus the HTTP status of the last response whose headers arrived; 0 when none did
     */
    public NotFoundException(String message, int httpStatus) {
        super(message, Status.NOT_FOUND, httpStatus);
    }
}
