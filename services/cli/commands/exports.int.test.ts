/**
 * `eventline tenants export` and `eventline subjects export` as operators run
 * them: the built CLI (dist/) as its own process, against a gateway on the
 * real stack, through EVENTLINE_API_URL and EVENTLINE_API_TOKEN_FILE.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ADMIN_TOKEN, startTestGateway, type TestGateway } from '../../../test/support/gateway.ts';
import { call } from '../../../test/support/http.ts';
import { projectRoot } from '../../platform/paths/index.ts';

const CLI = join(projectRoot(), 'dist/services/cli/main.js');
let gw: TestGateway;
let dir: string;
let tokenFile: string;
let tenant: string;
let tenantKey: string;
/** The export as the gateway answers it: what the CLI must write, byte for byte. */
let full: string;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string[];
}

function cli(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      EVENTLINE_API_URL: gw.url,
      EVENTLINE_API_TOKEN_FILE: tokenFile,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) =>
    child.once('close', (code) =>
      resolve({ code, stdout, stderr: stderr.split('\n').filter((line) => line !== '') }),
    ),
  );
}

async function place(customerId: string, email: string): Promise<void> {
  const answer = await call(gw.url, 'POST', '/api/v1/commands/execute', {
    headers: { 'x-api-key': tenantKey },
    body: {
      type: 'PlaceOrder',
      payload: {
        customerId,
        customerEmail: email,
        currency: 'EUR',
        items: [{ sku: 'a', quantity: 1, unitPrice: 3 }],
      },
    },
  });
  expect(answer.status).toBe(201);
}

/** A stand-in for the gateway that relays its export but cuts the connection after `lines` lines. */
async function cuttingGateway(lines: number): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      const upstream = await fetch(`${gw.url}${req.url}`, {
        headers: { authorization: String(req.headers.authorization) },
      });
      const text = await upstream.text();
      res.writeHead(upstream.status, { 'content-type': String(upstream.headers.get('content-type')) });
      const kept = text.split('\n').slice(0, lines).join('\n');
      // Half of the next line too, as a connection lost mid-line leaves it.
      res.write(`${kept}\n${text.split('\n')[lines]?.slice(0, 20) ?? ''}`, () => res.destroy());
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (make build)`);
  gw = await startTestGateway();
  dir = await mkdtemp(join(tmpdir(), 'eventline-export-'));
  tokenFile = join(dir, 'token');
  await writeFile(tokenFile, `${ADMIN_TOKEN}\n`);
  const created = await call(gw.url, 'POST', '/api/v1/tenants', {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    body: { name: `cli-${randomUUID()}`, plan: 'enterprise', contactEmail: 'carla@example.com' },
  });
  tenant = String(created.body.tenantId);
  tenantKey = String(created.body.apiKey);
  for (let i = 0; i < 6; i++) await place(i % 2 === 0 ? 'customer-ann' : 'customer-bob', `${i}@example.com`);
  // Read-model rows as the projector would write them (no projector runs here), as fixtures of the owner.
  const owner = new pg.Client({ connectionString: gw.db.adminUrl });
  await owner.connect();
  await owner
    .query(
      `INSERT INTO readmodels.customer_order_stats
         (tenant_id, customer_id, currency, orders_placed, orders_cancelled, orders_delivered, total_spent)
       VALUES ($1, 'customer-ann', 'EUR', 3, 0, 0, 9.00), ($1, 'customer-bob', 'EUR', 3, 0, 0, 9.00)`,
      [tenant],
    )
    .finally(() => owner.end());
  full = await (
    await fetch(`${gw.url}/api/v1/tenants/${tenant}/export`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    })
  ).text();
});

afterAll(async () => {
  await gw?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('tenants export writes the export to stdout as the gateway sends it, progress and a summary on stderr', async () => {
  const run = await cli(['tenants', 'export', tenant]);
  expect(run.code).toBe(0);
  expect(run.stdout).toBe(full);
  expect(run.stdout).toContain('"customerEmail":"0@example.com"');
  expect(run.stderr.at(-1)).toMatch(
    /^eventline tenants export: 7 events and 2 rows in [\d.]+ s \(\d+ events\/s\); complete$/,
  );
});

test('with --output it writes the file; a file holding a complete export is refused, not overwritten', async () => {
  const file = join(dir, `whole-${randomUUID()}.ndjson`);
  expect((await cli(['tenants', 'export', tenant, '--output', file])).code).toBe(0);
  expect(await readFile(file, 'utf8')).toBe(full);
  const again = await cli(['tenants', 'export', tenant, '--output', file]);
  expect(again.code).toBe(1);
  expect(again.stderr).toEqual([
    `eventline tenants export: ${file} holds a complete export already: remove it, or name another file`,
  ]);
  expect(await readFile(file, 'utf8')).toBe(full);
});

test('a cut export fails saying how to resume; run again on the same file, it finishes exactly the export', async () => {
  const file = join(dir, `cut-${randomUUID()}.ndjson`);
  const cutting = await cuttingGateway(3);
  try {
    const cut = await cli(['tenants', 'export', tenant, '--output', file], {
      EVENTLINE_API_URL: cutting.url,
    });
    expect(cut.code).toBe(1);
    expect(cut.stderr.at(-1)).toBe(
      'eventline tenants export: the export was cut short after 3 events; run the same command again to resume',
    );
  } finally {
    await cutting.close();
  }
  const lines = full.split('\n');
  // Only complete lines are written; a process killed mid-write leaves half of one, which resuming drops.
  expect(await readFile(file, 'utf8')).toBe(`${lines.slice(0, 3).join('\n')}\n`);
  await appendFile(file, lines[3]?.slice(0, 20) ?? '');
  const resumed = await cli(['tenants', 'export', tenant, '--output', file]);
  expect(resumed.code).toBe(0);
  const third = /"cursor":"([\d-]+)"/.exec(lines[2] ?? '')?.[1];
  expect(resumed.stderr.at(-1)).toMatch(
    new RegExp(`: 4 events and 2 rows in .*, resumed after ${third}; complete$`),
  );
  expect(await readFile(file, 'utf8')).toBe(full);
});

test('a file cut among the rows resumes after its last event line: the rows come again, once', async () => {
  const file = join(dir, `rows-${randomUUID()}.ndjson`);
  const lines = full.split('\n');
  const events = lines.filter((line) => line.startsWith('{"kind":"event"')).length;
  await writeFile(file, `${lines.slice(0, events + 1).join('\n')}\n{"kind":"ro`);
  const resumed = await cli(['tenants', 'export', tenant, '--output', file]);
  expect(resumed.code).toBe(0);
  expect(resumed.stderr.at(-1)).toMatch(
    /: 0 events and 2 rows in .*, resumed after \d{20}-\d{20}; complete$/,
  );
  expect(await readFile(file, 'utf8')).toBe(full);
});

