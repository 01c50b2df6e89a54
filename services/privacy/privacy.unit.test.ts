import { randomBytes } from 'node:crypto';
import avro from 'avsc';
import { EventSchemas, personalDataBreaks, personalFields } from '../avro/index.ts';
import { ConfigError } from '../platform/config/index.ts';
import { type TenantId, tenantId } from '../platform/tenancy/index.ts';
import {
  LocalKeyEncryption,
  open,
  PersonalData,
  parseSealed,
  seal,
  type SealingKey,
  type SubjectKeyring,
  UnreadableSealedValueError,
} from './index.ts';

const tenant: TenantId = tenantId('6f1c0a9e-2f4b-4c8e-9d51-0a3b7c2e8f10');
const other: TenantId = tenantId('0b5e2d7c-8a1f-4c3e-9b6d-2f4a8c1e7d90');

const order = JSON.stringify({
  type: 'record',
  name: 'OrderPlaced',
  fields: [
    { name: 'customerId', type: 'string' },
    {
      name: 'customerEmail',
      type: ['null', 'string'],
      default: null,
      'confluent:tags': ['PII'],
      'eventline:subject': { field: 'customerId' },
    },
    {
      name: 'contactName',
      type: ['null', 'string'],
      default: null,
      'confluent:tags': ['PII'],
      'eventline:subject': { value: 'contact' },
    },
    { name: 'currency', type: 'string' },
  ],
});

/** Keys in memory: what a forget does is to drop one. */
class MemoryKeyring implements SubjectKeyring {
  readonly keys = new Map<string, SealingKey>();
  async sealingKey(owner: TenantId, subject: string): Promise<SealingKey> {
    const found = [...this.keys.values()].find((each) => each.tenantId === owner && each.subject === subject);
    if (found) return found;
    const made = {
      keyId: randomBytes(6).toString('hex'),
      key: randomBytes(32),
      subject,
      tenantId: owner,
      wrapped: '',
    };
    this.keys.set(made.keyId, made);
    return made;
  }
  async keysById(
    owner: TenantId,
    ids: readonly string[],
  ): Promise<Map<string, { key: Buffer; subject: string }>> {
    return new Map(
      ids.flatMap((id) => {
        const found = this.keys.get(id);
        return found && found.tenantId === owner ? [[id, found] as const] : [];
      }),
    );
  }
  forget(subject: string): void {
    for (const [id, key] of this.keys) if (key.subject === subject) this.keys.delete(id);
  }
}

describe('a sealed value', () => {
  const key = randomBytes(32);

  test('opens with its key for its tenant and subject, in the elpd1 format inside a string', () => {
    const sealed = seal(key, 'k1', 'ada@example.com', tenant, 'c-1');
    expect(sealed).toMatch(/^elpd1\.k1\.[\w-]{16}\.[\w-]+\.[\w-]{22}$/);
    expect(sealed).not.toContain('ada');
    expect(open(key, parseSealed(sealed)!, tenant, 'c-1')).toBe('ada@example.com');
  });

  test('does not open for another tenant or subject, nor altered, nor with another key', () => {
    const sealed = parseSealed(seal(key, 'k1', 'ada@example.com', tenant, 'c-1'))!;
    expect(() => open(key, sealed, other, 'c-1')).toThrow();
    expect(() => open(key, sealed, tenant, 'c-2')).toThrow();
    expect(() => open(randomBytes(32), sealed, tenant, 'c-1')).toThrow();
    const altered = { ...sealed, ciphertext: Buffer.from(sealed.ciphertext).fill(1, 0, 1) };
    expect(() => open(key, altered, tenant, 'c-1')).toThrow();
  });

  test('plaintext and other strings are not taken for one', () => {
    expect(parseSealed('ada@example.com')).toBeUndefined();
    expect(parseSealed('elpd1.only.three')).toBeUndefined();
    expect(parseSealed(null)).toBeUndefined();
  });
});

describe('personal data in a schema', () => {
  test('its fields and their subjects are read from confluent:tags and eventline:subject', () => {
    expect(personalFields(order)).toEqual([
      { name: 'customerEmail', subject: { field: 'customerId' } },
      { name: 'contactName', subject: { value: 'contact' } },
    ]);
    expect(personalDataBreaks(order)).toEqual([]);
  });

  test.each([
    [
      { name: 'email', type: ['null', 'string'], 'confluent:tags': ['PII'] },
      /field email: personal data without a subject/,
    ],
    [
      {
        name: 'email',
        type: ['null', 'string'],
        'confluent:tags': ['PII'],
        'eventline:subject': { field: 'nobody' },
      },
      /field email: its subject field nobody is not a plain/,
    ],
    [
      { name: 'age', type: 'int', 'confluent:tags': ['PII'], 'eventline:subject': { value: 'x' } },
      /field age: personal data must be \["null", "string"\]/,
    ],
    [
      {
        name: 'address',
        type: {
          type: 'record',
          name: 'A',
          fields: [{ name: 'street', type: 'string', 'confluent:tags': ['PII'] }],
        },
      },
      /field address: personal data is supported in the record's own fields only/,
    ],
  ])('%p is refused: %s', (field, reason) => {
    const schema = JSON.stringify({
      type: 'record',
      name: 'X',
      fields: [{ name: 'id', type: 'string' }, field],
    });
    expect(personalDataBreaks(schema)).toEqual([expect.stringMatching(reason)]);
  });
});

