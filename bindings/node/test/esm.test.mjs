// The ESM entry gives the same classes as require().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import def, { Client, GetAvatarError, version } from 'getavatar';

const require = createRequire(import.meta.url);

test('import { Client } from "getavatar" is the same as require("getavatar")', () => {
  const cjs = require('getavatar');
  assert.equal(Client, cjs.Client);
  assert.equal(GetAvatarError, cjs.GetAvatarError);
  assert.equal(def.Client, Client);
  assert.match(version(), /^\d+\.\d+\.\d+/);
});