test("subjects export writes only the subject's data", async () => {
  const file = join(dir, `ann-${randomUUID()}.ndjson`);
  const run = await cli(['subjects', 'export', tenant, 'customer-ann', '--output', file]);
  expect(run.code).toBe(0);
  const lines = (await readFile(file, 'utf8'))
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(lines.map((line) => (line.data as Record<string, unknown> | undefined)?.customerEmail)).toEqual([
    '0@example.com',
    '2@example.com',
    '4@example.com',
    undefined,
  ]);
  expect(lines.at(-1)).toMatchObject({ kind: 'end', events: 3, rows: 0 });
});

test('usage mistakes exit 2 with one line; a missing token, or a tenant the credential does not administer, exit 1', async () => {
  const usage = [
    [['tenants', 'export', 'not-a-tenant'], `<tenant-id> must be a tenant's UUID, not "not-a-tenant"`],
    [['tenants', 'export', tenant, '--after', 'nope'], '--after must be an event line'],
    [['tenants', 'export'], '<tenant-id> is required'],
    [['subjects', 'export', tenant], '<subject> is required'],
    [['tenants', 'export', tenant, '--format', 'avro'], "Unknown option '--format'"],
  ] as const;
  for (const [args, message] of usage) {
    const run = await cli(args);
    expect({ args, code: run.code, lines: run.stderr.length }).toEqual({ args, code: 2, lines: 1 });
    expect(run.stderr[0]).toContain(message);
    expect(run.stdout).toBe('');
  }
  const noToken = await cli(['tenants', 'export', tenant], { EVENTLINE_API_TOKEN_FILE: '' });
  expect({ code: noToken.code, stderr: noToken.stderr }).toEqual({
    code: 1,
    stderr: ['eventline tenants export: invalid configuration: EVENTLINE_API_TOKEN: is required'],
  });
  const other = await call(gw.url, 'POST', '/api/v1/tenants', {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    body: { name: `other-${randomUUID()}`, plan: 'pro' },
  });
  const foreign = await cli(['tenants', 'export', tenant], {
    EVENTLINE_API_TOKEN_FILE: '',
    EVENTLINE_API_TOKEN: String(other.body.apiKey),
  });
  expect({ code: foreign.code, stderr: foreign.stderr }).toEqual({
    code: 1,
    stderr: [`eventline tenants export: the gateway answered 404 Not found: no tenant ${tenant}`],
  });
});
