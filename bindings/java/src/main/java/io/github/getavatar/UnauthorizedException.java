package io.github.getavatar;

/** {@link Status#UNAUTHORIZED}: HTTP 401, check apiTokenInstance. */
public class UnauthorizedException extends AuthException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong
     * @param httpStatus the HTTP status of the last response whose headers arrived; 0 when none did
     */
    public UnauthorizedException(String message, int httpStatus) {
        super(message, Status.UNAUTHORIZED, httpStatus);
    }
}
