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

// The binding's own checks (made before the library is called) say the library's text
// (ga_message) in the client's language; the error classes and codes are the same in every
// language.
const wrongType = (name, expected, lang) =>
  (e) =>
    e instanceof TypeError &&
    e.code === 'ERR_INVALID_ARG_TYPE' &&
    e.message === (lang === 'ru' ? `${name} должен иметь тип ${expected}, а не number` : `${name} must be ${expected}, not number`);

test("a wrong-type chat id: TypeError ERR_INVALID_ARG_TYPE in the client's language", () => {
  const ru = client({ language: 'ru' });
  const en = client({ language: 'en' });
  try {
    for (const [c, lang] of [[ru, 'ru'], [en, 'en']]) {
      assert.throws(() => c.getAvatar(5), wrongType('chatId', 'string', lang));
      assert.throws(() => c.avatarBytes(5), wrongType('chatId', 'string', lang));
      assert.throws(() => c.downloadAvatar(5, 'x.png'), wrongType('chatId', 'string', lang));
      assert.throws(() => c.getAvatars(['1', 5]), wrongType('chatIds[1]', 'string', lang));
      assert.throws(() => c.getAvatars(5), wrongType('chatIds', 'Iterable<string>', lang));
      assert.throws(() => c.getAvatar('1', { signal: 5 }), wrongType('options.signal', 'AbortSignal', lang));
    }
    assert.throws(() => ru.getAvatar(null), (e) => e instanceof TypeError && e.message === 'chatId должен иметь тип string, а не null');
    assert.throws(() => en.getAvatar(['1']), (e) => e instanceof TypeError && e.message === 'chatId must be string, not Array');
  } finally {
    ru.close();
    en.close();
  }
});

test("a NUL or a lone surrogate in a chat id: GA_ERR_INVALID_ARGUMENT in the client's language", async () => {
  const ru = client({ language: 'ru' });
  const en = client({ language: 'en' });
  try {
    const nul = { ru: 'chatId не должен содержать символов NUL', en: 'chatId must not contain NUL characters' };
    const lone = {
      ru: 'chatId - не корректный текст Unicode (одиночный суррогат на позиции 3)',
      en: 'chatId is not valid Unicode text (a lone surrogate at index 3)',
    };
    for (const [c, lang] of [[ru, 'ru'], [en, 'en']]) {
      for (const call of [(id) => c.getAvatar(id), (id) => c.avatarBytes(id), (id) => c.downloadAvatar(id, 'x.png')]) {
        const e = await rejection(call('1000\u00000'));
        assert.ok(e instanceof GetAvatarError, String(e));
        assert.deepEqual([e.code, e.status, e.message], ['GA_ERR_INVALID_ARGUMENT', 'GA_ERR_INVALID_ARGUMENT', nul[lang]]);
        const s = await rejection(call('\ud83d\ude000\udc00'));
        assert.deepEqual([s.code, s.message], ['GA_ERR_INVALID_ARGUMENT', lone[lang]]);
      }
      const [r] = await c.getAvatars(['1000\u00000']);
      assert.deepEqual([r.ok, r.error.code, r.error.message], [false, 'GA_ERR_INVALID_ARGUMENT', nul[lang]]);
    }
    assert.deepEqual(await emu.requests(), [], 'nothing was sent');
  } finally {
    ru.close();
    en.close();
  }
});

