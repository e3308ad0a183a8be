'use strict';
// getavatar for Node.js: GREEN-API's getAvatar (MAX, v3) over the getavatar C library (koffi).
// Every network call runs on a worker thread (koffi's `.async`, on libuv's thread pool): the
// event loop never waits for the network. See README.md.

const native = require('./lib/native.js');

const STATUS_NAMES = [
  'GA_OK',
  'GA_ERR_INVALID_ARGUMENT',
  'GA_ERR_VALIDATION',
  'GA_ERR_UNAUTHORIZED',
  'GA_ERR_FORBIDDEN',
  'GA_ERR_NOT_FOUND',
  'GA_ERR_RATE_LIMITED',
  'GA_ERR_QUOTA_EXCEEDED',
  'GA_ERR_SERVER',
  'GA_ERR_TIMEOUT',
  'GA_ERR_NETWORK',
  'GA_ERR_BAD_RESPONSE',
  'GA_ERR_INTERNAL',
  'GA_ERR_IO',
  'GA_ERR_CANCELLED',
];

/** The library names a setting by its C function in some messages: here, by its option. */
const SETTING_NAMES = [
  ['ga_client_set_ca_file', 'caFile'],
  ['ga_client_set_trust', 'trust'],
  ['ga_client_set_proxy', 'proxy'],
  ['ga_client_set_deadline_ms', 'deadlineMs'],
  ['ga_client_set_timeout_ms', 'timeoutMs'],
];

function jsNames(message) {
  if (message.includes('ga_')) {
    for (const [c, js] of SETTING_NAMES) message = message.split(c).join(js);
  }
  return message;
}

/** A getavatar failure: `status` and `code` are the status's name ('GA_ERR_UNAUTHORIZED'),
 *  `httpStatus` the last HTTP status received (0 when none). The message is the library's,
 *  which never holds the token. */
class GetAvatarError extends Error {
  constructor(message, status = 'GA_ERR_INTERNAL', httpStatus = 0) {
    super(jsNames(String(message)));
    this.status = status;
    this.code = status;
    this.httpStatus = httpStatus;
  }
}
Object.defineProperty(GetAvatarError.prototype, 'name', {
  value: 'GetAvatarError',
  writable: true,
  configurable: true,
});

function statusName(n) {
  return STATUS_NAMES[n] || 'GA_ERR_UNKNOWN';
}

function fromStatus(n, message, httpStatus) {
  return new GetAvatarError(message || statusName(n), statusName(n), httpStatus | 0);
}

function invalid(message) {
  return new GetAvatarError(message, 'GA_ERR_INVALID_ARGUMENT', 0);
}

// --- the binding's own checks, in the library's words ------------------------------------------

/** The library's numbers for the checks the binding makes itself (GA_MSG_* in getavatar.h). */
const MSG = {
  CLOSED: 1,
  WRONG_TYPE: 2,
  HAS_NUL: 3,
  LONE_SURROGATE: 4,
  OUT_OF_RANGE: 5,
  NOT_ONE_OF: 6,
  TOO_MANY_IDS: 7,
  OUT_OF_MEMORY: 8,
  NOT_SENT: 9,
  NOT_CONNECTED: 10,
  NO_ANSWER_IN_TIME: 11,
  READ_FROM_ENV: 12,
};

/**
 * The library's text for check `msg` (ga_message) in `lang`, the language of the client that
 * made it (the tag as it was given; null = the process default, as a client without one), so
 * that a Russian client's own errors read Russian like the library's. The classes and codes of
 * the errors are the same in every language.
 */
function say(lang, msg, name = '', value = '', expected = '') {
  let n;
  try {
    n = native.load();
  } catch (e) {
    // No library to ask: only the first check of `new Client(options)` and Client.fromEnv comes
    // before the library is loaded; said as the library says it in English, so that the error
    // keeps its class and code (the next step reports the missing library).
    if (msg === MSG.WRONG_TYPE) return `${name} must be ${expected}, not ${value}`;
    throw e;
  }
  return n.fns.ga_message(lang || null, msg, String(name), String(value), String(expected));
}

// --- argument checks (TypeError at once, as Node's own APIs) ----------------------------------

