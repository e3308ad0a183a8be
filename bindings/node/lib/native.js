'use strict';
// Finds and loads the getavatar library with koffi and declares every function it exports.
// Loaded on first use (new Client(), version()), so that requiring the package never fails.

const fs = require('node:fs');
const path = require('node:path');

/** The libraries this package ships, by `${process.platform}-${process.arch}`. */
const PREBUILDS = {
  'linux-x64': 'libgetavatar.so',
  'win32-x64': 'getavatar.dll',
  'win32-ia32': 'getavatar.dll',
};

/**
 * Every function of include/getavatar.h, as [return type, name, parameter types] in C. A test
 * compares this table with the header and with the Windows DLLs' export tables. Each is declared
 * __stdcall: the 32-bit Windows DLL exports __stdcall functions (for Excel VBA); koffi ignores the
 * convention on every other platform, where there is only one.
 */
const PROTOTYPES = [
  ['GaClient *', 'ga_client_new', ['const char *', 'const char *', 'const char *']],
  ['GaClient *', 'ga_client_new_from_env', []],
  ['GaStatus', 'ga_client_warm_up', ['GaClient *']],
  ['void', 'ga_client_free', ['GaClient *']],
  ['GaClient *', 'ga_client_new_from_credential', ['const char *', 'const char *']],
  ['GaStatus', 'ga_credential_save', ['const char *', 'const char *']],
  ['GaStatus', 'ga_credential_delete', ['const char *']],
  ['GaStatus', 'ga_credential_prompt', ['const char *']],
  ['GaStatus', 'ga_client_set_timeout_ms', ['GaClient *', 'int32_t']],
  ['GaStatus', 'ga_client_set_deadline_ms', ['GaClient *', 'int32_t']],
  ['GaStatus', 'ga_client_set_max_retries', ['GaClient *', 'int32_t']],
  ['GaStatus', 'ga_client_set_backoff_ms', ['GaClient *', 'int32_t']],
  ['GaStatus', 'ga_client_set_rate_limit', ['GaClient *', 'int32_t']],
  ['double', 'ga_client_rate', ['const GaClient *']],
  ['GaStatus', 'ga_client_set_concurrency', ['GaClient *', 'int32_t']],
  ['GaStatus', 'ga_client_set_cache_ttl', ['GaClient *', 'int32_t']],
  ['GaStatus', 'ga_client_set_idle_timeout_ms', ['GaClient *', 'int32_t']],
  ['GaStatus', 'ga_client_set_user_agent', ['GaClient *', 'const char *']],
  ['GaStatus', 'ga_client_set_ca_file', ['GaClient *', 'const char *']],
  ['GaStatus', 'ga_client_set_trust', ['GaClient *', 'GaTrust']],
  ['GaStatus', 'ga_client_set_proxy', ['GaClient *', 'const char *']],
  ['GaStatus', 'ga_client_use_env_proxy', ['GaClient *']],
  ['GaStatus', 'ga_client_set_language', ['GaClient *', 'const char *']],
  ['GaAvatar *', 'ga_get_avatar', ['GaClient *', 'const char *']],
  ['GaAvatar *', 'ga_get_avatar_cancellable', ['GaClient *', 'const char *', 'GaCancel *']],
  ['GaStatus', 'ga_get_avatars', ['GaClient *', 'const char *const *', 'int32_t', 'GaAvatar **']],
  ['GaStatus', 'ga_get_avatars_cancellable', ['GaClient *', 'const char *const *', 'int32_t', 'GaAvatar **', 'GaCancel *']],
  ['GaAvatar *', 'ga_download_avatar', ['GaClient *', 'const char *', 'const char *']],
  ['GaAvatar *', 'ga_download_avatar_cancellable', ['GaClient *', 'const char *', 'const char *', 'GaCancel *']],
  ['GaAvatarImage *', 'ga_download_avatar_bytes', ['GaClient *', 'const char *']],
  ['GaAvatarImage *', 'ga_download_avatar_bytes_cancellable', ['GaClient *', 'const char *', 'GaCancel *']],
  ['GaCancel *', 'ga_cancel_new', []],
  ['void', 'ga_cancel', ['GaCancel *']],
  ['void', 'ga_cancel_free', ['GaCancel *']],
  ['void', 'ga_free', ['void *']],
  ['const char *', 'ga_last_error', []],
  ['const char *', 'ga_message', ['const char *', 'GaMessage', 'const char *', 'const char *', 'const char *']],
  ['const char *', 'ga_status_name', ['int32_t']],
  ['const char *', 'ga_version', []],
];

