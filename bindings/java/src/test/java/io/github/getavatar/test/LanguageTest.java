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
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

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
}
