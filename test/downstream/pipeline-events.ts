import { randomBytes, randomUUID } from 'node:crypto';
import { ADMIN_TOKEN, type TestGateway } from '../support/gateway.ts';
import { type Answer, call } from '../support/http.ts';

// Drives every command of every bounded context through a real gateway, concurrently,
// so that the topics carry every event type and a tenant's appends race each other.

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** A fresh W3C trace context per request: every event is stored within a trace, so carries traceparent. */
function traced(headers: Record<string, string>): Record<string, string> {
  return {
    ...headers,
    traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`,
  };
}

function accepted(answer: Answer, what: string): Answer {
  if (answer.status !== 200 && answer.status !== 201)
    throw new Error(`${what} answered ${answer.status}: ${answer.text}`);
  return answer;
}

interface Tenant {
  readonly id: string;
  readonly key: Record<string, string>;
}

async function createTenant(gw: TestGateway, name: string): Promise<Tenant> {
  const created = accepted(
    await call(gw.url, 'POST', '/api/v1/tenants', {
      headers: traced(admin),
      body: { name, plan: 'enterprise' },
    }),
    'creating a tenant',
  );
  return { id: String(created.body.tenantId), key: { 'x-api-key': String(created.body.apiKey) } };
}

async function platformCommand(
  gw: TestGateway,
  tenant: Tenant,
  type: string,
  payload: object,
): Promise<void> {
  accepted(
    await call(gw.url, 'POST', `/api/v1/tenants/${tenant.id}/commands/execute`, {
      headers: traced(admin),
      body: { type, payload },
    }),
    type,
  );
}

async function command(gw: TestGateway, tenant: Tenant, body: object): Promise<Answer> {
  return accepted(
    await call(gw.url, 'POST', '/api/v1/commands/execute', { headers: traced(tenant.key), body }),
    JSON.stringify(body),
  );
}

/** An order's whole life: placed, then delivered (with or without a date) or cancelled. */
async function orderLife(gw: TestGateway, tenant: Tenant, life: number): Promise<void> {
  const placed = await command(gw, tenant, {
    type: 'PlaceOrder',
    payload: { customerId: `c-${life}`, currency: 'EUR', items: [{ sku: 'a', quantity: 1, unitPrice: 2.5 }] },
  });
  const aggregateId = String(placed.body.aggregateId);
  const next = (type: string, payload: object) => command(gw, tenant, { type, aggregateId, payload });
  if (life % 2 === 1) {
    await next('CancelOrder', { reason: 'changed their mind' });
    return;
  }
  await next('AddOrderItem', { sku: 'b', quantity: 2, unitPrice: 4 });
  await next('ShipOrder', { trackingNumber: `1Z${life}` });
  await next('DeliverOrder', life % 4 === 0 ? { deliveredAt: '2026-12-01T14:30:00.000Z' } : {});
}

/** A tenant's privacy routes (docs/privacy.md): they append SubjectForgotten and TenantOffboarded. */
async function erasure(gw: TestGateway, tenant: Tenant, path: string, body?: object): Promise<void> {
  accepted(
    await call(gw.url, 'POST', `/api/v1/tenants/${tenant.id}/${path}`, {
      headers: traced(tenant.key),
      ...(body ? { body } : {}),
    }),
    path,
  );
}

/**
 * Every event type of both contexts, for `tenants` tenants with `lives` orders each: tenant
 * created, renamed, suspended (with and without a reason), reactivated, given a quota; orders
 * placed, added to, shipped, delivered, cancelled, each tenant's lives at once; a customer of
 * each tenant forgotten; and the last tenant offboarded.
 */
export async function driveEveryEventType(gw: TestGateway, tenants: number, lives: number): Promise<void> {
  await Promise.all(
    Array.from({ length: tenants }, async (_, index) => {
      const tenant = await createTenant(gw, `downstream-${randomUUID()}`);
      await command(gw, tenant, {
        type: 'RenameTenant',
        aggregateId: tenant.id,
        payload: { name: `renamed-${index}` },
      });
      await platformCommand(
        gw,
        tenant,
        'SuspendTenant',
        index % 2 === 0 ? { reason: 'invoice overdue' } : {},
      );
      await platformCommand(gw, tenant, 'ReactivateTenant', { reason: 'paid' });
      await Promise.all(Array.from({ length: lives }, (_, life) => orderLife(gw, tenant, life)));
      await platformCommand(gw, tenant, 'SetTenantQuota', {
        commandsPerMinute: 6000,
        maxBurst: 1000,
        eventsPerDay: 1_000_000,
      });
      await erasure(gw, tenant, 'subjects/c-0/forget');
      if (index === tenants - 1) await erasure(gw, tenant, 'offboard', { reason: 'left' });
    }),
  );
}
