package io.github.getavatar;

/**
 * What a call did: the C library's {@code GaStatus} numbers, each constant named as in C without
 * the {@code GA_ERR_} prefix ({@code GA_ERR_RATE_LIMITED} is {@link #RATE_LIMITED}). Numbers are
 * fixed forever. {@link #UNKNOWN} stands for a number this binding does not know (a newer library).
 */
public enum Status {
    /** Success ({@code GA_OK}); never the status of an exception. */
    OK(0),
    /** A null or malformed argument, a malformed URL, a bad idInstance/token/chatId, an option out of range. No request was sent. */
    INVALID_ARGUMENT(1),
    /** The server rejected the request with 400; its message is in the exception's. */
    VALIDATION(2),
    /** 401: the server rejected apiTokenInstance. */
    UNAUTHORIZED(3),
    /** 403: unknown idInstance, or the host does not serve this instance. */
    FORBIDDEN(4),
    /** 404: no getAvatar method at this address (check apiUrl). */
    NOT_FOUND(5),
    /** 429 on every attempt, or a Retry-After longer than 60 s. */
    RATE_LIMITED(6),
    /** 466: the plan's quota is used up. */
    QUOTA_EXCEEDED(7),
    /** 5xx or 499 on every attempt (501 and 505 at once). */
    SERVER(8),
    /** No complete answer within the timeout on every attempt, or the deadline passed. */
    TIMEOUT(9),
    /** DNS failure, connection refused or reset, TLS failure. */
    NETWORK(10),
    /** An unparseable or oversized body, a missing urlAvatar, a redirect, an unexpected status. */
    BAD_RESPONSE(11),
    /** A bug in getavatar (a caught panic); please report it. */
    INTERNAL(12),
    /** A download's image could not be written to the file; nothing was left at the path. */
    IO(13),
    /** The call was cancelled through its cancel token. */
    CANCELLED(14),
    /** A number this binding does not know ({@code GA_ERR_UNKNOWN}). */
    UNKNOWN(-1);

    private final int code;

    Status(int code) {
        this.code = code;
    }

    /** The C number ({@code GA_ERR_TIMEOUT} = 9); -1 for {@link #UNKNOWN}. */
    public int code() {
        return code;
    }

    /** The C name, e.g. {@code "GA_ERR_TIMEOUT"}, {@code "GA_OK"}. */
    public String cName() {
        return this == OK ? "GA_OK" : "GA_ERR_" + name();
    }

    private static final Status[] BY_CODE = values();

    /** The constant for a C number; {@link #UNKNOWN} for a number that is not a status. */
    public static Status of(int code) {
        return code >= 0 && code < BY_CODE.length - 1 ? BY_CODE[code] : UNKNOWN;
    }
}
