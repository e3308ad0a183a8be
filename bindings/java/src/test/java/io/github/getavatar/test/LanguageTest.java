package io.github.getavatar.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.getavatar.AvatarResult;
import io.github.getavatar.Client;
import io.github.getavatar.GetAvatarException;
import io.github.getavatar.InvalidArgumentException;
import io.github.getavatar.Status;
import io.github.getavatar.UnauthorizedException;
import io.github.getavatar.ValidationException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The language of the library's messages (issue 29): Builder.language("ru") and setLanguage;
 * the exception class, status() and the server's own text are the same in every language.
 */
class LanguageTest {
    Emu emu;

    @BeforeEach
    void emulator() throws Exception {
        emu = Emu.get();
    }

    static boolean russian(String s) {
        return s.chars().anyMatch(ch -> ch >= 0x0400 && ch <= 0x04ff);
    }

    Client client(String language) {
        return Client.builder(emu.url, emu.idInstance, emu.token).maxRetries(0).rateLimit(0).language(language).build();
    }

    @Test
    void theLanguageOptionMakesMessagesRussianWithTheSameException() throws Exception {
        try (Client ru = client("ru"); Client en = client("en")) {
            emu.fault("{\"kind\":\"status\",\"status\":401}");
            UnauthorizedException r = assertThrows(UnauthorizedException.class, () -> ru.getAvatar("10000000"));
            emu.fault("{\"kind\":\"status\",\"status\":401}");
            UnauthorizedException e = assertThrows(UnauthorizedException.class, () -> en.getAvatar("10000000"));
            assertTrue(russian(r.getMessage()), r.getMessage());
            assertFalse(russian(e.getMessage()), e.getMessage());
            assertTrue(r.getMessage().startsWith("HTTP 401 Unauthorized: сервер не принял apiTokenInstance"), r.getMessage());
            assertEquals(Status.UNAUTHORIZED, r.status());
            assertEquals(e.status(), r.status());
            assertEquals(e.httpStatus(), r.httpStatus());
            // A batch's errors are in the client's language too.
            List<AvatarResult> results = ru.getAvatars(Arrays.asList("abc", "+7 900"));
            for (AvatarResult x : results) {
                assertInstanceOf(InvalidArgumentException.class, x.error());
                assertTrue(russian(x.error().getMessage()), x.error().getMessage());
            }
        }
    }

    @Test
    void theServersOwnTextIsQuotedAsItCame() throws Exception {
        String said = "Validation failed: chatId is invalid";
        try (Client c = client("ru")) {
            emu.fault("{\"kind\":\"status\",\"status\":400,\"body\":\"{\\\"statusCode\\\":400,\\\"message\\\":\\\"" + said + "\\\"}\"}");
            ValidationException e = assertThrows(ValidationException.class, () -> c.getAvatar("10000000"));
            assertEquals("сервер отклонил запрос (HTTP 400): " + said, e.getMessage());
            assertEquals(Status.VALIDATION, e.status());
        }
    }

    @Test
    void setLanguageSwitchesRefusesUnknownAndNullReturnsToTheDefault() {
        try (Client def = new Client(emu.url, emu.idInstance, emu.token); Client c = new Client(emu.url, emu.idInstance, emu.token)) {
            c.setLanguage("ru_RU");
            GetAvatarException e = assertThrows(InvalidArgumentException.class, () -> c.getAvatar("abc"));
            assertTrue(russian(e.getMessage()), e.getMessage());
            InvalidArgumentException xx = assertThrows(InvalidArgumentException.class, () -> c.setLanguage("xx"));
            assertTrue(xx.getMessage().contains("\"xx\""), xx.getMessage());
            assertEquals(Status.INVALID_ARGUMENT, xx.status());
            // The language is kept after a refusal.
            e = assertThrows(InvalidArgumentException.class, () -> c.getAvatar("abc"));
            assertTrue(russian(e.getMessage()), e.getMessage());
            c.setLanguage(null);
            String mine = assertThrows(InvalidArgumentException.class, () -> c.getAvatar("abc")).getMessage();
            String theirs = assertThrows(InvalidArgumentException.class, () -> def.getAvatar("abc")).getMessage();
            assertEquals(theirs, mine);
        }
    }