/** The type of `v` as Node names it: "number", "undefined", "null", "Array", "Buffer"... */
function typeName(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'Array';
  if (typeof v === 'object') return (v.constructor && v.constructor.name) || 'Object';
  return typeof v;
}

/** A TypeError ERR_INVALID_ARG_TYPE: `name` must be of type(s) `expected` ("string",
 *  "string | number"), in `lang`. */
function argType(lang, name, expected, v) {
  const e = new TypeError(say(lang, MSG.WRONG_TYPE, name, typeName(v), expected));
  e.code = 'ERR_INVALID_ARG_TYPE';
  return e;
}

function checkString(lang, name, v) {
  if (typeof v !== 'string') throw argType(lang, name, 'string', v);
  return v;
}

/** A string the library can take: no NUL (C would cut it there), no lone surrogate (it would
 *  reach the library as U+FFFD). Else the GetAvatarError the library gives bad text. */
function textProblem(lang, name, v) {
  if (v.includes('\0')) return invalid(say(lang, MSG.HAS_NUL, name));
  if (!wellFormed(v)) return invalid(say(lang, MSG.LONE_SURROGATE, name, loneSurrogate(v)));
  return null;
}

/** The index (in UTF-16 code units) of the first lone surrogate of `v`, or -1. */
function loneSurrogate(v) {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = v.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
      else return i;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return i;
    }
  }
  return -1;
}

/** String.prototype.isWellFormed (Node 20), or the same test by loneSurrogate (Node 18). */
function wellFormed(v) {
  return typeof v.isWellFormed === 'function' ? v.isWellFormed() : loneSurrogate(v) < 0;
}

function checkText(lang, name, v) {
  checkString(lang, name, v);
  const p = textProblem(lang, name, v);
  if (p) throw p;
  return v;
}

/** A number option: an integer C's int32_t holds (the library checks its own range), else a
 *  RangeError ERR_OUT_OF_RANGE. */
function checkInt(lang, name, v) {
  if (typeof v !== 'number') throw argType(lang, name, 'number', v);
  if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
    // A fraction is in the range but not a whole number: the range is written by its steps.
    const whole = Number.isInteger(v) || !Number.isFinite(v);
    const range = whole ? '-2147483648..2147483647' : '-2147483648, …, -1, 0, 1, …, 2147483647';
    const e = new RangeError(say(lang, MSG.OUT_OF_RANGE, name, v, range));
    e.code = 'ERR_OUT_OF_RANGE';
    throw e;
  }
  return v;
}

function pathText(lang, name, v) {
  if (v instanceof URL) {
    return require('node:url').fileURLToPath(v);
  }
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v !== 'string') throw argType(lang, name, 'string | Buffer | URL', v);
  return v;
}

function checkSignal(lang, options) {
  if (options === undefined || options === null) return undefined;
  if (typeof options !== 'object') throw argType(lang, 'options', 'object', options);
  const signal = options.signal;
  if (signal === undefined || signal === null) return undefined;
  if (typeof signal !== 'object' || typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function') {
    throw argType(lang, 'options.signal', 'AbortSignal', signal);
  }
  return signal;
}

function outOfMemory(lang) {
  return new GetAvatarError(say(lang, MSG.OUT_OF_MEMORY), 'GA_ERR_INTERNAL', 0);
}

// --- the calls: a queue in front of koffi's workers ---------------------------------------------

// koffi runs `.async` calls on libuv's thread pool (UV_THREADPOOL_SIZE threads, 4 by default),
// which Node also uses for fs, dns.lookup, crypto and zlib, and it refuses more than 256 queued
// calls. A lookup can hold its thread for long (rate-limit waits, retries, timeouts), so at most
// one thread fewer than the pool runs getavatar calls at once: the rest of the program always
// keeps a thread. Further calls wait here, in order, where aborting one costs nothing.
function poolSize() {
  const n = Number.parseInt(process.env.UV_THREADPOOL_SIZE || '', 10);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 1024) : 4;
}
const MAX_RUNNING = Math.max(1, Math.min(poolSize() - 1, 200));
const waiting = [];
let running = 0;

function pump() {
  while (running < MAX_RUNNING && waiting.length > 0) {
    start(waiting.shift());
  }
}

