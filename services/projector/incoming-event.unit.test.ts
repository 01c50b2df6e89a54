import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { projectRoot } from '../platform/paths/index.ts';
import { plainData } from './incoming-event.ts';

const jsonRoundTrip = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

function shippedSchemas(): string[] {
  const root = join(projectRoot(), 'schemas');
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.avsc'))
    .map((file) => join(root, file));
}

test("avsc's decoded records of every shipped schema become what a JSON round trip gives", () => {
  for (const file of shippedSchemas()) {
    const type = avro.Type.forSchema(JSON.parse(readFileSync(file, 'utf8')));
    // Random values cover enums, nested records, arrays and both sides of nullable unions.
    for (let sample = 0; sample < 20; sample++) {
      const decoded: unknown = type.fromBuffer(type.toBuffer(type.random()));
      const plain = plainData(decoded);
      expect(plain).toStrictEqual(jsonRoundTrip(decoded));
      expect(Object.getPrototypeOf(plain)).toBe(Object.prototype);
    }
  }
});

test('values JSON cannot hold come out as JSON gives them', () => {
  const value = {
    missing: undefined,
    notANumber: Number.NaN,
    infinite: Number.POSITIVE_INFINITY,
    negativeZero: -0,
    list: [undefined, 1, Number.NaN],
    bytes: Buffer.from('ab'),
    nested: { when: new Date(0), flag: true, nothing: null },
  };
  expect(plainData(value)).toStrictEqual(jsonRoundTrip(value));
});
