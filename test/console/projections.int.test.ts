import type { Browser, Page } from 'playwright-core';
import type { RunningProjector } from '../../services/projector/index.ts';
import type { RunningRelay } from '../../services/relay/index.ts';
import { guardedOrders } from '../projector/guarded-orders.ts';
import { startTestProjector, startTestRelay } from '../projector/pipeline.ts';
import { applyTestTopology, deleteSubjects } from '../relay/harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { type GatewayProcess, startGatewayProcess } from '../support/gateway-process.ts';
import { call } from '../support/http.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';
import {
  chromiumPath,
  launchChromium,
  screenshot,
  seriousAccessibilityViolations,
  signIn,
} from './browser.ts';

// The console's projections page on a real pipeline (issue #19, part 3): a gateway process with the
// operations' database and Kafka, and a relay and projector on topics of the test's own.
const browserAt = chromiumPath();
const inBrowser = 'path' in browserAt ? describe : describe.skip;
if ('missing' in browserAt) console.warn(`admin console browser tests SKIPPED: ${browserAt.missing}`);

const prefix = `${uniqueName('console')}.`;
let db: TestDatabase;
let gateway: GatewayProcess;
let browser: Browser;
let relay: RunningRelay | undefined;
let projector: RunningProjector | undefined;

// Waits poll the page's elements from here: the page's CSP (rightly) refuses the eval that waitForFunction needs.
/** The orders projection's lag as the page shows it now (its live part refreshes by itself). */
async function shownLag(page: Page): Promise<number> {
  return Number(await page.locator('[data-lag="orders"]').textContent());
}

async function placeOrders(apiKey: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    const answer = await call(gateway.url, 'POST', '/api/v1/commands/execute', {
      headers: { 'x-api-key': apiKey },
      body: {
        type: 'PlaceOrder',
        payload: {
          customerId: `c-${i}`,
          currency: 'EUR',
          items: [{ sku: `sku-${i}`, quantity: 1, unitPrice: 3 }],
        },
      },
    });
    expect(answer.status).toBe(201);
  }
}

