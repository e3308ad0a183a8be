package io.github.getavatar;

/** {@link Status#SERVER}: HTTP 5xx or 499 on every attempt. */
public class ServerException extends GetAvatarException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong
     * @param httpStatus the HTTP status of the last response whose headers arrived; 0 when none did
     */
    public ServerException(String message, int httpStatus) {
        super(message, Status.SERVER, httpStatus);
    }
}
