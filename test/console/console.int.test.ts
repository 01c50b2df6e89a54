import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { type GatewayProcess, startGatewayProcess } from '../support/gateway-process.ts';
import { call } from '../support/http.ts';
import { waitFor } from '../support/wait.ts';
import {
  chromiumPath,
  launchChromium,
  screenshot,
  seriousAccessibilityViolations,
  SIGN_IN_LABEL,
  signIn as signInAt,
} from './browser.ts';

// The admin console end to end (issue #19): a real gateway process on the real stack, driven in Debian's
// chromium. Skipped only when no chromium can be had (scripts/test/chromium.sh says why).
const browserAt = chromiumPath();
const inBrowser = 'path' in browserAt ? describe : describe.skip;
if ('missing' in browserAt) console.warn(`admin console browser tests SKIPPED: ${browserAt.missing}`);

let db: TestDatabase;
let gateway: GatewayProcess;
let browser: Browser;

interface Tenant {
  readonly tenantId: string;
  readonly name: string;
  readonly apiKey: string;
}

async function createTenant(name = `Tenant ${randomUUID().slice(0, 8)}`): Promise<Tenant> {
  const answer = await call(gateway.url, 'POST', '/api/v1/tenants', {
    headers: { authorization: `Bearer ${gateway.adminToken}` },
    body: { name, plan: 'enterprise' },
  });
  expect(answer.status).toBe(201);
  return { tenantId: String(answer.body.tenantId), name, apiKey: String(answer.body.apiKey) };
}

async function placeOrder(
  tenant: Tenant,
  sku = 'sku-console',
): Promise<{ orderId: string; correlationId: string }> {
  const answer = await call(gateway.url, 'POST', '/api/v1/commands/execute', {
    headers: { 'x-api-key': tenant.apiKey },
    body: {
      type: 'PlaceOrder',
      payload: { customerId: 'c-console', currency: 'EUR', items: [{ sku, quantity: 2, unitPrice: 4.5 }] },
    },
  });
  expect(answer.status).toBe(201);
  return { orderId: String(answer.body.aggregateId), correlationId: String(answer.body.correlationId) };
}

function signIn(context: BrowserContext, credential: string): Promise<Page> {
  return signInAt(gateway.url, context, credential);
}

async function expectAccessible(page: Page): Promise<void> {
  expect(await seriousAccessibilityViolations(page)).toEqual([]);
}

/** Submits a console form and waits for the reload its success causes. */
async function submitAndReload(page: Page, button: ReturnType<Page['getByRole']>): Promise<void> {
  await Promise.all([page.waitForEvent('load'), button.click()]);
}

