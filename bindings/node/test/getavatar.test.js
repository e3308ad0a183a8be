'use strict';
// The package as a user installs it: results, every error status, batches, downloads, argument
// types, secrecy of the token. Run by test.sh from a folder where the packed tgz was installed.
const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const util = require('node:util');
const { Client, GetAvatarError, version } = require('getavatar');
const { startEmulator, leaks } = require('./emulator.cjs');

let emu;
before(async () => {
  emu = await startEmulator();
});
after(() => emu.stop());
beforeEach(() => emu.reset());

const client = (extra = {}) =>
  new Client({ apiUrl: emu.url, idInstance: emu.idInstance, apiTokenInstance: emu.token, rateLimit: 0, ...extra });

/** Everything a user may print of an error. */
const shown = (e) => [String(e && e.message), String(e && e.stack), util.inspect(e), JSON.stringify(e) || ''].join('\n');

test('version() is the library version and the package version', () => {
  assert.equal(version(), require('getavatar/package.json').version);
});

test('getAvatar resolves to { url, available, httpStatus } with available true, false or null', async () => {
  const c = client();
  try {
    assert.deepEqual(await c.getAvatar('10000000'), { url: `${emu.url}/avatars/10000000.png`, available: true, httpStatus: 200 });
    assert.deepEqual(await c.getAvatar('-10000000000000'), { url: `${emu.url}/avatars/-10000000000000.png`, available: true, httpStatus: 200 });
    assert.deepEqual(await c.getAvatar('20000000'), { url: '', available: true, httpStatus: 200 });
    assert.deepEqual(await c.getAvatar('30000000'), { url: '', available: false, httpStatus: 200 });
    const unknown = await c.getAvatar('40000000');
    assert.equal(unknown.available, null);
    assert.equal(unknown.url, `${emu.url}/avatars/40000000.png`);
    const reqs = await emu.requests();
    assert.deepEqual(reqs.map((r) => r.chat_id), ['10000000', '-10000000000000', '20000000', '30000000', '40000000']);
  } finally {
    c.close();
  }
});

