import { randomUUID } from 'node:crypto';
import type { DatabasePool } from 'slonik';
import { EventSchemas } from '../../services/avro/index.ts';
import { CommandHandler } from '../../services/commands/index.ts';
import { PostgresEventStore, Upcasters } from '../../services/eventstore/index.ts';
import { openDatabase } from '../../services/platform/database/index.ts';
import { type TenantId, tenantId } from '../../services/platform/tenancy/index.ts';

/**
 * Real commands through the command handler, as the gateway sends them: tenants
 * created, orders placed, grown, shipped, delivered and cancelled, so every
 * handler of every projection runs. Returns the tenant's last position.
 */
export class Workload {
  readonly tenants: TenantId[];
  /** The last position each tenant's commands produced. */
  readonly lastPosition = new Map<TenantId, number>();

  private constructor(
    private readonly pool: DatabasePool,
    private readonly handler: CommandHandler,
    tenants: number,
  ) {
    this.tenants = Array.from({ length: tenants }, () => tenantId(randomUUID()));
  }

  static async open(appUrl: string, tenants: number): Promise<Workload> {
    const pool = await openDatabase(appUrl, { maximumPoolSize: 8 });
    const store = new PostgresEventStore(pool, await EventSchemas.load(), new Upcasters());
    return new Workload(pool, new CommandHandler(store), tenants);
  }

  async command(tenant: TenantId, type: string, payload: unknown, aggregateId?: string) {
    const outcome = await this.handler.handle({
      commandId: randomUUID(),
      type,
      payload,
      tenant,
      userId: 'projector-test',
      correlationId: randomUUID(),
      ...(aggregateId ? { aggregateId } : {}),
    });
    this.lastPosition.set(tenant, Math.max(this.lastPosition.get(tenant) ?? 0, outcome.position));
    return outcome;
  }

  async createTenants(): Promise<void> {
    for (const tenant of this.tenants) {
      await this.command(tenant, 'CreateTenant', { name: `t-${tenant.slice(0, 8)}`, plan: 'pro' }, tenant);
    }
  }

  /** One order through a lifecycle picked by `n`: placed, grown, then shipped+delivered, cancelled or left. */
  async order(tenant: TenantId, n: number, customerId = `c-${n % 3}`): Promise<string> {
    const currency = n % 4 === 0 ? 'USD' : 'EUR';
    const placed = await this.command(tenant, 'PlaceOrder', {
      customerId,
      currency,
      items: [{ sku: 'sku-0', quantity: 1 + (n % 3), unitPrice: 2.5 }],
    });
    const id = placed.aggregateId;
    await this.command(tenant, 'AddOrderItem', { sku: `sku-${n}`, quantity: 2, unitPrice: 1.1 }, id);
    if (n % 3 === 1) {
      await this.command(tenant, 'ShipOrder', { trackingNumber: `tr-${n}` }, id);
      await this.command(tenant, 'DeliverOrder', {}, id);
    } else if (n % 3 === 2) {
      await this.command(tenant, 'CancelOrder', { reason: 'changed mind' }, id);
    }
    return id;
  }

  /** Every tenant runs `orders` orders, tenants concurrently, each in sequence; one rename per tenant midway. */
  async run(orders: number, from = 0): Promise<void> {
    await Promise.all(
      this.tenants.map(async (tenant) => {
        for (let n = from; n < from + orders; n++) {
          await this.order(tenant, n);
          if (n === from + Math.floor(orders / 2)) {
            await this.command(tenant, 'RenameTenant', { name: `renamed-${n}` }, tenant);
          }
        }
      }),
    );
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
