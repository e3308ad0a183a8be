package io.github.getavatar;

import java.util.Objects;

/** A lookup's answer. Immutable. */
public final class Avatar {
    private final String url;
    private final Boolean available;
    private final int httpStatus;

    /**
     * @param url the avatar link; {@code ""} when there is none
     * @param available true available, false hidden by privacy settings, null when the server did not say
     * @param httpStatus the HTTP status of the answer (200; 0 for an answer from the client's cache)
     */
    public Avatar(String url, Boolean available, int httpStatus) {
        this.url = Objects.requireNonNull(url, "url");
        this.available = available;
        this.httpStatus = httpStatus;
    }

    /** The avatar link; {@code ""} when there is none (no avatar set, no such account, hidden by privacy settings). */
    public String url() {
        return url;
    }

    /** {@code TRUE} available, {@code FALSE} hidden by privacy settings, {@code null} when the answer left it out. */
    public Boolean available() {
        return available;
    }

    /** The HTTP status of the answer: 200. */
    public int httpStatus() {
        return httpStatus;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Avatar)) {
            return false;
        }
        Avatar a = (Avatar) o;
        return url.equals(a.url) && Objects.equals(available, a.available) && httpStatus == a.httpStatus;
    }

    @Override
    public int hashCode() {
        return Objects.hash(url, available, httpStatus);
    }

    @Override
    public String toString() {
        return "Avatar[url=" + url + ", available=" + available + ", httpStatus=" + httpStatus + "]";
    }
}
