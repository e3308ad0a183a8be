'use strict';
// The language of the library's messages (issue 29): the `language` option and
// client.setLanguage(tag); the error's status, code and the server's own text are the same in
// every language.
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

const client = (extra = {}) =>
  new Client({ apiUrl: emu.url, idInstance: emu.idInstance, apiTokenInstance: emu.token, rateLimit: 0, maxRetries: 0, ...extra });
const russian = (s) => /[\u0400-\u04ff]/.test(s);
const rejection = (p) => p.then(() => assert.fail('resolved'), (e) => e);

test('language "ru" makes messages Russian with the same status, code and httpStatus', async () => {
  const ru = client({ language: 'ru' });
  const en = client({ language: 'en' });
  try {
    await emu.fault({ kind: 'status', status: 401 });
    const r = await rejection(ru.getAvatar('10000000'));
    await emu.fault({ kind: 'status', status: 401 });
    const e = await rejection(en.getAvatar('10000000'));
    assert.ok(r instanceof GetAvatarError);
    assert.ok(r.message.startsWith('HTTP 401 Unauthorized: сервер не принял apiTokenInstance'), r.message);
    assert.ok(!russian(e.message), e.message);
    assert.equal(r.status, 'GA_ERR_UNAUTHORIZED');
    assert.deepEqual([r.status, r.code, r.httpStatus], [e.status, e.code, e.httpStatus]);
    // getAvatars' errors are in the client's language too.
    const results = await ru.getAvatars(['abc', '+7 900']);
    for (const x of results) {
      assert.equal(x.ok, false);
      assert.equal(x.error.code, 'GA_ERR_INVALID_ARGUMENT');
      assert.ok(russian(x.error.message), x.error.message);
    }
  } finally {
    ru.close();
    en.close();
  }
});

test("the server's own text is quoted as it came", async () => {
  const said = 'Validation failed: chatId is invalid';
  const c = client({ language: 'ru' });
  try {
    await emu.fault({ kind: 'status', status: 400, body: JSON.stringify({ statusCode: 400, message: said }) });
    const e = await rejection(c.getAvatar('10000000'));
    assert.equal(e.code, 'GA_ERR_VALIDATION');
    assert.equal(e.message, `сервер отклонил запрос (HTTP 400): ${said}`);
  } finally {
    c.close();
  }
});

test('setLanguage switches, refuses "xx" keeping the language, and null returns to the default', async () => {
  const def = client();
  const c = client();
  try {
    c.setLanguage('ru_RU');
    assert.ok(russian((await rejection(c.getAvatar('abc'))).message));
    assert.throws(
      () => c.setLanguage('xx'),
      (e) => e instanceof GetAvatarError && e.code === 'GA_ERR_INVALID_ARGUMENT' && e.message.includes('"xx"'),
    );
    assert.ok(russian((await rejection(c.getAvatar('abc'))).message), 'the language is kept after a refusal');
    assert.throws(() => c.setLanguage(5), (e) => e.code === 'ERR_INVALID_ARG_TYPE');
    c.setLanguage(null);
    const mine = (await rejection(c.getAvatar('abc'))).message;
    const theirs = (await rejection(def.getAvatar('abc'))).message;
    assert.equal(mine, theirs);
    c.setLanguage('ru');
    c.setLanguage(undefined);
    assert.equal((await rejection(c.getAvatar('abc'))).message, theirs);
  } finally {
    def.close();
    c.close();
  }
  assert.throws(() => c.setLanguage('ru'), (e) => e.code === 'GA_ERR_INVALID_ARGUMENT' && /closed/.test(e.message));
});

test('a bad language option fails the constructor', () => {
  assert.throws(
    () => client({ language: 'klingon' }),
    (e) => e instanceof GetAvatarError && e.code === 'GA_ERR_INVALID_ARGUMENT' && e.message.includes('"klingon"'),
  );
  assert.throws(() => client({ language: 7 }), (e) => e.code === 'ERR_INVALID_ARG_TYPE');
});