    @Test
    void aBadLanguageFailsBuild() {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> client("xx"));
        assertTrue(e.getMessage().contains("\"xx\""), e.getMessage());
        Client c = new Client(emu.url, emu.idInstance, emu.token);
        c.close();
        assertThrows(IllegalStateException.class, () -> c.setLanguage("ru"));
    }

    // -- the binding's own refusals (made before the library is called) follow the language ------------

    /** {@code call} throws exactly {@code type} (not a subclass: code that branches on it is unaffected); its message. */
    static <T extends Throwable> String refusal(Class<T> type, Executable call) {
        T e = assertThrows(type, call);
        assertEquals(type, e.getClass());
        if (e instanceof GetAvatarException) {
            assertEquals(Status.INVALID_ARGUMENT, ((GetAvatarException) e).status());
            assertEquals(0, ((GetAvatarException) e).httpStatus());
        }
        return e.getMessage();
    }

    /** A Russian text naming {@code words} (each of them, as they are the same in every language). */
    static void assertRussian(String message, String... words) {
        assertTrue(russian(message), message);
        for (String w : words) {
            assertTrue(message.contains(w), w + " in: " + message);
        }
    }

    @Test
    void aNulCharacterIsRefusedInTheClientsLanguage() throws Exception {
        try (Client ru = client("ru"); Client en = client("en")) {
            String r = refusal(InvalidArgumentException.class, () -> ru.getAvatar("1000\u00000000"));
            assertRussian(r, "chatId ", "NUL");
            assertEquals("chatId must not contain NUL characters",
                    refusal(InvalidArgumentException.class, () -> en.getAvatar("1000\u00000000")));
            // The same check in the other calls, and for a batch's id (its own result's error).
            assertRussian(refusal(InvalidArgumentException.class, () -> ru.avatarBytes("\u0000")), "chatId ");
            assertRussian(refusal(InvalidArgumentException.class, () -> ru.getAvatarAsync("\u0000")), "chatId ");
            List<AvatarResult> results = ru.getAvatars(Arrays.asList("1\u0000"));
            assertEquals(InvalidArgumentException.class, results.get(0).error().getClass());
            assertRussian(results.get(0).error().getMessage(), "chatIds[0] ");
            assertEquals("chatIds[0] must not contain NUL characters",
                    en.getAvatars(Arrays.asList("1\u0000")).get(0).error().getMessage());
        }
        // A builder's own checks after language(): in that language.
        assertRussian(refusal(InvalidArgumentException.class,
                () -> Client.builder(emu.url, emu.idInstance, emu.token).language("ru").userAgent("a\u0000")), "userAgent ");
        assertEquals("proxy must not contain NUL characters", refusal(InvalidArgumentException.class,
                () -> Client.builder(emu.url, emu.idInstance, emu.token).language("en").proxy("a\u0000")));
        assertEquals(Collections.emptyList(), emu.requestedIds());
    }

    @Test
    void aLoneSurrogateIsRefusedInTheClientsLanguage() throws Exception {
        try (Client ru = client("ru"); Client en = client("en")) {
            assertRussian(refusal(InvalidArgumentException.class, () -> ru.getAvatar("100\ud800")), "chatId ", "Unicode", "3");
            assertEquals("chatId is not valid Unicode text (a lone surrogate at index 3)",
                    refusal(InvalidArgumentException.class, () -> en.getAvatar("100\ud800")));
            assertEquals("chatId is not valid Unicode text (a lone surrogate at index 0)",
                    refusal(InvalidArgumentException.class, () -> en.getAvatarAsync("\udc00100")));
        }
        assertEquals(Collections.emptyList(), emu.requestedIds());
    }

    @Test
    void aDurationOutOfRangeIsRefusedInTheClientsLanguage() {
        // Java refuses what the library's int cannot carry (a negative duration, or beyond int ms);
        // build() applies the language first, so the refusal is in it.
        Client.Builder ru = Client.builder(emu.url, emu.idInstance, emu.token).language("ru");
        assertRussian(refusal(InvalidArgumentException.class, ru.timeout(Duration.ofSeconds(-1))::build), "timeout PT-1S ");
        Client.Builder en = Client.builder(emu.url, emu.idInstance, emu.token).language("en");
        assertEquals("timeout PT-1S is out of range", refusal(InvalidArgumentException.class, en.timeout(Duration.ofSeconds(-1))::build));
        assertEquals("cacheTtl PT-1H is out of range", refusal(InvalidArgumentException.class,
                Client.builder(emu.url, emu.idInstance, emu.token).language("en").cacheTtl(Duration.ofHours(-1))::build));
        assertRussian(refusal(InvalidArgumentException.class,
                Client.builder(emu.url, emu.idInstance, emu.token).language("ru").idleTimeout(Duration.ofDays(100000))::build),
                "idleTimeout PT2400000H ");
    }

    @Test
    void aCallAfterCloseIsRefusedInTheClientsLanguage(@TempDir Path dir) throws Exception {
        Client ru = client("ru");
        Client en = client("en");
        ru.close();
        en.close();
        String r = refusal(IllegalStateException.class, () -> ru.getAvatar("10000000"));
        assertRussian(r, "getavatar Client");
        assertEquals(r, refusal(IllegalStateException.class, () -> ru.getAvatars(Collections.singletonList("10000000"))));
        assertEquals(r, refusal(IllegalStateException.class, () -> ru.getAvatarAsync("10000000")));
        assertEquals(r, refusal(IllegalStateException.class, () -> ru.downloadAvatar("10000000", dir.resolve("a.png"))));
        assertEquals(r, refusal(IllegalStateException.class, ru::warmUp));
        assertEquals("this getavatar Client is closed", refusal(IllegalStateException.class, () -> en.getAvatar("10000000")));
        assertEquals("this getavatar Client is closed", refusal(IllegalStateException.class, () -> en.setLanguage("ru")));
        assertEquals(Collections.emptyList(), emu.requestedIds());
    }

    @Test
    void aCloseWhileAnAsyncCallWaitsIsSaidInTheClientsLanguage() throws Exception {
        // The future fails with the closed client's refusal when the call starts after close().
        Client ru = client("ru");
        List<Runnable> queued = new java.util.ArrayList<>();
        java.util.concurrent.CompletableFuture<?> f = ru.getAvatarAsync("10000000", queued::add);
        ru.close();
        queued.get(0).run();
        CompletionException e = assertThrows(CompletionException.class, f::join);
        assertEquals(IllegalStateException.class, e.getCause().getClass());
        assertRussian(e.getCause().getMessage(), "getavatar Client");
    }

    @Test
    void setLanguageChangesTheLanguageOfTheBindingsOwnRefusals() throws Exception {
        try (Client def = new Client(emu.url, emu.idInstance, emu.token); Client c = new Client(emu.url, emu.idInstance, emu.token)) {
            c.setLanguage("RU-ru");
            assertRussian(refusal(InvalidArgumentException.class, () -> c.getAvatar("\u0000")), "chatId ");
            // A refused language keeps the one before.
            assertThrows(InvalidArgumentException.class, () -> c.setLanguage("xx"));
            assertRussian(refusal(InvalidArgumentException.class, () -> c.getAvatar("\u0000")), "chatId ");
            c.setLanguage("en");
            assertEquals("chatId must not contain NUL characters", refusal(InvalidArgumentException.class, () -> c.getAvatar("\u0000")));
            // null (and "") return to the process default: as a client never given a language says it.
            String theirs = refusal(InvalidArgumentException.class, () -> def.getAvatar("\u0000"));
            c.setLanguage("ru");
            c.setLanguage(null);
            assertEquals(theirs, refusal(InvalidArgumentException.class, () -> c.getAvatar("\u0000")));
            c.setLanguage("ru");
            c.setLanguage("");
            assertEquals(theirs, refusal(InvalidArgumentException.class, () -> c.getAvatar("\u0000")));
        }
    }

    @Test
    void aPathOfAnotherFileSystemIsRefusedInTheClientsLanguage(@TempDir Path dir) throws Exception {
        URI zip = URI.create("jar:" + dir.resolve("x.zip").toUri());
        try (FileSystem fs = FileSystems.newFileSystem(zip, Collections.singletonMap("create", "true"));
                Client ru = client("ru"); Client en = client("en")) {
            Path inZip = fs.getPath("/a.png");
            assertRussian(refusal(InvalidArgumentException.class, () -> ru.downloadAvatar("10000000", inZip)),
                    "file ", "Path (FileSystems.getDefault())", "Path (jar: ");
            String e = refusal(InvalidArgumentException.class, () -> en.downloadAvatar("10000000", inZip));
            assertTrue(e.startsWith("file must be Path (FileSystems.getDefault()), not Path (jar: "), e);
            assertRussian(refusal(InvalidArgumentException.class,
                    () -> Client.builder(emu.url, emu.idInstance, emu.token).language("ru").caFile(inZip)), "caFile ");
        }
        assertEquals(Collections.emptyList(), emu.requestedIds());
    }
}
