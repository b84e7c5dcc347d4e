// Sends Infisical's and the node key API's documented requests exactly as
// their documents write them (fetch, JSON, Authorization: Bearer) and checks
// the documented answers: the shapes a script written against the vendor
// reads.
import { base, token, check, done, assert, isString } from './check.mjs';

const nodeID = process.env.SB_NODE_ID;
const h = { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' };
async function call(method, path, body, headers = h) {
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: res.status, json, text };
}

let connID;
await check('Infisical: POST /api/v1/app-connections/1password', async () => {
  const r = await call('POST', '/api/v1/app-connections/1password', { name: 'conformance-1password', method: 'api-token', credentials: { apiToken: 'op-connect-token-0123456789', instanceUrl: 'https://1pass.example.com' } });
  assert.equal(r.status, 200, r.text);
  const c = r.json.appConnection;
  isString(c.id, 'appConnection.id');
  assert.equal(c.app, '1password');
  assert.equal(c.method, 'api-token');
  assert.equal(c.name, 'conformance-1password');
  assert.match(c.credentialsHash, /^[0-9a-f]{64}$/);
  assert.equal(typeof c.version, 'number');
  assert.deepEqual(Object.keys(c.credentials), ['instanceUrl']);
  assert.ok(!r.text.includes('op-connect-token-0123456789'), 'the answer carries the API token');
  connID = c.id;
});

await check('Infisical: GET, then the documented error shape', async () => {
  const r = await call('GET', '/api/v1/app-connections/1password/' + connID);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.appConnection.id, connID);
  const e = await call('POST', '/api/v1/app-connections/1password', { name: 'Bad_Name', method: 'api-token', credentials: {} });
  assert.equal(e.status, 422, e.text);
  assert.equal(e.json.statusCode, 422);
  assert.equal(e.json.error, 'ValidationFailure');
  isString(e.json.reqId, 'reqId');
  // Infisical's 422 carries its validation issues (zod's shape) as message,
  // and no other member beside reqId, statusCode, message and error.
  assert.ok(Array.isArray(e.json.message) && e.json.message.length > 0, 'message is ' + JSON.stringify(e.json.message) + ', want the issue list');
  for (const issue of e.json.message) {
    isString(issue.message, 'issue.message');
    assert.ok(Array.isArray(issue.path), 'issue.path is ' + JSON.stringify(issue.path) + ', want an array');
  }
  assert.ok(e.json.message.some((i) => i.path.join('.') === 'name'), 'no issue names the field name');
  assert.equal(e.json.details, undefined, 'details is not in Infisical\'s shape');
  const d = await call('DELETE', '/api/v1/app-connections/1password/' + connID);
  assert.equal(d.status, 200, d.text);
});

let keyID;
await check('Node keys: POST /api/v1/integrations answers 201 with api_key and secret once', async () => {
  const r = await call('POST', '/api/v1/integrations', { node_id: nodeID, name: 'Production API', permissions: ['payments.read', 'payments.create'], expires_at: '2030-12-31T23:59:59Z' });
  assert.equal(r.status, 201, r.text);
  const k = r.json;
  isString(k.id, 'id');
  assert.equal(k.node_id, nodeID);
  assert.match(k.api_key, /^apex_/);
  isString(k.secret, 'secret');
  assert.deepEqual(k.permissions, ['payments.read', 'payments.create']);
  isString(k.created_at, 'created_at');
  keyID = k.id;
  const again = await call('GET', '/api/v1/integrations/' + keyID);
  assert.equal(again.status, 200, again.text);
  assert.equal(again.json.secret, undefined, 'a later read carries the secret');
});

await check('Node keys: documented errors (401, 409, 404 after delete)', async () => {
  const u = await call('GET', '/api/v1/integrations', undefined, { Authorization: 'Bearer sbt_not_a_real_token' });
  assert.equal(u.status, 401, u.text);
  assert.equal(u.json.error, 'unauthorized');
  const c = await call('POST', '/api/v1/integrations', { node_id: nodeID, name: 'Second', permissions: ['payments.read'] });
  assert.equal(c.status, 409, c.text);
  const d = await call('DELETE', '/api/v1/integrations/' + keyID);
  assert.equal(d.status, 204, d.text);
});

done();
