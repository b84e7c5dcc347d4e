// Small assertions shared by the conformance scripts: each failure names
// what a vendor's client (or documented request) expected and what
// Switchboard answered, and the script exits non-zero.
import assert from 'node:assert/strict';

export const base = process.env.SB_BASE;
export const token = process.env.SB_TOKEN;
if (!base || !token) {
  console.error('SB_BASE and SB_TOKEN must be set');
  process.exit(2);
}

let failures = 0;

export async function check(name, fn) {
  try {
    await fn();
    console.log('ok   ' + name);
  } catch (err) {
    failures++;
    console.error('FAIL ' + name + ': ' + (err && err.message ? err.message : err));
  }
}

export function done() {
  if (failures > 0) {
    console.error(failures + ' check(s) failed');
    process.exit(1);
  }
}

export function isString(v, what) {
  assert.equal(typeof v, 'string', what + ' is ' + JSON.stringify(v) + ', want a string');
  assert.ok(v.length > 0, what + ' is empty');
}

export { assert };
