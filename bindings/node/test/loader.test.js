'use strict';
// How the library is found: the package's own prebuild; GETAVATAR_LIBRARY overrides it (and is
// the only place tried); a platform without a prebuild gets one clear message.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const pkgDir = path.dirname(require.resolve('getavatar/package.json'));

function run(code, env) {
  const e = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete e[k];
  const r = spawnSync(process.execPath, ['-e', code], { env: e, encoding: 'utf8' });
  return { code: r.status, out: r.stdout.trim(), err: r.stderr };
}

test("the installed package loads its own prebuilt library (no GETAVATAR_LIBRARY)", () => {
  const r = run("console.log(require('getavatar').libraryPath())", { GETAVATAR_LIBRARY: undefined });
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, path.join(pkgDir, 'prebuilds', `${process.platform}-${process.arch}`, process.platform === 'win32' ? 'getavatar.dll' : 'libgetavatar.so'));
});

test('GETAVATAR_LIBRARY overrides, and a wrong one is named in the error (no fallback)', () => {
  const own = path.join(pkgDir, 'prebuilds', `${process.platform}-${process.arch}`, 'libgetavatar.so');
  const ok = run("console.log(require('getavatar').libraryPath())", { GETAVATAR_LIBRARY: own });
  assert.equal(ok.out, own);
  const bad = run(
    "try { new (require('getavatar').Client)({apiUrl:'http://127.0.0.1:1', idInstance:'1', apiTokenInstance:'t'}) } catch (e) { console.log(e.code + ' ' + e.message) }",
    { GETAVATAR_LIBRARY: '/nonexistent/libgetavatar.so' },
  );
  assert.match(bad.out, /^ERR_GETAVATAR_LIBRARY /);
  assert.match(bad.out, /\/nonexistent\/libgetavatar\.so \(not found\)/);
  assert.match(bad.out, /GETAVATAR_LIBRARY/);
  const notLib = run("try { require('getavatar').version() } catch (e) { console.log(e.code + ' ' + e.message) }", { GETAVATAR_LIBRARY: __filename });
  assert.match(notLib.out, /^ERR_GETAVATAR_LIBRARY cannot load|^ERR_GETAVATAR_LIBRARY getavatar: cannot load/);
});

test('a platform without a prebuild gets one clear message; require() itself still works', () => {
  const code = `
    Object.defineProperty(process, 'platform', { value: 'darwin' });
    Object.defineProperty(process, 'arch', { value: 'arm64' });
    const ga = require('getavatar');
    try { new ga.Client({ apiUrl: 'http://127.0.0.1:1', idInstance: '1', apiTokenInstance: 't' }); console.log('no error'); }
    catch (e) { console.log(e.code + ' ' + e.message); }`;
  const r = run(code, { GETAVATAR_LIBRARY: undefined });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^ERR_GETAVATAR_LIBRARY getavatar: no prebuilt library for darwin-arm64 in this package \(it has linux-x64, win32-x64, win32-ia32\)\. .*GETAVATAR_LIBRARY/);
});

test("without a library, new Client(5) still throws its TypeError ERR_INVALID_ARG_TYPE, in the library's English words", () => {
  const code = "try { new (require('getavatar').Client)(5) } catch (e) { console.log(e.constructor.name + ' ' + e.code + ' ' + e.message) }";
  const missing = run(code, { GETAVATAR_LIBRARY: '/nonexistent/libgetavatar.so' });
  assert.equal(missing.out, 'TypeError ERR_INVALID_ARG_TYPE options must be object, not number');
  // The same text as the library's (ga_message) in English.
  assert.equal(run(code, { GETAVATAR_LIBRARY: undefined, GA_LANG: 'en' }).out, missing.out);
});
