'use strict';
// What the JS declares against include/getavatar.h (every function, same types) and against the
// Windows DLLs shipped in the package (their export tables hold exactly those names, plain,
// as koffi looks them up); every declaration uses __stdcall, which the 32-bit DLL needs and
// koffi ignores elsewhere. GETAVATAR_HEADER names the header (test.sh sets it).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const pkgDir = path.dirname(require.resolve('getavatar/package.json'));
const native = require(path.join(pkgDir, 'lib', 'native.js'));

function headerFunctions() {
  const file = process.env.GETAVATAR_HEADER;
  const text = fs.readFileSync(file, 'utf8');
  const out = new Map();
  const re = /^([A-Za-z_][\w ]*?\*?)\s*GA_CALL\s+(ga_\w+)\(([^)]*)\);/gm;
  const norm = (t) => t.replace(/\bstruct\s+/g, '').replace(/\s+/g, ' ').replace(/\s*\*\s*/g, ' *').replace(/\*\s+\*/g, '**').replace(/ \*const \*/g, ' *const *').trim();
  for (const m of text.matchAll(re)) {
    const params = m[3].replace(/\s+/g, ' ').trim();
    const types = params === 'void' || params === '' ? [] : params.split(',').map((p) => norm(p.trim().replace(/\w+$/, '')));
    out.set(m[2], [norm(m[1]), types]);
  }
  return { text, out };
}

test('the JS declares every function of getavatar.h with the same C types', { skip: !process.env.GETAVATAR_HEADER && 'GETAVATAR_HEADER not set' }, () => {
  const { out } = headerFunctions();
  assert.ok(out.size >= 30, `parsed ${out.size} functions`);
  const js = new Map(native.PROTOTYPES.map(([ret, name, params]) => [name, [ret, params]]));
  assert.deepEqual([...js.keys()].sort(), [...out.keys()].sort());
  for (const [name, sig] of out) assert.deepEqual(js.get(name), sig, name);
});

test('every function is declared __stdcall (the 32-bit DLL convention), as the header says', { skip: !process.env.GETAVATAR_HEADER && 'GETAVATAR_HEADER not set' }, () => {
  const { text } = headerFunctions();
  assert.match(text, /#if defined\(_WIN32\) && !defined\(_WIN64\)\s*\n#define GA_CALL __stdcall/);
  assert.equal(native.CONVENTION, '__stdcall');
});

for (const [dir, objdump] of [['win32-x64', 'x86_64-w64-mingw32-objdump'], ['win32-ia32', 'x86_64-w64-mingw32-objdump']]) {
  const dll = path.join(pkgDir, 'prebuilds', dir, 'getavatar.dll');
  const have = fs.existsSync(dll) && spawnSync(objdump, ['--version']).status === 0;
  test(`prebuilds/${dir}/getavatar.dll exports exactly the functions the JS declares, plain names`, { skip: !have && `no ${dll} or no ${objdump}` }, () => {
    const r = spawnSync(objdump, ['-p', dll], { encoding: 'utf8', maxBuffer: 256 << 20 });
    assert.equal(r.status, 0, r.stderr);
    const table = r.stdout.split('[Ordinal/Name Pointer] Table')[1];
    assert.ok(table, 'an export table');
    const names = [];
    for (const line of table.split('\n').slice(1)) {
      if (!line.trim()) break;
      const n = line.split(']')[1];
      if (n) names.push(n.trim());
    }
    assert.deepEqual(names.sort(), native.PROTOTYPES.map((p) => p[1]).sort());
    const dlls = [...r.stdout.matchAll(/DLL Name: (\S+)/g)].map((m) => m[1].toLowerCase());
    for (const d of dlls) assert.ok(!/^lib(gcc|stdc\+\+|winpthread)/.test(d), `${dir} needs ${d}, which Windows does not have`);
  });
}
