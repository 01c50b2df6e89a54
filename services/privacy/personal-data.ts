import { EventlineError } from '../platform/errors/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';
import { type EventSchemas, type PersonalField } from '../avro/index.ts';
import { open, parseSealed, type SealedValue, seal } from './sealed-value.ts';
import { keepingKeys, type SealingKey, type SubjectKeyring } from './subject-keys.ts';

/** An event's data with its personal fields sealed, and the keys they were sealed with. */
export interface SealedData {
  readonly data: Record<string, unknown>;
  readonly keys: readonly SealingKey[];
}

/** Data with its personal data opened: erased values read null and are listed. */
export interface OpenedData {
  readonly data: unknown;
  /** JSON pointers of the values whose subject was forgotten (their key destroyed): null in `data`. */
  readonly erased: readonly string[];
}

/**
 * A sealed value whose key is there but which does not open: altered, or
 * copied from another tenant's or subject's record. Internal where the value
 * was read from our own store; the open endpoint answers it as the caller's
 * mistake, naming the value.
 */
export class UnreadableSealedValueError extends EventlineError {
  readonly kind = 'internal';
  constructor(
    /** The value's JSON pointer in what was opened. */
    readonly path: string,
    options?: ErrorOptions,
  ) {
    super(
      `the sealed value at ${path || '/'} does not open: altered, or sealed for another tenant or subject`,
      options,
    );
  }
}

/** A JSON pointer's reference token for a member name (RFC 6901): ~ and / escaped. */
function token(name: string): string {
  // Called for every member of every value opened: most names need no escape, and skip the two copies.
  if (!name.includes('~') && !name.includes('/')) return name;
  return name.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** The subject a personal field belongs to, in one event's data. */
function subjectIn(field: PersonalField, data: Readonly<Record<string, unknown>>): string | undefined {
  if ('value' in field.subject) return field.subject.value;
  const subject = data[field.subject.field];
  return typeof subject === 'string' && subject !== '' ? subject : undefined;
}

/**
 * Crypto-shredding of event data, by what the schemas mark: seal each
 * personal field with its subject's key before an event is stored; open sealed
 * values wherever they were copied (an event, a read-model answer) only at the
 * edge, for the caller. A value that is not sealed passes as it is.
 */
export class PersonalData {
  constructor(
    private readonly keys: SubjectKeyring,
    private readonly schemas: EventSchemas,
  ) {}

  /** The personal fields of an event type's version: none for most, so sealing costs nothing there. */
  private personalFieldsOf(eventType: string, version: number): readonly PersonalField[] {
    return this.schemas.get(eventType, version).personalFields;
  }

  /** The data with its personal fields sealed, and the keys sealing used, which the append stores with it. */
  async seal(
    tenant: TenantId,
    eventType: string,
    version: number,
    data: Readonly<Record<string, unknown>>,
  ): Promise<SealedData> {
    const fields = this.personalFieldsOf(eventType, version);
    if (fields.length === 0) return { data: { ...data }, keys: [] };
    const sealed: Record<string, unknown> = { ...data };
    const keys = new Map<string, SealingKey>();
    for (const field of fields) {
      const value = data[field.name];
      if (typeof value !== 'string' || parseSealed(value)) continue;
      const subject = subjectIn(field, data);
      if (subject === undefined) throw new Error(`${eventType}.${field.name}: personal data with no subject`);
      const key = await this.keys.sealingKey(tenant, subject);
      keys.set(key.keyId, key);
      sealed[field.name] = seal(key.key, key.keyId, value, tenant, subject);
    }
    return { data: sealed, keys: [...keys.values()] };
  }

  /** What stores an append's keys in the append's own statement. */
  keeping(keys: readonly SealingKey[]) {
    return keepingKeys(keys);
  }

  /**
   * Opens every sealed value in any JSON (an event's data, a query's answer):
   * each opens with its key, which names its subject; a value whose key was
   * destroyed becomes null and its path (a JSON pointer) is listed as erased.
   */
  async open(tenant: TenantId, value: unknown): Promise<OpenedData> {
    const found: { path: string; sealed: SealedValue }[] = [];
    collectSealed(value, '', found);
    if (found.length === 0) return { data: value, erased: [] };
    const keys = await this.keys.keysById(
      tenant,
      found.map(({ sealed }) => sealed.keyId),
    );
    const erased: string[] = [];
    const opened = replaceSealed(value, (sealed, path) => {
      const key = keys.get(sealed.keyId);
      if (!key) {
        erased.push(path);
        return null;
      }
      try {
        return open(key.key, sealed, tenant, key.subject);
      } catch (error) {
        throw new UnreadableSealedValueError(path, { cause: error });
      }
    });
    return { data: opened, erased };
  }
}

function collectSealed(value: unknown, path: string, found: { path: string; sealed: SealedValue }[]): void {
  const sealed = parseSealed(value);
  if (sealed) {
    found.push({ path, sealed });
    return;
  }
  if (Array.isArray(value)) value.forEach((each, i) => collectSealed(each, `${path}/${i}`, found));
  else if (typeof value === 'object' && value !== null)
    for (const [name, each] of Object.entries(value)) collectSealed(each, `${path}/${token(name)}`, found);
}

function replaceSealed(
  value: unknown,
  openOne: (sealed: SealedValue, path: string) => unknown,
  path = '',
): unknown {
  const sealed = parseSealed(value);
  if (sealed) return openOne(sealed, path);
  if (Array.isArray(value)) return value.map((each, i) => replaceSealed(each, openOne, `${path}/${i}`));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(
      Object.entries(value).map(([name, each]) => [
        name,
        replaceSealed(each, openOne, `${path}/${token(name)}`),
      ]),
    );
  return value;
}