inBrowser('admin console in a real browser', () => {
  beforeAll(async () => {
    db = await createTestDatabase('console');
    gateway = await startGatewayProcess({ databaseUrl: db.appUrl, logs: true });
    browser = await launchChromium('path' in browserAt ? browserAt.path : '');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.kill();
    await db?.drop();
  });

  test('the platform admin creates a tenant, issues and revokes a key, renames, suspends and reactivates it', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await signIn(context, gateway.adminToken);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Tenants');
    await expectAccessible(page);

    const marker = randomUUID().slice(0, 8);
    const name = `Console Acme ${marker}`;
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByLabel('Plan').selectOption('pro');
    await page.getByRole('button', { name: 'Create' }).click();
    const firstKey = await page.locator('code.secret').textContent();
    expect(firstKey).toMatch(/^el_[a-f0-9]{16}_/);
    await Promise.all([
      page.waitForURL(/\/admin\/tenants\/[0-9a-f-]{36}$/),
      page.getByRole('link', { name: 'Open it' }).click(),
    ]);
    const tenantId = page.url().split('/').at(-1) ?? '';
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(name);
    await expectAccessible(page);

    // A key is shown once, when issued; after a reload only its id is on the page.
    await page.getByLabel('writer').check();
    await page.getByRole('button', { name: 'Issue key' }).click();
    const issued = (await page.locator('code.secret').textContent()) ?? '';
    const keyId = /^el_([a-f0-9]{16})_/.exec(issued)?.[1] ?? '';
    expect(keyId).not.toBe('');
    await page.reload();
    expect(await page.content()).not.toContain(issued);
    await expect(page.getByText(keyId, { exact: true }).count()).resolves.toBe(1);
    await submitAndReload(page, page.getByRole('button', { name: `Revoke key ${keyId}` }));
    await expect(page.locator('tr', { hasText: keyId }).textContent()).resolves.toContain('revoked');
    const refused = await call(gateway.url, 'POST', '/api/v1/queries/execute', {
      headers: { 'x-api-key': issued },
      body: { type: 'GetTenant', params: {} },
    });
    expect(refused.status).toBe(401);

    await page.getByLabel('New name').fill(`${name} renamed`);
    await submitAndReload(page, page.getByRole('button', { name: 'Rename' }));
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(`${name} renamed`);

    await page.getByLabel('Reason').fill('unpaid invoice');
    await submitAndReload(page, page.getByRole('button', { name: 'Suspend' }));
    await expect(page.locator('.facts').textContent()).resolves.toContain('suspended (unpaid invoice)');
    const whileSuspended = await call(gateway.url, 'POST', '/api/v1/commands/execute', {
      headers: { 'x-api-key': firstKey ?? '' },
      body: { type: 'RenameTenant', payload: { name: 'not allowed' } },
    });
    expect(whileSuspended.status).toBe(403);
    await submitAndReload(page, page.getByRole('button', { name: 'Reactivate' }));
    await expect(page.locator('.facts').textContent()).resolves.toContain('active');

    await page.getByLabel('Commands per minute').fill('1234');
    await submitAndReload(page, page.getByRole('button', { name: 'Set quota' }));
    await expect(page.locator('.facts').textContent()).resolves.toContain('1234 per minute');
    await expectAccessible(page);
    await screenshot(page, 'tenant');

    // A refused action shows the problem, naming the field.
    await page.getByLabel('Commands per minute').fill('2000000');
    await page.getByRole('button', { name: 'Set quota' }).click();
    await expect(page.locator('.result.problem').textContent()).resolves.toContain(
      '/payload/commandsPerMinute',
    );

    await page.goto(`${gateway.url}/admin/tenants?search=${marker}`);
    await expect(page.locator('tbody tr').count()).resolves.toBe(1);
    await expect(page.locator('tbody').textContent()).resolves.toContain(`${name} renamed`);
    await page.goto(`${gateway.url}/admin/tenants`);
    await screenshot(page, 'tenants');

    // Every action went through the admin API, audited with the console session as its credential.
    const audited = gateway.logLines
      .map(
        (line) =>
          JSON.parse(line) as {
            msg?: string;
            audit?: { action: string; credential: string; target?: Record<string, string> };
          },
      )
      .filter((line) => line.msg === 'audit' && line.audit?.credential === 'console-session')
      .map((line) => line.audit?.action);
    expect(audited).toEqual(
      expect.arrayContaining([
        'POST /api/v1/tenants',
        'POST /api/v1/tenants/:tenantId/api-keys',
        'DELETE /api/v1/tenants/:tenantId/api-keys/:keyId',
        'POST /api/v1/tenants/:tenantId/commands/execute',
      ]),
    );
    expect(tenantId).toMatch(/^[0-9a-f-]{36}$/);
    await context.close();
  });

  test('an order placed through the API is found in the console: its stream, events, state as of a version', async () => {
    const tenant = await createTenant(`Stream Shop ${randomUUID().slice(0, 8)}`);
    const { orderId, correlationId } = await placeOrder(tenant, 'sku-findable');
    const added = await call(gateway.url, 'POST', '/api/v1/commands/execute', {
      headers: { 'x-api-key': tenant.apiKey },
      body: {
        type: 'AddOrderItem',
        aggregateId: orderId,
        payload: { sku: 'sku-second', quantity: 1, unitPrice: 2 },
      },
    });
    expect(added.status).toBe(200);

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await signIn(context, gateway.adminToken);
    await page.goto(`${gateway.url}/admin/tenants/${tenant.tenantId}`);
    await page.getByRole('link', { name: `Streams of ${tenant.name}` }).click();
    await page.getByRole('link', { name: 'Order', exact: true }).click();
    await expect(page.locator('tbody tr').count()).resolves.toBe(1);
    await expectAccessible(page);
    await screenshot(page, 'streams');

    await page.getByRole('link', { name: orderId }).click();
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain(orderId);
    await expect(page.getByRole('heading', { name: /^v1 OrderPlaced$/ }).count()).resolves.toBe(1);
    await expect(page.getByRole('heading', { name: /^v2 / }).count()).resolves.toBe(1);
    await expect(page.getByLabel('Payload of v1').textContent()).resolves.toContain('sku-findable');
    await expect(page.getByRole('heading', { name: 'State as of v2 (now)' }).count()).resolves.toBe(1);
    await expectAccessible(page);
    await screenshot(page, 'stream');

    await page.getByRole('link', { name: 'State as of v1' }).click();
    await expect(page.getByRole('heading', { name: 'State as of v1' }).count()).resolves.toBe(1);
    await expect(page.getByLabel('State', { exact: true }).textContent()).resolves.not.toContain(
      'sku-second',
    );

    await page.getByRole('link', { name: correlationId }).first().click();
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain(correlationId);
    await expect(page.getByRole('heading', { name: /^v1 OrderPlaced$/ }).count()).resolves.toBe(1);
    await expectAccessible(page);
    await context.close();
  });

  test("a tenant admin's session sees its own tenant and nothing of another's, in pages and API calls", async () => {
    const [own, other] = [await createTenant(), await createTenant(`Other ${randomUUID().slice(0, 8)}`)];
    const otherOrder = await placeOrder(other);
    const context = await browser.newContext();
    const page = await signIn(context, own.apiKey);
    expect(page.url()).toBe(`${gateway.url}/admin/tenants/${own.tenantId}`);
    await expectAccessible(page);

    for (const path of [
      '/admin/tenants',
      `/admin/tenants/${other.tenantId}`,
      `/admin/tenants/${other.tenantId}/streams`,
      `/admin/tenants/${other.tenantId}/streams/Order/${otherOrder.orderId}`,
      `/admin/tenants/${other.tenantId}/correlations/${otherOrder.correlationId}`,
      `/admin/tenants/${own.tenantId}/streams/Order/${otherOrder.orderId}`,
      `/admin/tenants/${own.tenantId}/correlations/${otherOrder.correlationId}`,
    ]) {
      const response = await page.goto(`${gateway.url}${path}`);
      const shown = await page.content();
      expect({ path, status: response?.status() }).toEqual({
        path,
        status: path.includes('correlations') && path.includes(own.tenantId) ? 200 : 404,
      });
      expect(shown).not.toContain(other.name);
      expect(shown).not.toContain('sku-console');
    }

    const csrf = (await page.locator('meta[name="csrf-token"]').getAttribute('content')) ?? '';
    const probe = (method: string, path: string, withCsrf = true) =>
      page.evaluate(
        async ({ method, path, csrf }) => {
          const response = await fetch(path, {
            method,
            headers: { 'content-type': 'application/json', ...(csrf ? { 'x-csrf-token': csrf } : {}) },
            ...(method === 'GET' ? {} : { body: JSON.stringify({ roles: ['reader'] }) }),
          });
          return { status: response.status, text: await response.text() };
        },
        { method, path, csrf: withCsrf ? csrf : '' },
      );
    for (const [method, path] of [
      ['GET', `/api/v1/tenants/${other.tenantId}`],
      ['GET', `/api/v1/tenants/${other.tenantId}/streams`],
      ['GET', `/api/v1/tenants/${other.tenantId}/api-keys`],
      ['GET', `/api/v1/tenants/${other.tenantId}/usage`],
      ['GET', `/api/v1/tenants/${other.tenantId}/aggregates/Order/${otherOrder.orderId}/events`],
      ['POST', `/api/v1/tenants/${other.tenantId}/api-keys`],
    ] as const) {
      const answer = await probe(method, path);
      expect({ path, status: answer.status }).toEqual({ path, status: 404 });
      expect(answer.text).not.toContain(other.name);
    }
    expect((await probe('GET', '/api/v1/tenants')).status).toBe(403);
    expect((await probe('GET', `/api/v1/tenants/${own.tenantId}/streams`)).status).toBe(200);
    // A state-changing call without the session's CSRF token is refused, even from the console's own origin.
    expect((await probe('POST', `/api/v1/tenants/${own.tenantId}/api-keys`, false)).status).toBe(403);
    expect((await probe('POST', `/api/v1/tenants/${own.tenantId}/api-keys`)).status).toBe(201);
    await context.close();
  });

  test('sessions: a wrong credential is refused, the cookie is HttpOnly and SameSite=Strict, sign-out ends it', async () => {
    const login = await fetch(`${gateway.url}/admin/login`);
    expect(login.headers.get('etag')).toBeNull();
    const script = await fetch(`${gateway.url}/admin/assets/console.js`);
    const etag = script.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    const unchanged = await fetch(`${gateway.url}/admin/assets/console.js`, {
      // As a browser revalidates; without a Cache-Control of its own, fetch sends no-cache, which refuses a 304.
      headers: { 'if-none-match': etag ?? '', 'cache-control': 'max-age=0' },
    });
    expect(unchanged.status).toBe(304);
    expect(login.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(login.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(login.headers.get('x-content-type-options')).toBe('nosniff');

    const context = await browser.newContext();
    const refused = await context.newPage();
    await refused.goto(`${gateway.url}/admin/login`);
    await refused.getByLabel(SIGN_IN_LABEL).fill('not-the-token');
    await refused.getByRole('button', { name: 'Sign in' }).click();
    await expect(refused.getByRole('alert').textContent()).resolves.toContain('neither the admin token');

    const page = await signIn(context, gateway.adminToken);
    expect(await page.content()).not.toContain(gateway.adminToken);
    const cookie = (await context.cookies()).find((each) => each.name === 'eventline_console');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    const asCookie = { cookie: `eventline_console=${cookie?.value ?? ''}` };
    expect((await call(gateway.url, 'GET', '/api/v1/tenants', { headers: asCookie })).status).toBe(200);

    await Promise.all([
      page.waitForURL(/\/admin\/login$/),
      page.getByRole('button', { name: 'Sign out' }).click(),
    ]);
    await waitFor('the session to be gone', async () =>
      (await call(gateway.url, 'GET', '/api/v1/tenants', { headers: asCookie })).status === 401
        ? true
        : undefined,
    );
    await screenshot(page, 'sign-in');
    await expectAccessible(page);
    await context.close();
  });

  test('without OPERATIONS_DATABASE_URL the operations answer 503 saying so, as their pages do', async () => {
    const admin = { authorization: `Bearer ${gateway.adminToken}` };
    for (const path of [
      '/api/v1/projections',
      '/api/v1/dead-letters',
      '/api/v1/relay',
      '/api/v1/kafka/topics',
      '/api/v1/kafka/consumer-groups',
    ]) {
      const answer = await call(gateway.url, 'GET', path, { headers: admin });
      expect({ path, status: answer.status, detail: answer.body.detail }).toEqual({
        path,
        status: 503,
        detail: expect.stringContaining('set OPERATIONS_DATABASE_URL'),
      });
    }
    const context = await browser.newContext();
    const page = await signIn(context, gateway.adminToken);
    for (const path of ['/admin/relay', '/admin/kafka']) {
      expect({ path, status: (await page.goto(`${gateway.url}${path}`))?.status() }).toEqual({
        path,
        status: 503,
      });
      await expect(page.getByRole('alert').textContent()).resolves.toContain('set OPERATIONS_DATABASE_URL');
    }
    await context.close();
  });
});
