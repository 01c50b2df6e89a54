import { randomUUID } from 'node:crypto';
import type { DatabasePool } from 'slonik';
import { EventSchemas } from '../../services/avro/index.ts';
import { CommandHandler } from '../../services/commands/index.ts';
import { PostgresEventStore, Upcasters } from '../../services/eventstore/index.ts';
import { openDatabase } from '../../services/platform/database/index.ts';
import { type TenantId, tenantId } from '../../services/platform/tenancy/index.ts';
import { asOwner } from './harness.ts';

/** Real commands through the command handler, as the gateway would send them, for many tenants. */
export class CommandStream {
  readonly tenants: TenantId[];
  private constructor(
    private readonly pool: DatabasePool,
    private readonly handler: CommandHandler,
    tenants: number,
  ) {
    this.tenants = Array.from({ length: tenants }, () => tenantId(randomUUID()));
  }

  static async open(appUrl: string, tenants: number): Promise<CommandStream> {
    const pool = await openDatabase(appUrl, { maximumPoolSize: 8 });
    const store = new PostgresEventStore(pool, await EventSchemas.load(), new Upcasters());
    return new CommandStream(pool, new CommandHandler(store), tenants);
  }

  /** One order per call: PlaceOrder then `items` AddOrderItem, in sequence, for one tenant. */
  async order(tenant: TenantId, items: number, traceparent?: string): Promise<void> {
    const envelope = (type: string, payload: unknown, aggregateId?: string) => ({
      commandId: randomUUID(),
      type,
      payload,
      tenant,
      userId: 'relay-test',
      correlationId: randomUUID(),
      ...(aggregateId ? { aggregateId } : {}),
      ...(traceparent ? { traceparent } : {}),
    });
    const placed = await this.handler.handle(
      envelope('PlaceOrder', {
        customerId: 'c-1',
        currency: 'EUR',
        items: [{ sku: 'sku-0', quantity: 1, unitPrice: 2.5 }],
      }),
    );
    for (let i = 1; i <= items; i++) {
      await this.handler.handle(
        envelope('AddOrderItem', { sku: `sku-${i}`, quantity: i, unitPrice: 1.25 * i }, placed.aggregateId),
      );
    }
  }

  /** Every tenant places `orders` orders of `items` items each, tenants concurrently, each tenant in sequence. */
  async run(orders: number, items: number, options: { traceparent?: string } = {}): Promise<void> {
    await Promise.all(
      this.tenants.map(async (tenant) => {
        for (let i = 0; i < orders; i++) await this.order(tenant, items, options.traceparent);
      }),
    );
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

export interface StoredEvent {
  event_id: string;
  tenant_id: string;
  event_type: string;
  schema_version: number;
  stream_type: string;
  stream_id: string;
  stream_version: number;
  global_position: string;
  transaction_id: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  correlation_id: string | null;
  causation_id: string | null;
  occurred_at: Date;
}

/** Every stored event in commit order ((transaction id, position)), as the owner sees them. */
export async function storedEvents(adminUrl: string): Promise<StoredEvent[]> {
  return asOwner<StoredEvent>(
    adminUrl,
    `SELECT event_id, tenant_id, event_type, schema_version, stream_type, stream_id, stream_version,
            global_position::text, transaction_id::text, data, metadata, correlation_id, causation_id, occurred_at
       FROM events ORDER BY events.transaction_id, global_position`,
  );
}