/** The koffi type for a C type of the table: strings in and out as JS strings (never freed:
 *  the only `const char *` results are the library's own static or per-thread strings, copied
 *  into a JS string at once, on the thread that called), the
 *  numbers as numbers, every other pointer as an address (a BigInt, or null for NULL). */
function koffiType(c) {
  if (c === 'const char *') return 'const char *';
  if (c === 'void') return 'void';
  if (c === 'double') return 'double';
  if (c === 'int32_t' || c === 'GaStatus' || c === 'GaTrust' || c === 'GaMessage') return 'int32_t';
  if (c.endsWith('*')) return 'void *';
  throw new Error(`getavatar: no koffi type for ${c}`);
}

/** Every declaration's calling convention (see PROTOTYPES). */
const CONVENTION = '__stdcall';

let loaded = null;

function candidates() {
  const env = process.env.GETAVATAR_LIBRARY;
  // An explicit choice wins and is the only place tried: a silent fallback would hide a typo.
  if (env) return { list: [path.resolve(env)], key: null };
  const key = `${process.platform}-${process.arch}`;
  const file = PREBUILDS[key];
  if (!file) return { list: [], key };
  return { list: [path.join(__dirname, '..', 'prebuilds', key, file)], key };
}

function libraryError(message) {
  const e = new Error(message);
  e.code = 'ERR_GETAVATAR_LIBRARY';
  return e;
}

function load() {
  if (loaded) return loaded;
  const { list, key } = candidates();
  if (list.length === 0) {
    throw libraryError(
      `getavatar: no prebuilt library for ${key} in this package (it has ${Object.keys(PREBUILDS).join(', ')}). ` +
        'Build libgetavatar from the getavatar sources (cargo build --release) and set GETAVATAR_LIBRARY to its full path.',
    );
  }
  const koffi = require('koffi');
  const tried = [];
  for (const file of list) {
    if (!fs.existsSync(file)) {
      tried.push(`${file} (not found)`);
      continue;
    }
    let lib;
    try {
      lib = koffi.load(file);
    } catch (e) {
      tried.push(`${file} (${e && e.message})`);
      continue;
    }
    const fns = {};
    for (const [ret, name, params] of PROTOTYPES) {
      fns[name] = lib.func(CONVENTION, name, koffiType(ret), params.map(koffiType));
    }
    const avatarFields = {
      status: 'int32_t',
      http_status: 'int32_t',
      available: 'int32_t',
      url_avatar: 'const char *',
      error: 'const char *',
    };
    loaded = {
      koffi,
      lib,
      fns,
      path: file,
      GaAvatar: koffi.struct(avatarFields),
      GaAvatarImage: koffi.struct({ ...avatarFields, data: 'void *', size: 'size_t', content_type: 'const char *' }),
      pointerSize: koffi.sizeof('void *'),
    };
    return loaded;
  }
  throw libraryError(
    `getavatar: cannot load the getavatar library; tried:\n  ${tried.join('\n  ')}\n` +
      (process.env.GETAVATAR_LIBRARY
        ? 'GETAVATAR_LIBRARY names the file to load: set it to the full path of libgetavatar.so or getavatar.dll, or unset it.'
        : 'Reinstall the package, or set GETAVATAR_LIBRARY to the full path of a getavatar library.'),
  );
}

module.exports = { load, PROTOTYPES, PREBUILDS, CONVENTION };
