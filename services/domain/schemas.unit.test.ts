import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { type AnyDecider, boundedContexts, deciderForAggregateType, deciderForCommand } from './contexts.ts';
import { type DomainCommand, type DomainEvent, isRejection } from './kernel/index.ts';
import { orderLives } from './orders/order.samples.ts';
import { tenantLives } from './tenants/tenant.samples.ts';

// Keeps the TypeScript events and their Avro schemas from drifting apart: the
// events the deciders produce on their happy paths must fit the schemas exactly.

const schemasRoot = join(process.cwd(), 'schemas');

/** Sample lives per context; a new context must bring its own. */
const livesByContext = new Map<string, readonly (readonly DomainCommand[])[]>([
  ['orders', orderLives],
  ['tenants', tenantLives],
]);

function schemaFiles(context: string): string[] {
  return readdirSync(join(schemasRoot, context)).filter((file) => file.endsWith('.avsc'));
}

function readSchema(context: string, file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(schemasRoot, context, file), 'utf8'));
}

/** Names of record fields without a "doc", at any depth. */
function undocumentedFields(schema: unknown, where = ''): string[] {
  if (Array.isArray(schema)) return schema.flatMap((branch) => undocumentedFields(branch, where));
  if (typeof schema !== 'object' || schema === null) return [];
  const node = schema as Record<string, unknown>;
  const nested = [node.items, node.values].flatMap((inner) => undocumentedFields(inner, where));
  if (!Array.isArray(node.fields)) return nested;
  return nested.concat(
    node.fields.flatMap((field: { name: string; doc?: unknown; type: unknown }) => {
      const path = `${where}${field.name}`;
      const own = typeof field.doc === 'string' && field.doc.trim() !== '' ? [] : [path];
      return own.concat(undocumentedFields(field.type, `${path}.`));
    }),
  );
}

/** Runs a life through the decider as the platform would: validated payloads, events folded in turn. */
function live(decider: AnyDecider, life: readonly DomainCommand[]): DomainEvent[] {
  let state = decider.initialState;
  const produced: DomainEvent[] = [];
  for (const command of life) {
    const definition = decider.commands[command.type];
    if (!definition) throw new Error(`${decider.context} declares no command ${command.type}`);
    const outcome = decider.decide(
      { type: command.type, payload: definition.payload.parse(command.payload) },
      state,
    );
    if (isRejection(outcome))
      throw new Error(`${command.type} was rejected: ${outcome.code}: ${outcome.message}`);
    for (const event of outcome) {
      produced.push(event);
      state = decider.evolve(state, event);
    }
  }
  return produced;
}

describe.each(boundedContexts.map((decider) => [decider.context, decider] as const))(
  'the context %s',
  (context, decider) => {
    const eventTypes = Object.entries(decider.events);

    test.each(eventTypes)(
      '%s has exactly one schema of its current version, named and documented',
      (type, { currentVersion }) => {
        const expected = `${type}.v${currentVersion}.avsc`;
        expect(schemaFiles(context).filter((file) => file.toLowerCase() === expected.toLowerCase())).toEqual([
          expected,
        ]);
        const schema = readSchema(context, expected);
        expect(schema).toMatchObject({ type: 'record', name: type, namespace: `eventline.${context}` });
        expect(typeof schema.doc).toBe('string');
        expect(undocumentedFields(schema)).toEqual([]);
        expect(() => avro.Type.forSchema(schema as avro.Schema)).not.toThrow();
      },
    );

    test('every schema file belongs to a declared event type, at a version up to its current one', () => {
      for (const file of schemaFiles(context)) {
        const [, type = '', version = '0'] = /^(\w+)\.v(\d+)\.avsc$/.exec(file) ?? [];
        const declared = decider.events[type];
        expect({ file, declared: declared !== undefined }).toEqual({ file, declared: true });
        expect(Number(version)).toBeLessThanOrEqual(declared?.currentVersion ?? 0);
      }
    });

    test('the sample lives produce every event type, and each event fits its schema exactly', () => {
      const lives = livesByContext.get(context);
      if (!lives)
        throw new Error(`no sample lives for the context ${context}: add them to schemas.unit.test.ts`);
      const events = lives.flatMap((life) => live(decider, life));
      expect(new Set(events.map((event) => event.type))).toEqual(new Set(eventTypes.map(([type]) => type)));

      for (const event of events) {
        const version = decider.events[event.type]?.currentVersion;
        const type = avro.Type.forSchema(
          readSchema(context, `${event.type}.v${version}.avsc`) as avro.Schema,
        );
        const misfits: string[] = [];
        const valid = type.isValid(event.data, {
          noUndeclaredFields: true,
          errorHook: (path, value) => misfits.push(`${path.join('.') || 'data'}: ${JSON.stringify(value)}`),
        });
        expect({ event: event.type, valid, misfits }).toEqual({
          event: event.type,
          valid: true,
          misfits: [],
        });
        expect(type.fromBuffer(type.toBuffer(event.data))).toEqual(event.data);
      }
    });
  },
);

describe('the bounded contexts', () => {
  test('are the tenants and the orders', () => {
    expect(boundedContexts.map((decider) => decider.context)).toEqual(['tenants', 'orders']);
  });

  test('each command type leads to the one decider that declares it', () => {
    for (const decider of boundedContexts) {
      for (const type of Object.keys(decider.commands)) expect(deciderForCommand(type)).toBe(decider);
    }
    expect(deciderForCommand('PlaceOrder')?.aggregateType).toBe('Order');
    expect(deciderForCommand('SetTenantQuota')?.aggregateType).toBe('Tenant');
  });

  test('an unknown command type leads nowhere, whatever it looks like', () => {
    expect(deciderForCommand('LaunchRocket')).toBeUndefined();
    expect(deciderForCommand('toString')).toBeUndefined();
    expect(deciderForCommand('')).toBeUndefined();
  });

  test('an aggregate type leads to its decider', () => {
    expect(deciderForAggregateType('Order')?.context).toBe('orders');
    expect(deciderForAggregateType('Tenant')?.context).toBe('tenants');
    expect(deciderForAggregateType('order')).toBeUndefined();
  });
});
