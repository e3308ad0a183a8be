package io.github.getavatar;

import java.util.Arrays;
import java.util.Objects;

/** A lookup's answer with the image itself ({@link Client#avatarBytes}). Immutable: {@link #data()} returns a copy. */
public final class AvatarImage {
    private static final byte[] NONE = new byte[0];

    private final String url;
    private final Boolean available;
    private final byte[] data;
    private final String contentType;

    /**
     * @param url the avatar link; {@code ""} when there is none
     * @param available true, false, or null when the server did not say
     * @param data the image; empty when there is none (it is copied)
     * @param contentType its media type; {@code ""} when there is no image
     */
    public AvatarImage(String url, Boolean available, byte[] data, String contentType) {
        this(Objects.requireNonNull(url, "url"), available, Objects.requireNonNull(data, "data").clone(),
                Objects.requireNonNull(contentType, "contentType"), true);
    }

    /** Takes {@code data} as is (the binding's own fresh array). */
    AvatarImage(String url, Boolean available, byte[] data, String contentType, boolean owned) {
        this.url = url;
        this.available = available;
        this.data = data.length == 0 ? NONE : data;
        this.contentType = contentType;
    }

    /** The avatar link; {@code ""} when there is none (then there is no image). */
    public String url() {
        return url;
    }

    /** {@code TRUE} available, {@code FALSE} hidden by privacy settings, {@code null} when the answer left it out. */
    public Boolean available() {
        return available;
    }

    /** Whether there is an image (the chat has an avatar); a downloaded image is never empty. */
    public boolean hasImage() {
        return data.length > 0;
    }

    /** A copy of the image's bytes (at most 16 MiB); empty when the chat has no avatar. */
    public byte[] data() {
        return data.length == 0 ? NONE : data.clone();
    }

    /** How many bytes the image has; 0 when there is none. */
    public int size() {
        return data.length;
    }

    /** The image's media type, e.g. {@code "image/jpeg"}; {@code ""} when there is no image. */
    public String contentType() {
        return contentType;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof AvatarImage)) {
            return false;
        }
        AvatarImage a = (AvatarImage) o;
        return url.equals(a.url) && Objects.equals(available, a.available) && Arrays.equals(data, a.data)
                && contentType.equals(a.contentType);
    }

    @Override
    public int hashCode() {
        return Objects.hash(url, available, Arrays.hashCode(data), contentType);
    }

    @Override
    public String toString() {
        return "AvatarImage[url=" + url + ", available=" + available + ", data=<" + data.length + " bytes>, contentType="
                + contentType + "]";
    }
}
