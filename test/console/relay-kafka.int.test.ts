import type { Browser, Page } from 'playwright-core';
import type { RunningProjector } from '../../services/projector/index.ts';
import type { RunningRelay } from '../../services/relay/index.ts';
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

// The console's relay and Kafka pages on a real pipeline (issue #19, part 5): a gateway process with the
// operations' database and Kafka, a relay and a projector on topics of the test's own.
const browserAt = chromiumPath();
const inBrowser = 'path' in browserAt ? describe : describe.skip;
if ('missing' in browserAt) console.warn(`admin console browser tests SKIPPED: ${browserAt.missing}`);

const prefix = `${uniqueName('consolerelay')}.`;
const ordersTopic = `${prefix}orders.events`;
// The subject the relay registers OrderItemAdded under on the test's topic (TopicRecordNameStrategy).
const itemAddedSubject = `${ordersTopic}-eventline.orders.OrderItemAdded`;
let db: TestDatabase;
let gateway: GatewayProcess;
let browser: Browser;
let relay: RunningRelay | undefined;
let projector: RunningProjector | undefined;

async function deleteSubject(subject: string): Promise<void> {
  const base = endpoints().schemaRegistryUrl;
  await fetch(`${base}/subjects/${encodeURIComponent(subject)}`, { method: 'DELETE' });
  await fetch(`${base}/subjects/${encodeURIComponent(subject)}?permanent=true`, { method: 'DELETE' });
}

/** A schema the relay's OrderItemAdded cannot follow (fields without defaults): the registry refuses it. */
async function blockItemAdded(): Promise<void> {
  await deleteSubject(itemAddedSubject);
  const blocking = {
    type: 'record',
    name: 'OrderItemAdded',
    namespace: 'eventline.orders',
    fields: [{ name: 'sku', type: 'string' }],
  };
  const registered = await fetch(
    `${endpoints().schemaRegistryUrl}/subjects/${encodeURIComponent(itemAddedSubject)}/versions`,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schema: JSON.stringify(blocking) }),
    },
  );
  expect(registered.ok).toBe(true);
}

async function command(apiKey: string, type: string, payload: object, aggregateId?: string) {
  const answer = await call(gateway.url, 'POST', '/api/v1/commands/execute', {
    headers: { 'x-api-key': apiKey },
    body: { type, payload, ...(aggregateId ? { aggregateId } : {}) },
  });
  // 201 for a new aggregate, 200 for a change to one.
  expect(answer.status).toBe(aggregateId ? 200 : 201);
  return String(answer.body.aggregateId);
}

async function createTenant(name: string): Promise<{ tenantId: string; apiKey: string }> {
  const created = await call(gateway.url, 'POST', '/api/v1/tenants', {
    headers: { authorization: `Bearer ${gateway.adminToken}` },
    body: { name, plan: 'enterprise' },
  });
  expect(created.status).toBe(201);
  return { tenantId: String(created.body.tenantId), apiKey: String(created.body.apiKey) };
}

async function shown(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).textContent()) ?? '').trim();
}

