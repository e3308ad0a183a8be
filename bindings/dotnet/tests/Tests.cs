// The .NET binding against the emulator, through the assembly from the nupkg: what a C# user relies on.
// Compiled with mcs, run with mono (bindings/dotnet/test.sh). Prints one line per test and the
// closing line "dotnet: N passed, N failed, N skipped".
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using GetAvatar;

static class Emu
{
    public static Process Proc;
    public static string Url, Id, Token, CaFile;

    public static void Start(string binary)
    {
        var psi = new ProcessStartInfo(binary, "--port 0 --rate-limit 0") { UseShellExecute = false, RedirectStandardOutput = true };
        Proc = Process.Start(psi);
        var env = new Dictionary<string, string>();
        string line;
        while ((line = Proc.StandardOutput.ReadLine()) != null && line.Trim() != "ready")
        {
            int eq = line.IndexOf('=');
            if (eq > 0) env[line.Substring(0, eq)] = line.Substring(eq + 1).Trim();
        }
        Url = env["GA_API_URL"]; Id = env["GA_ID_INSTANCE"]; Token = env["GA_API_TOKEN_INSTANCE"];
        env.TryGetValue("GA_TEST_TLS_CA_FILE", out CaFile);
    }

    public static void Stop()
    {
        try { Proc.Kill(); Proc.WaitForExit(); } catch (Exception) { }
        if (CaFile != null) try { File.Delete(CaFile); } catch (Exception) { }
    }

    static string Post(string cmd, string json)
    {
        using (var wc = new WebClient())
        {
            wc.Headers[HttpRequestHeader.ContentType] = "application/json";
            return wc.UploadString(Url + "/__emulator/" + cmd, "POST", json);
        }
    }

    public static void Fault(string json) { Post("faults", json); }
    public static void Config(string json) { Post("config", json); }
    public static void Reset() { Post("reset", "{}"); Config("{\"rate_limit\":0,\"quota\":null}"); }

    /// <summary>The chat ids of the lookups received, in order.</summary>
    public static List<string> Requests()
    {
        using (var wc = new WebClient())
        {
            string s = wc.DownloadString(Url + "/__emulator/requests");
            int images = s.IndexOf("\"images\"");
            string lookups = images > s.IndexOf("\"requests\"") ? s.Substring(0, images) : s;
            return Regex.Matches(lookups, "\"chat_id\"\\s*:\\s*\"([^\"]*)\"").Cast<Match>().Select(m => m.Groups[1].Value).ToList();
        }
    }

    public static string Q(string s) { return "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\""; }
}

static class Program
{
    static int passed, failed;
    const int skipped = 0;

    static GetAvatarClient Client()
    {
        var c = new GetAvatarClient(Emu.Url, Emu.Id, Emu.Token);
        c.RateLimit = 0;
        c.Backoff = TimeSpan.FromMilliseconds(1);
        return c;
    }

    static void Assert(bool cond, string what)
    {
        if (!cond) throw new Exception("assertion failed: " + what);
    }

    static void Eq<T>(T expected, T actual, string what)
    {
        if (!EqualityComparer<T>.Default.Equals(expected, actual))
            throw new Exception("assertion failed: " + what + ": expected <" + expected + "> got <" + actual + ">");
    }

    static TEx Throws<TEx>(Action a, string what) where TEx : Exception
    {
        try { a(); }
        catch (TEx e) { return e; }
        catch (AggregateException ae) when (ae.InnerExceptions.Count == 1 && ae.InnerException is TEx) { return (TEx)ae.InnerException; }
        catch (Exception e) { throw new Exception("assertion failed: " + what + ": expected " + typeof(TEx).Name + ", got " + e.GetType().Name + ": " + e.Message); }
        throw new Exception("assertion failed: " + what + ": expected " + typeof(TEx).Name + ", nothing thrown");
    }

    /// <summary>Whether <paramref name="text"/> holds any 8-character piece of the token, in any letter case or percent-encoded.</summary>
    static bool Leaks(string text)
    {
        string t = Emu.Token.ToLowerInvariant(), low = text.ToLowerInvariant();
        string decoded = Uri.UnescapeDataString(low).ToLowerInvariant();
        for (int i = 0; i + 8 <= t.Length; i++)
        {
            string piece = t.Substring(i, 8);
            if (low.Contains(piece) || decoded.Contains(piece)) return true;
        }
        return false;
    }

    static void NoLeak(Exception e)
    {
        Assert(!Leaks(e.Message), "token in Message: " + e.Message);
        Assert(!Leaks(e.ToString()), "token in ToString(): " + e);
    }

    // --- results ------------------------------------------------------------------------------

    static void Results()
    {
        using (var c = Client())
        {
            Eq(new Avatar(Emu.Url + "/avatars/10000000.png", true, 200), c.GetAvatar("10000000"), "10000000");
            Assert(c.GetAvatar("-10000000000000").Url.EndsWith("/avatars/-10000000000000.png"), "group id");
            Eq(new Avatar("", true, 200), c.GetAvatar("20000000"), "no avatar");
            Eq(new Avatar("", false, 200), c.GetAvatar("30000000"), "hidden");
            var a = c.GetAvatar("40000000");
            Assert(a.Available == null && a.Url.Length > 0, "available left out: " + a);
            Assert(a.ToString().Contains("Available = null"), a.ToString());
        }
        Eq("10000000,-10000000000000,20000000,30000000,40000000", string.Join(",", Emu.Requests()), "requests sent");
    }

