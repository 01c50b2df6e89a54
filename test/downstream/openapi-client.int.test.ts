/**
 * Issue #16: the HTTP API as people who generate clients meet it: tenants
 * listed a page at a time by the platform admin, 405 with Allow for a wrong
 * method, and a client generated from the served OpenAPI document (types by
 * openapi-typescript, calls by openapi-fetch) that compiles under strict
 * TypeScript and makes a successful call.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../services/platform/paths/index.ts';
import { ADMIN_TOKEN, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { call } from '../support/http.ts';
import { uniqueName } from '../support/names.ts';

const run = promisify(execFile);
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway();
});

afterAll(async () => {
  await gw.stop();
});

async function createTenant(name: string): Promise<{ tenantId: string; apiKey: string }> {
  const answer = await call(gw.url, 'POST', '/api/v1/tenants', {
    headers: admin,
    body: { name, plan: 'free' },
  });
  expect(answer.status).toBe(201);
  return { tenantId: String(answer.body.tenantId), apiKey: String(answer.body.apiKey) };
}

describe('GET /api/v1/tenants', () => {
  test('the platform admin pages through tenants by name, searching in any case', async () => {
    const stem = uniqueName('Listed');
    for (const name of [`${stem} charlie`, `${stem} Alpha`, `${stem} bravo`]) await createTenant(name);
    const search = stem.toUpperCase();
    const first = await call(gw.url, 'GET', `/api/v1/tenants?search=${search}&limit=2`, { headers: admin });
    expect(first.status).toBe(200);
    expect((first.body.items as { name: string }[]).map((tenant) => tenant.name)).toEqual([
      `${stem} Alpha`,
      `${stem} bravo`,
    ]);
    expect(first.body.items).toEqual([
      expect.objectContaining({ plan: 'free', status: 'active', suspensionReason: null, version: 1 }),
      expect.anything(),
    ]);
    const second = await call(
      gw.url,
      'GET',
      `/api/v1/tenants?search=${search}&limit=2&cursor=${String(first.body.nextCursor)}`,
      { headers: admin },
    );
    expect((second.body.items as { name: string }[]).map((tenant) => tenant.name)).toEqual([
      `${stem} charlie`,
    ]);
    expect(second.body.nextCursor).toBeNull();
  });

  test('bad paging is refused naming the parameter; only the platform admin may list', async () => {
    const badCursor = await call(gw.url, 'GET', '/api/v1/tenants?cursor=not-ours', { headers: admin });
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.errors).toEqual([
      { path: '/query/cursor', message: 'is not a cursor this API gave out' },
    ]);
    const badLimit = await call(gw.url, 'GET', '/api/v1/tenants?limit=1000', { headers: admin });
    expect(badLimit.body.errors).toEqual([{ path: '/query/limit', message: 'must be at most 100' }]);
    const tenant = await createTenant(uniqueName('Curious'));
    const asTenant = await call(gw.url, 'GET', '/api/v1/tenants', {
      headers: { 'x-api-key': tenant.apiKey },
    });
    expect(asTenant.status).toBe(403);
    expect((await call(gw.url, 'GET', '/api/v1/tenants')).status).toBe(401);
  });
});

test('a method a path does not take answers 405 with Allow; OPTIONS answers 204 with Allow', async () => {
  const put = await call(gw.url, 'PUT', '/api/v1/commands/execute', { headers: admin, body: {} });
  expect(put.status).toBe(405);
  expect(put.headers.get('allow')).toBe('POST');
  expect(put.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(put.body).toMatchObject({ status: 405, title: 'Method not allowed' });
  const remove = await call(gw.url, 'DELETE', '/api/v1/tenants');
  expect(remove.status).toBe(405);
  expect(remove.headers.get('allow')).toBe('GET, POST, HEAD');
  const options = await call(gw.url, 'OPTIONS', '/api/v1/queries/execute');
  expect(options.status).toBe(204);
  expect(options.headers.get('allow')).toBe('POST, OPTIONS');
  // A path the API does not have stays a 404 (after authentication, as before).
  expect((await call(gw.url, 'GET', '/api/v1/nothing', { headers: admin })).status).toBe(404);
});

test('a client generated from the OpenAPI document compiles and creates and reads a tenant', async () => {
  // Inside the project, so the generated client resolves openapi-fetch from its node_modules.
  const dir = join(projectRoot(), '.run', 'openapi-client', uniqueName('client'));
  mkdirSync(dir, { recursive: true });
  try {
    const bin = join(projectRoot(), 'node_modules', '.bin');
    await run(join(bin, 'openapi-typescript'), [`${gw.url}/openapi.json`, '--output', join(dir, 'api.d.ts')]);
    writeFileSync(
      join(dir, 'client.ts'),
      `import createClient from 'openapi-fetch';
import type { paths } from './api.d.ts';

const client = createClient<paths>({
  baseUrl: process.env.GATEWAY_URL,
  headers: { authorization: \`Bearer \${process.env.ADMIN_TOKEN}\` },
});
const created = await client.POST('/api/v1/tenants', { body: { name: 'Generated', plan: 'pro' } });
if (!created.data) throw new Error(\`create failed: \${JSON.stringify(created.error)}\`);
const tenantId: string = created.data.tenantId;
const read = await client.GET('/api/v1/tenants/{tenantId}', { params: { path: { tenantId } } });
if (!read.data) throw new Error(\`read failed: \${JSON.stringify(read.error)}\`);
const plan: 'free' | 'pro' | 'enterprise' = read.data.plan;
console.log(JSON.stringify({ tenantId, name: read.data.name, plan }));
`,
    );
    await run(join(bin, 'tsc'), [
      '--noEmit',
      '--strict',
      '--target',
      'es2022',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--allowImportingTsExtensions',
      '--types',
      'node',
      join(dir, 'client.ts'),
    ]);
    // Node 24 runs TypeScript by stripping its types.
    const { stdout } = await run(process.execPath, [join(dir, 'client.ts')], {
      env: { PATH: process.env.PATH ?? '', GATEWAY_URL: gw.url, ADMIN_TOKEN },
    });
    const answer = JSON.parse(stdout) as { tenantId: string; name: string; plan: string };
    expect(answer).toMatchObject({ name: 'Generated', plan: 'pro' });
    const stored = await call(gw.url, 'GET', `/api/v1/tenants/${answer.tenantId}`, { headers: admin });
    expect(stored.body).toMatchObject({ tenantId: answer.tenantId, name: 'Generated' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
