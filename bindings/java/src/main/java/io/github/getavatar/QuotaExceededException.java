package io.github.getavatar;

/** {@link Status#QUOTA_EXCEEDED}: HTTP 466, the plan's quota is used up. */
public class QuotaExceededException extends GetAvatarException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong
     * @param httpStatus the HTTP status of the last response whose headers arrived; 0 when none did
     */
    public QuotaExceededException(String message, int httpStatus) {
        super(message, Status.QUOTA_EXCEEDED, httpStatus);
    }
}
