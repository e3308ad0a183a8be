// Types of the getavatar npm package (GREEN-API getAvatar, MAX v3, over the getavatar C library).

/** A status name of the C library (GaStatus). */
export type GetAvatarStatus =
  | 'GA_ERR_INVALID_ARGUMENT'
  | 'GA_ERR_VALIDATION'
  | 'GA_ERR_UNAUTHORIZED'
  | 'GA_ERR_FORBIDDEN'
  | 'GA_ERR_NOT_FOUND'
  | 'GA_ERR_RATE_LIMITED'
  | 'GA_ERR_QUOTA_EXCEEDED'
  | 'GA_ERR_SERVER'
  | 'GA_ERR_TIMEOUT'
  | 'GA_ERR_NETWORK'
  | 'GA_ERR_BAD_RESPONSE'
  | 'GA_ERR_INTERNAL'
  | 'GA_ERR_IO'
  | 'GA_ERR_CANCELLED'
  | 'GA_ERR_UNKNOWN';

export interface ClientOptions {
  /** The host from your console, e.g. "https://3100.api.green-api.com" ("http://" only for loopback hosts). */
  apiUrl: string;
  /** idInstance: 1 to 19 digits. */
  idInstance: string | number;
  /** apiTokenInstance; never shown in messages or util.inspect. */
  apiTokenInstance: string;
  /** Timeout of each attempt, 1 to 600000 ms (default 30000). */
  timeoutMs?: number;
  /** Total budget of each call, 0 to 3600000 ms (default 120000; 0 = none). */
  deadlineMs?: number;
  /** Retries of transient failures, 0 to 10 (default 3). */
  maxRetries?: number;
  /** First retry delay, 0 to 60000 ms (default 250), doubling with jitter. */
  backoffMs?: number;
  /** Most requests this client starts per rolling second, 0 to 1000 (default 10; 0 = off). */
  rateLimit?: number;
  /** Lookups getAvatars runs at once, 1 to 64 (default 4). */
  concurrency?: number;
  /** "system" (default), "direct", "env", or "http://[user:password@]host[:port]", "socks5://...", "socks5h://...". */
  proxy?: string;
  /** CA file(s), PEM or DER, trusted in addition to `trust`. */
  caFile?: string | URL | Buffer | ReadonlyArray<string | URL | Buffer>;
  /** Whose roots certificates are verified against: "system" (default) or "bundled". */
  trust?: 'system' | 'bundled';
  /** Keep successful answers this long, 0 to 86400000 ms, rounded up to whole seconds (default 0 = off). */
  cacheTtlMs?: number;
  /** How long an idle connection is kept, 0 to 3600000 ms (default 300000). */
  idleTimeoutMs?: number;
  /** The User-Agent header (default "getavatar/VERSION"). */
  userAgent?: string;
  /** The language of the library's messages: "en" or "ru" (a region allowed: "ru-RU"); default
   *  the process default (GA_LANG, else the locale, else English). Another value throws. */
  language?: string | null;
}

/** Client options without the credentials, for Client.fromEnv. */
export type EnvClientOptions = Omit<ClientOptions, 'apiUrl' | 'idInstance' | 'apiTokenInstance'>;

export interface CallOptions {
  /** Aborting it cancels the call: the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
}

export interface Avatar {
  /** The avatar link; "" when there is none (no avatar, unknown account, hidden). */
  url: string;
  /** true, false (hidden by privacy settings), or null when the answer left it out. */
  available: boolean | null;
  /** The HTTP status of the answer (200). */
  httpStatus: number;
}

export interface AvatarImage {
  url: string;
  available: boolean | null;
  /** The image; empty when the chat has no avatar. */
  data: Buffer;
  /** Its media type, e.g. "image/jpeg"; "" when there is no image. */
  contentType: string;
}

export type BatchEntry =
  | { chatId: string; ok: true; avatar: Avatar; error: null }
  | { chatId: string; ok: false; avatar: null; error: GetAvatarError };

export declare class GetAvatarError extends Error {
  constructor(message: string, status?: GetAvatarStatus, httpStatus?: number);
  readonly name: 'GetAvatarError' | string;
  /** e.g. 'GA_ERR_UNAUTHORIZED'. */
  status: GetAvatarStatus;
  /** The same as `status`, as Node errors carry a code. */
  code: GetAvatarStatus;
  /** The last HTTP status received; 0 when none. */
  httpStatus: number;
}

export declare class Client implements Disposable, AsyncDisposable {
  constructor(options: ClientOptions);
  /** A client from GA_API_URL, GA_ID_INSTANCE and GA_API_TOKEN_INSTANCE. */
  static fromEnv(options?: EnvClientOptions): Client;
  getAvatar(chatId: string, options?: CallOptions): Promise<Avatar>;
  getAvatars(chatIds: Iterable<string>, options?: CallOptions): Promise<BatchEntry[]>;
  downloadAvatar(chatId: string, path: string | URL | Buffer, options?: CallOptions): Promise<Avatar>;
  avatarBytes(chatId: string, options?: CallOptions): Promise<AvatarImage>;
  /** Opens the connection ahead of the first lookup (sends no request). */
  warmUp(): Promise<void>;
  /** Later calls reject; calls already made complete; the native client is freed after the last. */
  close(): void;
  /** close(), resolved once the calls already made have ended. */
  closeAndWait(): Promise<void>;
  /** The language of later messages: "en" or "ru" (a region allowed); null, undefined or "" =
   *  the process default. Another language throws GA_ERR_INVALID_ARGUMENT (language kept). */
  setLanguage(language: string | null | undefined): void;
  /** The pace the client keeps now, in requests a second: `rateLimit` (10), or less after the
   *  server answered 429; 0 when unpaced. Throws GA_ERR_INVALID_ARGUMENT once closed. */
  readonly rate: number;
  readonly closed: boolean;
  [Symbol.dispose](): void;
  [Symbol.asyncDispose](): Promise<void>;
}

/** The library's version, e.g. "0.1.0". */
export declare function version(): string;
/** The file the library was loaded from. */
export declare function libraryPath(): string;
export declare const STATUS_NAMES: readonly string[];
