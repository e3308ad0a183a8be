package io.github.getavatar;

/**
 * A getavatar failure. {@link #getMessage()} is the library's own message (the token never appears
 * in it, nor in {@link #toString()}), with the C setting names it may mention replaced by the
 * builder's ({@code Client.Builder.caFile} for {@code ga_client_set_ca_file}).
 *
 * <p>Each group of failures a caller handles differently has its own subclass, as the Python
 * binding has one exception class per group: {@link InvalidArgumentException},
 * {@link ValidationException}, {@link AuthException} ({@link UnauthorizedException},
 * {@link ForbiddenException}), {@link NotFoundException}, {@link RateLimitException},
 * {@link QuotaExceededException}, {@link ServerException}, {@link TimeoutException},
 * {@link NetworkException}, {@link BadResponseException}, {@link InternalException},
 * {@link FileException} and {@link CancelledException}.
 */
public class GetAvatarException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Status status;
    private final int httpStatus;

    /**
     * @param message what went wrong (shown as is: never put a secret in it)
     * @param status the status; never {@link Status#OK}
     * @param httpStatus the HTTP status of the last response whose headers arrived; 0 when none did
     */
    public GetAvatarException(String message, Status status, int httpStatus) {
        super(message);
        this.status = java.util.Objects.requireNonNull(status, "status");
        this.httpStatus = httpStatus;
    }

    /** What went wrong, as the C library's status ({@link Status#TIMEOUT} ...). */
    public Status status() {
        return status;
    }

    /** The HTTP status of the last response whose headers arrived; 0 when none did. */
    public int httpStatus() {
        return httpStatus;
    }

    /** The exception of the group a C status number belongs to. */
    static GetAvatarException of(int code, String message, int httpStatus) {
        Status s = Status.of(code);
        switch (s) {
            case INVALID_ARGUMENT: return new InvalidArgumentException(message);
            case VALIDATION: return new ValidationException(message, httpStatus);
            case UNAUTHORIZED: return new UnauthorizedException(message, httpStatus);
            case FORBIDDEN: return new ForbiddenException(message, httpStatus);
            case NOT_FOUND: return new NotFoundException(message, httpStatus);
            case RATE_LIMITED: return new RateLimitException(message, httpStatus);
            case QUOTA_EXCEEDED: return new QuotaExceededException(message, httpStatus);
            case SERVER: return new ServerException(message, httpStatus);
            case TIMEOUT: return new TimeoutException(message, httpStatus);
            case NETWORK: return new NetworkException(message, httpStatus);
            case BAD_RESPONSE: return new BadResponseException(message, httpStatus);
            case INTERNAL: return new InternalException(message, httpStatus);
            case IO: return new FileException(message, httpStatus);
            case CANCELLED: return new CancelledException(message, httpStatus);
            default: return new GetAvatarException(message, Status.UNKNOWN, httpStatus);
        }
    }
}
