import { type SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { IPolicy } from 'cockatiel';
import type { EventSchemas } from '../avro/index.ts';
import { DependencyUnavailableError } from '../platform/errors/index.ts';
import { subjectName } from './topic-names.ts';

/**
 * An event that cannot be encoded as its schema says: no retry helps, an
 * operator must fix the schema (or the registry's subject) first.
 */
export class UnencodableEventError extends Error {
  override readonly name = 'UnencodableEventError';
}

/** The registry did not answer, or answered with a server error: retry later (an outage, platform/resilience). */
export class RegistryUnavailableError extends DependencyUnavailableError {
  constructor(message: string, options?: ErrorOptions) {
    super('schema-registry', message, options);
  }
}

// The client's error classes are not exported from its entry point: they are told apart by name.
function clientError(error: unknown, name: string): error is Error {
  return error instanceof Error && error.name === name;
}

function statusOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'status' in error) {
    const status = (error as { status: unknown }).status;
    return typeof status === 'number' ? status : undefined;
  }
  return undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The registry refused the schema itself (incompatible with the subject, or invalid): not a passing outage. */
function refusedSchema(error: unknown): boolean {
  const status = statusOf(error);
  return status === 409 || status === 422 || (error instanceof Error && error.name.includes('Compatibility'));
}

type Schema = Awaited<ReturnType<SchemaRegistry['getSchema']>>;

/** An event type's schema version on a topic, ready to write: its wire-format prefix and Avro type. */
interface Writer {
  /** Byte 0, then the schema id (big-endian): the Confluent wire format's header. */
  readonly prefix: Buffer;
  readonly schema: Schema;
}

/**
 * Encodes events in the Confluent wire format under `<topic>-<record full name>`
 * (TopicRecordNameStrategy). A schema's id and Avro type are looked up once per
 * process; a schema the subject lacks is registered (as `eventline schemas
 * register` would), so a relay never waits for a deploy step to publish. Once
 * known, an event is encoded without the registry client or its breaker: the
 * relay encodes every event it publishes, and those per-event calls cost more
 * than the encoding.
 */
export class EventCodec {
  private readonly ids = new Map<string, Promise<number>>();
  private readonly writers = new Map<string, Promise<Writer>>();

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly schemas: EventSchemas,
    /** Wraps every registry call: the registry's circuit breaker. */
    private readonly registryPolicy: IPolicy,
  ) {}

  /** The registry id of an event type's schema version on a topic. */
  async schemaId(topic: string, eventType: string, version: number): Promise<number> {
    return this.remembered(this.ids, topic, eventType, version, () =>
      this.resolve(topic, eventType, version),
    );
  }

  async encode(topic: string, eventType: string, version: number, data: unknown): Promise<Buffer> {
    const writer = await this.remembered(this.writers, topic, eventType, version, () =>
      this.writer(topic, eventType, version),
    );
    let payload: Buffer;
    try {
      payload = writer.schema.toBuffer(data as object);
    } catch {
      const paths: string[][] = [];
      writer.schema.isValid(data as object, { errorHook: (path) => paths.push(path) });
      const fields = paths.map((path) => `/${path.join('/')}`).join(', ') || '(the record)';
      throw new UnencodableEventError(`${eventType} v${version} does not fit its schema at ${fields}`);
    }
    return Buffer.concat([writer.prefix, payload], writer.prefix.length + payload.length);
  }

  /** Looks up once per key; a failed lookup is not remembered: the next event tries again. */
  private remembered<T>(
    cache: Map<string, Promise<T>>,
    topic: string,
    eventType: string,
    version: number,
    lookUp: () => Promise<T>,
  ): Promise<T> {
    const key = `${topic}\u0000${eventType}\u0000${version}`;
    let found = cache.get(key);
    if (!found) {
      found = lookUp();
      cache.set(key, found);
      found.catch(() => cache.delete(key));
    }
    return found;
  }

  private async writer(topic: string, eventType: string, version: number): Promise<Writer> {
    const id = await this.schemaId(topic, eventType, version);
    let schema: Schema;
    try {
      schema = await this.registryPolicy.execute(() => this.registry.getSchema(id));
    } catch (error) {
      throw this.classify(error, `fetching schema ${id} for ${eventType} v${version}`);
    }
    const prefix = Buffer.alloc(5);
    prefix.writeInt32BE(id, 1);
    return { prefix, schema };
  }

  private async resolve(topic: string, eventType: string, version: number): Promise<number> {
    let schema;
    try {
      schema = this.schemas.get(eventType, version);
    } catch (error) {
      throw new UnencodableEventError(messageOf(error));
    }
    const subject = subjectName(topic, schema.fullName);
    const confluent = { type: SchemaType.AVRO, schema: schema.definition } as const;
    try {
      return await this.registryPolicy.execute(async () => {
        try {
          return await this.registry.getRegistryIdBySchema(subject, confluent);
        } catch (error) {
          // Not registered under this subject yet: the client turns that 404 into its base error, without a status.
          if (!clientError(error, 'ConfluentSchemaRegistryError') || statusOf(error) !== undefined)
            throw error;
          try {
            return (await this.registry.register(confluent, { subject })).id;
          } catch (registering) {
            // Relay replicas starting together race to create the subject, and the registry
            // refuses the later one (409): the schema is there now, under the id looked up.
            return await this.registry.getRegistryIdBySchema(subject, confluent).catch(() => {
              throw registering;
            });
          }
        }
      });
    } catch (error) {
      throw this.classify(error, `registering ${subject}`);
    }
  }

  private classify(error: unknown, doing: string): Error {
    if (error instanceof UnencodableEventError) return error;
    if (refusedSchema(error))
      return new UnencodableEventError(`${doing}: the registry refused: ${messageOf(error)}`);
    return new RegistryUnavailableError(`${doing}: ${messageOf(error)}`);
  }
}
