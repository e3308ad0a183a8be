package io.github.getavatar;

/** {@link Status#IO}: the downloaded image could not be written to the file (missing folder, no permission, disk full); nothing was left at the path. */
public class FileException extends GetAvatarException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong
     * @param httpStatus the HTTP status of the last response whose headers arrived; 0 when none did
     */
    public FileException(String message, int httpStatus) {
        super(message, Status.IO, httpStatus);
    }
}