test('Client.fromEnv reads GA_API_URL, GA_ID_INSTANCE, GA_API_TOKEN_INSTANCE and takes the other options', async () => {
  const saved = { ...process.env };
  try {
    Object.assign(process.env, { GA_API_URL: emu.url, GA_ID_INSTANCE: emu.idInstance, GA_API_TOKEN_INSTANCE: emu.token });
    const c = Client.fromEnv({ rateLimit: 0, userAgent: 'node-test/1' });
    assert.equal((await c.getAvatar('10000000')).available, true);
    assert.equal((await emu.requests())[0].user_agent, 'node-test/1');
    c.close();
    delete process.env.GA_API_TOKEN_INSTANCE;
    assert.throws(() => Client.fromEnv(), (e) => e instanceof GetAvatarError && e.code === 'GA_ERR_INVALID_ARGUMENT' && /GA_API_TOKEN_INSTANCE/.test(e.message));
  } finally {
    for (const k of ['GA_API_URL', 'GA_ID_INSTANCE', 'GA_API_TOKEN_INSTANCE']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
});

test('idInstance may be a number', async () => {
  const c = new Client({ apiUrl: emu.url, idInstance: Number(emu.idInstance), apiTokenInstance: emu.token, rateLimit: 0 });
  assert.equal((await c.getAvatar('10000000')).available, true);
  c.close();
});

const ERROR_CASES = [
  [{ kind: 'status', status: 400, body: '{"statusCode":400,"path":"/waInstance1/getAvatar/TOKEN","message":"Validation failed: TOKEN"}' }, 'GA_ERR_VALIDATION', 400],
  [{ kind: 'status', status: 401 }, 'GA_ERR_UNAUTHORIZED', 401],
  [{ kind: 'status', status: 403 }, 'GA_ERR_FORBIDDEN', 403],
  [{ kind: 'status', status: 404 }, 'GA_ERR_NOT_FOUND', 404],
  [{ kind: 'status', status: 429, times: 4 }, 'GA_ERR_RATE_LIMITED', 429],
  [{ kind: 'status', status: 466, body: '{"invokeStatus":{"used":5,"total":5}}' }, 'GA_ERR_QUOTA_EXCEEDED', 466],
  [{ kind: 'status', status: 503, times: 4 }, 'GA_ERR_SERVER', 503],
  [{ kind: 'slow_headers', ms: 1500, times: 4 }, 'GA_ERR_TIMEOUT', 0],
  [{ kind: 'reset_before_status', times: 4 }, 'GA_ERR_NETWORK', 0],
  [{ kind: 'invalid_json' }, 'GA_ERR_BAD_RESPONSE', 200],
];

for (const [fault, status, http] of ERROR_CASES) {
  test(`a ${JSON.stringify(fault)} answer rejects with GetAvatarError ${status}, httpStatus ${http}, no token shown`, async () => {
    const f = { ...fault };
    if (f.body) f.body = f.body.split('TOKEN').join(emu.token);
    await emu.fault(f);
    const c = client({ timeoutMs: 300, backoffMs: 0 });
    try {
      const e = await c.getAvatar('10000000').then(
        () => assert.fail('resolved'),
        (err) => err,
      );
      assert.ok(e instanceof GetAvatarError && e instanceof Error);
      assert.equal(e.name, 'GetAvatarError');
      assert.equal(e.status, status);
      assert.equal(e.code, status);
      assert.equal(e.httpStatus, http);
      assert.ok(e.message.length > 0);
      assert.ok(!leaks(shown(e), emu.token), shown(e));
    } finally {
      c.close();
    }
  });
}

test('GA_ERR_INVALID_ARGUMENT for bad chat ids (no request sent) and GA_ERR_IO for an unwritable path', async () => {
  const c = client();
  try {
    for (const bad of ['', 'abc', '+7 900', '1e5', '12\u00003', '\ud800']) {
      const e = await c.getAvatar(bad).catch((err) => err);
      assert.ok(e instanceof GetAvatarError, `${JSON.stringify(bad)}: ${e}`);
      assert.equal(e.code, 'GA_ERR_INVALID_ARGUMENT');
      assert.equal(e.httpStatus, 0);
    }
    assert.deepEqual(await emu.requests(), []);
    const missing = path.join(os.tmpdir(), `ga-node-missing-${process.pid}`, 'sub', 'a.png');
    const e = await c.downloadAvatar('10000000', missing).catch((err) => err);
    assert.equal(e.code, 'GA_ERR_IO');
    assert.ok(!fs.existsSync(missing));
  } finally {
    c.close();
  }
});

test('network error when nothing listens, with the library message', async () => {
  const c = new Client({ apiUrl: 'http://127.0.0.1:9', idInstance: '1', apiTokenInstance: 'tok', maxRetries: 0 });
  const e = await c.getAvatar('10000000').catch((err) => err);
  assert.equal(e.code, 'GA_ERR_NETWORK');
  assert.match(e.message, /refused/);
  c.close();
});

test('wrong argument types throw TypeError at once (synchronously), bad values GetAvatarError', () => {
  const c = client();
  try {
    for (const bad of [undefined, null, 10000000, Buffer.from('1'), ['1'], {}]) {
      assert.throws(() => c.getAvatar(bad), (e) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_TYPE' && /chatId/.test(e.message));
      assert.throws(() => c.avatarBytes(bad), TypeError);
      assert.throws(() => c.downloadAvatar(bad, '/tmp/x.png'), TypeError);
    }
    assert.throws(() => c.downloadAvatar('10000000', 5), TypeError);
    assert.throws(() => c.getAvatars('10000000'), TypeError);
    assert.throws(() => c.getAvatars(null), TypeError);
    assert.throws(() => c.getAvatars(['1', 2]), (e) => e instanceof TypeError && /chatIds\[1\]/.test(e.message));
    assert.throws(() => c.getAvatar('1', { signal: 'x' }), (e) => e instanceof TypeError && /signal/.test(e.message));
    assert.throws(() => c.getAvatar('1', 5), TypeError);
    assert.throws(() => new Client(), TypeError);
    assert.throws(() => new Client({ apiUrl: 5, idInstance: '1', apiTokenInstance: 't' }), (e) => e instanceof TypeError && /apiUrl/.test(e.message));
    assert.throws(() => new Client({ apiUrl: emu.url, idInstance: {}, apiTokenInstance: 't' }), TypeError);
    assert.throws(() => new Client({ apiUrl: emu.url, idInstance: '1', apiTokenInstance: 7 }), TypeError);
    assert.throws(() => client({ timeoutMs: '30' }), (e) => e instanceof TypeError && /timeoutMs/.test(e.message));
    assert.throws(() => client({ rateLimit: 1.5 }), RangeError);
    assert.throws(() => client({ proxy: 5 }), TypeError);
    // Values the library refuses: GetAvatarError GA_ERR_INVALID_ARGUMENT with its message.
    for (const [opts, text] of [
      [{ timeoutMs: 0 }, /1 to 600000/],
      [{ maxRetries: 11 }, /0 to 10/],
      [{ rateLimit: -1 }, /0 to 1000/],
      [{ concurrency: 65 }, /1 to 64/],
      [{ trust: 'nobody' }, /system/],
      [{ proxy: 'ftp://x' }, /proxy/],
      [{ caFile: '/nonexistent/ca.pem' }, /ca/i],
    ]) {
      assert.throws(() => client(opts), (e) => e instanceof GetAvatarError && e.code === 'GA_ERR_INVALID_ARGUMENT' && text.test(e.message), JSON.stringify(opts));
    }
    assert.throws(() => new Client({ apiUrl: 'http://example.com', idInstance: '1', apiTokenInstance: 't' }), (e) => e.code === 'GA_ERR_INVALID_ARGUMENT' && /loopback/.test(e.message));
    assert.throws(() => new Client({ apiUrl: emu.url, idInstance: 'abc', apiTokenInstance: 't' }), (e) => e.code === 'GA_ERR_INVALID_ARGUMENT' && /idInstance/.test(e.message));
  } finally {
    c.close();
  }
});

test('getAvatars: one entry per id in input order, errors in place', async () => {
  const c = client({ concurrency: 8 });
  try {
    const ids = ['10000000', 'bad', '20000000', '30000000', '40000000', '-10000000000000', 'x\u0000y', '10000000'];
    const r = await c.getAvatars(ids);
    assert.equal(r.length, ids.length);
    assert.deepEqual(r.map((e) => e.chatId), ids);
    assert.deepEqual(r.map((e) => e.ok), [true, false, true, true, true, true, false, true]);
    assert.deepEqual(r[0], { chatId: '10000000', ok: true, avatar: { url: `${emu.url}/avatars/10000000.png`, available: true, httpStatus: 200 }, error: null });
    assert.equal(r[1].avatar, null);
    assert.ok(r[1].error instanceof GetAvatarError && r[1].error.code === 'GA_ERR_INVALID_ARGUMENT');
    assert.equal(r[3].avatar.available, false);
    assert.equal(r[4].avatar.available, null);
    assert.equal(r[5].avatar.url, `${emu.url}/avatars/-10000000000000.png`);
    assert.match(r[6].error.message, /NUL/);
    assert.deepEqual(await c.getAvatars([]), []);
    assert.deepEqual((await c.getAvatars(new Set(['20000000']))).map((e) => e.ok), [true]);
    // Server errors land in their entries too.
    await emu.fault({ kind: 'status', status: 401 });
    const one = await c.getAvatars(['10000000']);
    assert.equal(one[0].error.code, 'GA_ERR_UNAUTHORIZED');
    assert.equal(one[0].error.httpStatus, 401);
  } finally {
    c.close();
  }
});

test('a large batch (2000 ids) keeps order and identity', async () => {
  const avatars = {};
  const ids = [];
  for (let i = 0; i < 2000; i++) {
    const id = String(50000000 + i);
    ids.push(id);
    avatars[id] = { url: `${emu.url}/avatars/${id}.png`, available: i % 3 === 0 ? true : i % 3 === 1 ? false : null };
  }
  await emu.config({ avatars });
  const c = client({ concurrency: 16 });
  try {
    const r = await c.getAvatars(ids);
    r.forEach((e, i) => {
      assert.equal(e.chatId, ids[i]);
      assert.equal(e.avatar.url, avatars[ids[i]].url);
      assert.equal(e.avatar.available, avatars[ids[i]].available);
    });
  } finally {
    c.close();
  }
});

test('downloadAvatar saves the image atomically; no avatar writes nothing', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ga-node-'));
  const c = client();
  try {
    const file = path.join(dir, 'a.png');
    const a = await c.downloadAvatar('10000000', file);
    assert.deepEqual(a, { url: `${emu.url}/avatars/10000000.png`, available: true, httpStatus: 200 });
    const png = fs.readFileSync(file);
    assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    const none = path.join(dir, 'none.png');
    assert.equal((await c.downloadAvatar('20000000', none)).url, '');
    assert.ok(!fs.existsSync(none));
    // A URL path works too, and a failed download leaves an existing file as it was.
    fs.writeFileSync(path.join(dir, 'keep.png'), 'old');
    await emu.fault({ kind: 'status', status: 404, target: 'image', times: 4 });
    const e = await c.downloadAvatar('10000000', new URL(`file://${path.join(dir, 'keep.png')}`)).catch((err) => err);
    assert.ok(e instanceof GetAvatarError, String(e));
    assert.equal(fs.readFileSync(path.join(dir, 'keep.png'), 'utf8'), 'old');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['a.png', 'keep.png']);
  } finally {
    c.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('avatarBytes resolves to { url, available, data: Buffer, contentType }', async () => {
  const c = client();
  try {
    const img = await c.avatarBytes('10000000');
    assert.equal(img.url, `${emu.url}/avatars/10000000.png`);
    assert.equal(img.available, true);
    assert.equal(img.contentType, 'image/png');
    assert.ok(Buffer.isBuffer(img.data) && img.data.length > 8);
    assert.deepEqual([...img.data.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    const none = await c.avatarBytes('20000000');
    assert.equal(none.url, '');
    assert.equal(none.data.length, 0);
    assert.equal(none.contentType, '');
  } finally {
    c.close();
  }
});

for (const language of ['en', 'ru']) {
  test(`the token appears in no message, stack, util.inspect or JSON of a client or an error (${language})`, async () => {
    const c = client({ maxRetries: 0, language });
    try {
      for (const s of [util.inspect(c), util.inspect(c, { showHidden: true, depth: 5 }), JSON.stringify(c), String(c)]) {
        assert.ok(!leaks(s, emu.token), s);
      }
      assert.match(util.inspect(c), new RegExp(emu.idInstance));
      const upper = emu.token.toUpperCase();
      const enc = [...emu.token].map((ch) => '%' + ch.charCodeAt(0).toString(16)).join('');
      await emu.fault({ kind: 'status', status: 400, body: `{"statusCode":400,"path":"/waInstance1/getAvatar/${emu.token}","message":"bad ${upper} ${enc}"}` });
      const e = await c.getAvatar('10000000').catch((err) => err);
      assert.equal(e.code, 'GA_ERR_VALIDATION');
      assert.ok(!leaks(shown(e), emu.token), shown(e));
      // A constructor error on a bad token names the position, not the token.
      const bad = `${emu.token.slice(0, 20)}ö${emu.token.slice(20)}`;
      const ce = (() => {
        try {
          new Client({ apiUrl: emu.url, idInstance: emu.idInstance, apiTokenInstance: bad });
        } catch (err) {
          return err;
        }
      })();
      assert.equal(ce.code, 'GA_ERR_INVALID_ARGUMENT');
      assert.ok(!leaks(shown(ce), emu.token), shown(ce));
    } finally {
      c.close();
    }
    assert.ok(!leaks(util.inspect(c), emu.token));
  });
}

for (const language of ['en', 'ru']) {
  test(`a token given as trust is not quoted, a huge one is cut (${language})`, () => {
    // The package's own refusal quotes the value (JSON): the library's text masks what looks
    // like a secret, as it does the input it quotes itself.
    const t = emu.token;
    for (const trust of [t, t.toUpperCase(), 'x'.repeat(3) + t, 'ab, '.repeat(1000000)]) {
      const e = (() => {
        try {
          client({ language, trust }).close();
        } catch (err) {
          return err;
        }
      })();
      assert.equal(e && e.code, 'GA_ERR_INVALID_ARGUMENT');
      assert.ok(!leaks(shown(e), t), shown(e));
      assert.ok(e.message.length < 200, String(e.message.length));
    }
  });
}

test('a closed client rejects calls; close() is idempotent; dispose symbols close it', async () => {
  const c = client();
  c.close();
  c.close();
  assert.equal(c.closed, true);
  const e = await c.getAvatar('10000000').catch((err) => err);
  assert.ok(e instanceof GetAvatarError && /closed/.test(e.message));
  await assert.rejects(c.getAvatars(['1']), /closed/);
  await assert.rejects(c.avatarBytes('1'), /closed/);
  const d = client();
  d[Symbol.dispose]();
  assert.equal(d.closed, true);
  const a = client();
  await a[Symbol.asyncDispose]();
  assert.equal(a.closed, true);
});
