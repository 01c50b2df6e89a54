/**
 * What operators read: one JSON line per request (the gateway as it runs, its
 * own process) and one per batch (relay and projector), with service, tenant
 * and correlation id; and never a credential, however a caller sends it.
 */
import { randomUUID } from 'node:crypto';
import type { RunningProjector } from '../../services/projector/index.ts';
import type { RunningRelay } from '../../services/relay/index.ts';
import { startTestProjector, startTestRelay } from '../projector/pipeline.ts';
import { applyTestTopology, deleteSubjects } from '../relay/harness.ts';
import { capturedLogger, type LogLine } from '../support/captured-logger.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { endpoints } from '../support/endpoints.ts';
import { type GatewayProcess, startGatewayProcess } from '../support/gateway-process.ts';
import { call } from '../support/http.ts';
import { uniqueName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';

const prefix = `${uniqueName('logs')}.`;
let db: TestDatabase;
let gateway: GatewayProcess;
let relay: RunningRelay;
let projector: RunningProjector;
const relayLog = capturedLogger('relay');
const projectorLog = capturedLogger('projector');

beforeAll(async () => {
  db = await createTestDatabase('logs');
  await applyTestTopology(prefix, endpoints().kafkaBrokers);
  gateway = await startGatewayProcess({ databaseUrl: db.appUrl, logs: true });
  relay = await startTestRelay(db, prefix, { log: relayLog.log });
  projector = await startTestProjector(db, prefix, { only: ['orders'], log: projectorLog.log });
}, 120_000);

afterAll(async () => {
  await projector?.close();
  await relay?.close();
  await gateway?.kill();
  await db?.drop();
  await deleteSubjects(prefix);
});

test('a command leaves one request line and one batch line per hop, each naming the service, tenant and correlation id, and no credential anywhere', async () => {
  const created = await call(gateway.url, 'POST', '/api/v1/tenants', {
    headers: { authorization: `Bearer ${gateway.adminToken}` },
    body: { name: 'logs', plan: 'enterprise' },
  });
  expect(created.status).toBe(201);
  const tenant = String(created.body.tenantId);
  const apiKey = String(created.body.apiKey);
  // Published first, so the order's event goes out alone and its batch line names its correlation id.
  await waitFor('the tenant’s creation published', () =>
    relayLog.lines.find((line) => line.msg === 'batch published' && line.tenant === tenant),
  );
  const correlationId = `logs-${randomUUID()}`;
  const placed = await call(gateway.url, 'POST', '/api/v1/commands/execute', {
    headers: { 'x-api-key': apiKey, 'x-correlation-id': correlationId },
    body: {
      type: 'PlaceOrder',
      payload: { customerId: 'c-1', currency: 'EUR', items: [{ sku: 's', quantity: 1, unitPrice: 1 }] },
    },
  });
  expect(placed.status).toBe(201);
  // Credentials that fail, in every place a client may put one.
  const forged = `el_${randomUUID().replaceAll('-', '')}`;
  const bearer = `eyJ${randomUUID()}.${randomUUID()}.sig`;
  const attempts: Record<string, string>[] = [{ 'x-api-key': forged }, { authorization: `Bearer ${bearer}` }];
  for (const headers of attempts) {
    const refused = await call(gateway.url, 'GET', '/api/v1/aggregates/Order/x', { headers });
    expect(refused.status).toBe(401);
  }

  const requestLine = await waitFor('the command’s request line', () =>
    gateway.logLines
      .map((line) => JSON.parse(line) as LogLine)
      .find((line) => line.msg === 'request' && line.correlationId === correlationId),
  );
  expect(requestLine).toMatchObject({
    service: 'gateway',
    tenant,
    method: 'POST',
    route: '/api/v1/commands/execute',
    status: 201,
  });

  const published = await waitFor('the relay’s batch line', () =>
    relayLog.lines.find((line) => line.msg === 'batch published' && line.correlationId === correlationId),
  );
  expect(published).toMatchObject({ service: 'relay', tenant, tenants: 1, events: 1 });
  const applied = await waitFor('the projector’s batch line', () =>
    projectorLog.lines.find((line) => line.msg === 'batch applied' && line.correlationId === correlationId),
  );
  expect(applied).toMatchObject({ service: 'projector', tenant, projection: 'orders', applied: 1 });

  const everything = [
    ...gateway.logLines,
    ...relayLog.lines.map((line) => JSON.stringify(line)),
    ...projectorLog.lines.map((line) => JSON.stringify(line)),
  ].join('\n');
  for (const secret of [gateway.adminToken, apiKey, forged, bearer]) expect(everything).not.toContain(secret);
}, 90_000);
