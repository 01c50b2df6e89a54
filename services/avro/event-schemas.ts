import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import avro from 'avsc';
import { type FieldIssue, UnknownEventError, ValidationError } from '../platform/errors/index.ts';
import { projectRoot } from '../platform/paths/index.ts';
import { type PersonalField, personalFields } from './personal-fields.ts';

/** One .avsc file: schemas/<context>/<EventType>.v<version>.avsc. */
export interface EventSchema {
  readonly context: string;
  readonly eventType: string;
  readonly version: number;
  /** The record's full name, which names the registry subject: `<topic>-<fullName>`. */
  readonly fullName: string;
  readonly definition: string;
  readonly type: avro.Type;
  /** Its fields marked as personal data (docs/privacy.md): stored and published only sealed. */
  readonly personalFields: readonly PersonalField[];
}

const FILE_NAME = /^([A-Z][A-Za-z0-9]*)\.v([1-9][0-9]*)\.avsc$/;

function key(eventType: string, version: number): string {
  return `${eventType}@${version}`;
}

function pathOf(path: readonly string[]): string {
  return `/${path.join('/')}`;
}

/** The event schemas of every bounded context, as the files in schemas/ declare them. */
export class EventSchemas {
  private readonly byKey: ReadonlyMap<string, EventSchema>;
  private readonly latest: ReadonlyMap<string, EventSchema>;

  constructor(schemas: readonly EventSchema[]) {
    const byKey = new Map<string, EventSchema>();
    const latest = new Map<string, EventSchema>();
    for (const schema of schemas) {
      const id = key(schema.eventType, schema.version);
      const other = byKey.get(id);
      if (other) throw new Error(`${id} is declared by both ${other.context} and ${schema.context}`);
      byKey.set(id, schema);
      if ((latest.get(schema.eventType)?.version ?? 0) < schema.version) latest.set(schema.eventType, schema);
    }
    this.byKey = byKey;
    this.latest = latest;
  }

  static async load(dir: string = join(projectRoot(), 'schemas')): Promise<EventSchemas> {
    const schemas: EventSchema[] = [];
    for (const context of await readdir(dir, { withFileTypes: true })) {
      if (!context.isDirectory()) continue;
      for (const file of await readdir(join(dir, context.name))) {
        const match = FILE_NAME.exec(file);
        if (!match) {
          if (file.endsWith('.avsc'))
            throw new Error(`${context.name}/${file}: expected <EventType>.v<N>.avsc`);
          continue;
        }
        const [, eventType = '', version = ''] = match;
        const definition = await readFile(join(dir, context.name, file), 'utf8');
        const type = avro.Type.forSchema(JSON.parse(definition));
        const fullName = type.name ?? '';
        if (fullName !== `eventline.${context.name}.${eventType}`) {
          throw new Error(
            `${context.name}/${file}: the record must be named eventline.${context.name}.${eventType}`,
          );
        }
        schemas.push({
          context: context.name,
          eventType,
          version: Number(version),
          fullName,
          definition,
          type,
          personalFields: personalFields(definition),
        });
      }
    }
    return new EventSchemas(schemas);
  }

  all(): readonly EventSchema[] {
    return [...this.byKey.values()];
  }

  get(eventType: string, version: number): EventSchema {
    const schema = this.byKey.get(key(eventType, version));
    if (!schema) throw new UnknownEventError(eventType, version, 'no schema in schemas/ declares it');
    return schema;
  }

  /** The newest version of an event type: what readers upcast to. */
  current(eventType: string): EventSchema {
    const schema = this.latest.get(eventType);
    if (!schema) throw new UnknownEventError(eventType, 0, 'no schema in schemas/ declares this event type');
    return schema;
  }

  /** Refuses data that could not be published under its schema, naming every offending field. */
  validate(eventType: string, version: number, data: unknown): void {
    const { type } = this.get(eventType, version);
    const issues: FieldIssue[] = [];
    const valid = type.isValid(data, {
      errorHook: (path, value) => {
        issues.push({
          path: pathOf(path),
          message: `${JSON.stringify(value) ?? 'undefined'} does not fit the schema`,
        });
      },
    });
    if (!valid) {
      throw new ValidationError(`${eventType} v${version} does not match its Avro schema`, issues);
    }
  }
}
