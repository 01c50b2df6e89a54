/**
 * Steady command load from many tenants through the real gateway's HTTP API,
 * and a periodic query load, recording every answer: what was acknowledged
 * (the events the checks then look for everywhere), and each status seen, by
 * phase of the scenario (before, during and after the fault).
 */
import { randomUUID } from 'node:crypto';
import { sleep } from '../lib/stack.ts';

export type Phase = 'before' | 'fault' | 'after';

/** One acknowledged command: the gateway answered 2xx with these events. */
export interface Acknowledged {
  readonly tenantId: string;
  readonly aggregateId: string;
  readonly version: number;
  readonly eventIds: readonly string[];
  readonly position: number;
  readonly answeredAt: number;
}

export interface Tenant {
  readonly tenantId: string;
  readonly apiKey: string;
}

/** What was answered, per phase: a status code ("201"), or a transport failure ("ECONNREFUSED", "timeout"). */
export type Tally = Record<Phase, Record<string, number>>;

export interface AnswerLog {
  readonly commands: Tally;
  readonly queries: Tally;
  /** 5xx other than 503, or 503 without Retry-After: each one a failure of the scenario. */
  readonly violations: string[];
  /** Latencies in ms of 2xx commands and queries, with when they were answered (ms since the epoch). */
  readonly commandLatencies: { at: number; ms: number }[];
  readonly queryLatencies: { at: number; ms: number }[];
}

function emptyTally(): Tally {
  return { before: {}, fault: {}, after: {} };
}

function count(tally: Tally, phase: Phase, key: string): void {
  tally[phase][key] = (tally[phase][key] ?? 0) + 1;
}

function transportFailure(error: unknown): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') return 'timeout';
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ?? (error instanceof Error ? error.name : 'error');
}

export interface LoadOptions {
  /** The gateways' API URLs; requests go round-robin over those that are up. */
  readonly gateways: () => readonly string[];
  readonly tenants: readonly Tenant[];
  /** Commands per second, over all tenants. */
  readonly commandsPerSecond: number;
  /** Queries per second, over all tenants (0: none). */
  readonly queriesPerSecond: number;
  /** Keep each 2xx's latency (the soak needs them; the fault scenarios too, for the record). */
  readonly keepLatencies?: boolean;
}

/**
 * Each tenant runs one order at a time (PlaceOrder, AddOrderItem, then shipped and
 * delivered, cancelled, or left placed), one command in flight per tenant, paced so
 * that all tenants together offer `commandsPerSecond`. A command that is not
 * acknowledged ends its order: the next one starts afresh, so a lost answer never
 * turns the rest of an order into refusals.
 */
export class Load {
  readonly acknowledged: Acknowledged[] = [];
  readonly answers: AnswerLog = {
    commands: emptyTally(),
    queries: emptyTally(),
    violations: [],
    commandLatencies: [],
    queryLatencies: [],
  };
  phase: Phase = 'before';
  /** When the first 2xx command answered after `markRecovery()` was called. */
  firstSuccessAfter: number | undefined;
  private recoveryFrom: number | undefined;
  private running = false;
  private workers: Promise<void>[] = [];
  private next = 0;
  private readonly ordersOf = new Map<string, string[]>();

  constructor(private readonly options: LoadOptions) {}

  start(): void {
    this.running = true;
    const interval = (1000 * this.options.tenants.length) / this.options.commandsPerSecond;
    this.workers = this.options.tenants.map((tenant, i) =>
      this.tenantLoop(tenant, interval, (interval * i) / this.options.tenants.length),
    );
    if (this.options.queriesPerSecond > 0) this.workers.push(this.queryLoop());
  }

  /** Stops issuing; resolves once every request in flight has been answered. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  /** From now on, note the first acknowledged command (the fault is over). */
  markRecovery(at = Date.now()): void {
    this.recoveryFrom = at;
    this.firstSuccessAfter = undefined;
  }

  /** Commands acknowledged so far. */
  get acknowledgedCount(): number {
    return this.acknowledged.length;
  }

  private gateway(): string | undefined {
    const up = this.options.gateways();
    if (up.length === 0) return undefined;
    this.next = (this.next + 1) % up.length;
    return up[this.next];
  }

  private async send(
    kind: 'commands' | 'queries',
    tenant: Tenant,
    path: string,
    body: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> } | undefined> {
    const phase = this.phase;
    const tally = this.answers[kind];
    const url = this.gateway();
    if (!url) {
      count(tally, phase, 'no gateway up');
      await sleep(50);
      return undefined;
    }
    const began = performance.now();
    try {
      const response = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'x-api-key': tenant.apiKey, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await response.text();
      const status = response.status;
      count(tally, phase, String(status));
      if (status >= 500 && (status !== 503 || !response.headers.get('retry-after'))) {
        this.answers.violations.push(`${kind} ${phase}: ${status} ${text.slice(0, 200)}`);
      }
      if (status >= 200 && status < 300 && this.options.keepLatencies !== false) {
        const latencies = kind === 'commands' ? this.answers.commandLatencies : this.answers.queryLatencies;
        latencies.push({ at: Date.now(), ms: performance.now() - began });
      }
      let parsed: Record<string, unknown> = {};
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch {
        // a non-JSON body (a proxy's error page) counts by its status alone
      }
      return { status, body: parsed };
    } catch (error) {
      count(tally, phase, transportFailure(error));
      // A refused connection answers at once: pace the retry instead of spinning.
      await sleep(20);
      return undefined;
    }
  }