inBrowser('admin console: relay and Kafka', () => {
  beforeAll(async () => {
    db = await createTestDatabase('console_relay');
    await applyTestTopology(prefix, endpoints().kafkaBrokers);
    // Before the relay starts, so it has learnt no schema id for the subject.
    await blockItemAdded();
    gateway = await startGatewayProcess({
      databaseUrl: db.appUrl,
      logs: true,
      extraEnv: {
        OPERATIONS_DATABASE_URL: db.adminUrl,
        KAFKA_BROKERS: endpoints().kafkaBrokers.join(','),
        KAFKA_TOPIC_PREFIX: prefix,
      },
    });
    relay = await startTestRelay(db, prefix);
    projector = await startTestProjector(db, prefix, { only: ['orders'] });
    browser = await launchChromium('path' in browserAt ? browserAt.path : '');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await projector?.close();
    await relay?.close();
    await gateway?.kill();
    await deleteSubject(itemAddedSubject);
    await deleteSubjects(prefix);
    await db?.drop();
  });

  test('the relay page shows backlog, lanes and a halted tenant, resumed from the console; Kafka shows topics and group lag', async () => {
    const admin = { authorization: `Bearer ${gateway.adminToken}` };
    const stuck = await createTenant('Halted Shop');
    const healthy = await createTenant('Healthy Shop');
    const order = {
      customerId: 'c-1',
      currency: 'EUR',
      items: [{ sku: 'sku-0', quantity: 1, unitPrice: 2 }],
    };
    // The stuck tenant's second event cannot be encoded: it halts there, its third waits behind it.
    const stuckOrder = await command(stuck.apiKey, 'PlaceOrder', order);
    await command(stuck.apiKey, 'AddOrderItem', { sku: 'sku-1', quantity: 1, unitPrice: 1 }, stuckOrder);
    await command(stuck.apiKey, 'PlaceOrder', order);
    await command(healthy.apiKey, 'PlaceOrder', order);

    const halted = await waitFor(
      'the stuck tenant halted',
      async () => {
        const answer = await call(gateway.url, 'GET', '/api/v1/relay', { headers: admin });
        const rows = answer.body.halted as { tenantId: string; eventType: string }[] | undefined;
        return rows?.find((row) => row.tenantId === stuck.tenantId);
      },
      { timeoutMs: 30_000 },
    );
    expect(halted.eventType).toBe('OrderItemAdded');

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await signIn(gateway.url, context, gateway.adminToken);
    await page.getByRole('link', { name: 'Relay' }).click();
    await page.waitForURL(/\/admin\/relay$/);
    // The healthy tenant's rows go out; the stuck one's two wait behind its halt.
    await waitFor(
      'the backlog to be the halted rows',
      async () => ((await shown(page, '[data-backlog]')) === '2' ? true : undefined),
      { timeoutMs: 30_000 },
    );
    expect(await shown(page, '[data-lanes-held]')).toBe('64');
    const relayLanes = await shown(page, `[data-replica-lanes="${relay?.relay.replica}"]`);
    expect(relayLanes).toMatch(/^64: 0, 1, 2/);
    const haltedRow = page.locator('tr', { hasText: stuck.tenantId });
    await expect(haltedRow.textContent()).resolves.toContain('OrderItemAdded');
    await expect(haltedRow.textContent()).resolves.toContain('the registry refused');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'relay');

    // The operator fixes the schema, then resumes the tenant from the page: its events follow.
    await deleteSubject(itemAddedSubject);
    await page.getByRole('button', { name: `Resume tenant ${stuck.tenantId}` }).click();
    await page.getByText('No tenant is halted.').waitFor({ timeout: 15_000 });
    await waitFor(
      'the backlog to drain',
      async () => ((await shown(page, '[data-backlog]')) === '0' ? true : undefined),
      { timeoutMs: 30_000 },
    );
    const again = await call(gateway.url, 'POST', `/api/v1/relay/halted-tenants/${stuck.tenantId}/resume`, {
      headers: admin,
    });
    expect(again.status).toBe(404);

    // Kafka: the test's topics with their end offsets, and the projector's group catching up to lag 0.
    await page.getByRole('link', { name: 'Kafka' }).click();
    await page.waitForURL(/\/admin\/kafka$/);
    const group = `${prefix}projector.orders`;
    await waitFor(
      'the orders topic to hold the four events',
      async () => ((await shown(page, `[data-topic-messages="${ordersTopic}"]`)) === '4' ? true : undefined),
      { timeoutMs: 30_000 },
    );
    await waitFor(
      "the projector's group to show lag 0",
      async () => ((await shown(page, `[data-group-lag="${group}"]`)) === '0' ? true : undefined),
      { timeoutMs: 45_000 },
    );
    await expect(
      page.getByLabel(`End offsets of ${ordersTopic}`, { exact: true }).locator('li').count(),
    ).resolves.toBe(12);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'kafka');

    const topics = await call(gateway.url, 'GET', '/api/v1/kafka/topics', { headers: admin });
    expect(topics.status).toBe(200);
    const listed = topics.body.topics as { topic: string; messages: number }[];
    expect(listed.every((topic) => topic.topic.startsWith(prefix))).toBe(true);
    expect(listed.find((topic) => topic.topic === ordersTopic)?.messages).toBe(4);
    const groups = await call(gateway.url, 'GET', '/api/v1/kafka/consumer-groups', { headers: admin });
    const projectorGroup = (
      groups.body.groups as { group: string; lag: number; partitions: unknown[] }[]
    ).find((each) => each.group === group);
    expect(projectorGroup?.lag).toBe(0);
    expect(projectorGroup?.partitions.length).toBeGreaterThan(0);

    // The resume is audited as the console session's call.
    const audited = gateway.logLines
      .map((line) => JSON.parse(line) as { msg?: string; audit?: { action: string; credential: string } })
      .filter((line) => line.msg === 'audit' && line.audit?.credential === 'console-session')
      .map((line) => line.audit?.action);
    expect(audited).toContain('POST /api/v1/relay/halted-tenants/:tenantId/resume');

    // A call from the console without the session's CSRF token is refused.
    const withoutCsrf = await page.evaluate(async (path) => {
      const response = await fetch(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      return response.status;
    }, `/api/v1/relay/halted-tenants/${stuck.tenantId}/resume`);
    expect(withoutCsrf).toBe(403);
    await context.close();
  });

  test("a tenant admin's credential and session see neither the pages nor the operations", async () => {
    const tenant = await createTenant('Curious Shop');
    const asTenant = { 'x-api-key': tenant.apiKey };
    for (const path of ['/api/v1/relay', '/api/v1/kafka/topics', '/api/v1/kafka/consumer-groups']) {
      expect({ path, status: (await call(gateway.url, 'GET', path, { headers: asTenant })).status }).toEqual({
        path,
        status: 403,
      });
    }
    const resume = await call(gateway.url, 'POST', `/api/v1/relay/halted-tenants/${tenant.tenantId}/resume`, {
      headers: asTenant,
    });
    expect(resume.status).toBe(403);

    const context = await browser.newContext();
    const page = await signIn(gateway.url, context, tenant.apiKey);
    await expect(page.getByRole('link', { name: 'Relay' }).count()).resolves.toBe(0);
    for (const path of ['/admin/relay', '/admin/kafka']) {
      expect({ path, status: (await page.goto(`${gateway.url}${path}`))?.status() }).toEqual({
        path,
        status: 404,
      });
    }
    const csrf = (await page.locator('meta[name="csrf-token"]').getAttribute('content')) ?? '';
    const probe = await page.evaluate(
      async ({ path, csrf }) => {
        const response = await fetch(path, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
          body: '{}',
        });
        return response.status;
      },
      { path: `/api/v1/relay/halted-tenants/${tenant.tenantId}/resume`, csrf },
    );
    expect(probe).toBe(403);
    await context.close();
  });
});