/**
 * One call: `invoke(n, token, cb)` starts the koffi call, `result(n, value, lang)` turns what it
 * returned into the resolved value (or throws the rejection) and frees it; `lang` is the
 * client's language. Returns a promise.
 */
function submit(client, signal, invoke, result) {
  const job = { client, signal, invoke, result, token: null, state: 'waiting', settled: false, aborted: false, onAbort: null, timer: null };
  const promise = new Promise((resolve, reject) => {
    job.resolve = resolve;
    job.reject = reject;
  });
  if (signal) {
    job.onAbort = () => abort(job);
    signal.addEventListener('abort', job.onAbort, { once: true });
  }
  client[CALLS]++;
  waiting.push(job);
  pump();
  return promise;
}

function settle(job, ok, value) {
  if (job.settled) return;
  job.settled = true;
  if (job.signal) job.signal.removeEventListener('abort', job.onAbort);
  if (job.timer) clearTimeout(job.timer);
  if (ok) job.resolve(value);
  else job.reject(value);
}

function abort(job) {
  if (job.settled) return;
  if (job.state === 'waiting') {
    // Never started: out of the queue, rejected at once.
    const i = waiting.indexOf(job);
    if (i >= 0) waiting.splice(i, 1);
    job.state = 'done';
    settle(job, false, job.signal.reason);
    job.client[ENDED]();
    return;
  }
  // Running: the library stops it within about 100 ms (GA_ERR_CANCELLED). Rejected when it has
  // returned, or after 300 ms at the latest (a DNS lookup is not interruptible); its result is
  // freed whenever it returns.
  job.aborted = true;
  native.load().fns.ga_cancel(job.token);
  job.timer = setTimeout(() => settle(job, false, job.signal.reason), 300);
}

function start(job) {
  const n = native.load();
  job.state = 'running';
  running++;
  if (job.signal) {
    job.token = n.fns.ga_cancel_new();
    if (!job.token) {
      finish(job, outOfMemory(job.client[LANGUAGE]), null);
      return;
    }
  }
  try {
    job.invoke(n, job.token, (err, value) => finish(job, err, value));
  } catch (e) {
    finish(job, e, null);
  }
}

function finish(job, err, value) {
  const n = native.load();
  running--;
  job.state = 'done';
  let ok = false;
  let out;
  try {
    if (err) throw err;
    out = job.result(n, value, job.client[LANGUAGE]);
    ok = true;
  } catch (e) {
    out = e;
  }
  if (job.token) {
    n.fns.ga_cancel_free(job.token);
    job.token = null;
  }
  if (job.aborted) settle(job, false, job.signal.reason);
  else settle(job, ok, out);
  job.client[ENDED]();
  pump();
}

// --- results ----------------------------------------------------------------------------------

function available(v) {
  return v < 0 ? null : v !== 0;
}

/** A GaAvatar* as { url, available, httpStatus } or a GetAvatarError; frees it. */
function takeAvatar(n, ptr, lang) {
  if (!ptr) return outOfMemory(lang);
  try {
    const a = n.koffi.decode(ptr, n.GaAvatar);
    if (a.status !== 0) return fromStatus(a.status, a.error, a.http_status);
    return { url: a.url_avatar || '', available: available(a.available), httpStatus: a.http_status };
  } finally {
    n.fns.ga_free(ptr);
  }
}

function avatarOrThrow(n, ptr, lang) {
  const r = takeAvatar(n, ptr, lang);
  if (r instanceof Error) throw r;
  return r;
}

function takeImage(n, ptr, lang) {
  if (!ptr) throw outOfMemory(lang);
  try {
    const a = n.koffi.decode(ptr, n.GaAvatarImage);
    if (a.status !== 0) throw fromStatus(a.status, a.error, a.http_status);
    const size = Number(a.size);
    const data = a.data && size > 0 ? Buffer.from(new Uint8Array(n.koffi.view(a.data, size))) : Buffer.alloc(0);
    return { url: a.url_avatar || '', available: available(a.available), data, contentType: a.content_type || '' };
  } finally {
    n.fns.ga_free(ptr);
  }
}

// --- the client -------------------------------------------------------------------------------

