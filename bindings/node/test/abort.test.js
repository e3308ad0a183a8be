'use strict';
// AbortSignal cancels through the library's cancel token; close() while calls are in flight;
// 200 concurrent promises on one client, with the event loop's lag measured while they run.
const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { Client, GetAvatarError } = require('getavatar');
const { startEmulator } = require('./emulator.cjs');

let emu;
before(async () => {
  emu = await startEmulator();
});
after(() => emu.stop());
beforeEach(() => emu.reset());

const client = (extra = {}) =>
  new Client({ apiUrl: emu.url, idInstance: emu.idInstance, apiTokenInstance: emu.token, rateLimit: 0, ...extra });

async function rejectsWithin(promise, ms) {
  const t0 = performance.now();
  const e = await promise.then(
    (v) => assert.fail(`resolved with ${JSON.stringify(v)}`),
    (err) => err,
  );
  const took = performance.now() - t0;
  assert.ok(took < ms, `took ${took.toFixed(0)} ms`);
  return e;
}

for (const [name, call] of [
  ['getAvatar', (c, signal) => c.getAvatar('10000000', { signal })],
  ['getAvatars', (c, signal) => c.getAvatars(['10000000', '20000000'], { signal })],
  ['avatarBytes', (c, signal) => c.avatarBytes('10000000', { signal })],
]) {
  test(`${name}: abort() rejects with the signal's AbortError within 0.5 s; the client stays usable`, async () => {
    await emu.fault({ kind: 'never_answer' });
    const c = client({ timeoutMs: 20000 });
    try {
      const ac = new AbortController();
      const p = call(c, ac.signal);
      await new Promise((r) => setTimeout(r, 150));
      const t0 = performance.now();
      ac.abort();
      const e = await rejectsWithin(p, 500);
      assert.equal(e, ac.signal.reason);
      assert.equal(e.name, 'AbortError');
      assert.ok(performance.now() - t0 < 500);
      assert.equal((await c.getAvatar('10000000')).available, true);
      // The library's call really stopped (cancel token): nothing left running on the client.
      const t1 = performance.now();
      await c.closeAndWait();
      assert.ok(performance.now() - t1 < 500, `the native call ran on for ${(performance.now() - t1).toFixed(0)} ms`);
    } finally {
      c.close();
    }
  });
}

test('abort with a reason of your own rejects with it; an aborted signal rejects before any request', async () => {
  await emu.fault({ kind: 'never_answer' });
  const c = client({ timeoutMs: 20000 });
  try {
    const ac = new AbortController();
    const p = c.getAvatar('10000000', { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('user left')), 100);
    const e = await rejectsWithin(p, 600);
    assert.equal(e.message, 'user left');
    await emu.reset();
    const already = await c.getAvatar('10000000', { signal: AbortSignal.abort() }).catch((err) => err);
    assert.equal(already.name, 'AbortError');
    const timedOut = await c.getAvatar('10000000', { signal: AbortSignal.timeout(1) }).then(
      (v) => v,
      (err) => err,
    );
    assert.ok(timedOut.name === 'TimeoutError' || timedOut.url !== undefined, String(timedOut));
    assert.equal((await emu.requests()).length <= 1, true);
  } finally {
    c.close();
  }
});