  private async command(
    tenant: Tenant,
    type: string,
    payload: unknown,
    aggregateId?: string,
  ): Promise<string | undefined> {
    const answer = await this.send('commands', tenant, '/api/v1/commands/execute', {
      type,
      ...(aggregateId ? { aggregateId } : {}),
      payload,
    });
    if (!answer || answer.status < 200 || answer.status >= 300) return undefined;
    const body = answer.body;
    const now = Date.now();
    this.acknowledged.push({
      tenantId: tenant.tenantId,
      aggregateId: String(body.aggregateId),
      version: Number(body.version),
      eventIds: Array.isArray(body.eventIds) ? body.eventIds.map(String) : [],
      position: Number(body.position),
      answeredAt: now,
    });
    if (this.recoveryFrom !== undefined && this.firstSuccessAfter === undefined && now >= this.recoveryFrom) {
      this.firstSuccessAfter = now;
    }
    return String(body.aggregateId);
  }

  private async tenantLoop(tenant: Tenant, intervalMs: number, offsetMs: number): Promise<void> {
    let due = performance.now() + offsetMs;
    const paced = async () => {
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      // Behind schedule (slow answers): do not burst to catch up, keep the rate from now on.
      due = Math.max(due, performance.now() - intervalMs) + intervalMs;
      return this.running;
    };
    for (let n = 0; await paced(); n++) {
      const orderId = await this.command(tenant, 'PlaceOrder', {
        customerId: `c-${n % 5}`,
        currency: n % 4 === 0 ? 'USD' : 'EUR',
        items: [{ sku: `sku-${n % 7}`, quantity: 1 + (n % 3), unitPrice: 2.5 }],
      });
      if (!orderId) continue;
      const orders = this.ordersOf.get(tenant.tenantId) ?? [];
      if (orders.length < 200) orders.push(orderId);
      this.ordersOf.set(tenant.tenantId, orders);
      if (!(await paced())) break;
      const added = await this.command(
        tenant,
        'AddOrderItem',
        { sku: `sku-${n}`, quantity: 2, unitPrice: 1.1 },
        orderId,
      );
      if (!added) continue;
      if (n % 3 === 1) {
        if (!(await paced())) break;
        if (!(await this.command(tenant, 'ShipOrder', { trackingNumber: `tr-${n}` }, orderId))) continue;
        if (!(await paced())) break;
        await this.command(tenant, 'DeliverOrder', {}, orderId);
      } else if (n % 3 === 2) {
        if (!(await paced())) break;
        await this.command(tenant, 'CancelOrder', { reason: 'changed mind' }, orderId);
      }
    }
  }

  private async queryLoop(): Promise<void> {
    const interval = 1000 / this.options.queriesPerSecond;
    const inFlight = new Set<Promise<void>>();
    let due = performance.now();
    for (let n = 0; this.running; n++) {
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      due = Math.max(due, performance.now() - interval) + interval;
      const tenant = this.options.tenants[n % this.options.tenants.length];
      if (!tenant || inFlight.size >= 32) continue;
      const orders = this.ordersOf.get(tenant.tenantId) ?? [];
      const orderId = orders[n % Math.max(1, orders.length)];
      const query =
        n % 2 === 0 && orderId
          ? { type: 'GetOrder', params: { orderId } }
          : { type: 'ListOrders', params: { limit: 20 } };
      const request = this.send('queries', tenant, '/api/v1/queries/execute', query).then(() => undefined);
      inFlight.add(request);
      void request.finally(() => inFlight.delete(request));
    }
    await Promise.all(inFlight);
  }
}

/** Tenants created through the gateway's admin API, with quotas no load here can reach. */
export async function createTenants(
  gatewayUrl: string,
  adminToken: string,
  count: number,
  label: string,
): Promise<Tenant[]> {
  const admin = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
  const tenants: Tenant[] = [];
  for (let i = 0; i < count; i++) {
    const created = await fetch(`${gatewayUrl}/api/v1/tenants`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ name: `${label}-${i}-${randomUUID().slice(0, 8)}`, plan: 'enterprise' }),
    });
    const body = (await created.json()) as { tenantId?: string; apiKey?: string };
    if (created.status !== 201 || !body.tenantId || !body.apiKey) {
      throw new Error(`creating tenant ${i}: ${created.status} ${JSON.stringify(body)}`);
    }
    const quota = await fetch(`${gatewayUrl}/api/v1/tenants/${body.tenantId}/commands/execute`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({
        type: 'SetTenantQuota',
        payload: { commandsPerMinute: 1_000_000, maxBurst: 1_000_000, eventsPerDay: 1_000_000_000 },
      }),
    });
    if (!quota.ok) throw new Error(`raising tenant ${i}'s quota: ${quota.status} ${await quota.text()}`);
    tenants.push({ tenantId: body.tenantId, apiKey: body.apiKey });
  }
  return tenants;
}
