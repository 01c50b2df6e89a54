/**
 * What sealing personal data costs an append (issue 17): OrderPlaced events
 * with a customer's email and shipping address, appended through
 * PostgresEventStore as the gateway's PlaceOrder does (one event, a new
 * stream), sealed and in the clear, at concurrency 1 and 64, in one process
 * against one database, the variants taking turns round by round.
 *
 * The only difference between them is the sealing: every variant runs the same
 * store code with the same events (same fields, same lengths) on the same pool;
 * the plain one is given a sealer that copies the data as it is, so its personal
 * fields are stored in the clear (in the bench's own database, dropped after it).
 * The sealed ones use PersonalData over SubjectKeys, as the gateway does,
 * with three kinds of customer: a few regulars, whose key this process still
 * seals with (SubjectKeys' 5-second sealing key: the encryption alone,
 * AES-256-GCM per field, the longer ciphertext stored, and the key sent again
 * with each append); returning customers, whom this process holds no key for
 * (a shop's customers order days apart); and a new customer per order. For
 * both of the latter a key is made, wrapped and stored by the append itself,
 * in its own statement: the two are the same work, kept apart to compare with
 * the figures from before keys rode with the appends. No peer runs here.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { DatabasePool } from 'slonik';
import { z } from 'zod';
import type { EventSchemas } from '../../services/avro/index.ts';
import {
  type EventMetadata,
  newStreamId,
  type PersonalDataSealer,
  PostgresEventStore,
  Upcasters,
} from '../../services/eventstore/index.ts';
import { openDatabase, sql } from '../../services/platform/database/index.ts';
import { type TenantId, tenantId } from '../../services/platform/tenancy/index.ts';
import { LocalKeyEncryption, PersonalData, SubjectKeys } from '../../services/privacy/index.ts';
import { createDatabase, type Endpoints } from '../lib/databases.ts';
import { CLOSED_LOOP, closedLoop } from '../lib/load.ts';
import { figure, NO_PEER, type ScenarioResult, type TargetCheck } from '../lib/report.ts';
import { percentiles } from '../lib/stats.ts';

type Log = (line: string) => void;

export interface PersonalDataBenchOptions {
  readonly quick: boolean;
  readonly endpoints: Endpoints;
  readonly schemas: EventSchemas;
  readonly log: Log;
}

const METADATA: EventMetadata = { correlationId: 'bench-correlation', causationId: 'bench-command' };
/** So few that this process keeps sealing with their keys (5 s): what the encryption alone costs. */
const REGULARS = 10;
/** The most sealing may cost: the target. */
const TARGET_SHARE = 0.9;

/** A customer id of fixed length, so every variant's events are the same size. */
const customerId = () => `c-${randomUUID()}`;

function orderPlaced(customer: string): Record<string, unknown> {
  return {
    customerId: customer,
    customerEmail: `${customer}@example.com`,
    shippingAddress: '12 Market Street, 1000 Brussels, Belgium',
    currency: 'EUR',
    items: [{ sku: 'sku-1', quantity: 2, unitPrice: 35.5 }],
  };
}

/** Customers in turn: each comes back after all the others, so after `list.length` appends. */
function inTurn(list: readonly string[]): () => string {
  let next = 0;
  return () => list[next++ % list.length] as string;
}

/** The baseline's sealer: the same copy PersonalData.seal makes, and no encryption. */
const inTheClear: PersonalDataSealer = {
  seal: async (_tenant, _type, _version, data) => ({ data: { ...data }, keys: [] }),
  keeping: () => {
    throw new Error('nothing was sealed, so there is no key to keep');
  },
};

interface Variant {
  readonly name: 'plain' | 'hot' | 'warm' | 'new';
  readonly store: PostgresEventStore;
  /** The customer of the next order a worker places. */
  readonly customer: () => string;
}

interface Measured {
  readonly rate: number[];
  readonly p50: number[];
  readonly p99: number[];
}

async function synchronousCommit(pool: DatabasePool): Promise<string> {
  const setting = await pool.oneFirst(
    sql.type(z.object({ synchronous_commit: z.string() }))`SHOW synchronous_commit`,
  );
  if (setting !== 'on') throw new Error(`synchronous_commit is ${setting}: not durable`);
  return setting;
}

