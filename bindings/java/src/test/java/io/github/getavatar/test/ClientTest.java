package io.github.getavatar.test;

import static io.github.getavatar.test.Secrets.assertNoToken;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.getavatar.AuthException;
import io.github.getavatar.Avatar;
import io.github.getavatar.AvatarImage;
import io.github.getavatar.AvatarResult;
import io.github.getavatar.BadResponseException;
import io.github.getavatar.CancelledException;
import io.github.getavatar.Client;
import io.github.getavatar.FileException;
import io.github.getavatar.ForbiddenException;
import io.github.getavatar.GetAvatarException;
import io.github.getavatar.InvalidArgumentException;
import io.github.getavatar.NetworkException;
import io.github.getavatar.NotFoundException;
import io.github.getavatar.QuotaExceededException;
import io.github.getavatar.RateLimitException;
import io.github.getavatar.ServerException;
import io.github.getavatar.Status;
import io.github.getavatar.TimeoutException;
import io.github.getavatar.Trust;
import io.github.getavatar.UnauthorizedException;
import io.github.getavatar.ValidationException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The synchronous calls against the emulator: results, every error status, settings, secrets, close. */
class ClientTest {
    Emu emu;

    @BeforeEach
    void emulator() throws Exception {
        emu = Emu.get();
    }

    Client.Builder builder() {
        return Client.builder(emu.url, emu.idInstance, emu.token).rateLimit(0).backoff(Duration.ofMillis(1));
    }

    Client client() {
        return builder().build();
    }

    @Test
    void successRows() throws Exception {
        try (Client c = client()) {
            assertEquals(new Avatar(emu.url + "/avatars/10000000.png", true, 200), c.getAvatar("10000000"));
            assertTrue(c.getAvatar("-10000000000000").url().endsWith("/avatars/-10000000000000.png"));
            assertEquals(new Avatar("", true, 200), c.getAvatar("20000000"));
            assertEquals(new Avatar("", false, 200), c.getAvatar("30000000"));
            Avatar a = c.getAvatar("40000000");
            assertNull(a.available());
            assertFalse(a.url().isEmpty());
        }
        assertEquals(Arrays.asList("10000000", "-10000000000000", "20000000", "30000000", "40000000"), emu.requestedIds());
    }

    @Test
    void theConstructorWithDefaults() throws Exception {
        try (Client c = new Client(emu.url, emu.idInstance, emu.token)) {
            assertEquals(Boolean.TRUE, c.getAvatar("10000000").available());
        }
    }

