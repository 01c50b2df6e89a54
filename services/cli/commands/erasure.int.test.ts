/**
 * `eventline subjects forget` and `eventline tenants offboard` as operators run
 * them: the built CLI (dist/) as its own process, against a gateway on the
 * real stack, through EVENTLINE_API_URL and EVENTLINE_API_TOKEN.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ADMIN_TOKEN, startTestGateway, type TestGateway } from '../../../test/support/gateway.ts';
import { call } from '../../../test/support/http.ts';
import { projectRoot } from '../../platform/paths/index.ts';

const CLI = join(projectRoot(), 'dist/services/cli/main.js');
let gw: TestGateway;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string[];
}

function cli(token: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH ?? '', EVENTLINE_API_URL: gw.url, EVENTLINE_API_TOKEN: token } },
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number(error.code ?? 1) : 0,
          stdout,
          stderr: stderr.split('\n').filter((line) => line !== ''),
        }),
    );
  });
}

async function tenantWithOrder(): Promise<{ tenant: string; apiKey: string }> {
  const created = await call(gw.url, 'POST', '/api/v1/tenants', {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    body: { name: `cli-${randomUUID().slice(0, 8)}`, plan: 'pro' },
  });
  const tenant = String(created.body.tenantId);
  const apiKey = String(created.body.apiKey);
  const placed = await call(gw.url, 'POST', '/api/v1/commands/execute', {
    headers: { 'x-api-key': apiKey },
    body: {
      type: 'PlaceOrder',
      payload: {
        customerId: 'customer-1',
        customerEmail: 'one@x.test',
        currency: 'EUR',
        items: [{ sku: 'a', quantity: 1, unitPrice: 3 }],
      },
    },
  });
  expect(placed.status).toBe(201);
  return { tenant, apiKey };
}

beforeAll(async () => {
  gw = await startTestGateway();
});

afterAll(async () => {
  await gw?.stop();
});

test('subjects forget destroys the subject’s keys as the tenant’s admin, and says so again on a rerun', async () => {
  const { tenant, apiKey } = await tenantWithOrder();
  const first = await cli(apiKey, 'subjects', 'forget', tenant, 'customer-1');
  expect(first).toMatchObject({ code: 0, stderr: [] });
  expect(first.stdout).toMatch(/^forgot customer-1: 1 data key\(s\) destroyed; audit event [0-9a-f-]{36}\n/);
  const again = await cli(apiKey, 'subjects', 'forget', tenant, 'customer-1', '--json');
  expect(again.code).toBe(0);
  expect(JSON.parse(again.stdout)).toMatchObject({ subject: 'customer-1', keysDestroyed: 0 });
});

test('tenants offboard reports what it erased; another tenant’s key is refused in one line, a bad id is a usage error', async () => {
  const { tenant } = await tenantWithOrder();
  const intruder = await tenantWithOrder();
  const usage = await cli(ADMIN_TOKEN, 'tenants', 'offboard', 'not-a-uuid');
  expect(usage.code).toBe(2);
  expect(usage.stderr).toEqual([
    `eventline tenants offboard: <tenant-id> must be a tenant's UUID, not "not-a-uuid"`,
  ]);
  const refused = await cli(intruder.apiKey, 'tenants', 'offboard', tenant);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toHaveLength(1);
  expect(refused.stderr[0]).toContain('404');

  const offboarded = await cli(ADMIN_TOKEN, 'tenants', 'offboard', tenant, '--reason', 'moved away');
  expect(offboarded).toMatchObject({ code: 0, stderr: [] });
  expect(offboarded.stdout).toContain(`offboarded ${tenant}: audit event`);
  expect(offboarded.stdout).toContain('erased: 1 data key(s), 1 API key(s)');
  expect(offboarded.stdout).toMatch(/remains: orders\.events until \d{4}-/);
  const rerun = await cli(ADMIN_TOKEN, 'tenants', 'offboard', tenant);
  expect(rerun.stdout).toContain('(offboarded before; finished now)');
  const events = await call(gw.url, 'GET', `/api/v1/tenants/${tenant}`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  expect(events.body).toMatchObject({ status: 'offboarded' });
});

test('tenants create makes a tenant and shows its first key once; a missing or unknown plan is a usage error', async () => {
  expect(await cli(ADMIN_TOKEN, 'tenants', 'create', '--name', 'Acme')).toMatchObject({
    code: 2,
    stderr: ['eventline tenants create: --plan is required'],
  });
  expect((await cli(ADMIN_TOKEN, 'tenants', 'create', '--name', 'Acme', '--plan', 'gold')).code).toBe(2);
  const made = await cli(
    ADMIN_TOKEN,
    'tenants',
    'create',
    '--name',
    'Acme CLI',
    '--plan',
    'pro',
    '--contact-email',
    'owner@acme.test',
  );
  expect(made).toMatchObject({ code: 0, stderr: [] });
  const [, tenant] = /^tenant ([0-9a-f-]{36})$/m.exec(made.stdout) ?? [];
  const [, apiKey] = /^api key (el_\S+) /m.exec(made.stdout) ?? [];
  const shown = await call(gw.url, 'GET', `/api/v1/tenants/${tenant}`, {
    headers: { 'x-api-key': String(apiKey) },
  });
  expect(shown.body).toMatchObject({ name: 'Acme CLI', plan: 'pro', status: 'active' });
});