test("an out-of-range setting: RangeError ERR_OUT_OF_RANGE or GetAvatarError in the constructor's language", () => {
  const texts = {
    ru: ['timeoutMs 1.5 вне допустимого диапазона: ожидается -2147483648, …, -1, 0, 1, …, 2147483647', 'cacheTtlMs -1 вне допустимого диапазона: ожидается 0..86400000', 'idInstance -7 вне допустимого диапазона: ожидается 0..9007199254740991', 'trust "nobody" недопустим: ожидается "system" или "bundled"'],
    en: ['timeoutMs 1.5 is out of range: expected -2147483648, …, -1, 0, 1, …, 2147483647', 'cacheTtlMs -1 is out of range: expected 0..86400000', 'idInstance -7 is out of range: expected 0..9007199254740991', 'trust "nobody" is not valid: expected "system" or "bundled"'],
  };
  for (const lang of ['ru', 'en']) {
    const [int, ttl, id, trust] = texts[lang];
    assert.throws(() => client({ language: lang, timeoutMs: 1.5 }), (e) => e instanceof RangeError && e.code === 'ERR_OUT_OF_RANGE' && e.message === int);
    assert.throws(() => client({ language: lang, cacheTtlMs: -1 }), (e) => e instanceof GetAvatarError && e.code === 'GA_ERR_INVALID_ARGUMENT' && e.message === ttl);
    assert.throws(() => client({ language: lang, idInstance: -7 }), (e) => e instanceof GetAvatarError && e.code === 'GA_ERR_INVALID_ARGUMENT' && e.message === id);
    assert.throws(() => client({ language: lang, trust: 'nobody' }), (e) => e instanceof GetAvatarError && e.code === 'GA_ERR_INVALID_ARGUMENT' && e.message === trust);
    // The constructor's own arguments, checked before the client exists, in its language too.
    assert.throws(() => client({ language: lang, apiUrl: 5 }), wrongType('apiUrl', 'string', lang));
    assert.throws(() => client({ language: lang, maxRetries: '3' }), (e) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_TYPE' && e.message === (lang === 'ru' ? 'maxRetries должен иметь тип number, а не string' : 'maxRetries must be number, not string'));
  }
});

test("a call after close: GA_ERR_INVALID_ARGUMENT in the client's language, which setLanguage changes", async () => {
  const closed = { ru: 'этот getavatar Client закрыт', en: 'this getavatar Client is closed' };
  for (const lang of ['ru', 'en']) {
    const c = client({ language: lang });
    c.close();
    for (const p of [c.getAvatar('1'), c.avatarBytes('1'), c.downloadAvatar('1', 'x.png'), c.getAvatars(['1']), c.warmUp()]) {
      const e = await rejection(p);
      assert.ok(e instanceof GetAvatarError);
      assert.deepEqual([e.code, e.message], ['GA_ERR_INVALID_ARGUMENT', closed[lang]]);
    }
    assert.throws(() => c.rate, (e) => e instanceof GetAvatarError && e.code === 'GA_ERR_INVALID_ARGUMENT' && e.message === closed[lang]);
    assert.throws(() => c.setLanguage('en'), (e) => e.code === 'GA_ERR_INVALID_ARGUMENT' && e.message === closed[lang]);
  }
  // setLanguage changes the binding's texts as the library's.
  const c = client({ language: 'en' });
  c.setLanguage('ru-RU');
  assert.throws(() => c.getAvatar(5), wrongType('chatId', 'string', 'ru'));
  c.setLanguage('en');
  assert.throws(() => c.getAvatar(5), wrongType('chatId', 'string', 'en'));
  assert.throws(() => c.setLanguage('xx'), (e) => e.code === 'GA_ERR_INVALID_ARGUMENT');
  assert.throws(() => c.getAvatar(5), wrongType('chatId', 'string', 'en'), 'a refused language is not taken');
  c.setLanguage('ru');
  c.close();
  assert.equal((await rejection(c.getAvatar('1'))).message, closed.ru);
});

test('a client without a language says its own checks in the process default (GA_LANG)', () => {
  const { spawnSync } = require('node:child_process');
  const code = `
    const { Client } = require('getavatar');
    const out = [];
    const c = new Client({ apiUrl: process.argv[1], idInstance: '1101000001', apiTokenInstance: 'abcdefabcdef' });
    try { c.getAvatar(5); } catch (e) { out.push(e.constructor.name + ' ' + e.code + ' ' + e.message); }
    const en = new Client({ apiUrl: process.argv[1], idInstance: '1101000001', apiTokenInstance: 'abcdefabcdef', language: 'en' });
    try { en.getAvatar(5); } catch (e) { out.push(e.constructor.name + ' ' + e.code + ' ' + e.message); }
    try { new Client({ apiUrl: 5 }); } catch (e) { out.push(e.constructor.name + ' ' + e.code + ' ' + e.message); }
    c.close(); en.close();
    console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ['-e', code, emu.url], { env: { ...process.env, GA_LANG: 'ru' }, encoding: 'utf8', cwd: __dirname });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [
    'TypeError ERR_INVALID_ARG_TYPE chatId должен иметь тип string, а не number',
    'TypeError ERR_INVALID_ARG_TYPE chatId must be string, not number',
    'TypeError ERR_INVALID_ARG_TYPE apiUrl должен иметь тип string, а не number',
  ]);
});

test("Client.fromEnv's refusal and warmUp's failure read in the client's language", async () => {
  for (const [language, refusal, failure] of [
    ['ru', 'Client.fromEnv берёт apiUrl из окружения; не передавайте его', 'не удалось подключиться к серверу'],
    ['en', 'Client.fromEnv reads apiUrl from the environment; do not pass it', 'could not connect to the server'],
  ]) {
    assert.throws(
      () => Client.fromEnv({ apiUrl: 'https://x.example', language }),
      (e) => e instanceof GetAvatarError && e.code === 'GA_ERR_INVALID_ARGUMENT' && e.message === refusal,
    );
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    const c = new Client({ apiUrl: 'http://127.0.0.1:1', idInstance: '1101000001', apiTokenInstance: 'd75b3a66374942c5b3c019c698abc2067e151558acbd412ab', language, timeoutMs: 2000, maxRetries: 0 });
    try {
      await assert.rejects(c.warmUp(), (e) => e instanceof GetAvatarError && e.code === 'GA_ERR_NETWORK' && e.message === failure);
    } finally {
      c.close();
    }
  }
});
