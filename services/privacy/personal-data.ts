import type { DatabasePool, DatabaseTransactionConnection } from 'slonik';
import type { TenantId } from '../platform/tenancy/index.ts';
import { type PersonalField, personalFields } from './personal-fields.ts';
import { open, parseSealed, seal } from './sealed-value.ts';
import type { SubjectKeyring } from './subject-keys.ts';

/** An event's data with its personal data opened: erased fields read null and are listed. */
export interface OpenedData {
  readonly data: Record<string, unknown>;
  /** The personal fields whose subject was forgotten (their key destroyed): null in `data`. */
  readonly erased: readonly string[];
}

/** The subject a personal field belongs to, in one event's data. */
export function subjectIn(field: PersonalField, data: Readonly<Record<string, unknown>>): string | undefined {
  if ('value' in field.subject) return field.subject.value;
  const subject = data[field.subject.field];
  return typeof subject === 'string' && subject !== '' ? subject : undefined;
}

/**
 * Crypto-shredding of event data, by what the schemas mark: seal each
 * personal field with its subject's key before an event is stored, open it
 * when an event is read. A value that is not sealed (null, or stored before
 * its field was marked) passes as it is.
 */
export class PersonalData {
  private readonly fields = new Map<string, readonly PersonalField[]>();

  constructor(
    private readonly keys: SubjectKeyring,
    /** Each event type and version's schema definition, as schemas/ holds it. */
    private readonly definitionOf: (eventType: string, version: number) => string,
  ) {}

  /** The personal fields of an event type's version: none for most, so sealing costs nothing there. */
  personalFieldsOf(eventType: string, version: number): readonly PersonalField[] {
    const name = `${eventType}@${version}`;
    let found = this.fields.get(name);
    if (!found) {
      found = personalFields(this.definitionOf(eventType, version));
      this.fields.set(name, found);
    }
    return found;
  }

  async seal(
    tenant: TenantId,
    eventType: string,
    version: number,
    data: Readonly<Record<string, unknown>>,
  ): Promise<Record<string, unknown>> {
    const fields = this.personalFieldsOf(eventType, version);
    if (fields.length === 0) return { ...data };
    const sealed: Record<string, unknown> = { ...data };
    for (const field of fields) {
      const value = data[field.name];
      if (typeof value !== 'string' || parseSealed(value)) continue;
      const subject = subjectIn(field, data);
      if (subject === undefined) throw new Error(`${eventType}.${field.name}: personal data with no subject`);
      const { keyId, key } = await this.keys.activeKey(tenant, subject);
      sealed[field.name] = seal(key, keyId, value, tenant, subject);
    }
    return sealed;
  }

  async open(
    db: DatabasePool | DatabaseTransactionConnection,
    tenant: TenantId,
    eventType: string,
    version: number,
    data: Readonly<Record<string, unknown>>,
  ): Promise<OpenedData> {
    const fields = this.personalFieldsOf(eventType, version);
    if (fields.length === 0) return { data: { ...data }, erased: [] };
    const sealedFields = fields.flatMap((field) => {
      const sealed = parseSealed(data[field.name]);
      return sealed ? [{ field, sealed }] : [];
    });
    if (sealedFields.length === 0) return { data: { ...data }, erased: [] };
    const keys = await this.keys.keysById(
      db,
      tenant,
      sealedFields.map(({ sealed }) => sealed.keyId),
    );
    const opened: Record<string, unknown> = { ...data };
    const erased: string[] = [];
    for (const { field, sealed } of sealedFields) {
      const key = keys.get(sealed.keyId);
      const subject = subjectIn(field, data);
      if (!key || subject === undefined) {
        opened[field.name] = null;
        erased.push(field.name);
        continue;
      }
      opened[field.name] = open(key, sealed, tenant, subject);
    }
    return { data: opened, erased };
  }
}
