package io.github.getavatar;

/** {@link Status#FORBIDDEN}: HTTP 403, check idInstance and that apiUrl is the host your console shows. */
public class ForbiddenException extends AuthException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong
     * @param httpStatus the HTTP status of the last response whose headers arrived; 0 when none did
     */
    public ForbiddenException(String message, int httpStatus) {
        super(message, Status.FORBIDDEN, httpStatus);
    }
}
