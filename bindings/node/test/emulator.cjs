'use strict';
// The getAvatar emulator (the repository's `emulator` example) on 127.0.0.1, as
// bindings/python/tests/conftest.py starts it; GETAVATAR_EMULATOR names the binary.
const { spawn } = require('node:child_process');
const readline = require('node:readline');
const path = require('node:path');

async function startEmulator() {
  const bin = process.env.GETAVATAR_EMULATOR || path.resolve(__dirname, '../../../target/debug/examples/emulator');
  const proc = spawn(bin, ['--port', '0', '--rate-limit', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const env = {};
  const rl = readline.createInterface({ input: proc.stdout });
  for await (const line of rl) {
    if (line.trim() === 'ready') break;
    const i = line.indexOf('=');
    env[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  rl.close();
  proc.stdout.resume();
  const url = env.GA_API_URL;
  if (!url) throw new Error(`the emulator (${bin}) did not start`);
  const post = async (cmd, body) => {
    const r = await fetch(`${url}/__emulator/${cmd}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!r.ok) throw new Error(`emulator ${cmd}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  return {
    url,
    idInstance: env.GA_ID_INSTANCE,
    token: env.GA_API_TOKEN_INSTANCE,
    fault: (f) => post('faults', f),
    config: (c) => post('config', c),
    reset: async () => {
      await post('reset', {});
      await post('config', { rate_limit: 0, quota: null });
    },
    requests: async () => (await (await fetch(`${url}/__emulator/requests`)).json()).requests,
    stop: () => proc.kill(),
  };
}

/** Whether `text` holds 8 or more characters of `token` in a row, in any letter case, raw or
 *  percent-encoded. */
function leaks(text, token) {
  const hay = [text.toLowerCase(), decodeURIComponentSafe(text).toLowerCase()];
  for (let i = 0; i + 8 <= token.length; i++) {
    const frag = token.slice(i, i + 8).toLowerCase();
    if (hay.some((h) => h.includes(frag))) return true;
  }
  return false;
}

function decodeURIComponentSafe(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

module.exports = { startEmulator, leaks };