    static void AsyncResult()
    {
        using (var c = Client())
        {
            Avatar a = c.GetAvatarAsync("10000000").GetAwaiter().GetResult();
            Eq(Emu.Url + "/avatars/10000000.png", a.Url, "async url");
            Eq(true, a.Available, "async available");
            Eq(200, a.HttpStatus, "http status");
            AvatarImage img = c.GetAvatarBytesAsync("10000000").GetAwaiter().GetResult();
            Assert(img.Data != null && img.Data.Length > 8 && img.Data[1] == (byte)'P' && img.Data[2] == (byte)'N', "PNG bytes");
            Eq("image/png", img.ContentType, "content type");
        }
    }

    static void FromEnvironment()
    {
        Environment.SetEnvironmentVariable("GA_API_URL", Emu.Url);
        Environment.SetEnvironmentVariable("GA_ID_INSTANCE", Emu.Id);
        Environment.SetEnvironmentVariable("GA_API_TOKEN_INSTANCE", Emu.Token);
        try
        {
            using (var c = GetAvatarClient.FromEnvironment())
            {
                c.RateLimit = 0;
                Assert(c.GetAvatar("10000000").Url.EndsWith("/avatars/10000000.png"), "from environment");
                Assert(!Leaks(c.ToString()) && c.ToString().Contains(Emu.Id), c.ToString());
            }
            Environment.SetEnvironmentVariable("GA_ID_INSTANCE", null);
            Environment.SetEnvironmentVariable("GA_API_TOKEN_INSTANCE", null);
            var e = Throws<GetAvatarException>(() => GetAvatarClient.FromEnvironment(), "missing variables");
            Eq(GaStatus.InvalidArgument, e.Status, "status");
            Assert(e.Message.Contains("GA_ID_INSTANCE"), e.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable("GA_API_URL", null);
            Environment.SetEnvironmentVariable("GA_ID_INSTANCE", null);
            Environment.SetEnvironmentVariable("GA_API_TOKEN_INSTANCE", null);
        }
    }

    // --- errors -------------------------------------------------------------------------------

    static readonly object[][] ErrorCases =
    {
        new object[] { "{\"kind\":\"status\",\"status\":400,\"body\":\"{\\\"statusCode\\\":400,\\\"path\\\":\\\"/waInstance1/getAvatar/TOKEN\\\",\\\"message\\\":\\\"Validation failed. TOKEN\\\"}\"}", GaStatus.Validation, 400 },
        new object[] { "{\"kind\":\"status\",\"status\":401}", GaStatus.Unauthorized, 401 },
        new object[] { "{\"kind\":\"status\",\"status\":403}", GaStatus.Forbidden, 403 },
        new object[] { "{\"kind\":\"status\",\"status\":404}", GaStatus.NotFound, 404 },
        new object[] { "{\"kind\":\"status\",\"status\":429,\"times\":4}", GaStatus.RateLimited, 429 },
        new object[] { "{\"kind\":\"status\",\"status\":466,\"body\":\"{\\\"invokeStatus\\\":{\\\"used\\\":5,\\\"total\\\":5}}\"}", GaStatus.QuotaExceeded, 466 },
        new object[] { "{\"kind\":\"status\",\"status\":503,\"times\":4}", GaStatus.Server, 503 },
        new object[] { "{\"kind\":\"slow_headers\",\"ms\":1500,\"times\":4}", GaStatus.Timeout, 0 },
        new object[] { "{\"kind\":\"reset_before_status\",\"times\":4}", GaStatus.Network, 0 },
        new object[] { "{\"kind\":\"invalid_json\"}", GaStatus.BadResponse, 200 },
    };

    static void EveryErrorStatus()
    {
        foreach (var row in ErrorCases)
        {
            Emu.Reset();
            Emu.Fault(((string)row[0]).Replace("TOKEN", Emu.Token));
            using (var c = Client())
            {
                c.Timeout = TimeSpan.FromMilliseconds(300);
                var e = Throws<GetAvatarException>(() => c.GetAvatar("10000000"), row[1].ToString());
                Eq((GaStatus)row[1], e.Status, "status");
                Eq((int)row[2], e.HttpStatus, "http status of " + row[1]);
                Assert(e.Message.Length > 0, "a message");
                Assert(e.StatusName.StartsWith("GA_ERR_"), e.StatusName);
                NoLeak(e);
                // The same failure through the async form.
                Emu.Fault(((string)row[0]).Replace("TOKEN", Emu.Token));
                var e2 = Throws<GetAvatarException>(() => c.GetAvatarAsync("10000000").Wait(), "async " + row[1]);
                Eq((GaStatus)row[1], e2.Status, "async status");
                NoLeak(e2);
            }
        }
    }

    static void SettingsAreNamedByTheirProperties()
    {
        // The library names the setting to change by its C function; a .NET caller reads the
        // property's name instead, in the exception and in a batch entry's error alike.
        using (var c = Client())
        {
            c.Timeout = TimeSpan.FromSeconds(5);
            c.Deadline = TimeSpan.FromSeconds(1);
            c.MaxRetries = 0;
            Emu.Fault("{\"kind\":\"slow_headers\",\"ms\":1500}");
            var e = Throws<GetAvatarException>(() => c.GetAvatar("10000000"), "deadline");
            Eq(GaStatus.Timeout, e.Status, "status");
            Assert(e.Message.Contains("(GetAvatarClient.Deadline)") && !e.Message.Contains("ga_client_set"), e.Message);
            Emu.Fault("{\"kind\":\"slow_headers\",\"ms\":1500}");
            var r = c.GetAvatars(new[] { "10000000" })[0];
            Assert(r.Error != null && r.Error.Message.Contains("(GetAvatarClient.Deadline)"), r.Error == null ? "no error" : r.Error.Message);
        }
    }

    static void NetworkErrorWhenNothingListens()
    {
        using (var c = new GetAvatarClient("http://127.0.0.1:9", "1", "t"))
        {
            c.MaxRetries = 0;
            var e = Throws<GetAvatarException>(() => c.GetAvatar("10000000"), "refused");
            Eq(GaStatus.Network, e.Status, "status");
            Assert(e.Message.Contains("refused"), e.Message);
        }
    }

    static void BadArguments()
    {
        using (var c = Client())
        {
            foreach (string bad in new[] { "", "-", "+7 900 123-45-67", "79001234567@c.us", " 100", "1e5", "\u0661\u0662\u0663", "1111111111111111111111111111111111", "12\u00003", "1\ud800" })
            {
                var e = Throws<GetAvatarException>(() => c.GetAvatar(bad), "chat id " + bad);
                Eq(GaStatus.InvalidArgument, e.Status, "status of " + bad);
                Eq(0, e.HttpStatus, "http status");
            }
            Eq(0, Emu.Requests().Count, "nothing sent");
            // Options the library refuses keep the old value.
            Eq(GaStatus.InvalidArgument, Throws<GetAvatarException>(() => c.MaxRetries = 11, "MaxRetries 11").Status, "MaxRetries");
            Eq(3, c.MaxRetries, "old value kept");
            Assert(Throws<GetAvatarException>(() => c.Timeout = TimeSpan.Zero, "Timeout 0").Message.Contains("timeout"), "timeout message");
            Throws<GetAvatarException>(() => c.Timeout = TimeSpan.FromMinutes(11), "Timeout 11 min");
            Throws<GetAvatarException>(() => c.Deadline = TimeSpan.FromDays(1e6), "Deadline huge");
            Throws<GetAvatarException>(() => c.Concurrency = 0, "Concurrency 0");
            Throws<GetAvatarException>(() => c.RateLimit = -1, "RateLimit -1");
            Throws<GetAvatarException>(() => c.CacheTtl = TimeSpan.FromMilliseconds(1500), "CacheTtl not whole seconds");
            Throws<GetAvatarException>(() => c.Proxy = "ftp://x", "bad proxy");
            Throws<GetAvatarException>(() => c.UserAgent = "", "empty user agent");
            Throws<GetAvatarException>(() => c.CaFile = "/nonexistent/ca.pem", "missing CA file");
            Throws<GetAvatarException>(() => c.Trust = (GaTrust)7, "bad trust");
            c.Deadline = TimeSpan.Zero; c.CacheTtl = TimeSpan.FromSeconds(60); c.Proxy = "direct"; c.Trust = GaTrust.Bundled;
            c.UserAgent = "dotnet-test/1"; c.Concurrency = 8; c.IdleTimeout = TimeSpan.Zero;
            Eq(8, c.Concurrency, "Concurrency kept");
            Eq("direct", c.Proxy, "Proxy kept");
            Assert(c.GetAvatar("10000000").Available == true, "works after settings");
        }
        foreach (var args in new[] { new[] { "", "1", "t" }, new[] { "http://example.com", "1", "t" }, new[] { "https://x.com", "abc", "t" }, new[] { "https://x.com", "1", "t\u00f6k" } })
            Eq(GaStatus.InvalidArgument, Throws<GetAvatarException>(() => new GetAvatarClient(args[0], args[1], args[2]), string.Join("|", args)).Status, "ctor status");
        var pe = Throws<GetAvatarException>(() => { using (var c = Client()) c.Proxy = "http://alice:S3cr3tPw9"; }, "proxy password");
        Assert(!pe.ToString().Contains("S3cr3tPw9"), pe.ToString());
    }

    static void NullArguments()
    {
        Throws<ArgumentNullException>(() => new GetAvatarClient(null, "1", "t"), "apiUrl");
        Throws<ArgumentNullException>(() => new GetAvatarClient("https://x.com", null, "t"), "idInstance");
        Throws<ArgumentNullException>(() => new GetAvatarClient("https://x.com", "1", null), "token");
        using (var c = Client())
        {
            Eq("chatId", Throws<ArgumentNullException>(() => c.GetAvatar(null), "GetAvatar").ParamName, "param name");
            // Thrown at once, not inside the task.
            Throws<ArgumentNullException>(() => c.GetAvatarAsync(null), "GetAvatarAsync");
            Throws<ArgumentNullException>(() => c.GetAvatars(null), "GetAvatars");
            Throws<ArgumentNullException>(() => c.GetAvatarsAsync(null), "GetAvatarsAsync");
            Throws<ArgumentNullException>(() => c.DownloadAvatar("10000000", null), "DownloadAvatar path");
            Throws<ArgumentNullException>(() => c.DownloadAvatarAsync(null, "x"), "DownloadAvatarAsync id");
            Throws<ArgumentNullException>(() => c.GetAvatarBytes(null), "GetAvatarBytes");
            Throws<ArgumentNullException>(() => c.GetAvatarBytesAsync(null), "GetAvatarBytesAsync");
            Throws<ArgumentNullException>(() => c.Proxy = null, "Proxy");
            Throws<ArgumentNullException>(() => c.UserAgent = null, "UserAgent");
            Throws<ArgumentNullException>(() => c.CaFile = null, "CaFile");
        }
        Eq(0, Emu.Requests().Count, "nothing sent");
    }

    // --- batches ------------------------------------------------------------------------------

    static void Batches()
    {
        using (var c = Client())
        {
            var ids = new List<string> { "10000000", "bad id", "20000000", null, "-10000000000000", "30000000" };
            var rs = c.GetAvatars(ids);
            Eq(ids.Count, rs.Count, "one result per id");
            for (int i = 0; i < ids.Count; i++) Eq(ids[i], rs[i].ChatId, "order " + i);
            Assert(rs[0].IsOk && rs[0].Avatar.Url.EndsWith("/avatars/10000000.png") && rs[0].Error == null, rs[0].ToString());
            Assert(!rs[1].IsOk && rs[1].Avatar == null && rs[1].Error.Status == GaStatus.InvalidArgument, rs[1].ToString());
            Assert(rs[2].IsOk && rs[2].Avatar.Url == "", rs[2].ToString());
            Assert(!rs[3].IsOk && rs[3].Error.Status == GaStatus.InvalidArgument, rs[3].ToString());
            Assert(rs[4].IsOk && rs[4].Avatar.Url.EndsWith("/avatars/-10000000000000.png"), rs[4].ToString());
            Assert(rs[5].IsOk && rs[5].Avatar.Available == false, rs[5].ToString());
            Eq(0, c.GetAvatars(new string[0]).Count, "empty batch");
            // A failure of one id (the server refused it: 400) fails its own entry; async form,
            // lazily enumerated input.
            Emu.Fault("{\"kind\":\"status\",\"status\":400}");
            c.Concurrency = 1;
            var rs2 = c.GetAvatarsAsync(Enumerable.Range(0, 3).Select(i => (10000000 + i * 10000000).ToString())).Result;
            Eq(3, rs2.Count, "async batch");
            Eq(GaStatus.Validation, rs2[0].Error.Status, "first failed");
            Eq(400, rs2[0].Error.HttpStatus, "its http status");
            Assert(rs2[1].IsOk && rs2[2].IsOk, "others fine");
            NoLeak(rs2[0].Error);
            // A failure of the instance (404: no getAvatar at apiUrl) fails the rest at once.
            Emu.Fault("{\"kind\":\"status\",\"status\":404}");
            var rs3 = c.GetAvatars(new[] { "10000000", "20000000", "-10000000000000" });
            foreach (var r in rs3) Eq(GaStatus.NotFound, r.Error.Status, "instance failure: " + r.ChatId);
            Assert(rs3[2].Error.Message.Contains("not sent"), rs3[2].Error.Message);
        }
    }

    // --- downloads ----------------------------------------------------------------------------

    static void Downloads()
    {
        string dir = Path.Combine(Path.GetTempPath(), "getavatar-dotnet-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            using (var c = Client())
            {
                string path = Path.Combine(dir, "a.png");
                var a = c.DownloadAvatar("10000000", path);
                Assert(a.Url.EndsWith("/avatars/10000000.png"), a.ToString());
                var img = c.GetAvatarBytes("10000000");
                Assert(img.Data.SequenceEqual(File.ReadAllBytes(path)), "file holds the image");
                Eq(true, img.Available, "available");
                // No avatar: nothing written.
                string none = Path.Combine(dir, "none.png");
                Eq("", c.DownloadAvatar("20000000", none).Url, "no avatar");
                Assert(!File.Exists(none), "nothing written");
                var noImg = c.GetAvatarBytes("20000000");
                Assert(noImg.Data == null && noImg.ContentType == "", noImg.ToString());
                // A missing folder: IO, and the async form does the same.
                var e = Throws<GetAvatarException>(() => c.DownloadAvatar("10000000", Path.Combine(dir, "missing", "a.png")), "missing folder");
                Eq(GaStatus.IO, e.Status, "IO status");
                NoLeak(e);
                var e2 = Throws<GetAvatarException>(() => c.DownloadAvatarAsync("10000000", Path.Combine(dir, "missing", "a.png")).Wait(), "missing folder async");
                Eq(GaStatus.IO, e2.Status, "IO status async");
                // A non-image answer: BadResponse, and the existing file is left as it was.
                File.WriteAllText(path, "old");
                Emu.Fault("{\"target\":\"image\",\"kind\":\"status\",\"status\":200,\"body\":\"<html>sign in</html>\",\"headers\":{\"Content-Type\":\"text/html\"}}");
                Eq(GaStatus.BadResponse, Throws<GetAvatarException>(() => c.DownloadAvatarAsync("10000000", path).Wait(), "html").Status, "bad image");
                Eq("old", File.ReadAllText(path), "file untouched");
                var a2 = c.DownloadAvatarAsync("10000000", path).Result;
                Assert(File.ReadAllBytes(path).SequenceEqual(img.Data), "replaced atomically");
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    // --- cancellation -------------------------------------------------------------------------

    /// <summary>Starts a call the server never answers, cancels it after 300 ms, and checks the
    /// task ends Canceled within 0.5 s of the cancel.</summary>
    static void CancelOne<T>(GetAvatarClient c, string name, Func<CancellationToken, Task<T>> start)
    {
        Emu.Fault("{\"kind\":\"never_answer\"}");
        using (var cts = new CancellationTokenSource())
        {
            Task<T> t = start(cts.Token);
            Thread.Sleep(300);
            Assert(!t.IsCompleted, name + " still running before the cancel");
            var sw = Stopwatch.StartNew();
            cts.Cancel();
            try { t.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
            double ms = sw.Elapsed.TotalMilliseconds;
            Assert(t.IsCompleted, name + " ended");
            Assert(t.IsCanceled, name + " is Canceled, status " + t.Status + (t.Exception != null ? ": " + t.Exception.InnerException : ""));
            var oce = Throws<OperationCanceledException>(() => t.GetAwaiter().GetResult(), name);
            Eq(cts.Token, oce.CancellationToken, "the caller's token");
            Assert(ms < 500, name + " ended " + ms + " ms after the cancel");
            Console.WriteLine("    " + name + ": cancelled in " + Math.Round(ms) + " ms");
        }
        Emu.Reset();
    }

    static void AsyncCancellation()
    {
        string dir = Path.Combine(Path.GetTempPath(), "getavatar-dotnet-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            using (var c = Client())
            {
                c.Timeout = TimeSpan.FromSeconds(20);
                CancelOne(c, "GetAvatarAsync", ct => c.GetAvatarAsync("10000000", ct));
                CancelOne(c, "GetAvatarsAsync", ct => c.GetAvatarsAsync(new[] { "10000000" }, ct));
                CancelOne(c, "GetAvatarBytesAsync", ct => c.GetAvatarBytesAsync("10000000", ct));
                string path = Path.Combine(dir, "kept.png");
                File.WriteAllText(path, "old");
                CancelOne(c, "DownloadAvatarAsync", ct => c.DownloadAvatarAsync("10000000", path, ct));
                Eq("old", File.ReadAllText(path), "file kept");
                // The synchronous overload, cancelled from another thread.
                CancelOne(c, "GetAvatar(chatId, token)", ct => Task.Factory.StartNew(() => c.GetAvatar("10000000", ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default));
                // The client stays usable.
                Assert(c.GetAvatar("10000000").Available == true, "usable after cancels");
                // A token cancelled already: Canceled at once, nothing sent.
                Emu.Reset();
                var done = new CancellationTokenSource();
                done.Cancel();
                Assert(c.GetAvatarAsync("10000000", done.Token).IsCanceled, "pre-cancelled");
                Throws<OperationCanceledException>(() => c.GetAvatar("10000000", done.Token), "pre-cancelled sync");
                Eq(0, Emu.Requests().Count, "nothing sent");
                // A token that is never cancelled does not disturb the call.
                using (var live = new CancellationTokenSource())
                    Assert(c.GetAvatarAsync("10000000", live.Token).Result.Available == true, "live token");
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    // --- the learned rate (issue 28) -------------------------------------------------------------

    static void RateLearnsWhatTheServerAllows()
    {
        using (var fresh = new GetAvatarClient(Emu.Url, Emu.Id, Emu.Token))
        {
            Eq(10.0, fresh.Rate, "a fresh client's rate is the default rate limit");
            fresh.RateLimit = 7;
            Eq(7.0, fresh.Rate, "RateLimit 7");
            fresh.RateLimit = 0;
            Eq(0.0, fresh.Rate, "RateLimit 0 and no 429 yet: unpaced");
        }
        // The server allows 3 a second; the client (default rate limit 10) retries nothing, so a
        // 429 that was not learned from would fail a row.
        Emu.Config("{\"rate_limit\":3}");
        var c = new GetAvatarClient(Emu.Url, Emu.Id, Emu.Token);
        using (c)
        {
            c.MaxRetries = 0;
            Eq(10.0, c.Rate, "before any request");
            var rs = c.GetAvatars(Enumerable.Range(0, 8).Select(i => (10000000 + i).ToString()).ToList());
            foreach (var r in rs) Assert(r.IsOk, r.ToString());
            Assert(c.Rate < 10.0, "learned " + c.Rate);
            Eq(3.0, c.Rate, "the server's rate");
            Assert(typeof(GetAvatarClient).GetProperty("Rate").CanWrite == false, "Rate is read-only");
        }
        Throws<ObjectDisposedException>(() => { double r = c.Rate; }, "Rate after Dispose");
    }

    // --- threads ------------------------------------------------------------------------------

    static void ThirtyTwoTasksShareOneClient()
    {
        var ids = Enumerable.Range(0, 32).Select(i => (50000000 + i).ToString()).ToList();
        Emu.Config("{\"avatars\":{" + string.Join(",", ids.Select(i => Emu.Q(i) + ":{\"url\":\"{base}/avatars/" + i + ".png\",\"available\":true}")) + "}}");
        Emu.Fault("{\"kind\":\"delay\",\"ms\":200,\"times\":8}");
        using (var c = Client())
        {
            var tasks = new List<Task<Avatar>>();
            for (int round = 0; round < 3; round++)
                foreach (string id in ids)
                    tasks.Add(round == 1 ? Task.Run(() => c.GetAvatar(id)) : c.GetAvatarAsync(id));
            Task.WaitAll(tasks.ToArray());
            for (int k = 0; k < tasks.Count; k++)
            {
                string id = ids[k % 32];
                Eq(Emu.Url + "/avatars/" + id + ".png", tasks[k].Result.Url, "task " + k);
            }
            Eq(96, Emu.Requests().Count, "one request per call");
        }
    }

    static void DisposeDuringCalls()
    {
        var c = Client();
        Emu.Fault("{\"kind\":\"delay\",\"ms\":800,\"times\":2}");
        var t1 = c.GetAvatarAsync("10000000");
        var t2 = Task.Run(() => c.GetAvatars(new[] { "-10000000000000" }));
        Thread.Sleep(200);
        var sw = Stopwatch.StartNew();
        c.Dispose();
        double ms = sw.Elapsed.TotalMilliseconds;
        // The server holds both answers 800 ms; Dispose began ~200 ms in: it must wait ~600 ms.
        Assert(ms > 450, "Dispose waited for the calls in flight: only " + ms + " ms");
        Console.WriteLine("    Dispose waited " + Math.Round(ms) + " ms for 2 calls in flight");
        Eq(true, t1.Result.Available, "the call in flight got its answer");
        Assert(t2.Result[0].IsOk, "the batch in flight got its answer");
        c.Dispose(); // idempotent
        Throws<ObjectDisposedException>(() => c.GetAvatar("10000000"), "after Dispose");
        Throws<ObjectDisposedException>(() => c.GetAvatarAsync("10000000"), "async after Dispose");
        Throws<ObjectDisposedException>(() => c.GetAvatars(new[] { "10000000" }), "batch after Dispose");
        Throws<ObjectDisposedException>(() => c.DownloadAvatar("10000000", "x.png"), "download after Dispose");
        Throws<ObjectDisposedException>(() => c.MaxRetries = 1, "setter after Dispose");
        Assert(c.ToString().Contains("Disposed") && !Leaks(c.ToString()), c.ToString());
        // Many threads disposing while others call: each call either answers or throws ObjectDisposedException.
        for (int round = 0; round < 5; round++)
        {
            var d = Client();
            var calls = Enumerable.Range(0, 8).Select(i => Task.Run(() =>
            {
                try { return d.GetAvatar("10000000").Url; }
                catch (ObjectDisposedException) { return "disposed"; }
            })).ToList();
            Parallel.For(0, 3, i => d.Dispose());
            foreach (var t in calls) Assert(t.Result == "disposed" || t.Result.EndsWith("/avatars/10000000.png"), t.Result);
        }
    }

    // --- secrets ------------------------------------------------------------------------------

    static void TokenNeverShown()
    {
        foreach (string language in new[] { "en", "ru" }) TokenNeverShown(language);
    }

    static void TokenNeverShown(string language)
    {
        string t = Emu.Token;
        string enc = string.Concat(t.Select(ch => "%" + ((int)ch).ToString("x2")));
        var faults = new[]
        {
            "{\"kind\":\"status\",\"status\":400,\"body\":" + Emu.Q("{\"statusCode\":400,\"path\":\"/waInstance1/getAvatar/" + t + "\",\"message\":\"bad " + t.ToUpperInvariant() + "\"}") + "}",
            "{\"kind\":\"status\",\"status\":400,\"body\":" + Emu.Q("{\"statusCode\":400,\"message\":\"at " + enc + "\"}") + "}",
            "{\"kind\":\"status\",\"status\":502,\"body\":" + Emu.Q("<html><title>" + t + "</title></html>") + ",\"headers\":{\"Content-Type\":\"text/html\"}}",
            "{\"kind\":\"status\",\"status\":302,\"body\":\"\",\"headers\":{\"Location\":" + Emu.Q("http://portal.example/?next=" + t) + "}}",
            "{\"kind\":\"status\",\"status\":200,\"body\":" + Emu.Q("{\"urlAvatar\":\"https://cdn.example/" + t + ".jpg\",\"available\":true}") + "}",
        };
        using (var c = Client())
        {
            c.Language = language;
            c.MaxRetries = 0;
            Assert(!Leaks(c.ToString()), c.ToString());
            foreach (string f in faults)
            {
                Emu.Fault(f);
                NoLeak(Throws<GetAvatarException>(() => c.GetAvatar("10000000"), f));
                Emu.Fault(f);
                var rs = c.GetAvatars(new[] { "10000000" });
                Assert(!rs[0].IsOk && !Leaks(rs[0].ToString()), rs[0].ToString());
                NoLeak(rs[0].Error);
            }
            var a = c.GetAvatar("10000000");
            Assert(!Leaks(a.ToString()) && !Leaks(c.GetAvatarBytes("10000000").ToString()), a.ToString());
        }
        // A token the library refuses is not echoed either.
        var bad = Throws<GetAvatarException>(() => new GetAvatarClient(Emu.Url, Emu.Id, t + " \u00e9"), "bad token");
        NoLeak(bad);
    }

    // --- language ------------------------------------------------------------------------------

    static bool Russian(string s) { return s.Any(ch => ch >= '\u0400' && ch <= '\u04ff'); }

    static void LanguageMakesMessagesRussianWithTheSameStatus()
    {
        using (var ru = new GetAvatarClient(Emu.Url, Emu.Id, Emu.Token) { Language = "ru", MaxRetries = 0, RateLimit = 0 })
        using (var en = new GetAvatarClient(Emu.Url, Emu.Id, Emu.Token) { Language = "en", MaxRetries = 0, RateLimit = 0 })
        {
            Eq("ru", ru.Language, "Language");
            Emu.Fault("{\"kind\":\"status\",\"status\":401}");
            var r = Throws<GetAvatarException>(() => ru.GetAvatar("10000000"), "ru 401");
            Emu.Fault("{\"kind\":\"status\",\"status\":401}");
            var e = Throws<GetAvatarException>(() => en.GetAvatar("10000000"), "en 401");
            Assert(r.Message.StartsWith("HTTP 401 Unauthorized: \u0441\u0435\u0440\u0432\u0435\u0440 \u043d\u0435 \u043f\u0440\u0438\u043d\u044f\u043b apiTokenInstance"), r.Message);
            Assert(!Russian(e.Message), e.Message);
            Eq(GaStatus.Unauthorized, r.Status, "status");
            Eq(e.Status, r.Status, "the same status");
            Eq(e.HttpStatus, r.HttpStatus, "the same http status");
            Eq(e.StatusName, r.StatusName, "the same status name");
            // The async form and a batch's errors are in the client's language too.
            Assert(Russian(Throws<GetAvatarException>(() => ru.GetAvatarAsync("abc").Wait(), "async").Message), "async message");
            foreach (var x in ru.GetAvatars(new[] { "abc", "+7 900" }))
            {
                Assert(!x.IsOk && x.Error.Status == GaStatus.InvalidArgument, x.ToString());
                Assert(Russian(x.Error.Message), x.Error.Message);
            }
            // The server's own text is quoted as it came.
            string said = "Validation failed: chatId is invalid";
            Emu.Fault("{\"kind\":\"status\",\"status\":400,\"body\":" + Emu.Q("{\"statusCode\":400,\"message\":\"" + said + "\"}") + "}");
            var v = Throws<GetAvatarException>(() => ru.GetAvatar("10000000"), "ru 400");
            Eq(GaStatus.Validation, v.Status, "400 status");
            Eq("\u0441\u0435\u0440\u0432\u0435\u0440 \u043e\u0442\u043a\u043b\u043e\u043d\u0438\u043b \u0437\u0430\u043f\u0440\u043e\u0441 (HTTP 400): " + said, v.Message, "400 message");
        }
    }

    static void LanguageRefusesUnknownAndNullReturnsToTheDefault()
    {
        using (var def = Client())
        using (var c = Client())
        {
            Eq(null, c.Language, "the default Language");
            c.Language = "ru_RU";
            Assert(Russian(Throws<GetAvatarException>(() => c.GetAvatar("abc"), "ru_RU").Message), "ru_RU message");
            var xx = Throws<GetAvatarException>(() => c.Language = "xx", "xx");
            Eq(GaStatus.InvalidArgument, xx.Status, "xx status");
            Assert(xx.Message.Contains("\"xx\""), xx.Message);
            Eq("ru_RU", c.Language, "the language is kept after a refusal");
            Assert(Russian(Throws<GetAvatarException>(() => c.GetAvatar("abc"), "kept").Message), "kept message");
            c.Language = null;
            Eq(null, c.Language, "Language after null");
            string theirs = Throws<GetAvatarException>(() => def.GetAvatar("abc"), "default").Message;
            Eq(theirs, Throws<GetAvatarException>(() => c.GetAvatar("abc"), "after null").Message, "null = the process default");
            c.Language = "ru";
            c.Language = "";
            Eq(theirs, Throws<GetAvatarException>(() => c.GetAvatar("abc"), "after empty").Message, "\"\" = the process default");
        }
        // An object initializer with a bad language fails the construction.
        var bad = Throws<GetAvatarException>(() => new GetAvatarClient(Emu.Url, Emu.Id, Emu.Token) { Language = "klingon" }, "klingon");
        Assert(bad.Message.Contains("\"klingon\""), bad.Message);
        var closed = Client();
        closed.Dispose();
        Throws<ObjectDisposedException>(() => closed.Language = "ru", "after Dispose");
    }

    /// <summary>The refusals the binding makes itself, before calling the library (a NUL, a lone
    /// surrogate, an option out of range), read in the client's language, in the library's words
    /// (ga_message); their Status and HttpStatus are the same in every language.</summary>
    static void BindingChecksInRussian()
    {
        BindingChecksIn("ru", new[] {
            "chatId не должен содержать символов NUL",
            "chatId - не корректный текст Unicode (одиночный суррогат на позиции 1)",
            "path - не корректный текст Unicode (одиночный суррогат на позиции 3)",
            "Timeout -00:00:00.0050000 вне допустимого диапазона",
            "CacheTtl 1.5 вне допустимого диапазона: ожидается 0, 1, 2, …, 86400",
            "CacheTtl -60 вне допустимого диапазона: ожидается 0..86400",
            "Proxy не должен содержать символов NUL",
        });
    }

    static void BindingChecksInEnglish()
    {
        BindingChecksIn("en", new[] {
            "chatId must not contain NUL characters",
            "chatId is not valid Unicode text (a lone surrogate at index 1)",
            "path is not valid Unicode text (a lone surrogate at index 3)",
            "Timeout -00:00:00.0050000 is out of range",
            "CacheTtl 1.5 is out of range: expected 0, 1, 2, …, 86400",
            "CacheTtl -60 is out of range: expected 0..86400",
            "Proxy must not contain NUL characters",
        });
    }

    static void BindingChecksIn(string language, string[] want)
    {
        using (var c = new GetAvatarClient(Emu.Url, Emu.Id, Emu.Token) { Language = language, RateLimit = 0 })
        {
            Func<Action, string, GetAvatarException> refused = (a, what) =>
            {
                var e = Throws<GetAvatarException>(a, what);
                Eq(GaStatus.InvalidArgument, e.Status, what + ": Status");
                Eq(0, e.HttpStatus, what + ": HttpStatus");
                return e;
            };
            Eq(want[0], refused(() => c.GetAvatar("12\u00003"), "NUL in a chat id").Message, "NUL");
            Eq(want[0], refused(() => c.GetAvatarAsync("\u0000").Wait(), "NUL, async").Message, "NUL, async");
            Eq(want[1], refused(() => c.GetAvatarBytes("1\ud800"), "lone surrogate").Message, "lone surrogate");
            // The index counts UTF-16 code units, as a C# string does: a pair before it is two.
            Eq(want[2], refused(() => c.DownloadAvatar("10000000", "\ud83d\ude00a\udc00b"), "lone low surrogate").Message, "index after a pair");
            Eq(want[3], refused(() => c.Timeout = TimeSpan.FromMilliseconds(-5), "Timeout").Message, "Timeout");
            Eq(TimeSpan.FromSeconds(30), c.Timeout, "Timeout kept");
            Eq(want[4], refused(() => c.CacheTtl = TimeSpan.FromMilliseconds(1500), "CacheTtl 1.5 s").Message, "CacheTtl 1.5 s");
            Eq(want[5], refused(() => c.CacheTtl = TimeSpan.FromMinutes(-1), "CacheTtl -1 min").Message, "CacheTtl -60 s");
            Eq(TimeSpan.Zero, c.CacheTtl, "CacheTtl kept");
            Eq(want[6], refused(() => c.Proxy = "http://a\u0000b", "NUL in Proxy").Message, "Proxy");
            Eq("system", c.Proxy, "Proxy kept");
            // In a batch, the bad id's own entry.
            var rs = c.GetAvatars(new[] { "10000000", "1\u0000" });
            Assert(rs[0].IsOk, rs[0].ToString());
            Eq(GaStatus.InvalidArgument, rs[1].Error.Status, "batch entry: Status");
            Eq(want[0], rs[1].Error.Message, "batch entry");
            // The framework's own exceptions stay the framework's.
            Eq("chatId", Throws<ArgumentNullException>(() => c.GetAvatar(null), "null").ParamName, "null chatId");
        }
        Eq("10000000", string.Join(",", Emu.Requests()), "only the batch's good id was sent");
    }

    static void Version()
    {
        Assert(Regex.IsMatch(GetAvatarClient.LibraryVersion, "^[0-9]+\\.[0-9]+\\.[0-9]+"), GetAvatarClient.LibraryVersion);
        Eq("GA_ERR_RATE_LIMITED", GetAvatarClient.StatusName(GaStatus.RateLimited), "status name");
        // Every C status has a GaStatus member with the same number.
        string[] names = { "Ok", "InvalidArgument", "Validation", "Unauthorized", "Forbidden", "NotFound", "RateLimited", "QuotaExceeded", "Server", "Timeout", "Network", "BadResponse", "Internal", "IO", "Cancelled" };
        for (int i = 0; i < names.Length; i++) Eq(i, (int)Enum.Parse(typeof(GaStatus), names[i]), names[i]);
    }

    static int Main(string[] args)
    {
        Emu.Start(args[0]);
        var tests = new List<KeyValuePair<string, Action>>
        {
            new KeyValuePair<string, Action>("results", Results),
            new KeyValuePair<string, Action>("async_result_and_bytes", AsyncResult),
            new KeyValuePair<string, Action>("from_environment", FromEnvironment),
            new KeyValuePair<string, Action>("every_error_status", EveryErrorStatus),
            new KeyValuePair<string, Action>("network_error_when_nothing_listens", NetworkErrorWhenNothingListens),
            new KeyValuePair<string, Action>("settings_are_named_by_their_properties", SettingsAreNamedByTheirProperties),
            new KeyValuePair<string, Action>("bad_arguments_and_options", BadArguments),
            new KeyValuePair<string, Action>("null_arguments", NullArguments),
            new KeyValuePair<string, Action>("batches", Batches),
            new KeyValuePair<string, Action>("downloads", Downloads),
            new KeyValuePair<string, Action>("async_cancellation", AsyncCancellation),
            new KeyValuePair<string, Action>("thirty_two_tasks_share_one_client", ThirtyTwoTasksShareOneClient),
            new KeyValuePair<string, Action>("dispose_during_calls", DisposeDuringCalls),
            new KeyValuePair<string, Action>("token_never_shown", TokenNeverShown),
            new KeyValuePair<string, Action>("version_and_statuses", Version),
            new KeyValuePair<string, Action>("rate_learns_what_the_server_allows", RateLearnsWhatTheServerAllows),
            new KeyValuePair<string, Action>("language_makes_messages_russian_with_the_same_status", LanguageMakesMessagesRussianWithTheSameStatus),
            new KeyValuePair<string, Action>("language_refuses_unknown_and_null_returns_to_the_default", LanguageRefusesUnknownAndNullReturnsToTheDefault),
            new KeyValuePair<string, Action>("binding_checks_in_russian", BindingChecksInRussian),
            new KeyValuePair<string, Action>("binding_checks_in_english", BindingChecksInEnglish),
        };
        string only = Environment.GetEnvironmentVariable("DOTNET_TEST_ONLY");
        try
        {
            foreach (var t in tests)
            {
                if (!string.IsNullOrEmpty(only) && !only.Split(',').Contains(t.Key)) continue;
                Emu.Reset();
                var sw = Stopwatch.StartNew();
                try
                {
                    t.Value();
                    passed++;
                    Console.WriteLine("PASS " + t.Key + " (" + sw.ElapsedMilliseconds + " ms)");
                }
                catch (Exception e)
                {
                    failed++;
                    Console.WriteLine("FAIL " + t.Key + ": " + e);
                }
            }
        }
        finally { Emu.Stop(); }
        Console.WriteLine("dotnet: " + passed + " passed, " + failed + " failed, " + skipped + " skipped");
        return failed == 0 ? 0 : 1;
    }
}
