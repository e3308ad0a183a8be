package io.github.getavatar;

/** {@link Status#INTERNAL}: a bug in getavatar; please report it. */
public class InternalException extends GetAvatarException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong
     * @param httpStatus the HTTP status of the last response whose headers arrived; 0 when none did
     */
    public InternalException(String message, int httpStatus) {
        super(message, Status.INTERNAL, httpStatus);
    }
}
