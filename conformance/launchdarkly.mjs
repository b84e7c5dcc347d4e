// Drives Switchboard's LaunchDarkly family with LaunchDarkly's own
// TypeScript client (launchdarkly-api-typescript, IntegrationsBetaApi):
// create, get, list, patch and delete an integration configuration, and
// each documented error (400, 401, 404, 409), with the token sent the way
// the client sends it (a bare Authorization header).
import ld from 'launchdarkly-api-typescript';
import { base, token, check, done, assert, isString } from './check.mjs';

const { Configuration, IntegrationsBetaApi } = ld;
const api = new IntegrationsBetaApi(new Configuration({ apiKey: token, basePath: base }));
const bad = new IntegrationsBetaApi(new Configuration({ apiKey: 'sbt_not_a_real_token', basePath: base }));
const key = 'sample-integration';
const name = 'Conformance ' + Date.now();

async function status(promise) {
  try {
    await promise;
  } catch (err) {
    assert.ok(err.isAxiosError, 'want an HTTP error from the client, got ' + err);
    return { status: err.response.status, data: err.response.data };
  }
  throw new Error('the request succeeded, want an error');
}

let id;
await check('createIntegrationConfiguration answers 201 with the documented fields', async () => {
  const res = await api.createIntegrationConfiguration(key, {
    name, configValues: { required: 'the required property', optional: 'an optional property', url: 'https://example.com' }, tags: ['conformance'],
  });
  assert.equal(res.status, 201);
  const c = res.data;
  isString(c._id, '_id');
  assert.equal(c.name, name);
  assert.equal(c._integrationKey, key);
  assert.equal(typeof c._createdAt, 'number', '_createdAt is ' + JSON.stringify(c._createdAt) + ', want unix milliseconds');
  assert.ok(c._createdAt > 1.6e12, '_createdAt ' + c._createdAt + ' is not in milliseconds');
  isString(c._links?.self?.href, '_links.self.href');
  assert.equal(typeof c.enabled, 'boolean', 'enabled');
  assert.deepEqual(c.tags, ['conformance']);
  assert.equal(c.configValues.required, 'the required property');
  id = c._id;
});

await check('getIntegrationConfiguration returns it', async () => {
  const res = await api.getIntegrationConfiguration(id);
  assert.equal(res.status, 200);
  assert.equal(res.data._id, id);
  assert.equal(res.data.name, name);
});

await check('getAllIntegrationConfigurations lists it under items', async () => {
  const res = await api.getAllIntegrationConfigurations(key);
  assert.equal(res.status, 200);
  assert.ok(Array.isArray(res.data.items), 'items is not a list');
  assert.ok(res.data.items.some((c) => c._id === id), 'the new configuration is not listed');
  isString(res.data._links?.self?.href, '_links.self.href');
});

await check('updateIntegrationConfiguration applies a JSON Patch', async () => {
  const res = await api.updateIntegrationConfiguration(id, [{ op: 'replace', path: '/name', value: name + ' renamed' }, { op: 'replace', path: '/enabled', value: false }]);
  assert.equal(res.status, 200);
  assert.equal(res.data.name, name + ' renamed');
  assert.equal(res.data.enabled, false);
});

await check('400 invalid_request names the missing field', async () => {
  const e = await status(api.createIntegrationConfiguration(key, { name: name + ' bad', configValues: {} }));
  assert.equal(e.status, 400);
  assert.equal(e.data.code, 'invalid_request');
  assert.match(e.data.message, /required/);
});

await check('409 conflict for a name already used', async () => {
  const e = await status(api.createIntegrationConfiguration(key, { name: name + ' renamed', configValues: { required: 'x' } }));
  assert.equal(e.status, 409);
  assert.equal(e.data.code, 'conflict');
});

await check('401 unauthorized for a bad token', async () => {
  const e = await status(bad.getAllIntegrationConfigurations(key));
  assert.equal(e.status, 401);
  assert.equal(e.data.code, 'unauthorized');
  isString(e.data.message, 'message');
});

await check('404 not_found for an unknown integration key', async () => {
  const e = await status(api.getAllIntegrationConfigurations('no-such-integration'));
  assert.equal(e.status, 404);
  assert.equal(e.data.code, 'not_found');
});

await check('deleteIntegrationConfiguration answers 204, then the id is not found', async () => {
  const res = await api.deleteIntegrationConfiguration(id);
  assert.equal(res.status, 204);
  const e = await status(api.getIntegrationConfiguration(id));
  assert.equal(e.status, 404);
  assert.equal(e.data.code, 'not_found');
});

done();
