// Drives Switchboard's 1Password family with Anchor's own TypeScript
// client (anchorbrowser): its HTTP client's post, get and delete with the
// anchor-api-key header it sends, and its error classes for 400, 401 and
// 404 (Anchor's client has no integrations resource, so the raw methods).
import Anchorbrowser from 'anchorbrowser';
import { base, token, check, done, assert, isString } from './check.mjs';

const opToken = process.env.SB_OP_TOKEN;
const client = new Anchorbrowser({ apiKey: token, baseURL: base, maxRetries: 0 });
const bad = new Anchorbrowser({ apiKey: 'sbt_not_a_real_token', baseURL: base, maxRetries: 0 });
const name = 'conformance-' + Date.now();

async function rejects(promise, cls) {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof cls, 'want ' + cls.name + ', got ' + (err && err.constructor && err.constructor.name) + ': ' + err);
    return err;
  }
  throw new Error('the request succeeded, want ' + cls.name);
}

let id;
await check('post /v1/integrations creates a 1Password integration', async () => {
  const res = await client.post('/v1/integrations', { body: { name, type: '1PASSWORD', credentials: { type: 'serviceAccount', data: { serviceAccount: opToken } } } });
  const i = res?.data?.integration;
  assert.ok(i, 'no data.integration in ' + JSON.stringify(res));
  isString(i.id, 'data.integration.id');
  assert.equal(i.name, name);
  assert.equal(i.type, '1PASSWORD');
  assert.match(i.path, /^integrations\/[0-9a-f-]{36}\/[0-9a-f-]{36}$/);
  isString(i.createdAt, 'data.integration.createdAt');
  assert.ok(!JSON.stringify(res).includes(opToken), 'the answer carries the service account token');
  id = i.id;
});

await check('get /v1/integrations/{id} and the list', async () => {
  const one = await client.get('/v1/integrations/' + id);
  assert.equal(one.data.integration.id, id);
  const all = await client.get('/v1/integrations');
  assert.ok(JSON.stringify(all).includes(id), 'the list does not carry the new integration');
});

await check('BadRequestError for a body without credentials', async () => {
  const err = await rejects(client.post('/v1/integrations', { body: { name: name + '-bad', type: '1PASSWORD' } }), Anchorbrowser.BadRequestError);
  assert.equal(err.status, 400);
  assert.equal(err.error?.error?.code, 400);
  isString(err.error?.error?.message, 'error.message');
});

await check('AuthenticationError for a bad anchor-api-key', async () => {
  const err = await rejects(bad.get('/v1/integrations'), Anchorbrowser.AuthenticationError);
  assert.equal(err.status, 401);
  assert.equal(err.error?.error?.code, 401);
});

await check('delete /v1/integrations/{id}, then NotFoundError', async () => {
  await client.delete('/v1/integrations/' + id);
  const err = await rejects(client.get('/v1/integrations/' + id), Anchorbrowser.NotFoundError);
  assert.equal(err.status, 404);
});

done();