inBrowser('admin console: projections', () => {
  beforeAll(async () => {
    db = await createTestDatabase('console_ops');
    await applyTestTopology(prefix, endpoints().kafkaBrokers);
    gateway = await startGatewayProcess({
      databaseUrl: db.appUrl,
      extraEnv: {
        OPERATIONS_DATABASE_URL: db.adminUrl,
        KAFKA_BROKERS: endpoints().kafkaBrokers.join(','),
        KAFKA_TOPIC_PREFIX: prefix,
      },
    });
    relay = await startTestRelay(db, prefix);
    browser = await launchChromium('path' in browserAt ? browserAt.path : '');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await projector?.close();
    await relay?.close();
    await gateway?.kill();
    await deleteSubjects(prefix);
    await db?.drop();
  });

  test("a projection's lag rises and falls live; a rebuild runs to its swap; verify reports", async () => {
    const created = await call(gateway.url, 'POST', '/api/v1/tenants', {
      headers: { authorization: `Bearer ${gateway.adminToken}` },
      body: { name: 'Projection Shop', plan: 'enterprise' },
    });
    const apiKey = String(created.body.apiKey);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await signIn(gateway.url, context, gateway.adminToken);
    await page.goto(`${gateway.url}/admin/projections`);

    // No projector yet: what the relay publishes piles up, and the page shows it without a reload.
    await placeOrders(apiKey, 5);
    await waitFor(
      'the lag to show the orders',
      async () => ((await shownLag(page)) >= 5 ? true : undefined),
      {
        timeoutMs: 30_000,
      },
    );
    expect(await shownLag(page)).toBeGreaterThanOrEqual(5);
    await expect(page.locator('tr', { hasText: 'behind' }).count()).resolves.toBeGreaterThan(0);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);

    projector = await startTestProjector(db, prefix);
    await waitFor('the lag to fall to 0', async () => ((await shownLag(page)) === 0 ? true : undefined), {
      timeoutMs: 45_000,
    });
    await screenshot(page, 'projections');

    await page.getByRole('button', { name: 'Rebuild orders' }).click();
    await waitFor(
      'the rebuild to be swapped in',
      async () =>
        (await page.locator('[data-rebuild-state="orders"]').textContent()) === 'swapped' ? true : undefined,
      { timeoutMs: 45_000 },
    );
    await expect(page.locator('tr', { hasText: 'swapped in' }).count()).resolves.toBe(1);

    await page.getByRole('button', { name: 'Verify orders' }).click();
    await expect(
      page.locator('form', { hasText: 'Verify orders' }).locator('.result pre').textContent(),
    ).resolves.toContain('"consistent": true');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);

    // The same operations through the API, for the platform admin only.
    const status = await call(gateway.url, 'GET', '/api/v1/projections', {
      headers: { authorization: `Bearer ${gateway.adminToken}` },
    });
    expect(status.status).toBe(200);
    const asTenant = await call(gateway.url, 'GET', '/api/v1/projections', {
      headers: { 'x-api-key': apiKey },
    });
    expect(asTenant.status).toBe(403);
    const tenantContext = await browser.newContext();
    const tenantPage = await signIn(gateway.url, tenantContext, apiKey);
    const forbidden = await tenantPage.goto(`${gateway.url}/admin/projections`);
    expect(forbidden?.status()).toBe(404);
    await tenantContext.close();
    await context.close();
  });
  test('a poison event is parked, found, read decoded with its error, and replayed from the console', async () => {
    const created = await call(gateway.url, 'POST', '/api/v1/tenants', {
      headers: { authorization: `Bearer ${gateway.adminToken}` },
      body: { name: 'Poison Shop', plan: 'enterprise' },
    });
    const tenantId = String(created.body.tenantId);
    const apiKey = String(created.body.apiKey);
    // The orders projection as it was before a fix: it refuses one customer's orders.
    await projector?.close();
    projector = await startTestProjector(db, prefix, {
      only: ['orders'],
      projections: [
        guardedOrders((event) => {
          if (event.data.customerId === 'poison') throw new Error('this customer breaks the handler');
        }),
      ],
    });
    const placed = await call(gateway.url, 'POST', '/api/v1/commands/execute', {
      headers: { 'x-api-key': apiKey },
      body: {
        type: 'PlaceOrder',
        payload: {
          customerId: 'poison',
          currency: 'EUR',
          items: [{ sku: 'sku-poison', quantity: 1, unitPrice: 3 }],
        },
      },
    });
    expect(placed.status).toBe(201);
    const admin = { authorization: `Bearer ${gateway.adminToken}` };
    await waitFor(
      'the poison event to be parked',
      async () => {
        const answer = await call(gateway.url, 'GET', `/api/v1/dead-letters?tenant=${tenantId}`, {
          headers: admin,
        });
        return (answer.body.items as unknown[] | undefined)?.length === 1 ? true : undefined;
      },
      { timeoutMs: 45_000 },
    );

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await signIn(gateway.url, context, gateway.adminToken);
    await page.goto(`${gateway.url}/admin/dead-letters`);
    await page.getByLabel('Tenant id').fill(tenantId);
    await page.getByLabel('Error contains').fill('BREAKS the handler');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect(page.locator('tbody tr').count()).resolves.toBe(1);
    await expect(page.locator('tbody').textContent()).resolves.toContain('this customer breaks the handler');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'dead-letters');

    await page.getByRole('link', { name: 'OrderPlaced' }).click();
    await expect(page.getByLabel('Payload').textContent()).resolves.toContain('sku-poison');
    await expect(page.locator('.facts').textContent()).resolves.toContain('this customer breaks the handler');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'dead-letter');

    // The fix is the code the gateway runs: the replay applies it, once.
    await page.getByRole('button', { name: 'Replay this event' }).click();
    await expect(page.locator('.result pre').textContent()).resolves.toContain('"outcome": "applied"');
    await page.goto(`${gateway.url}/admin/dead-letters?state=replayed&tenant=${tenantId}`);
    await expect(page.locator('tbody').textContent()).resolves.toContain('replayed');
    const order = await call(gateway.url, 'POST', '/api/v1/queries/execute', {
      headers: { 'x-api-key': apiKey },
      body: { type: 'GetOrder', params: { orderId: String(placed.body.aggregateId) } },
    });
    expect(order.status).toBe(200);
    const again = await call(gateway.url, 'POST', '/api/v1/dead-letters/replay', {
      headers: admin,
      body: { projection: 'orders' },
    });
    expect(again.body.outcomes).toEqual(
      expect.arrayContaining([expect.objectContaining({ outcome: 'already replayed' })]),
    );
    expect(
      (await call(gateway.url, 'GET', '/api/v1/dead-letters', { headers: { 'x-api-key': apiKey } })).status,
    ).toBe(403);
    await context.close();
  });
});