    @Test
    void unicodeTextReachesTheLibraryAsUtf8() throws Exception {
        // The server's message comes back through UTF-8 both ways (Cyrillic, emoji).
        emu.fault("{\"kind\":\"status\",\"status\":400,\"body\":\"{\\\"statusCode\\\":400,\\\"message\\\":\\\"Проверка не пройдена 😀\\\"}\"}");
        try (Client c = client()) {
            ValidationException e = assertThrows(ValidationException.class, () -> c.getAvatar("10000000"));
            assertTrue(e.getMessage().contains("Проверка не пройдена 😀"), e.getMessage());
        }
        {
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> builder().userAgent("Приложение/1").build());
            assertTrue(e.getMessage().contains("user agent \"Приложение/1\" is not valid"), e.getMessage());
        }
        // Half a surrogate pair would reach C as '?' (Java's encoder replaces it): "app?" is a
        // valid User-Agent, so only the binding's own check refuses it.
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> builder().userAgent("app\ud800").build());
        assertTrue(e.getMessage().contains("userAgent is not valid Unicode text"), e.getMessage());
    }

    static Stream<Arguments> errors() {
        return Stream.of(
                Arguments.of("{\"kind\":\"status\",\"status\":400,\"body\":\"{\\\"statusCode\\\":400,\\\"path\\\":\\\"/waInstance1/getAvatar/TOKEN\\\",\\\"message\\\":\\\"Validation failed. Details: x TOKEN\\\"}\"}",
                        ValidationException.class, Status.VALIDATION, 400),
                Arguments.of("{\"kind\":\"status\",\"status\":401}", UnauthorizedException.class, Status.UNAUTHORIZED, 401),
                Arguments.of("{\"kind\":\"status\",\"status\":403}", ForbiddenException.class, Status.FORBIDDEN, 403),
                Arguments.of("{\"kind\":\"status\",\"status\":404}", NotFoundException.class, Status.NOT_FOUND, 404),
                Arguments.of("{\"kind\":\"status\",\"status\":429,\"times\":4}", RateLimitException.class, Status.RATE_LIMITED, 429),
                Arguments.of("{\"kind\":\"status\",\"status\":466,\"body\":\"{\\\"invokeStatus\\\":{\\\"used\\\":5,\\\"total\\\":5}}\"}",
                        QuotaExceededException.class, Status.QUOTA_EXCEEDED, 466),
                Arguments.of("{\"kind\":\"status\",\"status\":503,\"times\":4}", ServerException.class, Status.SERVER, 503),
                Arguments.of("{\"kind\":\"slow_headers\",\"ms\":1500,\"times\":4}", TimeoutException.class, Status.TIMEOUT, 0),
                Arguments.of("{\"kind\":\"reset_before_status\",\"times\":4}", NetworkException.class, Status.NETWORK, 0),
                Arguments.of("{\"kind\":\"invalid_json\"}", BadResponseException.class, Status.BAD_RESPONSE, 200));
    }

    @ParameterizedTest
    @MethodSource("errors")
    void eachErrorStatusHasItsException(String fault, Class<? extends GetAvatarException> cls, Status status, int http) throws Exception {
        emu.fault(fault.replace("TOKEN", emu.token));
        try (Client c = builder().timeout(Duration.ofMillis(300)).build()) {
            GetAvatarException e = assertThrows(GetAvatarException.class, () -> c.getAvatar("10000000"));
            assertInstanceOf(cls, e);
            assertEquals(status, e.status());
            assertEquals(http, e.httpStatus());
            assertFalse(e.getMessage().isEmpty());
            assertNoToken(emu.token, e.getMessage());
            assertNoToken(emu.token, e.toString());
            if (status == Status.UNAUTHORIZED || status == Status.FORBIDDEN) {
                assertInstanceOf(AuthException.class, e);
            }
            // The client is still usable after any failure.
            assertEquals(Boolean.TRUE, c.getAvatar("10000000").available());
        }
    }

    @Test
    void networkErrorWhenNothingListens() {
        try (Client c = Client.builder("http://127.0.0.1:9", "1", "t").maxRetries(0).build()) {
            NetworkException e = assertThrows(NetworkException.class, () -> c.getAvatar("10000000"));
            assertTrue(e.getMessage().contains("refused"), e.getMessage());
            assertEquals(0, e.httpStatus());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-", "+7 900 123-45-67", "79001234567@c.us", " 100", "100 ", "1e5", "١٢٣", "😀",
            "111111111111111111111111111111111", "12\u00003", "1\ud800"})
    void badChatIdsAreRefusedBeforeAnythingIsSent(String bad) throws Exception {
        try (Client c = client()) {
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> c.getAvatar(bad));
            assertEquals(Status.INVALID_ARGUMENT, e.status());
            assertFalse(e.getMessage().isEmpty());
        }
        assertEquals(Collections.emptyList(), emu.requestedIds());
    }

    @Test
    void nullArgumentsAreNullPointerExceptionsNamingThem() throws Exception {
        assertEquals("apiUrl", assertThrows(NullPointerException.class, () -> new Client(null, "1", "t")).getMessage());
        assertEquals("idInstance", assertThrows(NullPointerException.class, () -> new Client("https://x.com", null, "t")).getMessage());
        assertEquals("apiTokenInstance", assertThrows(NullPointerException.class, () -> new Client("https://x.com", "1", null)).getMessage());
        try (Client c = client()) {
            assertEquals("chatId", assertThrows(NullPointerException.class, () -> c.getAvatar(null)).getMessage());
            assertEquals("chatIds", assertThrows(NullPointerException.class, () -> c.getAvatars(null)).getMessage());
            assertEquals("chatIds[1]", assertThrows(NullPointerException.class, () -> c.getAvatars(Arrays.asList("1", null))).getMessage());
            assertEquals("file", assertThrows(NullPointerException.class, () -> c.downloadAvatar("1", null)).getMessage());
            assertEquals("executor", assertThrows(NullPointerException.class, () -> c.getAvatarAsync("1", null)).getMessage());
        }
        assertEquals("timeout", assertThrows(NullPointerException.class, () -> builder().timeout(null)).getMessage());
        assertEquals(Collections.emptyList(), emu.requestedIds());
    }

    @Test
    void badConstructorArgumentsSayWhatIsWrong() {
        String[][] cases = {
            {"", "1", "t", "apiUrl is empty"},
            {"http://example.com", "1", "t", "loopback"},
            {"https://x.com", "abc", "t", "idInstance"},
            {"https://x.com", "1", "tök", "position 2"},
            {"https://x.com", "1", "\ud800", "not valid Unicode"},
        };
        for (String[] k : cases) {
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> new Client(k[0], k[1], k[2]));
            assertTrue(e.getMessage().contains(k[3]), Arrays.toString(k) + ": " + e.getMessage());
        }
    }

    @Test
    void builderSettingsOutOfRangeNameTheRange() {
        Object[][] cases = {
            {builder().timeout(Duration.ZERO), "timeout"},
            {builder().timeout(Duration.ofSeconds(601)), "600000"},
            {builder().timeout(Duration.ofSeconds(-1)), "timeout"},
            {builder().timeout(Duration.ofDays(100000)), "timeout"},
            {builder().maxRetries(11), "0 to 10"},
            {builder().rateLimit(-1), "0 to 1000"},
            {builder().concurrency(65), "1 to 64"},
            {builder().cacheTtl(Duration.ofDays(2)), "86400"},
            {builder().deadline(Duration.ofHours(2)), "3600000"},
            {builder().idleTimeout(Duration.ofHours(2)), "3600000"},
            {builder().proxy("gopher://x"), "proxy"},
        };
        for (Object[] k : cases) {
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class, ((Client.Builder) k[0])::build);
            assertTrue(e.getMessage().contains((String) k[1]), k[1] + ": " + e.getMessage());
        }
    }

    @Test
    void everyBuilderSettingIsAccepted(@TempDir Path dir) throws Exception {
        try (Client c = builder().timeout(Duration.ofSeconds(5)).deadline(Duration.ZERO).maxRetries(0).backoff(Duration.ZERO)
                .rateLimit(100).concurrency(8).proxy("direct").caFile(Paths.get(emu.tlsCaFile)).trust(Trust.BUNDLED)
                .cacheTtl(Duration.ofSeconds(60)).userAgent("my-app/1.0").idleTimeout(Duration.ofSeconds(1)).build()) {
            assertEquals(Boolean.TRUE, c.getAvatar("10000000").available());
            assertEquals(Boolean.TRUE, c.getAvatar("10000000").available()); // from the cache
        }
        assertEquals(Collections.singletonList("10000000"), emu.requestedIds());
        String log = emu.post("config", "{}");
        assertTrue(log.contains("rate_limit"), log);
    }

    @Test
    void userAgentReachesTheServer() throws Exception {
        try (Client c = builder().userAgent("my-app/1.0").build()) {
            c.getAvatar("10000000");
        }
        java.net.HttpURLConnection h = (java.net.HttpURLConnection) new java.net.URL(emu.url + "/__emulator/requests").openConnection();
        String body = new String(readAll(h.getInputStream()), "UTF-8");
        assertTrue(body.contains("\"user_agent\":\"my-app/1.0\""), body);
    }

    static byte[] readAll(java.io.InputStream in) throws java.io.IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        for (int n; (n = in.read(buf)) > 0;) {
            b.write(buf, 0, n);
        }
        in.close();
        return b.toByteArray();
    }

    @Test
    void tlsMessagesNameTheJavaSetting() throws Exception {
        // The emulator's TLS root is in no store: the hint names the builder's caFile, never the C function.
        try (Client c = Client.builder(emu.tlsUrl, emu.idInstance, emu.token).maxRetries(0).build()) {
            NetworkException e = assertThrows(NetworkException.class, () -> c.getAvatar("10000000"));
            assertTrue(e.getMessage().contains("UnknownIssuer") && e.getMessage().contains("(Client.Builder.caFile)"), e.getMessage());
            assertFalse(e.getMessage().contains("ga_client_set"), e.getMessage());
        }
        try (Client c = Client.builder(emu.tlsUrl, emu.idInstance, emu.token).caFile(Paths.get(emu.tlsCaFile)).build()) {
            assertEquals(Boolean.TRUE, c.getAvatar("10000000").available());
        }
    }

    @Test
    void caFileErrorsAreClear(@TempDir Path dir) throws Exception {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> builder().caFile(dir.resolve("missing.pem")).build());
        assertTrue(e.getMessage().contains("cannot read CA file"), e.getMessage());
        Path bad = Files.write(dir.resolve("bad.pem"), "hello".getBytes("UTF-8"));
        e = assertThrows(InvalidArgumentException.class, () -> builder().caFile(bad).build());
        assertTrue(e.getMessage().contains("is not a certificate"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"en", "ru"})
    void theTokenIsInNoMessageAndNoToString(String language) throws Exception {
        Client c = builder().language(language).build();
        assertNoToken(emu.token, c.toString());
        assertTrue(c.toString().contains(emu.idInstance));
        String t = emu.token;
        emu.fault("{\"kind\":\"status\",\"status\":400,\"body\":\"{\\\"statusCode\\\":400,\\\"path\\\":\\\"/waInstance1/getAvatar/" + t
                + "\\\",\\\"message\\\":\\\"bad " + t.toUpperCase() + " " + t.substring(3, 20) + "\\\"}\"}");
        ValidationException e = assertThrows(ValidationException.class, () -> c.getAvatar("10000000"));
        assertNoToken(t, e.getMessage());
        assertNoToken(t, e.toString());
        java.io.StringWriter w = new java.io.StringWriter();
        e.printStackTrace(new java.io.PrintWriter(w));
        assertNoToken(t, w.toString());
        // A batch's errors, an async failure, a bad token's own message.
        emu.fault("{\"kind\":\"status\",\"status\":400,\"body\":\"{\\\"message\\\":\\\"" + t + "\\\"}\"}");
        List<AvatarResult> r = c.getAvatars(Collections.singletonList("10000000"));
        assertNoToken(t, r.toString());
        InvalidArgumentException bad = assertThrows(InvalidArgumentException.class, () -> new Client(emu.url, emu.idInstance, t + "!"));
        assertNoToken(t, bad.toString());
        c.close();
        assertTrue(c.toString().contains("closed"));
        assertNoToken(t, c.toString());
    }

    @Test
    void callsAfterCloseAreIllegalStateExceptions(@TempDir Path dir) throws Exception {
        Client c = client();
        c.close();
        c.close(); // idempotent
        assertTrue(c.isClosed());
        assertThrows(IllegalStateException.class, () -> c.getAvatar("10000000"));
        assertThrows(IllegalStateException.class, () -> c.getAvatars(Collections.singletonList("10000000")));
        assertThrows(IllegalStateException.class, () -> c.downloadAvatar("10000000", dir.resolve("a.png")));
        assertThrows(IllegalStateException.class, () -> c.avatarBytes("10000000"));
        assertThrows(IllegalStateException.class, () -> c.getAvatarAsync("10000000"));
        assertThrows(IllegalStateException.class, c::warmUp);
        assertEquals(Collections.emptyList(), emu.requestedIds());
    }

    @Test
    void closeWaitsForCallsInFlight() throws Exception {
        emu.fault("{\"kind\":\"delay\",\"ms\":600}");
        Client c = client();
        AtomicReference<Object> got = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                got.set(c.getAvatar("10000000"));
            } catch (Throwable e) {
                got.set(e);
            }
        });
        t.start();
        while (emu.requestedIds().isEmpty()) {
            Thread.sleep(10);
        }
        long t0 = System.nanoTime();
        c.close();
        long waited = (System.nanoTime() - t0) / 1_000_000;
        t.join();
        assertTrue(waited >= 300, "close() returned after " + waited + " ms, before the call in flight ended");
        assertEquals(new Avatar(emu.url + "/avatars/10000000.png", true, 200), got.get());
        assertThrows(IllegalStateException.class, () -> c.getAvatar("10000000"));
    }

    @Test
    void sixteenThreadsShareOneClientWithNoWrongAnswers() throws Exception {
        // Each id its own link and availability, so that an answer given to the wrong call shows.
        StringBuilder avatars = new StringBuilder("{\"avatars\": {");
        for (int t = 0; t < 16; t++) {
            for (int i = 0; i < 40; i++) {
                String id = String.valueOf(50_000_000 + t * 1000 + i);
                avatars.append(t + i == 0 ? "" : ",").append('"').append(id).append("\": {\"url\": \"").append(emu.url)
                        .append("/avatars/").append(id).append(".png\", \"available\": ").append(i % 2 == 0).append('}');
            }
        }
        emu.post("config", avatars.append("}}").toString());
        try (Client c = client()) {
            List<Thread> threads = new ArrayList<>();
            List<String> wrong = Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < 16; t++) {
                final int n = t;
                threads.add(new Thread(() -> {
                    for (int i = 0; i < 40; i++) {
                        String id = String.valueOf(50_000_000 + n * 1000 + i);
                        try {
                            Avatar a = c.getAvatar(id);
                            if (!a.url().equals(emu.url + "/avatars/" + id + ".png") || a.available() != (i % 2 == 0)) {
                                wrong.add(id + " -> " + a);
                            }
                        } catch (Throwable e) {
                            wrong.add(id + " -> " + e);
                        }
                    }
                }));
            }
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                t.join();
            }
            assertEquals(Collections.emptyList(), wrong);
        }
        assertEquals(16 * 40, emu.requestedIds().size());
    }

    @Test
    void closeDuringCallsFromManyThreads() throws Exception {
        // Calls racing close(): each either answers right or throws IllegalStateException; nothing crashes.
        emu.fault("{\"kind\":\"delay\",\"ms\":100,\"times\":8}");
        Client c = client();
        List<Thread> threads = new ArrayList<>();
        List<String> bad = Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < 8; t++) {
            threads.add(new Thread(() -> {
                for (int i = 0; i < 20; i++) {
                    try {
                        Avatar a = c.getAvatar("10000000");
                        if (!a.url().endsWith("/avatars/10000000.png")) {
                            bad.add(a.toString());
                        }
                    } catch (IllegalStateException e) {
                        return;
                    } catch (Throwable e) {
                        bad.add(e.toString());
                    }
                }
            }));
        }
        threads.forEach(Thread::start);
        Thread.sleep(150);
        c.close();
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(Collections.emptyList(), bad);
        assertTrue(c.isClosed());
    }

    @Test
    void batchKeepsOrderAndReturnsErrorsInPlace() throws Exception {
        try (Client c = builder().concurrency(4).build()) {
            List<String> ids = Arrays.asList("10000000", "bad", "20000000", "1\ud800", "30000000", "-10000000000000");
            List<AvatarResult> r = c.getAvatars(ids);
            assertEquals(ids.size(), r.size());
            for (int i = 0; i < ids.size(); i++) {
                assertEquals(ids.get(i), r.get(i).chatId());
            }
            assertTrue(r.get(0).isOk());
            assertEquals(emu.url + "/avatars/10000000.png", r.get(0).avatar().url());
            assertNull(r.get(0).error());
            assertInstanceOf(InvalidArgumentException.class, r.get(1).error());
            assertNull(r.get(1).avatar());
            assertThrows(InvalidArgumentException.class, r.get(1)::get);
            assertEquals(new Avatar("", true, 200), r.get(2).get());
            assertInstanceOf(InvalidArgumentException.class, r.get(3).error());
            assertTrue(r.get(3).error().getMessage().contains("chatIds[3]"), r.get(3).error().getMessage());
            assertEquals(Boolean.FALSE, r.get(4).avatar().available());
            assertTrue(r.get(5).isOk());
            assertThrows(UnsupportedOperationException.class, () -> r.add(r.get(0)));
            assertEquals(Collections.emptyList(), c.getAvatars(Collections.<String>emptyList()));
        }
        List<String> sent = new ArrayList<>(emu.requestedIds());
        Collections.sort(sent);
        assertEquals(Arrays.asList("-10000000000000", "10000000", "20000000", "30000000"), sent);
    }

    @Test
    void batchFailuresStayInTheirSlots() throws Exception {
        // A failure of one id (the server refused it: 400) stays in its slot.
        emu.fault("{\"kind\":\"status\",\"status\":400}");
        try (Client c = builder().concurrency(1).build()) {
            List<AvatarResult> r = c.getAvatars(Arrays.asList("10000000", "20000000"));
            assertInstanceOf(ValidationException.class, r.get(0).error());
            assertEquals(400, r.get(0).error().httpStatus());
            assertTrue(r.get(1).isOk());
        }
    }

    @Test
    void aFailureOfTheInstanceFailsTheRestOfTheBatchAtOnce() throws Exception {
        // 404: no getAvatar at apiUrl, so every id would meet it: the rest are not sent.
        emu.fault("{\"kind\":\"status\",\"status\":404}");
        try (Client c = builder().concurrency(1).build()) {
            List<AvatarResult> r = c.getAvatars(Arrays.asList("10000000", "20000000", "-10000000000000"));
            for (AvatarResult x : r) {
                assertInstanceOf(NotFoundException.class, x.error(), x.chatId());
            }
            assertTrue(r.get(2).error().getMessage().contains("not sent"), r.get(2).error().getMessage());
        }
    }

    @Test
    void downloadsSaveTheImageAtomically(@TempDir Path dir) throws Exception {
        try (Client c = client()) {
            Path f = dir.resolve("a.png");
            Avatar a = c.downloadAvatar("10000000", f);
            assertEquals(emu.url + "/avatars/10000000.png", a.url());
            AvatarImage img = c.avatarBytes("10000000");
            assertTrue(img.hasImage());
            assertArrayEquals(img.data(), Files.readAllBytes(f));
            assertEquals("image/png", img.contentType());
            assertEquals(img.size(), img.data().length);
            byte[] d = img.data();
            d[0] ^= 1;
            assertFalse(Arrays.equals(d, img.data()), "data() hands out a copy");
            // No avatar: nothing written.
            Path none = dir.resolve("none.png");
            assertEquals("", c.downloadAvatar("20000000", none).url());
            assertFalse(Files.exists(none));
            AvatarImage empty = c.avatarBytes("20000000");
            assertFalse(empty.hasImage());
            assertEquals(0, empty.data().length);
            assertEquals("", empty.contentType());
            // A folder that does not exist: FileException, nothing left.
            Path missing = dir.resolve("no/such/a.png");
            FileException e = assertThrows(FileException.class, () -> c.downloadAvatar("10000000", missing));
            assertEquals(Status.IO, e.status());
            // The image link answers 404: BadResponseException, the old file kept.
            Files.write(f, "old".getBytes("UTF-8"));
            emu.fault("{\"target\":\"image\",\"kind\":\"status\",\"status\":404}");
            assertThrows(BadResponseException.class, () -> c.downloadAvatar("10000000", f));
            assertEquals("old", new String(Files.readAllBytes(f), "UTF-8"));
            // A folder as the path: refused before anything is sent.
            assertThrows(InvalidArgumentException.class, () -> c.downloadAvatar("10000000", dir));
        }
    }

    @Test
    void warmUpAndItsFailure() {
        try (Client c = client()) {
            c.warmUp();
            assertEquals(Boolean.TRUE, c.getAvatar("10000000").available());
        }
        try (Client c = Client.builder("http://127.0.0.1:9", "1", "t").build()) {
            assertThrows(NetworkException.class, c::warmUp);
        }
    }

    @Test
    void fromCredentialOutsideWindowsIsAClearError() {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> Client.fromCredential(emu.url, emu.idInstance));
        assertTrue(e.getMessage().contains("Windows"), e.getMessage());
        assertThrows(InvalidArgumentException.class, () -> Client.saveCredential(emu.idInstance, emu.token));
        assertThrows(InvalidArgumentException.class, () -> Client.deleteCredential(emu.idInstance));
    }

    @Test
    void statusNamesAndNumbers() {
        assertEquals(Status.RATE_LIMITED, Status.of(6));
        assertEquals("GA_ERR_RATE_LIMITED", Status.RATE_LIMITED.cName());
        assertEquals("GA_OK", Status.OK.cName());
        assertEquals(Status.UNKNOWN, Status.of(99));
        assertEquals(Status.UNKNOWN, Status.of(-1));
        assertEquals(Status.CANCELLED, new CancelledException("x", 0).status());
    }

    @Test
    void theLibraryIsTheJarsOwn() {
        assertEquals(System.getProperty("getavatar.version"), Client.libraryVersion());
        String where = System.getProperty("getavatar.expect.library", "jar:");
        assertTrue(Client.libraryPath().contains(where), Client.libraryPath());
    }
}
