import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { type IPolicy, noop } from 'cockatiel';
import type { KafkaMessage } from 'kafkajs';
import type { EventSchemas } from '../avro/index.ts';
import type { Upcasters } from '../eventstore/index.ts';
import { RegistryUnavailableError } from '../messaging/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';
import type { ProjectedEvent } from '../readmodels/index.ts';

/** A record no retry can make readable (headers missing, not the wire format, a schema the registry lacks). */
export class UnreadableRecordError extends Error {
  override readonly name = 'UnreadableRecordError';
}

/** Each record's headers as text, read once: filter, decode, watermark and trace all ask (a profile's top entry). */
const readHeaders = new WeakMap<KafkaMessage, Readonly<Record<string, string>>>();

export function headersOf(message: KafkaMessage): Readonly<Record<string, string>> {
  const known = readHeaders.get(message);
  if (known) return known;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? String(value[0]) : String(value);
  }
  readHeaders.set(message, headers);
  return headers;
}

function required(headers: Readonly<Record<string, string>>, name: string): string {
  const value = headers[name];
  if (!value) throw new UnreadableRecordError(`the record has no ${name} header`);
  return value;
}

function wholeNumber(headers: Readonly<Record<string, string>>, name: string): number {
  const value = Number(required(headers, name));
  if (!Number.isSafeInteger(value) || value < 0)
    throw new UnreadableRecordError(`header ${name} is not a number`);
  return value;
}

function statusOf(error: unknown): number | undefined {
  const status =
    typeof error === 'object' && error !== null ? (error as { status?: unknown }).status : undefined;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Turns Kafka records into the events projections see: metadata from the
 * headers (CONTRACTS §8), data from the Avro value through the registry,
 * upcast to the newest schema version of its type when written with an older.
 */
export class EventDecoder {
  /** Schema ids the registry client has fetched and caches: decoding them needs no call. */
  private readonly fetched = new Set<number>();

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly schemas: EventSchemas,
    private readonly upcasters: Upcasters,
    /** The registry's circuit breaker, in front of each schema not fetched yet. */
    private readonly registryGuard: IPolicy = noop,
  ) {}

  /** The tenant and position a record claims, when its headers say (a record too broken to say has neither). */
  static origin(message: KafkaMessage): { tenantId: TenantId; position: number } | undefined {
    const headers = headersOf(message);
    const position = Number(headers['global-position']);
    const tenant = headers['tenant-id'];
    return tenant && Number.isSafeInteger(position) && position > 0
      ? { tenantId: tenant as TenantId, position }
      : undefined;
  }

  async decode(message: KafkaMessage): Promise<ProjectedEvent> {
    const headers = headersOf(message);
    const type = required(headers, 'event-type');
    const version = wholeNumber(headers, 'event-schema-version');
    const occurredAt = new Date(required(headers, 'occurred-at'));
    if (Number.isNaN(occurredAt.getTime()))
      throw new UnreadableRecordError('header occurred-at is not an instant');
    if (!message.value || message.value.length < 5 || message.value[0] !== 0) {
      throw new UnreadableRecordError('the value is not in the Confluent wire format');
    }
    const schemaId = message.value.readInt32BE(1);
    if (!this.fetched.has(schemaId)) {
      await this.registryGuard.execute(() => this.fetchSchema(schemaId, type));
      this.fetched.add(schemaId);
    }
    let decoded: unknown;
    try {
      decoded = await this.registry.decode(message.value);
    } catch (error) {
      throw new UnreadableRecordError(`${type}: ${error instanceof Error ? error.message : String(error)}`);
    }
    let current: number;
    try {
      current = this.schemas.current(type).version;
    } catch (error) {
      throw new UnreadableRecordError(error instanceof Error ? error.message : String(error));
    }
    // JSON round trip: plain objects, as handlers and the event store's replay see them.
    const data = JSON.parse(JSON.stringify(decoded)) as Record<string, unknown>;
    return {
      eventId: required(headers, 'event-id'),
      type,
      tenantId: required(headers, 'tenant-id') as TenantId,
      aggregateId: required(headers, 'aggregate-id'),
      aggregateVersion: wholeNumber(headers, 'aggregate-version'),
      globalPosition: wholeNumber(headers, 'global-position'),
      occurredAt,
      data: version < current ? this.upcasters.upcast(type, version, data, current) : data,
    };
  }

  /** Fetched (then cached) apart from decoding, to tell the registry being away from a bad record. */
  private async fetchSchema(schemaId: number, type: string): Promise<void> {
    try {
      await this.registry.getSchema(schemaId);
    } catch (error) {
      const status = statusOf(error);
      const detail = error instanceof Error ? error.message : String(error);
      if (status !== undefined && status >= 400 && status < 500) {
        throw new UnreadableRecordError(`schema ${schemaId}: ${detail}`);
      }
      throw new RegistryUnavailableError(`fetching schema ${schemaId} for ${type}: ${detail}`);
    }
  }
}
