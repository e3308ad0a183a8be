package io.github.getavatar;

/** {@link Status#CANCELLED}: the call was cancelled through the library's cancel token. The futures of {@link Client#getAvatarAsync(String)} report their own cancellation as Java does ({@link java.util.concurrent.CancellationException}); this one is for a batch's ids that a cancel stopped. */
public class CancelledException extends GetAvatarException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong
     * @param httpStatus the HTTP status of the last response whose headers arrived; 0 when none did
     */
    public CancelledException(String message, int httpStatus) {
        super(message, Status.CANCELLED, httpStatus);
    }
}
