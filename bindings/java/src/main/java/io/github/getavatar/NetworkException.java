package io.github.getavatar;

/** {@link Status#NETWORK}: DNS failure, connection refused or reset, TLS failure, an image cut short. */
public class NetworkException extends GetAvatarException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong
     * @param httpStatus the HTTP status of the last response whose headers arrived; 0 when none did
     */
    public NetworkException(String message, int httpStatus) {
        super(message, Status.NETWORK, httpStatus);
    }
}
