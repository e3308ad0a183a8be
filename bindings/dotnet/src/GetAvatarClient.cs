// GetAvatarClient: a thin, safe wrapper over one GaClient handle.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace GetAvatar
{
    /// <summary>
    /// A getAvatar client for one GREEN-API instance (MAX, API v3). Thread-safe: share one client
    /// between threads and tasks; they share its connections and rate limit. <see cref="Dispose"/>
    /// waits for calls in flight, then frees the native client; a call after it throws
    /// <see cref="ObjectDisposedException"/>.
    /// </summary>
    /// <remarks>
    /// The network calls block the calling thread; the <c>Async</c> forms run them on a thread of
    /// their own (not the thread pool, which a slow server must not starve) and cancel them
    /// through the library's cancel token: a cancelled <see cref="CancellationToken"/> ends the
    /// call with <see cref="OperationCanceledException"/> within about 100 ms and leaves the
    /// client usable.
    /// </remarks>
    public sealed class GetAvatarClient : IDisposable
    {
        private readonly GaClientHandle handle;
        private readonly object gate = new object();
        private int busy;
        private bool disposed;
        private readonly string apiUrl;
        private readonly string idInstance;

        private TimeSpan timeout = TimeSpan.FromSeconds(30);
        private TimeSpan deadline = TimeSpan.FromMinutes(2);
        private TimeSpan backoff = TimeSpan.FromMilliseconds(250);
        private TimeSpan idleTimeout = TimeSpan.FromMinutes(5);
        private TimeSpan cacheTtl = TimeSpan.Zero;
        private int maxRetries = 3;
        private int rateLimit = 10;
        private int concurrency = 4;
        private string proxy = "system";
        private string caFile;
        private GaTrust trust = GaTrust.System;
        private string userAgent;
        private string language;

        /// <summary>Makes a client. No request is sent.</summary>
        /// <param name="apiUrl">The host from your console, e.g. <c>"https://3100.api.green-api.com"</c>
        /// (<c>http://</c> only for loopback hosts).</param>
        /// <param name="idInstance">idInstance: 1 to 19 digits.</param>
        /// <param name="apiTokenInstance">apiTokenInstance; never shown in messages or <c>ToString()</c>.</param>
        /// <exception cref="ArgumentNullException">An argument is null.</exception>
        /// <exception cref="GetAvatarException">An argument is malformed (<see cref="GaStatus.InvalidArgument"/>).</exception>
        /// <exception cref="DllNotFoundException">The native library could not be loaded.</exception>
        public GetAvatarClient(string apiUrl, string idInstance, string apiTokenInstance)
        {
            // No language yet (an object initializer sets it after the constructor): the
            // process default.
            byte[] u = Native.Utf8(null, "apiUrl", apiUrl);
            byte[] i = Native.Utf8(null, "idInstance", idInstance);
            byte[] t = Native.Utf8(null, "apiTokenInstance", apiTokenInstance);
            Native.EnsureLoaded();
            handle = Adopt(Native.ga_client_new(u, i, t));
            Array.Clear(t, 0, t.Length);
            this.apiUrl = apiUrl;
            this.idInstance = idInstance;
        }

        private GetAvatarClient(GaClientHandle h)
        {
            handle = h;
            apiUrl = Environment.GetEnvironmentVariable("GA_API_URL") ?? "";
            idInstance = Environment.GetEnvironmentVariable("GA_ID_INSTANCE") ?? "";
        }

        /// <summary>Makes a client from the environment variables <c>GA_API_URL</c>,
        /// <c>GA_ID_INSTANCE</c> and <c>GA_API_TOKEN_INSTANCE</c>.</summary>
        /// <exception cref="GetAvatarException">One is missing or invalid (the message names it).</exception>
        public static GetAvatarClient FromEnvironment()
        {
            Native.EnsureLoaded();
            return new GetAvatarClient(Adopt(Native.ga_client_new_from_env()));
        }

        private static GaClientHandle Adopt(GaClientHandle h)
        {
            // The last error is read at once, on this thread, before any other library call.
            if (h.IsInvalid) throw new GetAvatarException(GaStatus.InvalidArgument, 0, Native.LastError());
            return h;
        }

        /// <summary>The version of the native library, e.g. <c>"0.1.0"</c>.</summary>
        public static string LibraryVersion
        {
            get { Native.EnsureLoaded(); return Native.Text(Native.ga_version()); }
        }

        /// <summary>The C name of a status, e.g. <c>"GA_ERR_TIMEOUT"</c>.</summary>
        public static string StatusName(GaStatus status)
        {
            switch (status)
            {
                case GaStatus.Ok: return "GA_OK";
                case GaStatus.InvalidArgument: return "GA_ERR_INVALID_ARGUMENT";
                case GaStatus.Validation: return "GA_ERR_VALIDATION";
                case GaStatus.Unauthorized: return "GA_ERR_UNAUTHORIZED";
                case GaStatus.Forbidden: return "GA_ERR_FORBIDDEN";
                case GaStatus.NotFound: return "GA_ERR_NOT_FOUND";
                case GaStatus.RateLimited: return "GA_ERR_RATE_LIMITED";
                case GaStatus.QuotaExceeded: return "GA_ERR_QUOTA_EXCEEDED";
                case GaStatus.Server: return "GA_ERR_SERVER";
                case GaStatus.Timeout: return "GA_ERR_TIMEOUT";
                case GaStatus.Network: return "GA_ERR_NETWORK";
                case GaStatus.BadResponse: return "GA_ERR_BAD_RESPONSE";
                case GaStatus.Internal: return "GA_ERR_INTERNAL";
                case GaStatus.IO: return "GA_ERR_IO";
                case GaStatus.Cancelled: return "GA_ERR_CANCELLED";
                default: return "GA_ERR_UNKNOWN";
            }
        }

        // --- options -------------------------------------------------------------------------

        /// <summary>Timeout of each attempt, 1 ms to 10 minutes (default 30 s).</summary>
        public TimeSpan Timeout
        {
            get { return timeout; }
            set { Set(Native.ga_client_set_timeout_ms, Ms("Timeout", value)); timeout = value; }
        }

        /// <summary>Total time budget of each call, every attempt and wait included, up to 1 hour
        /// (default 2 minutes); <see cref="TimeSpan.Zero"/> = none. In <c>GetAvatars</c> each id has its own.</summary>
        public TimeSpan Deadline
        {
            get { return deadline; }
            set { Set(Native.ga_client_set_deadline_ms, Ms("Deadline", value)); deadline = value; }
        }

        /// <summary>How many times a transient failure (429, 5xx, connection failure, timeout) is retried, 0 to 10 (default 3).</summary>
        public int MaxRetries
        {
            get { return maxRetries; }
            set { Set(Native.ga_client_set_max_retries, value); maxRetries = value; }
        }

        /// <summary>First retry delay, up to 60 s (default 250 ms); doubles on each retry, with jitter.</summary>
        public TimeSpan Backoff
        {
            get { return backoff; }
            set { Set(Native.ga_client_set_backoff_ms, Ms("Backoff", value)); backoff = value; }
        }

        /// <summary>Most requests started in any rolling second, across all threads, 0 to 1000
        /// (default 10, GREEN-API's limit; 0 = off). Calls wait for a slot; they never fail for it.</summary>
        public int RateLimit
        {
            get { return rateLimit; }
            set { Set(Native.ga_client_set_rate_limit, value); rateLimit = value; }
        }

        /// <summary>The pace the client keeps now, in requests a second, shared by all its threads
        /// and batch lookups: <see cref="RateLimit"/> (10 by default), or less after the server
        /// answered 429 (the client learns the instance's real rate: it slows down at once and comes
        /// back up step by step, never above <see cref="RateLimit"/>); 0 when it does not pace
        /// (<see cref="RateLimit"/> 0 and no 429 yet). Read-only; sends no request.</summary>
        /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
        public double Rate
        {
            get { return Run(() => Native.ga_client_rate(handle)); }
        }

        /// <summary>How many lookups <c>GetAvatars</c> runs at once, 1 to 64 (default 4).</summary>
        public int Concurrency
        {
            get { return concurrency; }
            set { Set(Native.ga_client_set_concurrency, value); concurrency = value; }
        }

        /// <summary>How long successful answers are kept per chat id, whole seconds up to 1 day
        /// (default <see cref="TimeSpan.Zero"/> = off). Errors are never kept.</summary>
        public TimeSpan CacheTtl
        {
            get { return cacheTtl; }
            set
            {
                // The value in seconds, the unit of the range (the library refuses 86401 and up).
                if (value < TimeSpan.Zero || value.TotalSeconds > int.MaxValue || value.Ticks % TimeSpan.TicksPerSecond != 0)
                    throw new GetAvatarException(GaStatus.InvalidArgument, 0, Native.Message(language, GaMessage.OutOfRange, "CacheTtl",
                        value.TotalSeconds.ToString("R", CultureInfo.InvariantCulture),
                        // A fraction is in the range but not whole seconds: the range by its steps.
                        value.Ticks % TimeSpan.TicksPerSecond != 0 ? "0, 1, 2, …, 86400" : "0..86400"));
                Set(Native.ga_client_set_cache_ttl, (int)value.TotalSeconds);
                cacheTtl = value;
            }
        }

        /// <summary>How long an idle connection is kept for the next call, up to 1 hour (default 5 minutes; zero = a new connection per call).</summary>
        public TimeSpan IdleTimeout
        {
            get { return idleTimeout; }
            set { Set(Native.ga_client_set_idle_timeout_ms, Ms("IdleTimeout", value)); idleTimeout = value; }
        }

        /// <summary>The proxy for every request: <c>"system"</c> (default: the environment as curl
        /// reads it, on Windows the Internet Options and PAC), <c>"direct"</c> (none),
        /// <c>"http://[user:password@]host[:port]"</c>, <c>"socks5://..."</c> or <c>"socks5h://..."</c>.
        /// The password is never shown in messages; <see cref="ToString"/> does not show the proxy.</summary>
        public string Proxy
        {
            get { return proxy; }
            set { Set(Native.ga_client_set_proxy, Utf8("Proxy", value)); proxy = value; }
        }

        /// <summary>A CA file (PEM or DER) whose certificates are trusted in addition to
        /// <see cref="Trust"/> (a corporate proxy's root). Each assignment adds a file.</summary>
        public string CaFile
        {
            get { return caFile; }
            set { Set(Native.ga_client_set_ca_file, Utf8("CaFile", value)); caFile = value; }
        }

        /// <summary>Whose roots certificates are verified against (default <see cref="GaTrust.System"/>).
        /// Certificates are always verified.</summary>
        public GaTrust Trust
        {
            get { return trust; }
            set { Set(Native.ga_client_set_trust, (int)value); trust = value; }
        }

        /// <summary>The User-Agent header, 1 to 256 printable ASCII characters (default <c>getavatar/VERSION</c>).</summary>
        public string UserAgent
        {
            get { return userAgent ?? "getavatar/" + LibraryVersion; }
            set { Set(Native.ga_client_set_user_agent, Utf8("UserAgent", value)); userAgent = value; }
        }

        /// <summary>The language of the library's messages from now on (<see cref="GetAvatarException"/>
        /// messages, batch results' errors, also of the refusals the binding makes itself: a NUL or
        /// a lone surrogate in a string, an option out of range): <c>"en"</c> or <c>"ru"</c> (any case, a region allowed:
        /// <c>"ru-RU"</c>, <c>"ru_RU.UTF-8"</c>). <c>null</c> (the default) or <c>""</c> is the
        /// process default: <c>GA_LANG</c>, else the locale (<c>LC_ALL</c>, <c>LC_MESSAGES</c>,
        /// <c>LANG</c>; on Windows the user's UI language), else English. <see cref="GetAvatarException.Status"/>,
        /// <see cref="GetAvatarException.HttpStatus"/> and the server's own text are the same in
        /// every language. Set it first in an object initializer so that a mistake in a later
        /// option is reported in it.</summary>
        /// <exception cref="GetAvatarException">Another language (<see cref="GaStatus.InvalidArgument"/>);
        /// the language stays as it was.</exception>
        public string Language
        {
            get { return language; }
            set
            {
                Set(Native.ga_client_set_language, value == null ? new byte[] { 0 } : Utf8("Language", value));
                language = string.IsNullOrEmpty(value) ? null : value;
            }
        }

        /// <summary>Pins the proxy the environment names now (<c>HTTPS_PROXY</c>, <c>ALL_PROXY</c>, <c>NO_PROXY</c>...).</summary>
        public void UseEnvironmentProxy()
        {
            Run(() => Check(Native.ga_client_use_env_proxy(handle), 0, Native.LastError()));
            proxy = "env";
        }

        /// <summary>Opens the connection (DNS, TCP, TLS) ahead of the first lookup; sends no request.</summary>
        /// <exception cref="GetAvatarException"><see cref="GaStatus.Network"/> or <see cref="GaStatus.Timeout"/>: the client stays usable.</exception>
        public void WarmUp()
        {
            Run(() => Check(Native.ga_client_warm_up(handle), 0, Native.LastError()));
        }

        private int Ms(string name, TimeSpan v)
        {
            double ms = Math.Ceiling(v.TotalMilliseconds);
            if (ms < 0 || ms > int.MaxValue)
                throw new GetAvatarException(GaStatus.InvalidArgument, 0, Native.Message(language, GaMessage.OutOfRange, name, v.ToString()));
            return (int)ms;
        }

        /// <summary><see cref="Native.Utf8"/> with this client's language for its refusals.</summary>
        private byte[] Utf8(string name, string value)
        {
            return Native.Utf8(language, name, value);
        }

        private void Set(Func<GaClientHandle, int, int> setter, int value)
        {
            Run(() => Check(setter(handle, value), 0, Native.LastError()));
        }

        private void Set(Func<GaClientHandle, byte[], int> setter, byte[] value)
        {
            Run(() => Check(setter(handle, value), 0, Native.LastError()));
        }

        private static bool Check(int status, int http, string message)
        {
            if (status != 0) throw new GetAvatarException((GaStatus)status, http, message);
            return true;
        }

        // --- lifetime ------------------------------------------------------------------------

        private void Enter()
        {
            lock (gate)
            {
                if (disposed) throw new ObjectDisposedException(nameof(GetAvatarClient));
                busy++;
            }
        }

        private void Exit()
        {
            lock (gate)
            {
                if (--busy == 0 && disposed) Monitor.PulseAll(gate);
            }
        }

        private T Run<T>(Func<T> f)
        {
            Enter();
            try { return f(); }
            finally { Exit(); }
        }

        /// <summary>Waits for the calls in flight on other threads to end, then frees the native
        /// client. Idempotent. Calls after it throw <see cref="ObjectDisposedException"/>.</summary>
        public void Dispose()
        {
            lock (gate)
            {
                if (disposed) return;
                disposed = true;
                while (busy > 0) Monitor.Wait(gate);
            }
            handle.Dispose();
        }

        /// <summary>E.g. <c>GetAvatarClient { ApiUrl = https://..., IdInstance = 1101000001 }</c>; never the token.</summary>
        public override string ToString()
        {
            return "GetAvatarClient { ApiUrl = " + apiUrl + ", IdInstance = " + idInstance + (disposed ? ", Disposed" : "") + " }";
        }

        // --- calls ---------------------------------------------------------------------------

        /// <summary>Looks up the avatar of <paramref name="chatId"/>: a user id (<c>"10000000"</c>)
        /// or a group id (<c>"-10000000000000"</c>). Waits for the rate limit and retries transient failures.</summary>
        /// <exception cref="ArgumentNullException"><paramref name="chatId"/> is null.</exception>
        /// <exception cref="GetAvatarException">The lookup failed: <see cref="GetAvatarException.Status"/> says why.</exception>
        /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
        public Avatar GetAvatar(string chatId)
        {
            return GetAvatar(chatId, CancellationToken.None);
        }

        /// <summary><see cref="GetAvatarClient.GetAvatar(string)"/> that <paramref name="cancellationToken"/> can stop
        /// (<see cref="OperationCanceledException"/> within about 100 ms).</summary>
        public Avatar GetAvatar(string chatId, CancellationToken cancellationToken)
        {
            byte[] id = Utf8("chatId", chatId);
            return Call(cancellationToken, c => ReadAvatar(Native.ga_get_avatar_cancellable(handle, id, c)));
        }

        /// <summary>Looks up the avatar of <paramref name="chatId"/> on a thread of its own.</summary>
        /// <exception cref="ArgumentNullException"><paramref name="chatId"/> is null (thrown at once).</exception>
        /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the task is Canceled.</exception>
        public Task<Avatar> GetAvatarAsync(string chatId, CancellationToken cancellationToken = default(CancellationToken))
        {
            byte[] id = Utf8("chatId", chatId);
            return Async(cancellationToken, c => ReadAvatar(Native.ga_get_avatar_cancellable(handle, id, c)));
        }

        /// <summary>Looks up many chat ids at once (see <see cref="Concurrency"/>), keeping to the rate
        /// limit. One entry per id, in input order; one bad or null id fails only its own entry.</summary>
        /// <exception cref="ArgumentNullException"><paramref name="chatIds"/> is null.</exception>
        public IReadOnlyList<AvatarResult> GetAvatars(IEnumerable<string> chatIds)
        {
            return GetAvatars(chatIds, CancellationToken.None);
        }

        /// <summary><see cref="GetAvatars(IEnumerable{string})"/> that <paramref name="cancellationToken"/> can stop.</summary>
        public IReadOnlyList<AvatarResult> GetAvatars(IEnumerable<string> chatIds, CancellationToken cancellationToken)
        {
            var ids = Ids(chatIds);
            return Call(cancellationToken, c => Batch(ids, c));
        }

        /// <summary><see cref="GetAvatars(IEnumerable{string})"/> on a thread of its own.</summary>
        public Task<IReadOnlyList<AvatarResult>> GetAvatarsAsync(IEnumerable<string> chatIds, CancellationToken cancellationToken = default(CancellationToken))
        {
            var ids = Ids(chatIds);
            return Async(cancellationToken, c => Batch(ids, c));
        }

        /// <summary>Looks up <paramref name="chatId"/> and saves its avatar image to <paramref name="path"/>,
        /// atomically: <paramref name="path"/> never holds half an image and a failure leaves it as it was.
        /// When the chat has no avatar nothing is written and the result's <see cref="Avatar.Url"/> is <c>""</c>.</summary>
        /// <exception cref="GetAvatarException"><see cref="GaStatus.IO"/> when the file cannot be written,
        /// <see cref="GaStatus.BadResponse"/> when the link does not answer with an image, or the lookup's errors.</exception>
        public Avatar DownloadAvatar(string chatId, string path)
        {
            return DownloadAvatar(chatId, path, CancellationToken.None);
        }

        /// <summary><see cref="DownloadAvatar(string, string)"/> that <paramref name="cancellationToken"/> can stop (the file is left as it was).</summary>
        public Avatar DownloadAvatar(string chatId, string path, CancellationToken cancellationToken)
        {
            byte[] id = Utf8("chatId", chatId);
            byte[] p = Utf8("path", path);
            return Call(cancellationToken, c => ReadAvatar(Native.ga_download_avatar_cancellable(handle, id, p, c)));
        }

        /// <summary><see cref="DownloadAvatar(string, string)"/> on a thread of its own.</summary>
        public Task<Avatar> DownloadAvatarAsync(string chatId, string path, CancellationToken cancellationToken = default(CancellationToken))
        {
            byte[] id = Utf8("chatId", chatId);
            byte[] p = Utf8("path", path);
            return Async(cancellationToken, c => ReadAvatar(Native.ga_download_avatar_cancellable(handle, id, p, c)));
        }

        /// <summary>Looks up <paramref name="chatId"/> and downloads its avatar image into memory;
        /// <see cref="AvatarImage.Data"/> is null when the chat has no avatar.</summary>
        public AvatarImage GetAvatarBytes(string chatId)
        {
            return GetAvatarBytes(chatId, CancellationToken.None);
        }

        /// <summary><see cref="GetAvatarBytes(string)"/> that <paramref name="cancellationToken"/> can stop.</summary>
        public AvatarImage GetAvatarBytes(string chatId, CancellationToken cancellationToken)
        {
            byte[] id = Utf8("chatId", chatId);
            return Call(cancellationToken, c => ReadImage(Native.ga_download_avatar_bytes_cancellable(handle, id, c)));
        }

        /// <summary><see cref="GetAvatarBytes(string)"/> on a thread of its own.</summary>
        public Task<AvatarImage> GetAvatarBytesAsync(string chatId, CancellationToken cancellationToken = default(CancellationToken))
        {
            byte[] id = Utf8("chatId", chatId);
            return Async(cancellationToken, c => ReadImage(Native.ga_download_avatar_bytes_cancellable(handle, id, c)));
        }

        // --- plumbing ------------------------------------------------------------------------

        /// <summary>Runs <paramref name="f"/> with a native cancel token tied to <paramref name="ct"/>
        /// (NULL when it can never be cancelled), counted as a call in flight.</summary>
        private T Call<T>(CancellationToken ct, Func<IntPtr, T> f)
        {
            ct.ThrowIfCancellationRequested();
            Enter();
            try
            {
                if (!ct.CanBeCanceled) return f(IntPtr.Zero);
                IntPtr cancel = Native.ga_cancel_new();
                if (cancel == IntPtr.Zero) throw new OutOfMemoryException(Native.OutOfMemory(language));
                try
                {
                    T result;
                    // Dispose waits for a callback already running: ga_cancel never sees a freed token.
                    using (ct.Register(() => Native.ga_cancel(cancel)))
                    {
                        try { result = f(cancel); }
                        catch (GetAvatarException e) when (e.Status == GaStatus.Cancelled && ct.IsCancellationRequested)
                        {
                            throw new OperationCanceledException(ct);
                        }
                    }
                    return result;
                }
                finally { Native.ga_cancel_free(cancel); }
            }
            finally { Exit(); }
        }

        private Task<T> Async<T>(CancellationToken ct, Func<IntPtr, T> f)
        {
            lock (gate)
            {
                if (disposed) throw new ObjectDisposedException(nameof(GetAvatarClient));
            }
            if (ct.IsCancellationRequested)
            {
                var tcs = new TaskCompletionSource<T>();
                tcs.SetCanceled();
                return tcs.Task;
            }
            // A task given ct ends Canceled (not Faulted) when Call throws an
            // OperationCanceledException carrying ct; if ct is cancelled before the task starts,
            // it never runs (Call counts the call in flight and makes the native token only
            // once it runs, so nothing is left to release).
            return Task.Factory.StartNew(() => Call(ct, f), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        private static List<string> Ids(IEnumerable<string> chatIds)
        {
            if (chatIds == null) throw new ArgumentNullException(nameof(chatIds));
            return new List<string>(chatIds);
        }

        private IReadOnlyList<AvatarResult> Batch(List<string> ids, IntPtr cancel)
        {
            int n = ids.Count;
            var output = new List<AvatarResult>(n);
            if (n == 0) return output.AsReadOnly();
            var strings = new IntPtr[n];
            var results = new IntPtr[n];
            var errors = new GetAvatarException[n];
            try
            {
                for (int i = 0; i < n; i++)
                {
                    if (ids[i] == null) continue; // NULL: the library fails that entry alone
                    byte[] b;
                    try { b = Utf8("chatId", ids[i]); }
                    catch (GetAvatarException e) { errors[i] = e; continue; }
                    strings[i] = Marshal.AllocHGlobal(b.Length);
                    Marshal.Copy(b, 0, strings[i], b.Length);
                }
                int st = Native.ga_get_avatars_cancellable(handle, strings, n, results, cancel);
                if (st != 0) throw new GetAvatarException((GaStatus)st, 0, Native.LastError());
                string cancelled = null; // the first cancelled entry's message
                for (int i = 0; i < n; i++)
                {
                    if (results[i] == IntPtr.Zero)
                    {
                        output.Add(new AvatarResult(ids[i], null, new GetAvatarException(GaStatus.Internal, 0, Native.OutOfMemory(language))));
                        continue;
                    }
                    var r = (GaAvatarNative)Marshal.PtrToStructure(results[i], typeof(GaAvatarNative));
                    if (errors[i] != null)
                        output.Add(new AvatarResult(ids[i], null, errors[i]));
                    else if (r.Status == 0)
                        output.Add(new AvatarResult(ids[i], ToAvatar(r), null));
                    else
                    {
                        string error = Native.ErrorText(r.Error);
                        if (r.Status == (int)GaStatus.Cancelled && cancelled == null) cancelled = error;
                        output.Add(new AvatarResult(ids[i], null, new GetAvatarException((GaStatus)r.Status, r.HttpStatus, error)));
                    }
                }
                if (cancelled != null) throw new GetAvatarException(GaStatus.Cancelled, 0, cancelled);
                return output.AsReadOnly();
            }
            finally
            {
                for (int i = 0; i < n; i++)
                {
                    if (strings[i] != IntPtr.Zero) Marshal.FreeHGlobal(strings[i]);
                    Native.ga_free(results[i]);
                }
            }
        }

        private static bool? Available(int v)
        {
            return v == 1 ? true : v == 0 ? (bool?)false : null;
        }

        private static Avatar ToAvatar(GaAvatarNative r)
        {
            return new Avatar(Native.Text(r.UrlAvatar), Available(r.Available), r.HttpStatus);
        }

        /// <summary>Copies a GaAvatar*, frees it, and throws for a failed status.</summary>
        private Avatar ReadAvatar(IntPtr p)
        {
            if (p == IntPtr.Zero) throw new OutOfMemoryException(Native.OutOfMemory(language));
            GaAvatarNative r;
            string error;
            try
            {
                r = (GaAvatarNative)Marshal.PtrToStructure(p, typeof(GaAvatarNative));
                error = r.Status == 0 ? null : Native.ErrorText(r.Error);
                if (error == null) return ToAvatar(r);
            }
            finally { Native.ga_free(p); }
            throw new GetAvatarException((GaStatus)r.Status, r.HttpStatus, error);
        }

        /// <summary>Copies a GaAvatarImage* (image included), frees it, and throws for a failed status.</summary>
        private AvatarImage ReadImage(IntPtr p)
        {
            if (p == IntPtr.Zero) throw new OutOfMemoryException(Native.OutOfMemory(language));
            GaAvatarImageNative r;
            string error;
            try
            {
                r = (GaAvatarImageNative)Marshal.PtrToStructure(p, typeof(GaAvatarImageNative));
                error = r.Status == 0 ? null : Native.ErrorText(r.Error);
                if (error == null)
                {
                    byte[] data = null;
                    if (r.Data != IntPtr.Zero)
                    {
                        ulong size = r.Size.ToUInt64();
                        if (size > int.MaxValue) throw new GetAvatarException(GaStatus.Internal, r.HttpStatus, "image size " + size.ToString(CultureInfo.InvariantCulture) + " out of range");
                        data = new byte[(int)size];
                        Marshal.Copy(r.Data, data, 0, data.Length);
                    }
                    return new AvatarImage(Native.Text(r.UrlAvatar), Available(r.Available), r.HttpStatus, data, Native.Text(r.ContentType));
                }
            }
            finally { Native.ga_free(p); }
            throw new GetAvatarException((GaStatus)r.Status, r.HttpStatus, error);
        }
    }
}
