// P/Invoke declarations of the C ABI (include/getavatar.h), and the UTF-8 marshalling.
using System;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace GetAvatar
{
    /// <summary>The client handle: frees the native client with <c>ga_client_free</c>.</summary>
    internal sealed class GaClientHandle : SafeHandle
    {
        public GaClientHandle() : base(IntPtr.Zero, true) { }

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        protected override bool ReleaseHandle()
        {
            Native.ga_client_free(handle);
            return true;
        }
    }

    /// <summary>Mirror of <c>GaAvatar</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct GaAvatarNative
    {
        public int Status;
        public int HttpStatus;
        public int Available;
        public IntPtr UrlAvatar;
        public IntPtr Error;
    }

    /// <summary>Mirror of <c>GaAvatarImage</c>: GaAvatar's fields, then the image.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct GaAvatarImageNative
    {
        public int Status;
        public int HttpStatus;
        public int Available;
        public IntPtr UrlAvatar;
        public IntPtr Error;
        public IntPtr Data;
        public UIntPtr Size;
        public IntPtr ContentType;
    }

    /// <summary>The checks the binding makes itself, whose text <c>ga_message</c> gives in the
    /// client's language: the header's <c>GA_MSG_*</c> numbers.</summary>
    internal enum GaMessage
    {
        Closed = 1,
        WrongType = 2,
        HasNul = 3,
        LoneSurrogate = 4,
        OutOfRange = 5,
        NotOneOf = 6,
        TooManyIds = 7,
        OutOfMemory = 8,
    }

    /// <summary>
    /// The exports. Every declaration uses <see cref="CallingConvention.Winapi"/>, the platform's
    /// default convention, which is exactly the header's <c>GA_CALL</c>: <c>__stdcall</c> on
    /// 32-bit Windows (the DLL is built for Excel VBA), the C convention everywhere else (x64 and
    /// ARM have a single convention). The runtime picks it when the process starts, so one set of
    /// declarations serves win-x86, win-x64 and linux-x64. Strings go in as NUL-terminated UTF-8
    /// byte arrays (Mono and .NET Framework have no LPUTF8Str); strings and results come back as
    /// IntPtr, are copied, and results are freed with ga_free.
    /// </summary>
    internal static class Native
    {
        internal const string Lib = "getavatar";
        private const CallingConvention Conv = CallingConvention.Winapi;

        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern GaClientHandle ga_client_new(byte[] apiUrl, byte[] idInstance, byte[] token);
        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern GaClientHandle ga_client_new_from_env();
        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern void ga_client_free(IntPtr client);
        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern int ga_client_warm_up(GaClientHandle client);
        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern int ga_client_set_timeout_ms(GaClientHandle client, int ms);
        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern int ga_client_set_deadline_ms(GaClientHandle client, int ms);
        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern int ga_client_set_max_retries(GaClientHandle client, int retries);
        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern int ga_client_set_backoff_ms(GaClientHandle client, int ms);
        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern int ga_client_set_rate_limit(GaClientHandle client, int perSecond);
        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern double ga_client_rate(GaClientHandle client);
        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern int ga_client_set_concurrency(GaClientHandle client, int n);
        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern int ga_client_set_cache_ttl(GaClientHandle client, int seconds);
        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern int ga_client_set_idle_timeout_ms(GaClientHandle client, int ms);
        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern int ga_client_set_user_agent(GaClientHandle client, byte[] userAgent);
        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern int ga_client_set_ca_file(GaClientHandle client, byte[] path);
        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern int ga_client_set_trust(GaClientHandle client, int trust);
        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern int ga_client_set_proxy(GaClientHandle client, byte[] url);
        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern int ga_client_use_env_proxy(GaClientHandle client);
        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern int ga_client_set_language(GaClientHandle client, byte[] language);
        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern IntPtr ga_get_avatar_cancellable(GaClientHandle client, byte[] chatId, IntPtr cancel);
        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern int ga_get_avatars_cancellable(GaClientHandle client, IntPtr[] chatIds, int count, [Out] IntPtr[] results, IntPtr cancel);
        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern IntPtr ga_download_avatar_cancellable(GaClientHandle client, byte[] chatId, byte[] path, IntPtr cancel);
        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern IntPtr ga_download_avatar_bytes_cancellable(GaClientHandle client, byte[] chatId, IntPtr cancel);
        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern IntPtr ga_cancel_new();
        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern void ga_cancel(IntPtr cancel);
        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern void ga_cancel_free(IntPtr cancel);
        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern void ga_free(IntPtr ptr);
        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern IntPtr ga_last_error();
        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern IntPtr ga_message(byte[] language, int message, byte[] name, byte[] value, byte[] expected);
        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern IntPtr ga_status_name(int status);
        [DllImport(Lib, CallingConvention = Conv, ExactSpelling = true)]
        internal static extern IntPtr ga_version();

        // --- finding the library -------------------------------------------------------------

        private static readonly object LoadLock = new object();
        private static bool loaded;

        [DllImport("kernel32", CharSet = CharSet.Unicode, SetLastError = true, EntryPoint = "LoadLibraryW")]
        private static extern IntPtr LoadLibraryW(string path);

        /// <summary>
        /// On Windows, loads getavatar.dll by full path before the first call, so that the
        /// DllImports above find it already loaded: <c>GETAVATAR_LIBRARY</c> if set, else the
        /// package's <c>runtimes/win-x64|win-x86/native/getavatar.dll</c> beside this assembly
        /// (a .NET Framework project does not copy it to the output folder), else the normal
        /// search (the application folder, PATH). Elsewhere the runtime's own search applies:
        /// .NET's deps.json (the package's runtimes/linux-x64/native), the application folder,
        /// LD_LIBRARY_PATH.
        /// </summary>
        internal static void EnsureLoaded()
        {
            if (loaded) return;
            lock (LoadLock)
            {
                if (loaded) return;
                if (Path.DirectorySeparatorChar == '\\')
                {
                    string env = Environment.GetEnvironmentVariable("GETAVATAR_LIBRARY");
                    if (!string.IsNullOrEmpty(env))
                    {
                        if (LoadLibraryW(env) == IntPtr.Zero)
                            throw new DllNotFoundException("GETAVATAR_LIBRARY=" + env + " could not be loaded (Windows error " + Marshal.GetLastWin32Error() + ")");
                    }
                    else
                    {
                        // The assembly's folder (empty Location: loaded from bytes or a single-file
                        // bundle), then the application's.
                        string location = typeof(Native).Assembly.Location;
                        string rid = IntPtr.Size == 8 ? "win-x64" : "win-x86";
                        foreach (string dir in new[] { string.IsNullOrEmpty(location) ? null : Path.GetDirectoryName(location), AppDomain.CurrentDomain.BaseDirectory })
                        {
                            if (string.IsNullOrEmpty(dir)) continue;
                            string direct = Path.Combine(dir, "getavatar.dll");
                            string packaged = Path.Combine(Path.Combine(Path.Combine(Path.Combine(dir, "runtimes"), rid), "native"), "getavatar.dll");
                            if ((File.Exists(direct) && LoadLibraryW(direct) != IntPtr.Zero) || (File.Exists(packaged) && LoadLibraryW(packaged) != IntPtr.Zero))
                                break;
                        }
                    }
                }
                loaded = true;
            }
        }

        // --- strings -------------------------------------------------------------------------

        private static readonly UTF8Encoding Strict = new UTF8Encoding(false, true);

        /// <summary>
        /// <paramref name="value"/> as NUL-terminated UTF-8. A NUL inside, or text that is not
        /// valid Unicode (a lone surrogate), would change what is sent: refused, with the
        /// library's text in <paramref name="language"/> (the client's; null = the process default).
        /// </summary>
        internal static byte[] Utf8(string language, string name, string value)
        {
            if (value == null) throw new ArgumentNullException(name);
            if (value.IndexOf('\0') >= 0)
                throw new GetAvatarException(GaStatus.InvalidArgument, 0, Message(language, GaMessage.HasNul, name));
            int n;
            try { n = Strict.GetByteCount(value); }
            catch (EncoderFallbackException)
            {
                string at = LoneSurrogate(value).ToString(CultureInfo.InvariantCulture);
                throw new GetAvatarException(GaStatus.InvalidArgument, 0, Message(language, GaMessage.LoneSurrogate, name, at));
            }
            byte[] b = new byte[n + 1];
            Strict.GetBytes(value, 0, value.Length, b, 0);
            return b;
        }

        /// <summary>The index (in UTF-16 code units, as <c>value[i]</c> counts) of the first
        /// surrogate in <paramref name="value"/> that is not half of a pair; -1 when none.</summary>
        internal static int LoneSurrogate(string value)
        {
            for (int i = 0; i < value.Length; i++)
            {
                if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])) i++;
                else if (char.IsSurrogate(value[i])) return i;
            }
            return -1;
        }

        /// <summary>
        /// The library's text (<c>ga_message</c>) for a check the binding makes itself, in
        /// <paramref name="language"/>: the client's <see cref="GetAvatarClient.Language"/> as it
        /// was given, or null for the process default. <paramref name="name"/>,
        /// <paramref name="value"/> and <paramref name="expected"/> fill the message's blanks.
        /// </summary>
        internal static string Message(string language, GaMessage message, string name, string value = null, string expected = null)
        {
            EnsureLoaded();
            return Text(ga_message(Loose(language), (int)message, Loose(name), Loose(value), Loose(expected)));
        }

        /// <summary>The library's "out of memory" in <paramref name="language"/>; the English
        /// text when even that call fails (no memory for it, or a library without ga_message).</summary>
        internal static string OutOfMemory(string language)
        {
            try { return Message(language, GaMessage.OutOfMemory, null); }
            catch (Exception) { return "getavatar: out of memory"; }
        }

        /// <summary>An argument of ga_message: NUL-terminated UTF-8 (a NUL, which would cut it
        /// short, and a lone surrogate become U+FFFD), or null for NULL.</summary>
        private static byte[] Loose(string s)
        {
            if (s == null) return null;
            return Encoding.UTF8.GetBytes(s.Replace('\0', '\uFFFD') + "\0");
        }

        /// <summary>Copies a NUL-terminated UTF-8 string (not freed here); "" for NULL.</summary>
        internal static string Text(IntPtr p)
        {
            if (p == IntPtr.Zero) return "";
            int n = 0;
            while (Marshal.ReadByte(p, n) != 0) n++;
            if (n == 0) return "";
            byte[] b = new byte[n];
            Marshal.Copy(p, b, 0, n);
            return Encoding.UTF8.GetString(b);
        }

        internal static string LastError()
        {
            return NetNames(Text(ga_last_error()));
        }

        /// <summary>A result's error text (<see cref="NetNames"/> applied); "" for NULL.</summary>
        internal static string ErrorText(IntPtr p)
        {
            return NetNames(Text(p));
        }

        /// <summary>Settings a library message may tell the caller to change: the C function it
        /// names and the property that sets it here (the table SETTING_NAMES in src/settings.rs;
        /// tests/check_package.py checks they match).</summary>
        internal static readonly string[,] SettingNames =
        {
            { "ga_client_set_ca_file", "GetAvatarClient.CaFile" },
            { "ga_client_set_trust", "GetAvatarClient.Trust" },
            { "ga_client_set_proxy", "GetAvatarClient.Proxy" },
            { "ga_client_set_deadline_ms", "GetAvatarClient.Deadline" },
            { "ga_client_set_timeout_ms", "GetAvatarClient.Timeout" },
        };

        /// <summary><paramref name="message"/> with the C setting names replaced by the
        /// properties' (the library names a setting by its C function).</summary>
        internal static string NetNames(string message)
        {
            if (message.IndexOf("ga_", StringComparison.Ordinal) < 0) return message;
            for (int i = 0; i < SettingNames.GetLength(0); i++)
                message = message.Replace(SettingNames[i, 0], SettingNames[i, 1]);
            return message;
        }
    }
}
