// The values and exceptions of the public API.
using System;
using System.Globalization;

namespace GetAvatar
{
    /// <summary>What a call did: the C library's <c>GaStatus</c> numbers (fixed forever), with
    /// the C names in .NET casing (<c>GA_ERR_RATE_LIMITED</c> is <see cref="RateLimited"/>).</summary>
    public enum GaStatus
    {
        /// <summary>GA_OK: success.</summary>
        Ok = 0,
        /// <summary>GA_ERR_INVALID_ARGUMENT: a malformed URL, idInstance, token, chatId or an out-of-range option. Nothing was sent.</summary>
        InvalidArgument = 1,
        /// <summary>GA_ERR_VALIDATION: the server rejected the request with 400.</summary>
        Validation = 2,
        /// <summary>GA_ERR_UNAUTHORIZED: 401, the server rejected apiTokenInstance.</summary>
        Unauthorized = 3,
        /// <summary>GA_ERR_FORBIDDEN: 403, unknown idInstance, or the host does not serve this instance.</summary>
        Forbidden = 4,
        /// <summary>GA_ERR_NOT_FOUND: 404, no getAvatar method at this address (check apiUrl).</summary>
        NotFound = 5,
        /// <summary>GA_ERR_RATE_LIMITED: 429 on every attempt, or a Retry-After longer than 60 s.</summary>
        RateLimited = 6,
        /// <summary>GA_ERR_QUOTA_EXCEEDED: 466, the plan's quota is used up.</summary>
        QuotaExceeded = 7,
        /// <summary>GA_ERR_SERVER: 5xx or 499 on every attempt.</summary>
        Server = 8,
        /// <summary>GA_ERR_TIMEOUT: no complete answer within the timeout on every attempt, or the deadline passed.</summary>
        Timeout = 9,
        /// <summary>GA_ERR_NETWORK: DNS failure, connection refused or reset, TLS failure.</summary>
        Network = 10,
        /// <summary>GA_ERR_BAD_RESPONSE: an unparseable or oversized body, a redirect, an unexpected status, a bad image.</summary>
        BadResponse = 11,
        /// <summary>GA_ERR_INTERNAL: a bug in getavatar; please report it.</summary>
        Internal = 12,
        /// <summary>GA_ERR_IO: the downloaded image could not be written to the file; nothing was left at the path.</summary>
        IO = 13,
        /// <summary>GA_ERR_CANCELLED: the call was cancelled. The client's methods throw
        /// <see cref="OperationCanceledException"/> for their own cancelled calls instead.</summary>
        Cancelled = 14,
    }

    /// <summary>Whose roots TLS certificates are verified against (<see cref="GetAvatarClient.Trust"/>).</summary>
    public enum GaTrust
    {
        /// <summary>The operating system's store (default): a company's TLS-inspecting proxy root installed there is trusted.</summary>
        System = 0,
        /// <summary>The web roots bundled in the library, whatever the system trusts.</summary>
        Bundled = 1,
    }

    /// <summary>A getavatar failure. <see cref="Exception.Message"/> is the library's message,
    /// which never holds the token.</summary>
    [Serializable]
    public class GetAvatarException : Exception
    {
        /// <summary>What went wrong.</summary>
        public GaStatus Status { get; }

        /// <summary>The status of the last HTTP response received; 0 when none arrived.</summary>
        public int HttpStatus { get; }

        /// <summary>Makes one (for tests and wrappers; the client makes its own).</summary>
        public GetAvatarException(GaStatus status, int httpStatus, string message)
            : base(message)
        {
            Status = status;
            HttpStatus = httpStatus;
        }

        /// <summary>The C name of <see cref="Status"/>, e.g. <c>"GA_ERR_TIMEOUT"</c>.</summary>
        public string StatusName
        {
            get { return GetAvatarClient.StatusName(Status); }
        }

        /// <summary>Serialization constructor.</summary>
        protected GetAvatarException(System.Runtime.Serialization.SerializationInfo info, System.Runtime.Serialization.StreamingContext context)
            : base(info, context)
        {
            Status = (GaStatus)info.GetInt32("Status");
            HttpStatus = info.GetInt32("HttpStatus");
        }

        /// <inheritdoc/>
        public override void GetObjectData(System.Runtime.Serialization.SerializationInfo info, System.Runtime.Serialization.StreamingContext context)
        {
            base.GetObjectData(info, context);
            info.AddValue("Status", (int)Status);
            info.AddValue("HttpStatus", HttpStatus);
        }
    }

    /// <summary>The answer of a lookup.</summary>
    public sealed class Avatar : IEquatable<Avatar>
    {
        /// <summary>The avatar link; <c>""</c> when there is none (no avatar, no such account, privacy).</summary>
        public string Url { get; }

