'use strict';
// Client#rate: the pace the client learned from the server's 429s (issue 28), read-only.
const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const { Client, GetAvatarError } = require('getavatar');
const { startEmulator } = require('./emulator.cjs');

let emu;
before(async () => {
  emu = await startEmulator();
});
after(() => emu.stop());
beforeEach(() => emu.reset());

const opts = (extra = {}) => ({ apiUrl: emu.url, idInstance: emu.idInstance, apiTokenInstance: emu.token, ...extra });

test('a fresh client reports its rate limit as its rate (10 by default, 0 unpaced)', () => {
  for (const [extra, want] of [[{}, 10], [{ rateLimit: 7 }, 7], [{ rateLimit: 0 }, 0]]) {
    const c = new Client(opts(extra));
    try {
      assert.equal(c.rate, want, JSON.stringify(extra));
    } finally {
      c.close();
    }
  }
});

test('the rate learns what the server allows: 3 a second, no failed row, read-only', async () => {
  // The server allows 3 a second; the client (default rate limit 10) retries nothing, so a 429
  // that was not learned from would fail a row.
  await emu.config({ rate_limit: 3 });
  const c = new Client(opts({ maxRetries: 0 }));
  try {
    assert.equal(c.rate, 10);
    const ids = Array.from({ length: 8 }, (_, i) => String(10000000 + i));
    const results = await c.getAvatars(ids);
    assert.deepEqual(results.filter((r) => !r.ok).map((r) => `${r.chatId}: ${r.error.message}`), []);
    assert.ok(c.rate < 10, `learned ${c.rate}`);
    assert.equal(c.rate, 3);
    assert.throws(() => {
      c.rate = 5;
    }, TypeError);
    assert.equal(c.rate, 3);
  } finally {
    c.close();
  }
  assert.throws(() => c.rate, (e) => e instanceof GetAvatarError && e.code === 'GA_ERR_INVALID_ARGUMENT' && /closed/.test(e.message));
});