const TRUST = { system: 0, bundled: 1 };
const CALLS = Symbol('calls');
const ENDED = Symbol('ended');
const FROM_ENV = Symbol('fromEnv');
const LANGUAGE = Symbol('language');
const live = new FinalizationRegistry((handle) => {
  // A client nobody closed: freed once unreachable (no call can be running: each holds it).
  if (handle.ptr) native.load().fns.ga_client_free(handle.ptr);
});

/**
 * A getAvatar client for one GREEN-API instance. Calls return promises and run on worker
 * threads; any number may be pending at once. Close it with close() (or `using`).
 */
class Client {
  #handle; // { ptr }: shared with the FinalizationRegistry, never the Client itself
  #closed = false;
  #apiUrl;
  #idInstance;
  #closeWaiters = [];
  [CALLS] = 0; // calls made and not ended (waiting or running)
  // The language as the program gave it (the option, then setLanguage), null for the process
  // default: the language of the binding's own errors (ga_message), as of the library's.
  [LANGUAGE] = null;

  constructor(options) {
    if (options === null || typeof options !== 'object') throw argType(null, 'options', 'object', options);
    const n = native.load();
    // First, so that the other arguments' mistakes are said in this language.
    const language = options.language == null ? null : checkText(null, 'language', options.language);
    this[LANGUAGE] = language || null;
    const lang = this[LANGUAGE];
    const fromEnv = options[FROM_ENV] === true;
    let ptr;
    if (fromEnv) {
      ptr = n.fns.ga_client_new_from_env();
      this.#apiUrl = process.env.GA_API_URL || '';
      this.#idInstance = process.env.GA_ID_INSTANCE || '';
    } else {
      const apiUrl = checkText(lang, 'apiUrl', options.apiUrl);
      let id = options.idInstance;
      if (typeof id === 'number') {
        // Beyond 2^53 a number is not the digits that were written: a string is needed.
        if (!Number.isSafeInteger(id) || id < 0) throw invalid(say(lang, MSG.OUT_OF_RANGE, 'idInstance', id, `0..${Number.MAX_SAFE_INTEGER}`));
        id = String(id);
      } else if (typeof id === 'bigint') {
        id = id.toString();
      } else if (typeof id !== 'string') {
        throw argType(lang, 'idInstance', 'string | number | bigint', id);
      }
      checkText(lang, 'idInstance', id);
      const token = checkText(lang, 'apiTokenInstance', options.apiTokenInstance);
      ptr = n.fns.ga_client_new(apiUrl, id, token);
      this.#apiUrl = apiUrl;
      this.#idInstance = id;
    }
    if (!ptr) throw invalid(n.fns.ga_last_error());
    this.#handle = { ptr };
    live.register(this, this.#handle, this);
    try {
      this.#configure(n, options);
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** A client from GA_API_URL, GA_ID_INSTANCE and GA_API_TOKEN_INSTANCE (read by the
   *  library itself), with the other options as for the constructor. */
  static fromEnv(options = {}) {
    if (options === null || typeof options !== 'object') throw argType(null, 'options', 'object', options);
    for (const k of ['apiUrl', 'idInstance', 'apiTokenInstance']) {
      if (options[k] !== undefined) {
        const lang = typeof options.language === 'string' ? options.language : null;
        throw invalid(say(lang, MSG.READ_FROM_ENV, k, 'Client.fromEnv'));
      }
    }
    return new Client({ ...options, [FROM_ENV]: true });
  }

  #set(n, fn, ...args) {
    const st = n.fns[fn](this.#handle.ptr, ...args);
    if (st !== 0) throw fromStatus(st, n.fns.ga_last_error(), 0);
  }

  #configure(n, o) {
    const lang = this[LANGUAGE];
    const int = (name) => (o[name] === undefined || o[name] === null ? undefined : checkInt(lang, name, o[name]));
    const v = {
      timeoutMs: int('timeoutMs'),
      deadlineMs: int('deadlineMs'),
      maxRetries: int('maxRetries'),
      backoffMs: int('backoffMs'),
      rateLimit: int('rateLimit'),
      concurrency: int('concurrency'),
      cacheTtlMs: int('cacheTtlMs'),
      idleTimeoutMs: int('idleTimeoutMs'),
    };
    for (const k of ['proxy', 'trust', 'userAgent']) {
      if (o[k] !== undefined && o[k] !== null) checkText(lang, k, o[k]);
    }
    let caFiles = [];
    if (o.caFile !== undefined && o.caFile !== null) {
      caFiles = (Array.isArray(o.caFile) ? o.caFile : [o.caFile]).map((f) => checkText(lang, 'caFile', pathText(lang, 'caFile', f)));
    }
    // First, so that a mistake in the other options is said in this language.
    if (o.language != null) this.#set(n, 'ga_client_set_language', o.language);
    if (v.timeoutMs !== undefined) this.#set(n, 'ga_client_set_timeout_ms', v.timeoutMs);
    if (v.deadlineMs !== undefined) this.#set(n, 'ga_client_set_deadline_ms', v.deadlineMs);
    if (v.maxRetries !== undefined) this.#set(n, 'ga_client_set_max_retries', v.maxRetries);
    if (v.backoffMs !== undefined) this.#set(n, 'ga_client_set_backoff_ms', v.backoffMs);
    if (v.rateLimit !== undefined) this.#set(n, 'ga_client_set_rate_limit', v.rateLimit);
    if (v.concurrency !== undefined) this.#set(n, 'ga_client_set_concurrency', v.concurrency);
    if (v.cacheTtlMs !== undefined) {
      if (v.cacheTtlMs < 0) throw invalid(say(lang, MSG.OUT_OF_RANGE, 'cacheTtlMs', v.cacheTtlMs, '0..86400000'));
      // The library keeps answers for whole seconds: rounded up.
      this.#set(n, 'ga_client_set_cache_ttl', Math.ceil(v.cacheTtlMs / 1000));
    }
    if (v.idleTimeoutMs !== undefined) this.#set(n, 'ga_client_set_idle_timeout_ms', v.idleTimeoutMs);
    if (o.userAgent != null) this.#set(n, 'ga_client_set_user_agent', o.userAgent);
    if (o.trust != null) {
      if (!(o.trust in TRUST) || !Object.hasOwn(TRUST, o.trust)) {
        throw invalid(say(lang, MSG.NOT_ONE_OF, 'trust', JSON.stringify(o.trust), '"system"|"bundled"'));
      }
      this.#set(n, 'ga_client_set_trust', TRUST[o.trust]);
    }
    for (const f of caFiles) this.#set(n, 'ga_client_set_ca_file', f);
    if (o.proxy === 'env') this.#set(n, 'ga_client_use_env_proxy');
    else if (o.proxy != null) this.#set(n, 'ga_client_set_proxy', o.proxy);
  }

  #ptr() {
    if (this.#closed) return null;
    return this.#handle.ptr;
  }

  #closedError() {
    return invalid(say(this[LANGUAGE], MSG.CLOSED, 'getavatar Client'));
  }

  /** Looks up the avatar of `chatId` (a user id such as "10000000", or a group id
   *  "-10000000000000"). Resolves to { url, available, httpStatus }. */
  getAvatar(chatId, options) {
    return this.#lookup(chatId, options, 'ga_get_avatar_cancellable', avatarOrThrow);
  }


  /** Looks up many chat ids at once (`concurrency` of them in parallel, within the rate limit).
   *  Resolves to one { chatId, ok, avatar, error } per id, in input order; one id's failure is
   *  in its own entry (`error`), never a rejection. */
  getAvatars(chatIds, options) {
    if (typeof chatIds === 'string' || chatIds === null || typeof chatIds !== 'object' || typeof chatIds[Symbol.iterator] !== 'function') {
      throw argType(this[LANGUAGE], 'chatIds', 'Iterable<string>', chatIds);
    }
    const lang = this[LANGUAGE];
    const ids = Array.from(chatIds);
    ids.forEach((id, i) => {
      if (typeof id !== 'string') throw argType(lang, `chatIds[${i}]`, 'string', id);
    });
    const signal = checkSignal(lang, options);
    if (this.#closed) return Promise.reject(this.#closedError());
    if (signal && signal.aborted) return Promise.reject(signal.reason);
    if (ids.length === 0) return Promise.resolve([]);
    if (ids.length > 2147483647) return Promise.reject(invalid(say(lang, MSG.TOO_MANY_IDS, '', ids.length, 2147483647)));
    const early = ids.map((id) => textProblem(lang, 'chatId', id));
    // The arrays the library reads and fills, as memory of our own (never copied by koffi):
    // the ids NUL-terminated in one buffer, their addresses, and the result slots.
    const n = native.load();
    const psize = n.pointerSize;
    const texts = ids.map((id, i) => (early[i] ? null : Buffer.from(id + '\0', 'utf8')));
    const blob = Buffer.concat(texts.filter(Boolean).concat([Buffer.alloc(1)]));
    const base = n.koffi.address(blob);
    const ptrs = Buffer.alloc(ids.length * psize);
    const out = Buffer.alloc(ids.length * psize);
    let off = 0;
    texts.forEach((t, i) => {
      const addr = t ? base + BigInt(off) : 0n;
      if (t) off += t.length;
      if (psize === 8) ptrs.writeBigUInt64LE(addr, i * 8);
      else ptrs.writeUInt32LE(Number(addr), i * 4);
    });
    const ptrsAddr = n.koffi.address(ptrs);
    const outAddr = n.koffi.address(out);
    const h = this.#handle;
    return submit(
      this,
      signal,
      (n2, token, cb) => {
        // The memory the library reads and writes stays referenced until the call has returned.
        const keep = [blob, ptrs, out];
        n2.fns.ga_get_avatars_cancellable.async(h.ptr, ptrsAddr, ids.length, outAddr, token, (err, st) => {
          keep.length = 0;
          cb(err, st);
        });
      },
      (n2, st, lang2) => {
        const slots = ids.map((_, i) => (psize === 8 ? out.readBigUInt64LE(i * 8) : BigInt(out.readUInt32LE(i * 4))));
        const results = slots.map((p, i) => {
          const r = p ? takeAvatar(n2, p, lang2) : null;
          const value = early[i] || r || outOfMemory(lang2);
          return value instanceof Error
            ? { chatId: ids[i], ok: false, avatar: null, error: value }
            : { chatId: ids[i], ok: true, avatar: value, error: null };
        });
        if (st !== 0 && slots.every((p) => !p)) throw fromStatus(st, '', 0);
        return results;
      },
    );
  }

  /** Looks up `chatId` and saves its avatar image to `path`, atomically (a temporary file
   *  renamed over it; a failure or abort leaves `path` as it was). When the chat has no avatar
   *  nothing is written and `url` is "". Resolves to { url, available, httpStatus }. */
  downloadAvatar(chatId, path, options) {
    const lang = this[LANGUAGE];
    checkString(lang, 'chatId', chatId);
    const file = pathText(lang, 'path', path);
    const signal = checkSignal(lang, options);
    const bad = textProblem(lang, 'chatId', chatId) || textProblem(lang, 'path', file);
    if (bad) return Promise.reject(bad);
    if (this.#closed) return Promise.reject(this.#closedError());
    if (signal && signal.aborted) return Promise.reject(signal.reason);
    const h = this.#handle;
    return submit(
      this,
      signal,
      (n, token, cb) => n.fns.ga_download_avatar_cancellable.async(h.ptr, chatId, file, token, cb),
      avatarOrThrow,
    );
  }

  /** Looks up `chatId` and downloads its avatar image into memory. Resolves to
   *  { url, available, data, contentType }; `data` is empty when the chat has no avatar. */
  avatarBytes(chatId, options) {
    return this.#lookup(chatId, options, 'ga_download_avatar_bytes_cancellable', takeImage);
  }

  /** One lookup of `chatId` through the cancellable C function `native`, its result made by
   *  `convert`: wrong argument types throw at once, a refused call rejects. */
  #lookup(chatId, options, native, convert) {
    const lang = this[LANGUAGE];
    checkString(lang, 'chatId', chatId);
    const signal = checkSignal(lang, options);
    const bad = textProblem(lang, 'chatId', chatId);
    if (bad) return Promise.reject(bad);
    if (this.#closed) return Promise.reject(this.#closedError());
    if (signal && signal.aborted) return Promise.reject(signal.reason);
    const h = this.#handle;
    return submit(this, signal, (n, token, cb) => n.fns[native].async(h.ptr, chatId, token, cb), convert);
  }


  /** Opens the connection (DNS, TCP, TLS) ahead of the first lookup; sends no request. */
  warmUp() {
    if (this.#closed) return Promise.reject(this.#closedError());
    const h = this.#handle;
    return submit(
      this,
      undefined,
      (n, token, cb) => n.fns.ga_client_warm_up.async(h.ptr, cb),
      (n, st) => {
        // The library's own message stays on the worker thread the call ran on.
        if (st !== 0) throw fromStatus(st, say(this[LANGUAGE], st === 9 ? MSG.NO_ANSWER_IN_TIME : MSG.NOT_CONNECTED), 0);
      },
    );
  }

  /** The language of the library's messages from now on (error messages, getAvatars' errors):
   *  "en" or "ru" (any case, a region allowed: "ru-RU", "ru_RU.UTF-8"); null, undefined or ""
   *  return to the process default (GA_LANG, else the locale: LC_ALL, LC_MESSAGES, LANG; on
   *  Windows the user's UI language; else English). Error classes, `status` codes and the
   *  server's own text are the same in every language. Another language throws
   *  GA_ERR_INVALID_ARGUMENT and the language is kept; so does a closed client. */
  setLanguage(language) {
    if (this.#closed) throw this.#closedError();
    const tag = language === undefined || language === null ? '' : checkText(this[LANGUAGE], 'language', language);
    this.#set(native.load(), 'ga_client_set_language', tag);
    this[LANGUAGE] = tag || null;
  }

  /** The pace the client keeps now, in requests a second, shared by all its calls: the
   *  `rateLimit` (10 by default), or less after the server answered 429 (the client learns the
   *  instance's real rate and comes back up step by step, never above `rateLimit`); 0 when it
   *  does not pace (`rateLimit: 0` and no 429 yet). Read-only; throws once the client is closed. */
  get rate() {
    if (this.#closed) throw this.#closedError();
    return native.load().fns.ga_client_rate(this.#handle.ptr);
  }

  /** Whether close() was called. */
  get closed() {
    return this.#closed;
  }

  /** Closes the client: later calls reject; calls already made complete as usual, and the
   *  library's client is freed when the last of them has. Idempotent. */
  close() {
    if (this.#closed) return;
    this.#closed = true;
    if (this[CALLS] === 0) this.#free();
  }

  [ENDED]() {
    this[CALLS]--;
    if (this.#closed && this[CALLS] === 0) this.#free();
  }

  #free() {
    const ptr = this.#handle.ptr;
    this.#handle.ptr = null;
    live.unregister(this);
    if (ptr) native.load().fns.ga_client_free(ptr);
    const w = this.#closeWaiters;
    this.#closeWaiters = [];
    for (const f of w) f();
  }

  [Symbol.for('nodejs.util.inspect.custom')]() {
    return `Client { apiUrl: ${JSON.stringify(this.#apiUrl)}, idInstance: ${JSON.stringify(this.#idInstance)}${this.#closed ? ', closed: true' : ''} }`;
  }

  toJSON() {
    return { apiUrl: this.#apiUrl, idInstance: this.#idInstance, closed: this.#closed };
  }

  /** close(), then waits until the calls already made have ended. */
  closeAndWait() {
    this.close();
    if (!this.#handle.ptr) return Promise.resolve();
    return new Promise((resolve) => this.#closeWaiters.push(resolve));
  }
}

if (typeof Symbol.dispose === 'symbol') {
  Client.prototype[Symbol.dispose] = function dispose() {
    this.close();
  };
}
if (typeof Symbol.asyncDispose === 'symbol') {
  Client.prototype[Symbol.asyncDispose] = function asyncDispose() {
    return this.closeAndWait();
  };
}

/** The library's version, e.g. "0.1.0". */
function version() {
  return native.load().fns.ga_version();
}

/** The file the library was loaded from. */
function libraryPath() {
  return native.load().path;
}

module.exports = { Client, GetAvatarError, version, libraryPath, STATUS_NAMES: Object.freeze([...STATUS_NAMES]) };
