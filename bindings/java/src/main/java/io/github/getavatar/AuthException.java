package io.github.getavatar;

/** The server refused the credentials: {@link UnauthorizedException} (401) or {@link ForbiddenException} (403). */
public abstract class AuthException extends GetAvatarException {
    private static final long serialVersionUID = 1L;

    /** For {@link UnauthorizedException} and {@link ForbiddenException}. */
    protected AuthException(String message, Status status, int httpStatus) {
        super(message, status, httpStatus);
    }
}