describe('key-encryption keys', () => {
  const kek = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;

  test('a wrapped key unwraps, also after a rotation while the old key is still held', async () => {
    const first = kek('one');
    const before = LocalKeyEncryption.fromEnvironment({ PERSONAL_DATA_KEK: first });
    const dataKey = randomBytes(32);
    const wrapped = await before.wrap(dataKey);
    expect(wrapped.startsWith('kek1.one.')).toBe(true);
    const rotated = LocalKeyEncryption.fromEnvironment({
      PERSONAL_DATA_KEK: kek('two'),
      PERSONAL_DATA_PREVIOUS_KEKS: first,
    });
    expect(await rotated.unwrap(wrapped)).toEqual(dataKey);
    expect((await rotated.wrap(dataKey)).startsWith('kek1.two.')).toBe(true);
    const forgotten = LocalKeyEncryption.fromEnvironment({ PERSONAL_DATA_KEK: kek('two') });
    await expect(forgotten.unwrap(wrapped)).rejects.toThrow(
      'key-encryption key "one", which this process does not hold',
    );
  });

  test.each([[{}], [{ PERSONAL_DATA_KEK: 'short:abc' }], [{ PERSONAL_DATA_KEK: 'no-id' }]])(
    '%p is a configuration error naming the variable, without the key',
    (env) => {
      expect(() => LocalKeyEncryption.fromEnvironment(env)).toThrow(ConfigError);
      expect(() => LocalKeyEncryption.fromEnvironment(env)).toThrow(/PERSONAL_DATA_KEK: /);
    },
  );
});

describe('sealing and opening event data', () => {
  const keyring = new MemoryKeyring();
  const schemas = new EventSchemas([
    {
      context: 'orders',
      eventType: 'OrderPlaced',
      version: 1,
      fullName: 'eventline.orders.OrderPlaced',
      definition: order,
      type: avro.Type.forSchema(JSON.parse(order)),
      personalFields: personalFields(order),
    },
  ]);
  const data = new PersonalData(keyring, schemas);
  const placed = { customerId: 'c-1', customerEmail: 'ada@example.com', contactName: 'Ada', currency: 'EUR' };

  test('personal fields are sealed with their subjects’ keys; the rest is left as it is', async () => {
    const { data: sealed, keys } = await data.seal(tenant, 'OrderPlaced', 1, placed);
    expect(sealed).toMatchObject({ customerId: 'c-1', currency: 'EUR' });
    // The append stores the keys with the event: one per subject sealed for.
    expect(keys.map((key) => key.subject).sort()).toEqual(['c-1', 'contact']);
    expect(JSON.stringify(sealed)).not.toMatch(/ada/i);
    expect(await data.open(tenant, sealed)).toEqual({ data: placed, erased: [] });
    expect(
      (await data.seal(tenant, 'OrderPlaced', 1, { ...placed, customerEmail: null })).data,
    ).toMatchObject({
      customerEmail: null,
    });
  });

  test('once a subject is forgotten, its fields open as null and are listed erased; others still open', async () => {
    const { data: sealed } = await data.seal(tenant, 'OrderPlaced', 1, placed);
    keyring.forget('c-1');
    expect(await data.open(tenant, sealed)).toEqual({
      data: { ...placed, customerEmail: null },
      erased: ['/customerEmail'],
    });
    // Wherever a sealed value was copied (a read model's answer), it opens, or reads erased, the same way.
    const answer = { items: [{ email: sealed.customerEmail, contact: sealed.contactName }] };
    expect(await data.open(tenant, answer)).toEqual({
      data: { items: [{ email: null, contact: 'Ada' }] },
      erased: ['/items/0/email'],
    });
  });

  test('erased paths are JSON pointers, ~ and / escaped; a value that does not open is named by its path', async () => {
    const { data: sealed } = await data.seal(tenant, 'OrderPlaced', 1, { ...placed, customerId: 'c-2' });
    const copied = { 'a/b': { '~x': sealed.customerEmail } };
    keyring.forget('c-2');
    expect(await data.open(tenant, copied)).toEqual({
      data: { 'a/b': { '~x': null } },
      erased: ['/a~1b/~0x'],
    });

    const { data: other } = await data.seal(tenant, 'OrderPlaced', 1, { ...placed, customerId: 'c-3' });
    // The ciphertext's first character changed: its first six bits differ.
    const parts = String(other.customerEmail).split('.');
    const ciphertext = parts[3] ?? '';
    parts[3] = `${ciphertext.startsWith('A') ? 'B' : 'A'}${ciphertext.slice(1)}`;
    const altered = parts.join('.');
    const opening = data.open(tenant, { items: [altered] });
    await expect(opening).rejects.toBeInstanceOf(UnreadableSealedValueError);
    await expect(opening).rejects.toMatchObject({ path: '/items/0', kind: 'internal' });
  });
});