        /// <summary><c>true</c> available, <c>false</c> hidden by privacy, <c>null</c> when the answer left it out.</summary>
        public bool? Available { get; }

        /// <summary>The HTTP status of the answer (200).</summary>
        public int HttpStatus { get; }

        /// <summary>Makes one.</summary>
        public Avatar(string url, bool? available, int httpStatus)
        {
            Url = url ?? "";
            Available = available;
            HttpStatus = httpStatus;
        }

        /// <inheritdoc/>
        public bool Equals(Avatar other)
        {
            return other != null && Url == other.Url && Available == other.Available && HttpStatus == other.HttpStatus;
        }

        /// <inheritdoc/>
        public override bool Equals(object obj) { return Equals(obj as Avatar); }

        /// <inheritdoc/>
        public override int GetHashCode() { return Url.GetHashCode() ^ (Available.GetHashCode() * 31) ^ HttpStatus; }

        /// <summary>E.g. <c>Avatar { Url = https://..., Available = True, HttpStatus = 200 }</c>.</summary>
        public override string ToString()
        {
            return "Avatar { Url = " + Url + ", Available = " + Show(Available) + ", HttpStatus = " + HttpStatus.ToString(CultureInfo.InvariantCulture) + " }";
        }

        internal static string Show(bool? b) { return b.HasValue ? (b.Value ? "True" : "False") : "null"; }
    }

    /// <summary>An avatar downloaded into memory (<see cref="GetAvatarClient.GetAvatarBytes(string)"/>).</summary>
    public sealed class AvatarImage
    {
        /// <summary>The avatar link; <c>""</c> when there is none.</summary>
        public string Url { get; }

        /// <summary><c>true</c> available, <c>false</c> hidden by privacy, <c>null</c> when the answer left it out.</summary>
        public bool? Available { get; }

        /// <summary>The HTTP status of the last response (the image's, once it was requested).</summary>
        public int HttpStatus { get; }

        /// <summary>The image bytes (1 byte to 16 MiB); <c>null</c> when the chat has no avatar.</summary>
        public byte[] Data { get; }

        /// <summary>The image's media type, e.g. <c>"image/jpeg"</c>; <c>""</c> when there is no image.</summary>
        public string ContentType { get; }

        /// <summary>Makes one.</summary>
        public AvatarImage(string url, bool? available, int httpStatus, byte[] data, string contentType)
        {
            Url = url ?? "";
            Available = available;
            HttpStatus = httpStatus;
            Data = data;
            ContentType = contentType ?? "";
        }

        /// <summary>E.g. <c>AvatarImage { Url = ..., Available = True, ContentType = image/png, Length = 68 }</c> (not the bytes).</summary>
        public override string ToString()
        {
            return "AvatarImage { Url = " + Url + ", Available = " + Avatar.Show(Available) + ", HttpStatus = " + HttpStatus.ToString(CultureInfo.InvariantCulture)
                + ", ContentType = " + ContentType + ", Length = " + (Data == null ? "null" : Data.Length.ToString(CultureInfo.InvariantCulture)) + " }";
        }
    }

    /// <summary>One entry of <see cref="GetAvatarClient.GetAvatars(System.Collections.Generic.IEnumerable{string})"/>:
    /// the avatar, or the failure of that chat id alone.</summary>
    public sealed class AvatarResult
    {
        /// <summary>The chat id, as given.</summary>
        public string ChatId { get; }

        /// <summary>Whether the lookup succeeded (<see cref="Avatar"/> is set, <see cref="Error"/> null).</summary>
        public bool IsOk { get { return Error == null; } }

        /// <summary>The avatar; <c>null</c> when the lookup failed.</summary>
        public Avatar Avatar { get; }

        /// <summary>Why the lookup failed; <c>null</c> when it succeeded.</summary>
        public GetAvatarException Error { get; }

        /// <summary>Makes one: exactly one of <paramref name="avatar"/> and <paramref name="error"/> is set.</summary>
        public AvatarResult(string chatId, Avatar avatar, GetAvatarException error)
        {
            if ((avatar == null) == (error == null))
                throw new ArgumentException("exactly one of avatar and error must be set");
            ChatId = chatId;
            Avatar = avatar;
            Error = error;
        }

        /// <summary>E.g. <c>AvatarResult { ChatId = 10000000, Avatar = ... }</c>.</summary>
        public override string ToString()
        {
            return "AvatarResult { ChatId = " + ChatId + ", " + (IsOk ? "Avatar = " + Avatar : "Error = " + Error.StatusName + ": " + Error.Message) + " }";
        }
    }
}
