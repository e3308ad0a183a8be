package io.github.getavatar;

/** {@link Status#TIMEOUT}: no complete answer within the timeout on every attempt, or the call's deadline passed (the message says which). Not {@link java.util.concurrent.TimeoutException}, which is checked. */
public class TimeoutException extends GetAvatarException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong
     * @param httpStatus the HTTP status of the last response whose headers arrived; 0 when none did
     */
    public TimeoutException(String message, int httpStatus) {
        super(message, Status.TIMEOUT, httpStatus);
    }
}
