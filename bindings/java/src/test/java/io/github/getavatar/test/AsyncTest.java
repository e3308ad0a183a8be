package io.github.getavatar.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.getavatar.Avatar;
import io.github.getavatar.AvatarResult;
import io.github.getavatar.Client;
import io.github.getavatar.UnauthorizedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** getAvatarAsync and friends: results, failures, cancel(true) through the library's cancel token. */
class AsyncTest {
    Emu emu;

    @BeforeEach
    void emulator() throws Exception {
        emu = Emu.get();
    }

    Client client() {
        // A long timeout: a cancel that did not reach the library would hold the call (and close()) for 20 s.
        return Client.builder(emu.url, emu.idInstance, emu.token).rateLimit(0).timeout(Duration.ofSeconds(20)).build();
    }

    @Test
    void resultsAndFailures() throws Exception {
        try (Client c = client()) {
            assertEquals(new Avatar(emu.url + "/avatars/10000000.png", true, 200), c.getAvatarAsync("10000000").get(10, TimeUnit.SECONDS));
            emu.fault("{\"kind\":\"status\",\"status\":401}");
            ExecutionException e = assertThrows(ExecutionException.class, () -> c.getAvatarAsync("10000000").get(10, TimeUnit.SECONDS));
            assertInstanceOf(UnauthorizedException.class, e.getCause());
            // On the caller's executor.
            assertEquals(Boolean.FALSE, c.getAvatarAsync("30000000", Runnable::run).get().available());
            List<AvatarResult> r = c.getAvatarsAsync(Arrays.asList("10000000", "20000000")).get(10, TimeUnit.SECONDS);
            assertEquals(2, r.size());
            assertTrue(r.get(0).isOk() && r.get(1).isOk());
            assertTrue(c.avatarBytesAsync("10000000").get(10, TimeUnit.SECONDS).hasImage());
        }
    }

    @Test
    void downloadAsync(@TempDir Path dir) throws Exception {
        try (Client c = client()) {
            Path f = dir.resolve("a.png");
            c.downloadAvatarAsync("10000000", f).get(10, TimeUnit.SECONDS);
            assertTrue(Files.size(f) > 0);
        }
    }

    @Test
    void cancelStopsTheLookupWithinHalfASecondAndTheClientStaysUsable() throws Exception {
        emu.fault("{\"kind\":\"never_answer\"}");
        Client c = client();
        CompletableFuture<Avatar> f = c.getAvatarAsync("10000000");
        while (emu.requestedIds().isEmpty()) {
            Thread.sleep(10);
        }
        long t0 = System.nanoTime();
        assertTrue(f.cancel(true));
        assertThrows(CancellationException.class, () -> f.get(500, TimeUnit.MILLISECONDS));
        assertTrue(f.isCancelled());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 500, "the future completed " + ms + " ms after cancel(true)");
        // The client still answers.
        assertEquals(Boolean.TRUE, c.getAvatar("10000000").available());
        // close() waits for calls in flight: it returns at once only if the cancelled lookup
        // really ended in the library (else it would wait for the 20 s timeout).
        c.close();
        long closed = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(closed < 1500, "the cancelled lookup still ran in the library " + closed + " ms after cancel(true)");
    }

    @Test
    void anyCompletionOfTheFutureCancelsTheLookup() throws Exception {
        emu.fault("{\"kind\":\"never_answer\"}");
        Client c = client();
        CompletableFuture<Avatar> f = c.getAvatarAsync("10000000").orTimeout(300, TimeUnit.MILLISECONDS);
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
        assertInstanceOf(java.util.concurrent.TimeoutException.class, e.getCause());
        long t0 = System.nanoTime();
        c.close();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 1000, "close() waited " + ms + " ms: the timed-out lookup was not cancelled");
    }

    @Test
    void aCancelBeforeTheCallStartsSendsNothing() throws Exception {
        List<Runnable> held = new ArrayList<>();
        try (Client c = client()) {
            CompletableFuture<Avatar> f = c.getAvatarAsync("10000000", held::add);
            f.cancel(true);
            held.forEach(Runnable::run);
            assertTrue(f.isCancelled());
        }
        assertEquals(Collections.emptyList(), emu.requestedIds());
    }

    @Test
    void cancelStopsABatch() throws Exception {
        emu.fault("{\"kind\":\"never_answer\"}");
        Client c = Client.builder(emu.url, emu.idInstance, emu.token).rateLimit(0).concurrency(1).timeout(Duration.ofSeconds(20)).build();
        CompletableFuture<List<AvatarResult>> f = c.getAvatarsAsync(Arrays.asList("10000000", "20000000", "30000000"));
        while (emu.requestedIds().isEmpty()) {
            Thread.sleep(10);
        }
        long t0 = System.nanoTime();
        assertTrue(f.cancel(false)); // cancel(false) cancels the library's call too
        c.close();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 1000, "close() waited " + ms + " ms: the batch was not cancelled in the library");
        assertEquals(Collections.singletonList("10000000"), emu.requestedIds(), "the ids after the cancel were not sent");
    }

    @Test
    void closeWaitsForAsyncCallsInFlight() throws Exception {
        emu.fault("{\"kind\":\"delay\",\"ms\":500}");
        Client c = client();
        CompletableFuture<Avatar> f = c.getAvatarAsync("10000000");
        while (emu.requestedIds().isEmpty()) {
            Thread.sleep(10);
        }
        long t0 = System.nanoTime();
        c.close();
        long waited = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(waited >= 250, "close() returned after " + waited + " ms, before the call in flight ended");
        assertEquals(Boolean.TRUE, f.get(5, TimeUnit.SECONDS).available());
        assertThrows(IllegalStateException.class, () -> c.getAvatarAsync("10000000"));
    }

}
