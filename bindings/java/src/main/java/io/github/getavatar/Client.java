package io.github.getavatar;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A getAvatar client for one GREEN-API instance, over the getavatar C library.
 *
 * <pre>{@code
 * try (Client client = new Client("https://3100.api.green-api.com", "3100000001", token)) {
 *     Avatar a = client.getAvatar("10000000");
 *     System.out.println(a.url() + " " + a.available());
 * }
 * }</pre>
 *
 * <p>The library validates every argument, retries transient failures with backoff and
 * {@code Retry-After}, keeps to 10 requests per second across all threads (no 429s), uses the
 * system's trust store and proxy, and bounds each call by one deadline (two minutes by default).
 * Failures are {@link GetAvatarException} subclasses; the token never appears in a message or in
 * {@link #toString()}.
 *
 * <p>Thread-safe: share one client between any number of threads; they share its connections and
 * rate limit. {@link #close()} is idempotent and waits for the calls in flight; a call after it
 * throws {@link IllegalStateException}. A client nobody closes is freed once it is unreachable
 * (by {@code java.lang.ref.Cleaner} on Java 9+, a daemon thread on Java 8); close it anyway, as
 * the collector may take its time.
 */
public final class Client implements AutoCloseable {
    private final Handle handle;
    private final Cleanup.Cleanable cleanable;
    private final String apiUrl;
    private final String idInstance;
    /** Orders setLanguage calls: the library's language and {@link Handle#language} change together. */
    private final Object languageLock = new Object();

    /**
     * A client with the default settings ({@link #builder} for others). Sends no request.
     *
     * @param apiUrl the host from your console, e.g. {@code "https://3100.api.green-api.com"}
     *     (a trailing "/" or "/v3" is fine; "http://" only for loopback hosts)
     * @param idInstance idInstance, 1 to 19 digits
     * @param apiTokenInstance apiTokenInstance (never shown by {@code toString()} or in messages)
     * @throws InvalidArgumentException when one of them is malformed (the message says which)
     * @throws NullPointerException when one of them is null
     * @throws UnsatisfiedLinkError when the native library cannot be loaded (the message says where it looked)
     */
    public Client(String apiUrl, String idInstance, String apiTokenInstance) {
        this(new Builder(Builder.Kind.TOKEN, apiUrl, idInstance, apiTokenInstance));
    }

    private Client(Builder b) {
        GaLibrary l = NativeLib.lib();
        Pointer h;
        switch (b.kind) {
            case ENV:
                h = l.ga_client_new_from_env();
                break;
            case CREDENTIAL:
                h = l.ga_client_new_from_credential(b.apiUrl, b.idInstance);
                break;
            default:
                h = l.ga_client_new(b.apiUrl, b.idInstance, b.token);
        }
        if (h == null) {
            throw new InvalidArgumentException(NativeLib.lastError());
        }
        this.handle = new Handle(h);
        this.cleanable = Cleanup.register(this, handle);
        this.apiUrl = b.kind == Builder.Kind.ENV ? String.valueOf(System.getenv("GA_API_URL")) : b.apiUrl;
        this.idInstance = b.kind == Builder.Kind.ENV ? String.valueOf(System.getenv("GA_ID_INSTANCE")) : b.idInstance;
        try {
            b.apply(this);
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /** A client from the environment variables {@code GA_API_URL}, {@code GA_ID_INSTANCE} and {@code GA_API_TOKEN_INSTANCE}. */
    public static Client fromEnv() {
        return envBuilder().build();
    }

    /**
     * A client whose token is read from the user's Windows Credential Manager (the generic
     * credential {@code getavatar/<idInstance>}, see {@link #saveCredential}).
     *
     * @throws InvalidArgumentException when there is no stored token (the message says how to
     *     store one), and on platforms other than Windows ("available on Windows only")
     */
    public static Client fromCredential(String apiUrl, String idInstance) {
        return credentialBuilder(apiUrl, idInstance).build();
    }

    /** A builder for a client with settings other than the defaults. */
    public static Builder builder(String apiUrl, String idInstance, String apiTokenInstance) {
        return new Builder(Builder.Kind.TOKEN, apiUrl, idInstance, apiTokenInstance);
    }

    /** A builder for {@link #fromEnv()}'s client. */
    public static Builder envBuilder() {
        return new Builder(Builder.Kind.ENV, null, null, null);
    }

    /** A builder for {@link #fromCredential}'s client. */
    public static Builder credentialBuilder(String apiUrl, String idInstance) {
        return new Builder(Builder.Kind.CREDENTIAL, apiUrl, idInstance, null);
    }

    // -- calls --------------------------------------------------------------------------------------

    /**
     * The avatar of {@code chatId}: a user id ({@code "10000000"}) or a group id ({@code "-10000000000000"}).
     *
     * @throws GetAvatarException (a subclass per kind of failure) when the lookup fails
     * @throws IllegalStateException after {@link #close()}
     */
    public Avatar getAvatar(String chatId) {
        String lang = handle.language;
        String id = NativeLib.arg(lang, "chatId", chatId);
        Pointer h = handle.acquire();
        try {
            return NativeLib.avatar(lang, NativeLib.lib().ga_get_avatar(h, id));
        } finally {
            handle.release();
        }
    }

    /**
     * Looks up many chat ids at once ({@link Builder#concurrency} at a time), keeping to the rate
     * limit. One result per id, in input order; a failed id has its exception in its result, so one
     * bad id never fails the others.
     *
     * @throws NullPointerException when the list or one of its ids is null (before anything is sent)
     * @throws IllegalStateException after {@link #close()}
     */
    public List<AvatarResult> getAvatars(List<String> chatIds) {
        return new Batch(handle.language, chatIds).run(handle, null);
    }

    /**
     * Looks up {@code chatId} and saves its avatar image to {@code file}, atomically: written to a
     * temporary file beside it, then renamed over it, so {@code file} never holds half an image and
     * a failure leaves it as it was. When the chat has no avatar nothing is written and the answer's
     * {@link Avatar#url()} is {@code ""}.
     *
     * @throws FileException when the file cannot be written
     * @throws InvalidArgumentException when {@code file} is a folder, a device or not on the default file system
     * @throws BadResponseException when the link answers no image of 1 byte to 16 MiB
     */
    public Avatar downloadAvatar(String chatId, Path file) {
        String lang = handle.language;
        String id = NativeLib.arg(lang, "chatId", chatId);
        String path = pathArg(lang, "file", file);
        Pointer h = handle.acquire();
        try {
            return NativeLib.avatar(lang, NativeLib.lib().ga_download_avatar(h, id, path));
        } finally {
            handle.release();
        }
    }

    /** Looks up {@code chatId} and downloads its avatar image into memory; throws as {@link #downloadAvatar} does (but no {@link FileException}). */
    public AvatarImage avatarBytes(String chatId) {
        String lang = handle.language;
        String id = NativeLib.arg(lang, "chatId", chatId);
        Pointer h = handle.acquire();
        try {
            return NativeLib.image(lang, NativeLib.lib().ga_download_avatar_bytes(h, id));
        } finally {
            handle.release();
        }
    }

    /**
     * {@link #getAvatar} on a thread of getavatar's own pool (daemon threads, at most 64 at once).
     * {@code cancel(true)} or {@code cancel(false)} on the future (or any other completion of it,
     * such as {@code orTimeout} or {@code complete}) cancels the lookup through the library's cancel
     * token: it stops within about 100 ms wherever it is, the future is cancelled at once, and the
     * client stays usable. The future fails with the lookup's {@link GetAvatarException}, or with
     * {@link IllegalStateException} when the client was closed before the lookup started.
     *
     * @throws IllegalStateException after {@link #close()}
     */
    public CompletableFuture<Avatar> getAvatarAsync(String chatId) {
        return getAvatarAsync(chatId, Async.POOL);
    }

    /** {@link #getAvatarAsync(String)} on {@code executor}'s threads. */
    public CompletableFuture<Avatar> getAvatarAsync(String chatId, Executor executor) {
        final String lang = handle.language;
        final String id = NativeLib.arg(lang, "chatId", chatId);
        return async(executor, (h, c) -> NativeLib.avatar(lang, NativeLib.lib().ga_get_avatar_cancellable(h, id, c)));
    }

    /** {@link #getAvatars} as {@link #getAvatarAsync(String)} runs it; a cancel fills the unfinished ids' results with {@link CancelledException}. */
    public CompletableFuture<List<AvatarResult>> getAvatarsAsync(List<String> chatIds) {
        return getAvatarsAsync(chatIds, Async.POOL);
    }

    /** {@link #getAvatarsAsync(List)} on {@code executor}'s threads. */
    public CompletableFuture<List<AvatarResult>> getAvatarsAsync(List<String> chatIds, Executor executor) {
        final Batch b = new Batch(handle.language, chatIds);
        return async(executor, (h, c) -> b.call(h, c));
    }

    /** {@link #downloadAvatar} as {@link #getAvatarAsync(String)} runs it; a cancelled download leaves the file as it was. */
    public CompletableFuture<Avatar> downloadAvatarAsync(String chatId, Path file) {
        return downloadAvatarAsync(chatId, file, Async.POOL);
    }

    /** {@link #downloadAvatarAsync(String, Path)} on {@code executor}'s threads. */
    public CompletableFuture<Avatar> downloadAvatarAsync(String chatId, Path file, Executor executor) {
        final String lang = handle.language;
        final String id = NativeLib.arg(lang, "chatId", chatId);
        final String path = pathArg(lang, "file", file);
        return async(executor, (h, c) -> NativeLib.avatar(lang, NativeLib.lib().ga_download_avatar_cancellable(h, id, path, c)));
    }

    /** {@link #avatarBytes} as {@link #getAvatarAsync(String)} runs it. */
    public CompletableFuture<AvatarImage> avatarBytesAsync(String chatId) {
        return avatarBytesAsync(chatId, Async.POOL);
    }

    /** {@link #avatarBytesAsync(String)} on {@code executor}'s threads. */
    public CompletableFuture<AvatarImage> avatarBytesAsync(String chatId, Executor executor) {
        final String lang = handle.language;
        final String id = NativeLib.arg(lang, "chatId", chatId);
        return async(executor, (h, c) -> NativeLib.image(lang, NativeLib.lib().ga_download_avatar_bytes_cancellable(h, id, c)));
    }

    /**
     * Opens the connection to the server (DNS, TCP, TLS) now, so that the first lookup costs one
     * round trip. Sends no request and uses no rate-limit slot.
     *
     * @throws NetworkException or {@link TimeoutException} when the server cannot be reached (the
     *     client stays usable; lookups connect as usual)
     */
    public void warmUp() {
        Pointer h = handle.acquire();
        try {
            check(NativeLib.lib().ga_client_warm_up(h));
        } finally {
            handle.release();
        }
    }

    /**
     * The language of the library's messages from now on (exception messages, batch results'
     * errors): {@code "en"} or {@code "ru"} (any case, a region allowed: {@code "ru-RU"},
     * {@code "ru_RU.UTF-8"}); {@code null} or {@code ""} returns to the process default
     * ({@code GA_LANG}, else the locale: {@code LC_ALL}, {@code LC_MESSAGES}, {@code LANG}; on
     * Windows the user's UI language; else English). Exception classes, {@link Status} and the
     * server's own text are the same in every language. The binding's own refusals (a NUL
     * character, half a surrogate pair, a duration out of range, a closed client) follow it too.
     *
     * @throws InvalidArgumentException for another language (the language is kept)
     * @throws IllegalStateException after {@link #close()}
     */
    public void setLanguage(String language) {
        synchronized (languageLock) {
            final String tag = language == null ? "" : NativeLib.arg(handle.language, "language", language);
            set((l, h) -> l.ga_client_set_language(h, tag));
            // As the library took it (ga_message reads a tag as ga_client_set_language does).
            handle.language = tag.isEmpty() ? null : tag;
        }
    }

    /**
     * The pace this client keeps now, in requests a second, shared by all its threads and batch
     * lookups: the {@link Builder#rateLimit rate limit} (10 by default), or less after the server
     * answered 429 (the client learns the instance's real rate: it slows down at once and comes
     * back up step by step, never above the rate limit); 0 when it does not pace (rate limit 0
     * and no 429 yet). Read-only; sends no request.
     *
     * @throws IllegalStateException after {@link #close()}
     */
    public double rate() {
        Pointer h = handle.acquire();
        try {
            return NativeLib.lib().ga_client_rate(h);
        } finally {
            handle.release();
        }
    }

    // -- the token in the Windows Credential Manager -------------------------------------------------

    /**
     * Stores {@code apiTokenInstance} for {@code idInstance} in the user's Windows Credential Manager
     * (generic credential {@code getavatar/<idInstance>}), replacing a stored one. Both are checked
     * first; the token is never shown.
     *
     * @throws InvalidArgumentException on a bad argument, when the store refused, and on platforms other than Windows
     */
    public static void saveCredential(String idInstance, String apiTokenInstance) {
        String id = NativeLib.arg("idInstance", idInstance);
        String token = NativeLib.arg("apiTokenInstance", apiTokenInstance);
        check(NativeLib.lib().ga_credential_save(id, token));
    }

    /** Deletes the stored token of {@code idInstance}; {@link InvalidArgumentException} when none is stored, and on other platforms. */
    public static void deleteCredential(String idInstance) {
        check(NativeLib.lib().ga_credential_delete(NativeLib.arg("idInstance", idInstance)));
    }

    /**
     * Asks the user for the token of {@code idInstance} in Windows' own credential dialog and stores
     * it. Blocks until the dialog closes. Returns true when a token was stored, false when the user
     * cancelled.
     *
     * @throws FileException when no dialog could be shown (not Windows, no interactive desktop)
     */
    public static boolean promptCredential(String idInstance) {
        int st = NativeLib.lib().ga_credential_prompt(NativeLib.arg("idInstance", idInstance));
        if (st == Status.CANCELLED.code()) {
            return false;
        }
        check(st);
        return true;
    }

    // -- about the library ----------------------------------------------------------------------------

    /** The native library's version, e.g. {@code "0.1.0"}. */
    public static String libraryVersion() {
        return NativeLib.text(NativeLib.lib().ga_version());
    }

    /** The file the native library was loaded from (see the README: GETAVATAR_LIBRARY, jna.library.path, the jar). */
    public static String libraryPath() {
        return NativeLib.path();
    }

    // -- lifetime ---------------------------------------------------------------------------------------

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return handle.isClosed();
    }

    /**
     * Frees the client and closes its connections. Waits for the calls in flight (asynchronous ones
     * included) to end; idempotent; calls made afterwards throw {@link IllegalStateException}.
     */
    @Override
    public void close() {
        handle.close();
        cleanable.clean();
    }

    /** The apiUrl and idInstance; never the token. */
    @Override
    public String toString() {
        return "Client[apiUrl=" + apiUrl + ", idInstance=" + idInstance + (handle.isClosed() ? ", closed" : "") + "]";
    }

    // -- plumbing ---------------------------------------------------------------------------------------

    private static void check(int status) {
        if (status != 0) {
            throw GetAvatarException.of(status, NativeLib.lastError(), 0);
        }
    }

    private void set(Setter s) {
        Pointer h = handle.acquire();
        try {
            check(s.set(NativeLib.lib(), h));
        } finally {
            handle.release();
        }
    }

    private interface Setter {
        int set(GaLibrary l, Pointer h);
    }

    /**
     * {@code p} as the library takes it: absolute, on the default file system. A Path of another
     * file system (a zip's, an in-memory one) is of the wrong kind: the message names the two as
     * Java types, {@code Path (FileSystems.getDefault())} and {@code Path (<scheme>: <file system>)},
     * which read the same in every language. Refusals are said in {@code language}.
     */
    static String pathArg(String language, String name, Path p) {
        Objects.requireNonNull(p, name);
        java.nio.file.FileSystem fs = p.getFileSystem();
        if (fs != FileSystems.getDefault()) {
            throw new InvalidArgumentException(NativeLib.message(language, NativeLib.MSG_WRONG_TYPE, name,
                    "Path (" + fs.provider().getScheme() + ": " + fs + ")", "Path (FileSystems.getDefault())"));
        }
        // Absolute as Java sees it (user.dir), as java.nio.file's own operations resolve it.
        return NativeLib.arg(language, name, p.toAbsolutePath().toString());
    }

    /** A duration the library's int cannot carry (negative, or beyond int), named with its ISO-8601 text, in {@code language}. */
    private static InvalidArgumentException outOfRange(String language, String name, Duration d) {
        return new InvalidArgumentException(NativeLib.message(language, NativeLib.MSG_OUT_OF_RANGE, name, d.toString(), null));
    }

    /** Whole milliseconds of {@code d}, rounded up (1 ns is 1 ms); refused when negative or beyond int. */
    static int millis(String language, String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.getSeconds() > Integer.MAX_VALUE / 1000 - 1) {
            throw outOfRange(language, name, d);
        }
        return (int) (d.getSeconds() * 1000 + (d.getNano() + 999_999) / 1_000_000);
    }

    /** Whole seconds of {@code d}, rounded up. */
    static int seconds(String language, String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.getSeconds() > Integer.MAX_VALUE - 1) {
            throw outOfRange(language, name, d);
        }
        return (int) (d.getSeconds() + (d.getNano() > 0 ? 1 : 0));
    }

    /**
     * The native handle and the calls using it: {@link #close()} (also the Cleaner's action) frees
     * it once no call is in flight. Holds no reference to the {@link Client}.
     */
    static final class Handle implements Runnable {
        private Pointer ptr;
        private int busy;
        private boolean closed;
        /**
         * The client's language tag as the library took it ({@link #setLanguage}); null: the process
         * default. The binding's own refusals ({@link NativeLib#message}) are said in it.
         */
        volatile String language;

        Handle(Pointer ptr) {
            this.ptr = ptr;
        }

        Pointer acquire() {
            synchronized (this) {
                if (!closed) {
                    busy++;
                    return ptr;
                }
            }
            throw closedError(language);
        }

        /** The IllegalStateException of a call after close(), in {@code language}. */
        static IllegalStateException closedError(String language) {
            return new IllegalStateException(NativeLib.message(language, NativeLib.MSG_CLOSED, "getavatar Client", null, null));
        }

        synchronized void release() {
            if (--busy == 0 && closed) {
                notifyAll();
            }
        }

        synchronized boolean isClosed() {
            return closed;
        }

        void close() {
            Pointer p;
            boolean interrupted = false;
            synchronized (this) {
                closed = true;
                while (busy > 0) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        interrupted = true; // the handle must not be freed under a running call
                    }
                }
                p = ptr;
                ptr = null;
            }
            if (p != null) {
                NativeLib.lib().ga_client_free(p);
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void run() {
            close();
        }
    }

    /** A call that takes the client's handle and a cancel token (NULL: not cancellable). */
    private interface Call<T> {
        T call(Pointer handle, Pointer cancel);
    }

    private <T> CompletableFuture<T> async(Executor executor, Call<T> call) {
        Objects.requireNonNull(executor, "executor");
        if (handle.isClosed()) {
            throw Handle.closedError(handle.language);
        }
        CompletableFuture<T> f = new CompletableFuture<>();
        Async<T> task = new Async<>(this, call, f);
        // Any completion of the future while the call runs (cancel, complete, orTimeout) cancels it.
        f.whenComplete((r, e) -> task.cancel());
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(e);
        }
        return f;
    }

    /** One asynchronous call: its cancel token lives from the start of the call to its end. */
    private static final class Async<T> implements Runnable {
        /** getavatar's own pool: daemon threads, at most 64, each gone after 60 s idle. */
        static final Executor POOL;

        static {
            final AtomicInteger n = new AtomicInteger();
            ThreadPoolExecutor p = new ThreadPoolExecutor(64, 64, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<Runnable>(), r -> {
                Thread t = new Thread(r, "getavatar-async-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            p.allowCoreThreadTimeOut(true);
            POOL = p;
        }

        /** Keeps the client reachable while the call waits in a queue (its Cleaner would close it). */
        private final Client client;
        private final Handle handle;
        private final Call<T> call;
        private final CompletableFuture<T> future;
        private Pointer token;
        private boolean cancelled;
        private boolean ended;

        Async(Client client, Call<T> call, CompletableFuture<T> future) {
            this.client = client;
            this.handle = client.handle;
            this.call = call;
            this.future = future;
        }

        synchronized void cancel() {
            cancelled = true;
            if (token != null && !ended) {
                NativeLib.lib().ga_cancel(token);
            }
        }

        @Override
        public void run() {
            if (future.isDone()) {
                return; // cancelled before it started
            }
            GaLibrary l = NativeLib.lib();
            Pointer h;
            try {
                h = handle.acquire();
            } catch (IllegalStateException e) {
                future.completeExceptionally(e);
                return;
            }
            T result = null;
            Throwable error = null;
            try {
                Pointer t = l.ga_cancel_new();
                if (t == null) {
                    throw NativeLib.outOfMemory(handle.language);
                }
                synchronized (this) {
                    token = t;
                    if (cancelled) {
                        l.ga_cancel(t);
                    }
                }
                try {
                    result = call.call(h, t);
                } finally {
                    synchronized (this) {
                        ended = true;
                        token = null;
                    }
                    l.ga_cancel_free(t);
                }
            } catch (Throwable e) {
                error = e;
            } finally {
                handle.release();
            }
            // After the release: a callback may close the client.
            if (error != null) {
                future.completeExceptionally(error);
            } else {
                future.complete(result);
            }
        }
    }

    /** {@code ga_get_avatars_cancellable}: the ids checked when made, one result per id, in order. */
    private static final class Batch {
        private final String language;
        private final String[] ids;
        private final String[] encoded;
        private final GetAvatarException[] early;

        /** {@code language}: the client's, for the refusals of ids and an out-of-memory error. */
        Batch(String language, List<String> chatIds) {
            this.language = language;
            Objects.requireNonNull(chatIds, "chatIds");
            int n = chatIds.size();
            ids = new String[n];
            encoded = new String[n];
            early = new GetAvatarException[n];
            int i = 0;
            for (String id : chatIds) {
                if (i == n) {
                    throw new java.util.ConcurrentModificationException("chatIds changed while it was read");
                }
                ids[i] = Objects.requireNonNull(id, "chatIds[" + i + "]");
                try {
                    encoded[i] = NativeLib.arg(language, "chatIds[" + i + "]", id);
                } catch (InvalidArgumentException e) {
                    early[i] = e; // NULL for the library: it fills the slot, this error wins
                }
                i++;
            }
            if (i != n) {
                throw new java.util.ConcurrentModificationException("chatIds changed while it was read");
            }
        }

        List<AvatarResult> run(Handle handle, Pointer cancel) {
            Pointer h = handle.acquire();
            try {
                return call(h, cancel);
            } finally {
                handle.release();
            }
        }

        List<AvatarResult> call(Pointer h, Pointer cancel) {
            int n = ids.length;
            if (n == 0) {
                return Collections.emptyList();
            }
            GaLibrary l = NativeLib.lib();
            Memory out = new Memory((long) n * Native.POINTER_SIZE);
            out.clear();
            try {
                int st = l.ga_get_avatars_cancellable(h, encoded, n, out, cancel);
                List<AvatarResult> results = new ArrayList<>(n);
                boolean any = false;
                for (int i = 0; i < n; i++) {
                    any |= out.getPointer((long) i * Native.POINTER_SIZE) != null;
                }
                if (st != 0 && !any) {
                    throw GetAvatarException.of(st, NativeLib.lastError(), 0);
                }
                for (int i = 0; i < n; i++) {
                    Pointer p = out.getPointer((long) i * Native.POINTER_SIZE);
                    if (early[i] != null) {
                        results.add(AvatarResult.failed(ids[i], early[i]));
                    } else if (p == null) {
                        throw NativeLib.outOfMemory(language);
                    } else {
                        Object o = NativeLib.avatarOrError(p);
                        results.add(o instanceof Avatar ? AvatarResult.ok(ids[i], (Avatar) o)
                                : AvatarResult.failed(ids[i], (GetAvatarException) o));
                    }
                }
                return Collections.unmodifiableList(results);
            } finally {
                for (int i = 0; i < n; i++) {
                    Pointer p = out.getPointer((long) i * Native.POINTER_SIZE);
                    if (p != null) {
                        l.ga_free(p);
                    }
                }
                out.close();
            }
        }
    }

    /**
     * Settings beyond the defaults, applied when the client is made ({@link #build()}); a value out
     * of range fails {@code build()} with {@link InvalidArgumentException} naming it and its range.
     * Not thread-safe; one builder may build any number of clients.
     */
    public static final class Builder {
        enum Kind { TOKEN, ENV, CREDENTIAL }

        final Kind kind;
        final String apiUrl;
        final String idInstance;
        final String token;
        private Duration timeout;
        private Duration deadline;
        private Integer maxRetries;
        private Duration backoff;
        private Integer rateLimit;
        private Integer concurrency;
        private String proxy;
        private final List<Path> caFiles = new ArrayList<>();
        private Trust trust;
        private Duration cacheTtl;
        private String userAgent;
        private Duration idleTimeout;
        private String language;

        Builder(Kind kind, String apiUrl, String idInstance, String token) {
            this.kind = kind;
            this.apiUrl = kind == Kind.ENV ? null : NativeLib.arg("apiUrl", apiUrl);
            this.idInstance = kind == Kind.ENV ? null : NativeLib.arg("idInstance", idInstance);
            this.token = kind == Kind.TOKEN ? NativeLib.arg("apiTokenInstance", token) : null;
        }

        /** Timeout of each attempt, 1 ms to 10 minutes (default 30 s). */
        public Builder timeout(Duration timeout) {
            this.timeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * Total time budget of each call, 0 to 1 hour (default 2 minutes; {@link Duration#ZERO} =
         * none): every attempt, backoff, Retry-After and rate-limit wait counts. A call that would
         * pass it throws {@link TimeoutException} saying the budget and what used it. In
         * {@link Client#getAvatars} each id has its own budget.
         */
        public Builder deadline(Duration deadline) {
            this.deadline = Objects.requireNonNull(deadline, "deadline");
            return this;
        }

        /** Retries of transient failures (429, 499, 500, 502, 503, 504, connection failures, timeouts), 0 to 10 (default 3). */
        public Builder maxRetries(int maxRetries) {
            this.maxRetries = maxRetries;
            return this;
        }

        /** The first retry delay, 0 to 60 s (default 250 ms); it doubles on each retry, with jitter, unless the server sends Retry-After. */
        public Builder backoff(Duration backoff) {
            this.backoff = Objects.requireNonNull(backoff, "backoff");
            return this;
        }

        /** Most requests started in any rolling second, across all threads, retries included, 0 to 1000 (default 10, GREEN-API's limit; 0 = off). */
        public Builder rateLimit(int perSecond) {
            this.rateLimit = perSecond;
            return this;
        }

        /** Lookups {@link Client#getAvatars} runs at once, 1 to 64 (default 4). */
        public Builder concurrency(int concurrency) {
            this.concurrency = concurrency;
            return this;
        }

        /**
         * The proxy for every request: {@code "system"} (the default: the environment as curl reads
         * it, then on Windows the Internet Options and PAC; loopback hosts never use it),
         * {@code "direct"} (none), {@code "http://[user:password@]host[:port]"},
         * {@code "socks5://..."} or {@code "socks5h://..."} (percent-encode special characters in
         * the user name and password, which never appear in messages), or {@code "env"}: the proxy
         * the environment names ({@code HTTPS_PROXY}, {@code ALL_PROXY}, {@code NO_PROXY}), pinned
         * when the client is built.
         */
        public Builder proxy(String proxy) {
            this.proxy = NativeLib.arg(language, "proxy", proxy);
            return this;
        }

        /** Also trusts the certificates in this CA file (PEM or DER), e.g. a corporate proxy's root; several add up. */
        public Builder caFile(Path caFile) {
            pathArg(language, "caFile", caFile);
            this.caFiles.add(caFile);
            return this;
        }

        /** Whose roots certificates are verified against: {@link Trust#SYSTEM} (default) or {@link Trust#BUNDLED}. */
        public Builder trust(Trust trust) {
            this.trust = Objects.requireNonNull(trust, "trust");
            return this;
        }

        /** Keeps successful answers per chat id this long, 0 to 1 day (default 0 = off; rounded up to whole seconds); errors are never kept. */
        public Builder cacheTtl(Duration cacheTtl) {
            this.cacheTtl = Objects.requireNonNull(cacheTtl, "cacheTtl");
            return this;
        }

        /** The User-Agent header, 1 to 256 printable ASCII characters (default {@code getavatar/VERSION}). */
        public Builder userAgent(String userAgent) {
            this.userAgent = NativeLib.arg(language, "userAgent", userAgent);
            return this;
        }

        /** How long an idle connection is kept for the next call, 0 to 1 hour (default 5 minutes; 0 = a new connection per call). */
        public Builder idleTimeout(Duration idleTimeout) {
            this.idleTimeout = Objects.requireNonNull(idleTimeout, "idleTimeout");
            return this;
        }

        /**
         * The language of the library's messages: {@code "en"} or {@code "ru"} (a region allowed:
         * {@code "ru-RU"}); {@code null} (the default) is the process default ({@code GA_LANG},
         * else the locale, else English). See {@link Client#setLanguage}; another language fails
         * {@code build()} with {@link InvalidArgumentException}. The builder's own refusals that
         * follow this call (a NUL character in {@link #proxy}, ...) are said in it too.
         */
        public Builder language(String language) {
            this.language = language == null ? null : NativeLib.arg(this.language, "language", language);
            return this;
        }

        /**
         * Makes the client. Sends no request.
         *
         * @throws InvalidArgumentException when an argument or setting is invalid (the message says which)
         */
        public Client build() {
            return new Client(this);
        }

        void apply(Client c) {
            // First, so that a mistake in the other settings is said in this language.
            if (language != null) {
                c.setLanguage(language);
            }
            if (timeout != null) {
                final int ms = millis(c.handle.language, "timeout", timeout);
                c.set((l, h) -> l.ga_client_set_timeout_ms(h, ms));
            }
            if (deadline != null) {
                final int ms = millis(c.handle.language, "deadline", deadline);
                c.set((l, h) -> l.ga_client_set_deadline_ms(h, ms));
            }
            if (maxRetries != null) {
                final int n = maxRetries;
                c.set((l, h) -> l.ga_client_set_max_retries(h, n));
            }
            if (backoff != null) {
                final int ms = millis(c.handle.language, "backoff", backoff);
                c.set((l, h) -> l.ga_client_set_backoff_ms(h, ms));
            }
            if (rateLimit != null) {
                final int n = rateLimit;
                c.set((l, h) -> l.ga_client_set_rate_limit(h, n));
            }
            if (concurrency != null) {
                final int n = concurrency;
                c.set((l, h) -> l.ga_client_set_concurrency(h, n));
            }
            if (cacheTtl != null) {
                final int s = seconds(c.handle.language, "cacheTtl", cacheTtl);
                c.set((l, h) -> l.ga_client_set_cache_ttl(h, s));
            }
            if (userAgent != null) {
                c.set((l, h) -> l.ga_client_set_user_agent(h, userAgent));
            }
            if (trust != null) {
                c.set((l, h) -> l.ga_client_set_trust(h, trust.code));
            }
            for (Path p : caFiles) {
                final String s = pathArg(c.handle.language, "caFile", p);
                c.set((l, h) -> l.ga_client_set_ca_file(h, s));
            }
            if ("env".equals(proxy)) {
                c.set((l, h) -> l.ga_client_use_env_proxy(h));
            } else if (proxy != null) {
                c.set((l, h) -> l.ga_client_set_proxy(h, proxy));
            }
            if (idleTimeout != null) {
                final int ms = millis(c.handle.language, "idleTimeout", idleTimeout);
                c.set((l, h) -> l.ga_client_set_idle_timeout_ms(h, ms));
            }
        }
    }
}
