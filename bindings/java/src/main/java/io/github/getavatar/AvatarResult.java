package io.github.getavatar;

import java.util.Objects;

/** One id's outcome in {@link Client#getAvatars}: an {@link Avatar} or the {@link GetAvatarException} for that id (never both). Immutable. */
public final class AvatarResult {
    private final String chatId;
    private final Avatar avatar;
    private final GetAvatarException error;

    private AvatarResult(String chatId, Avatar avatar, GetAvatarException error) {
        this.chatId = Objects.requireNonNull(chatId, "chatId");
        this.avatar = avatar;
        this.error = error;
    }

    /** A successful lookup. */
    public static AvatarResult ok(String chatId, Avatar avatar) {
        return new AvatarResult(chatId, Objects.requireNonNull(avatar, "avatar"), null);
    }

    /** A failed lookup. */
    public static AvatarResult failed(String chatId, GetAvatarException error) {
        return new AvatarResult(chatId, null, Objects.requireNonNull(error, "error"));
    }

    /** The chat id as given. */
    public String chatId() {
        return chatId;
    }

    /** Whether the lookup succeeded. */
    public boolean isOk() {
        return error == null;
    }

    /** The answer; null when the lookup failed. */
    public Avatar avatar() {
        return avatar;
    }

    /** Why the lookup failed; null when it succeeded. */
    public GetAvatarException error() {
        return error;
    }

    /** The answer, or the lookup's exception thrown. */
    public Avatar get() {
        if (error != null) {
            throw error;
        }
        return avatar;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof AvatarResult)) {
            return false;
        }
        AvatarResult r = (AvatarResult) o;
        return chatId.equals(r.chatId) && Objects.equals(avatar, r.avatar) && Objects.equals(error, r.error);
    }

    @Override
    public int hashCode() {
        return Objects.hash(chatId, avatar, error);
    }

    @Override
    public String toString() {
        return "AvatarResult[chatId=" + chatId + ", " + (error == null ? avatar : error) + "]";
    }
}