test('an aborted download leaves the path as it was', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ga-node-abort-'));
  const file = path.join(dir, 'a.png');
  fs.writeFileSync(file, 'old');
  await emu.fault({ kind: 'slow_body', ms: 3000, target: 'image' });
  const c = client({ timeoutMs: 20000 });
  try {
    const ac = new AbortController();
    const p = c.downloadAvatar('10000000', file, { signal: ac.signal });
    setTimeout(() => ac.abort(), 300);
    const e = await rejectsWithin(p, 900);
    assert.equal(e.name, 'AbortError');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(fs.readFileSync(file, 'utf8'), 'old');
    assert.deepEqual(fs.readdirSync(dir), ['a.png']);
  } finally {
    c.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('aborting calls that wait behind busy workers rejects them at once and runs none of them', async () => {
  // Four calls held by the server occupy every worker getavatar uses; the next ones wait.
  await emu.fault({ kind: 'delay', ms: 1500, times: 4 });
  const c = client({ timeoutMs: 20000 });
  try {
    const slow = Array.from({ length: 4 }, () => c.getAvatar('10000000'));
    await new Promise((r) => setTimeout(r, 100));
    const ac = new AbortController();
    const queued = Array.from({ length: 5 }, () => c.getAvatar('20000000', { signal: ac.signal }));
    ac.abort();
    for (const q of queued) assert.equal((await rejectsWithin(q, 200)).name, 'AbortError');
    for (const r of await Promise.all(slow)) assert.equal(r.available, true);
    assert.equal((await emu.requests()).filter((r) => r.chat_id === '20000000').length, 0);
  } finally {
    c.close();
  }
});

test('close() while calls are in flight: they complete, later calls reject, asyncDispose waits', async () => {
  await emu.fault({ kind: 'delay', ms: 300, times: 6 });
  const c = client();
  const calls = [c.getAvatar('10000000'), c.getAvatars(['30000000', '20000000']), c.avatarBytes('10000000')];
  await new Promise((r) => setTimeout(r, 50));
  c.close();
  await assert.rejects(c.getAvatar('10000000'), (e) => e instanceof GetAvatarError && /closed/.test(e.message));
  const [a, b, img] = await Promise.all(calls);
  assert.equal(a.available, true);
  assert.deepEqual(b.map((e) => e.avatar.available), [false, true]);
  assert.equal(img.contentType, 'image/png');

  await emu.fault({ kind: 'delay', ms: 300 });
  const d = client();
  const p = d.getAvatar('10000000');
  let settled = false;
  p.then(() => (settled = true));
  await d[Symbol.asyncDispose]();
  assert.equal(settled, true, 'asyncDispose resolved before the call ended');
  assert.equal((await p).available, true);
});

test('200 concurrent getAvatar promises on one client all resolve to their own answer; event loop lag measured', async (t) => {
  const avatars = {};
  const ids = [];
  for (let i = 0; i < 200; i++) {
    const id = String(70000000 + i);
    ids.push(id);
    avatars[id] = { url: `${emu.url}/avatars/${id}.png`, available: [true, false, null][i % 3] };
  }
  await emu.config({ avatars });
  // Each answer held 20 ms by the server, so that the calls overlap for real.
  await emu.fault({ kind: 'delay', ms: 20, times: 200 });
  const c = client();
  try {
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    let ticks = 0;
    const iv = setInterval(() => ticks++, 10);
    const t0 = performance.now();
    const results = await Promise.all(ids.map((id) => c.getAvatar(id)));
    const took = performance.now() - t0;
    clearInterval(iv);
    h.disable();
    results.forEach((r, i) => {
      assert.deepEqual(r, { url: avatars[ids[i]].url, available: avatars[ids[i]].available, httpStatus: 200 }, ids[i]);
    });
    const maxMs = h.max / 1e6;
    const p99 = h.percentile(99) / 1e6;
    const line = `200 concurrent getAvatar (20 ms server delay each): ${took.toFixed(0)} ms; event loop lag max ${maxMs.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, mean ${(h.mean / 1e6).toFixed(1)} ms; ${ticks} 10 ms ticks`;
    t.diagnostic(line);
    console.log(`# ${line}`);
    // A blocked loop would stall for a call's 20 ms at least, 200 times over.
    assert.ok(p99 < 50, line);
    assert.ok(ticks >= took / 10 / 3, line);
  } finally {
    c.close();
  }
});

test('more calls than koffi queues (600) on one client: all resolve', async () => {
  const c = client();
  try {
    const ids = Array.from({ length: 600 }, (_, i) => ['10000000', '20000000', '30000000'][i % 3]);
    const r = await Promise.all(ids.map((id) => c.getAvatar(id)));
    r.forEach((a, i) => assert.equal(a.available, ids[i] !== '30000000'));
  } finally {
    c.close();
  }
});

test('the event loop keeps turning during a slow call', async () => {
  await emu.fault({ kind: 'delay', ms: 600 });
  const c = client();
  try {
    let ticks = 0;
    const iv = setInterval(() => ticks++, 10);
    await c.getAvatar('10000000');
    clearInterval(iv);
    assert.ok(ticks >= 30, `${ticks} ticks`);
  } finally {
    c.close();
  }
});
