import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { type IPolicy, noop } from 'cockatiel';
import type { KafkaMessage } from 'kafkajs';
import type { EventSchemas } from '../avro/index.ts';
import type { Upcasters } from '../eventstore/index.ts';
import { RegistryUnavailableError } from '../messaging/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';
import type { ProjectedEvent } from '../readmodels/index.ts';

type WriterSchema = Awaited<ReturnType<SchemaRegistry['getSchema']>>;

/** What a record's headers and value's first bytes say, checked before its Avro is read. */
interface Envelope {
  readonly headers: Readonly<Record<string, string>>;
  readonly type: string;
  readonly version: number;
  readonly occurredAt: Date;
  readonly value: Buffer;
  readonly schemaId: number;
}

/** A record no retry can make readable (headers missing, not the wire format, a schema the registry lacks). */
export class UnreadableRecordError extends Error {
  override readonly name = 'UnreadableRecordError';
}

/**
 * Each record's headers as text, read once and kept on the record: filter,
 * decode, watermark and trace all ask (a profile's top entry). A WeakMap kept
 * them before: its get and set were two fifths of this function's time in a
 * catch-up's profile, and a WeakMap's entries are more work for every GC.
 */
const HEADER_TEXT = Symbol('eventline.headerText');

type CarryingText = KafkaMessage & { [HEADER_TEXT]?: Readonly<Record<string, string>> };

export function headersOf(message: KafkaMessage): Readonly<Record<string, string>> {
  const known = (message as CarryingText)[HEADER_TEXT];
  if (known) return known;
  const headers: Record<string, string> = {};
  const raw = message.headers ?? {};
  for (const name in raw) {
    const value = raw[name];
    if (value !== undefined) headers[name] = Array.isArray(value) ? String(value[0]) : String(value);
  }
  (message as CarryingText)[HEADER_TEXT] = headers;
  return headers;
}

/** Another consumer group's copy of the same record was read already: its text stands for this copy too. */
export function shareHeaders(message: KafkaMessage, headers: Readonly<Record<string, string>>): void {
  (message as CarryingText)[HEADER_TEXT] = headers;
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

/**
 * What `JSON.parse(JSON.stringify(value))` gives, without the text in between
 * (it was 4 % of the projector's profile): avsc decodes records as instances of
 * generated classes, and handlers and the event store's replay see plain objects.
 */
export function plainData(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value + 0 : null;
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => plainData(item) ?? null);
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return JSON.parse(JSON.stringify(value));
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const field = plainData((value as Record<string, unknown>)[key]);
    if (field !== undefined && typeof field !== 'function') copy[key] = field;
  }
  return copy;
}

function statusOf(error: unknown): number | undefined {
  const status =
    typeof error === 'object' && error !== null ? (error as { status?: unknown }).status : undefined;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Turns Kafka records into the events projections see: metadata from the
 * headers (docs/contracts.md §8), data from the Avro value through the registry,
 * upcast to the newest schema version of its type when written with an older.
 */
export class EventDecoder {
  /** Writer schemas by id, fetched once: decoding with them is synchronous, no registry call or promise. */
  private readonly readers = new Map<number, WriterSchema>();

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

  /** The event now, or undefined while the registry has not given its writer schema yet (decode fetches it). */
  decodeKnown(message: KafkaMessage): ProjectedEvent | undefined {
    const envelope = this.envelopeOf(message);
    const reader = this.readers.get(envelope.schemaId);
    return reader && this.decodeWith(reader, envelope);
  }

  async decode(message: KafkaMessage): Promise<ProjectedEvent> {
    const envelope = this.envelopeOf(message);
    let reader = this.readers.get(envelope.schemaId);
    if (!reader) {
      const { schemaId, type } = envelope;
      reader = await this.registryGuard.execute(() => this.fetchSchema(schemaId, type));
      this.readers.set(schemaId, reader);
    }
    return this.decodeWith(reader, envelope);
  }

  private envelopeOf(message: KafkaMessage): Envelope {
    const headers = headersOf(message);
    const type = required(headers, 'event-type');
    const version = wholeNumber(headers, 'event-schema-version');
    const occurredAt = new Date(required(headers, 'occurred-at'));
    if (Number.isNaN(occurredAt.getTime()))
      throw new UnreadableRecordError('header occurred-at is not an instant');
    const value = message.value;
    if (!value || value.length < 5 || value[0] !== 0) {
      throw new UnreadableRecordError('the value is not in the Confluent wire format');
    }
    return { headers, type, version, occurredAt, value, schemaId: value.readInt32BE(1) };
  }

  private decodeWith(reader: WriterSchema, envelope: Envelope): ProjectedEvent {
    const { headers, type, version } = envelope;
    let decoded: unknown;
    try {
      decoded = reader.fromBuffer(envelope.value.subarray(5));
    } catch (error) {
      throw new UnreadableRecordError(`${type}: ${error instanceof Error ? error.message : String(error)}`);
    }
    let current: number;
    try {
      current = this.schemas.current(type).version;
    } catch (error) {
      throw new UnreadableRecordError(error instanceof Error ? error.message : String(error));
    }
    const data = plainData(decoded) as Record<string, unknown>;
    return {
      eventId: required(headers, 'event-id'),
      type,
      tenantId: required(headers, 'tenant-id') as TenantId,
      aggregateId: required(headers, 'aggregate-id'),
      aggregateVersion: wholeNumber(headers, 'aggregate-version'),
      globalPosition: wholeNumber(headers, 'global-position'),
      occurredAt: envelope.occurredAt,
      data: version < current ? this.upcasters.upcast(type, version, data, current) : data,
    };
  }

  /**
   * Fetched (then cached) apart from decoding, to tell the registry being away from a bad record.
   * Only a 404 says the registry lacks the schema: the client (mappersmith) reports a refused
   * connection or its own timeout as status 400, and parking every event for those would empty
   * the read models through a registry outage (found by `make chaos`, registry-outage).
   */
  private async fetchSchema(schemaId: number, type: string): Promise<WriterSchema> {
    try {
      return await this.registry.getSchema(schemaId);
    } catch (error) {
      const status = statusOf(error);
      const detail = error instanceof Error ? error.message : String(error);
      if (status === 404) {
        throw new UnreadableRecordError(`schema ${schemaId}: ${detail}`);
      }
      throw new RegistryUnavailableError(`fetching schema ${schemaId} for ${type}: ${detail}`);
    }
  }
}
