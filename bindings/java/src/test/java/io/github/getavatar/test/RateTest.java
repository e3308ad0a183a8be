package io.github.getavatar.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.getavatar.AvatarResult;
import io.github.getavatar.Client;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Client.rate(): the pace the client learned from the server's 429s (issue 28), read-only. */
class RateTest {
    Emu emu;

    @BeforeEach
    void emulator() throws Exception {
        emu = Emu.get();
    }

    @Test
    void aFreshClientReportsItsRateLimit() {
        try (Client c = new Client(emu.url, emu.idInstance, emu.token)) {
            assertEquals(10.0, c.rate());
        }
        try (Client c = Client.builder(emu.url, emu.idInstance, emu.token).rateLimit(7).build()) {
            assertEquals(7.0, c.rate());
        }
        try (Client c = Client.builder(emu.url, emu.idInstance, emu.token).rateLimit(0).build()) {
            assertEquals(0.0, c.rate(), "rate limit 0 and no 429 yet: unpaced");
        }
    }

    @Test
    void theRateLearnsWhatTheServerAllows() throws Exception {
        // The server allows 3 a second; the client (default rate limit 10) retries nothing, so a
        // 429 that was not learned from would fail a row.
        emu.post("config", "{\"rate_limit\": 3}");
        try (Client c = Client.builder(emu.url, emu.idInstance, emu.token).maxRetries(0).build()) {
            assertEquals(10.0, c.rate());
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                ids.add(String.valueOf(10_000_000 + i));
            }
            List<AvatarResult> results = c.getAvatars(ids);
            for (AvatarResult r : results) {
                assertTrue(r.isOk(), r.chatId() + ": " + r.error());
            }
            double rate = c.rate();
            assertTrue(rate < 10.0, "learned " + rate);
            assertEquals(3.0, rate);
        }
    }

    @Test
    void theRateAfterCloseIsAnIllegalStateException() {
        Client c = new Client(emu.url, emu.idInstance, emu.token);
        c.close();
        assertThrows(IllegalStateException.class, c::rate);
    }
}