async function scenario(concurrency: number, options: PersonalDataBenchOptions): Promise<ScenarioResult> {
  const { quick, log, schemas } = options;
  const roundMs = quick ? 1_000 : 3_000;
  const warmupMs = quick ? 500 : 2_000;
  const rounds = quick ? 3 : 8;
  // Enough that none comes back within 5 s below returning / 5 appends/s, more than any round here reached.
  const returning = Array.from({ length: quick ? 3_000 : 15_000 }, customerId);
  const poolSize = Math.max(concurrency, 10);
  const database = await createDatabase(options.endpoints, 'personal_data', { migrated: true });
  const pool = await openDatabase(database.appUrl, { maximumPoolSize: poolSize });
  const measured = new Map<Variant['name'], Measured>();
  let setting = '';
  try {
    setting = await synchronousCommit(pool);
    const tenant: TenantId = tenantId(randomUUID());
    const encryption = new LocalKeyEncryption(['bench', randomBytes(32)]);
    const personalData = new PersonalData(new SubjectKeys(pool, encryption), schemas);
    const sealed = new PostgresEventStore(pool, schemas, new Upcasters(), { personalData });
    const plain = new PostgresEventStore(pool, schemas, new Upcasters(), { personalData: inTheClear });
    const variants: readonly Variant[] = [
      { name: 'plain', store: plain, customer: inTurn(returning) },
      { name: 'hot', store: sealed, customer: inTurn(returning.slice(0, REGULARS)) },
      { name: 'warm', store: sealed, customer: inTurn(returning) },
      { name: 'new', store: sealed, customer: customerId },
    ];
    for (const variant of variants) measured.set(variant.name, { rate: [], p50: [], p99: [] });
    const run = (variant: Variant, ms: number) =>
      closedLoop(concurrency, ms, () => async () => {
        await variant.store.appendToStream(
          tenant,
          { id: newStreamId(), type: 'Order', context: 'orders' },
          'no-stream',
          [{ type: 'OrderPlaced', data: orderPlaced(variant.customer()) }],
          METADATA,
        );
      });
    for (const variant of variants) await run(variant, warmupMs);
    for (let r = 0; r < rounds; r++) {
      // Each variant goes first in turn: none always runs on the warmest server.
      const order = [...variants.slice(r % variants.length), ...variants.slice(0, r % variants.length)];
      for (const variant of order) {
        const round = await run(variant, roundMs);
        const { p50, p99 } = percentiles(round.latenciesMs);
        const rate = round.operations / (round.elapsedMs / 1000);
        const figures = measured.get(variant.name);
        figures?.rate.push(rate);
        figures?.p50.push(p50);
        figures?.p99.push(p99);
        log(
          `personal-data c=${concurrency} round ${r + 1}/${rounds} ${variant.name}: ${rate.toFixed(0)} appends/s, ` +
            `p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`,
        );
      }
    }
    await sealed.close();
    await plain.close();
  } finally {
    await pool.end();
    await database.drop();
  }

  const of = (name: Variant['name']) => measured.get(name) ?? { rate: [], p50: [], p99: [] };
  // Paired by round: the variants of one round ran back to back, so drift of the machine cancels out.
  const share = (name: 'hot' | 'warm' | 'new') =>
    of(name).rate.map((rate, i) => rate / (of('plain').rate[i] ?? NaN));
  const labels = {
    plain: 'in the clear',
    hot: 'sealed, key cached',
    warm: 'sealed, returning customer',
    new: 'sealed, new customer',
  };
  return {
    id: `personal-data-c${concurrency}`,
    title: `append OrderPlaced with personal data, c=${concurrency}`,
    loadGenerator: CLOSED_LOOP.replace('<c>', String(concurrency)),
    concurrency,
    poolSize,
    warmup: `${warmupMs / 1000} s of the same load per variant, not measured`,
    rounds,
    perRound:
      `${roundMs / 1000} s of appends per variant, one after the other, which goes first rotating by round: ` +
      `in the clear (a sealer that copies); sealed with ${REGULARS} customers in turn, whose keys this process ` +
      `still seals with (the encryption alone); sealed with ${returning.length} returning customers in turn, ` +
      'coming back after all the others, when this process holds no key for them; sealed with a new customer per ' +
      'order. A key made is stored by the append that uses it, in its own statement. Each append one OrderPlaced ' +
      '(email and address filled) to a new stream, one tenant, ' +
      'one pool; sealed ÷ clear is per round, then the median',
    synchronousCommit: { ours: setting },
    figures: [
      ...(['plain', 'hot', 'warm', 'new'] as const).map((name) =>
        figure(`throughput, ${labels[name]}`, 'appends/s', 'higher', of(name).rate, NO_PEER),
      ),
      figure(`sealed ÷ clear, key cached (${REGULARS} customers)`, 'ratio', 'higher', share('hot'), NO_PEER),
      figure('sealed ÷ clear, returning customers', 'ratio', 'higher', share('warm'), NO_PEER),
      figure('sealed ÷ clear, new customer per order', 'ratio', 'higher', share('new'), NO_PEER),
      ...(['plain', 'hot', 'warm', 'new'] as const).flatMap((name) => [
        figure(`p50 latency, ${labels[name]}`, 'ms/append', 'lower', of(name).p50, NO_PEER),
        figure(`p99 latency, ${labels[name]}`, 'ms/append', 'lower', of(name).p99, NO_PEER),
      ]),
    ],
  };
}

/** Sealed and plain appends at concurrency 1 and 64, each in a database of its own. */
export async function personalDataScenarios(options: PersonalDataBenchOptions): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const concurrency of [1, 64]) {
    options.log(`scenario personal-data-c${concurrency}`);
    results.push(await scenario(concurrency, options));
  }
  return results;
}

/** The target: sealing costs at most 10% of the append throughput, judged per subject mix and concurrency. */
export function personalDataTargets(scenarios: readonly ScenarioResult[]): TargetCheck[] {
  return [1, 64].flatMap((concurrency) =>
    (['returning customers', 'new customer per order'] as const).map((mix) => {
      const target = `sealing costs ≤ 10% of appends/s at c=${concurrency}, ${mix}`;
      const share = scenarios
        .find((s) => s.id === `personal-data-c${concurrency}`)
        ?.figures.find((f) => f.name === `sealed ÷ clear, ${mix}`)?.ours;
      if (!share || Number.isNaN(share.median)) return { target, met: null, detail: 'not measured' };
      return {
        target,
        met: share.median >= TARGET_SHARE,
        detail: `sealed ÷ clear = ${share.median.toFixed(2)} (median of per-round ratios, ${share.min.toFixed(2)}–${share.max.toFixed(2)})`,
      };
    }),
  );
}
