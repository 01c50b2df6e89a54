import type { DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { type ArrayElementType, arrayParameter, sql } from '../platform/database/index.ts';
import { withoutErasedTenants } from './erased-tenants.ts';
import type {
  BulkApply,
  EventHandler,
  ProjectedEvent,
  ReadModelTarget,
  SharedStatements,
  StoredRow,
} from './projection.ts';
import { tableIn } from './projection.ts';

export interface Column<Row> {
  readonly name: string;
  /** How the multi-row statements pass the column's values: as an array of this PostgreSQL type. */
  readonly type: ArrayElementType;
  /** Its value in a row; jsonb as JSON text, numeric and timestamptz as text PostgreSQL reads exactly. */
  readonly value: (row: Row) => string | number | boolean | null;
}

/** The rows a projection folds its events over: read once per run (locked), written back once. */
export interface FoldedRows<Row, Stored> {
  readonly table: string;
  /** The primary key's columns; an event's values for them come from keyOf, in this order. */
  readonly key: readonly { readonly name: string; readonly type: 'uuid' | 'text' }[];
  /** The other columns, as written. */
  readonly columns: readonly Column<Row>[];
  /** Those columns as read, by name (numeric and timestamptz as text, so nothing is rounded), checked. */
  readonly stored: z.ZodType<Stored>;
  readonly toRow: (stored: Stored) => Row;
}

/** A table of running totals: each addition is added to the row of its key (made at 0 when missing). */
export interface RunningTotals<Addition> {
  readonly table: string;
  readonly key: readonly Column<Addition>[];
  readonly totals: readonly Column<Addition>[];
}

/** One event folded into its row: the row after it, and what it adds to each table of totals. */
export interface FoldStep<Row, Totals> {
  readonly row: Row | undefined;
  readonly adds?: { readonly [Name in keyof Totals]?: readonly Totals[Name][] };
}

/** A projection's bulk path, configured: its rows, its totals, and its own fold. */
export interface FoldAndUpsert<Row, Stored, Totals extends object> {
  readonly rows: FoldedRows<Row, Stored>;
  readonly totals: { readonly [Name in keyof Totals]: RunningTotals<Totals[Name]> };
  /** The key of the row an event folds into, in the order of rows.key. */
  readonly keyOf: (event: ProjectedEvent) => readonly string[];
  /** The projection's pure fold: the handlers and the bulk path both apply events with it. */
  readonly fold: (row: Row | undefined, event: ProjectedEvent) => FoldStep<Row, Totals>;
}

type Fragment = ReturnType<typeof sql.fragment>;

const COMMA = sql.fragment`, `;

/** A column's name and value in the JSON object a stored row is read as. */
function selected<Row>(column: Column<Row>) {
  const name = sql.identifier([column.name]);
  const value =
    column.type === 'numeric'
      ? sql.fragment`${name}::text`
      : column.type === 'timestamptz'
        ? sql.fragment`to_json(${name}) #>> '{}'`
        : name;
  return sql.fragment`${column.name}::text, ${value}`;
}

function names(columns: readonly { readonly name: string }[]): Fragment {
  return sql.fragment`${sql.join(
    columns.map((column) => sql.identifier([column.name])),
    COMMA,
  )}`;
}

function arrays<Row>(columns: readonly Column<Row>[], rows: readonly Row[]) {
  return sql.join(
    columns.map((column) => arrayParameter(rows.map(column.value), column.type)),
    COMMA,
  );
}

const storedRow = z.object({ key: z.array(z.string()), stored: z.unknown() });

/**
 * The parts of a projection's statements that its spec and target schema fix,
 * built once: building them for every round (identifiers, lists, the
 * json_build_object) was 8 % of a lone event's projector CPU in its profile
 * (docs/profiles.md); a round now builds only what holds its values.
 */
interface RowsShape {
  readonly table: Fragment;
  readonly keyNames: Fragment;
  readonly keyAsText: Fragment;
  readonly asJson: Fragment;
  readonly allNames: Fragment;
  readonly set: Fragment;
}

interface TotalsShape {
  readonly table: Fragment;
  readonly allNames: Fragment;
  readonly keyNames: Fragment;
  readonly sums: Fragment;
  readonly set: Fragment;
}

function rowsShape<Row, Stored>(target: ReadModelTarget, rows: FoldedRows<Row, Stored>): RowsShape {
  const keyNames = rows.key.map((column) => sql.identifier([column.name]));
  return {
    table: sql.fragment`${tableIn(target, rows.table)}`,
    keyNames: names(rows.key),
    keyAsText: sql.fragment`${sql.join(
      keyNames.map((name) => sql.fragment`${name}::text`),
      COMMA,
    )}`,
    asJson: sql.fragment`json_build_object(${sql.join(rows.columns.map(selected), COMMA)})`,
    allNames: sql.fragment`${names(rows.key)}, ${names(rows.columns)}`,
    set: sql.fragment`${sql.join(
      rows.columns.map((column) => {
        const name = sql.identifier([column.name]);
        return sql.fragment`${name} = EXCLUDED.${name}`;
      }),
      COMMA,
    )}`,
  };
}

function totalsShape<Addition>(target: ReadModelTarget, totals: RunningTotals<Addition>): TotalsShape {
  return {
    table: sql.fragment`${tableIn(target, totals.table)}`,
    allNames: names([...totals.key, ...totals.totals]),
    keyNames: names(totals.key),
    sums: sql.fragment`${sql.join(
      totals.totals.map((column) => sql.fragment`sum(${sql.identifier([column.name])})`),
      COMMA,
    )}`,
    set: sql.fragment`${sql.join(
      totals.totals.map((column) => {
        const name = sql.identifier([column.name]);
        return sql.fragment`${name} = kept.${name} + EXCLUDED.${name}`;
      }),
      COMMA,
    )}`,
  };
}

async function load<Row, Stored>(
  tx: DatabaseTransactionConnection,
  shape: RowsShape,
  rows: FoldedRows<Row, Stored>,
  keys: readonly (readonly string[])[],
  shared: SharedStatements | undefined,
): Promise<Map<string, Row>> {
  const statement = sql.fragment`
    SELECT ARRAY[${shape.keyAsText}] AS key, ${shape.asJson} AS stored
      FROM ${shape.table}
     WHERE (${shape.keyNames}) IN (SELECT * FROM unnest(${sql.join(
       rows.key.map((column, i) =>
         arrayParameter(
           keys.map((key) => key[i] ?? null),
           column.type,
         ),
       ),
       COMMA,
     )}))
       FOR UPDATE`;
  const stored = shared ? await shared.read(statement) : await tx.any(sql.type(storedRow)`${statement}`);
  return new Map(stored.map((row) => [row.key.join('/'), rows.toRow(rows.stored.parse(row.stored))]));
}

function writeBack<Row, Stored>(
  shape: RowsShape,
  rows: FoldedRows<Row, Stored>,
  written: readonly { readonly key: readonly string[]; readonly row: Row }[],
): Fragment | undefined {
  if (written.length === 0) return undefined;
  const keyArrays = rows.key.map((column, i) =>
    arrayParameter(
      written.map(({ key }) => key[i] ?? null),
      column.type,
    ),
  );
  return sql.fragment`
    INSERT INTO ${shape.table} (${shape.allNames})
    SELECT * FROM unnest(${sql.join(keyArrays, COMMA)}, ${arrays(
      rows.columns,
      written.map(({ row }) => row),
    )})
    ON CONFLICT (${shape.keyNames}) DO UPDATE SET ${shape.set}`;
}

function addUp<Addition>(
  shape: TotalsShape,
  totals: RunningTotals<Addition>,
  additions: readonly Addition[],
): Fragment | undefined {
  if (additions.length === 0) return undefined;
  // Summed per key in the statement (numeric sums exactly): ON CONFLICT may touch a row once only.
  return sql.fragment`
    INSERT INTO ${shape.table} AS kept (${shape.allNames})
    SELECT ${shape.keyNames}, ${shape.sums}
      FROM unnest(${arrays([...totals.key, ...totals.totals], additions)}) AS added (${shape.allNames})
     GROUP BY ${shape.keyNames}
    ON CONFLICT (${shape.keyNames}) DO UPDATE SET ${shape.set}`;
}

/**
 * Writes in one statement, the first ones as data-modifying WITH queries: one
 * round trip (a write system call, the projector's largest cost in its
 * profiles) where each took one. They must write distinct tables, which none
 * of them reads: all run on one snapshot.
 */
export async function sendTogether(
  tx: DatabaseTransactionConnection,
  writes: readonly Fragment[],
): Promise<void> {
  const last = writes.at(-1);
  if (!last) return;
  const before = writes.slice(0, -1);
  await tx.query(
    sql.typeAlias('void')`${
      before.length === 0
        ? sql.fragment``
        : sql.fragment`WITH ${sql.join(
            before.map((write, i) => sql.fragment`${sql.identifier([`write_${i}`])} AS (${write})`),
            COMMA,
          )} `
    }${last}`,
  );
}

const readRow = storedRow.extend({ read: z.number().int() });

/**
 * Reads in one statement, each a WITH query, their rows told apart by the
 * read they answer: one round trip where each took one. Each locks its own
 * table's rows, in the order given.
 */
async function readTogether(
  tx: DatabaseTransactionConnection,
  reads: readonly Fragment[],
): Promise<StoredRow[][]> {
  const named = reads.map((read, i) => ({ read, name: sql.identifier([`read_${i}`]) }));
  const rows = await tx.any(sql.type(readRow)`
    WITH ${sql.join(
      named.map(({ read, name }) => sql.fragment`${name} AS (${read})`),
      COMMA,
    )}
    ${sql.join(
      named.map(({ name }, i) => sql.fragment`SELECT ${i}::int4 AS read, key, stored FROM ${name}`),
      sql.fragment` UNION ALL `,
    )}`);
  const answers = reads.map((): StoredRow[] => []);
  for (const row of rows) answers[row.read]?.push(row);
  return answers;
}

/**
 * The reads of a round's bulk applies, run at once, in one statement: each
 * waits until every apply still running has its read waiting too (or has
 * finished without one), so the statement holds all of them whatever each did
 * before (no timer). The reads go in the applies' order, which is the order
 * their tables' rows are locked in, as they were one statement after another.
 */
export class ReadsTogether {
  private readonly waiting = new Map<
    number,
    {
      readonly read: Fragment;
      readonly resolve: (rows: readonly StoredRow[]) => void;
      readonly reject: (error: unknown) => void;
    }
  >();

  constructor(
    private readonly tx: DatabaseTransactionConnection,
    /** Applies still running. */
    private running: number,
  ) {}

  /** The read of the apply at `rank` (0 first), answered once it has gone with the others. */
  read(rank: number, read: Fragment): Promise<readonly StoredRow[]> {
    return new Promise((resolve, reject) => {
      this.waiting.set(rank, { read, resolve, reject });
      this.sendWhenAllWait();
    });
  }

  /** An apply has finished (or failed): the others no longer wait for it. */
  finished(): void {
    this.running--;
    this.sendWhenAllWait();
  }

  private sendWhenAllWait(): void {
    if (this.waiting.size === 0 || this.waiting.size < this.running) return;
    const sending = [...this.waiting].sort(([a], [b]) => a - b).map(([, waiting]) => waiting);
    this.waiting.clear();
    readTogether(
      this.tx,
      sending.map(({ read }) => read),
    ).then(
      (answers) => {
        for (const [i, { resolve }] of sending.entries()) resolve(answers[i] ?? []);
      },
      (error: unknown) => {
        for (const { reject } of sending) reject(error);
      },
    );
  }
}

/**
 * A projection's bulk apply, in two statements whatever the run: the rows a
 * run of events names are read once (and locked), the events are folded over
 * them in memory with the projection's own fold, in order, then one statement
 * writes the rows that changed (a multi-row upsert) and adds each table of
 * totals its additions; or, given SharedStatements, both go with the other
 * projections' of its round, its read in one statement, its writes in the
 * caller's (ReadsTogether, sendTogether). A handler is this with a run of
 * one (runOfOne). Events of offboarded tenants are skipped: their read models
 * stay erased.
 */
export function foldAndUpsert<Row, Stored, Totals extends object>(
  spec: FoldAndUpsert<Row, Stored, Totals>,
): BulkApply {
  const totalNames = Object.keys(spec.totals) as (keyof Totals)[];
  const shapes = new Map<string, { rows: RowsShape; totals: { name: keyof Totals; shape: TotalsShape }[] }>();
  const shapesIn = (target: ReadModelTarget) => {
    let shaped = shapes.get(target.schema);
    if (!shaped) {
      shaped = {
        rows: rowsShape(target, spec.rows),
        totals: totalNames.map((name) => ({ name, shape: totalsShape(target, spec.totals[name]) })),
      };
      shapes.set(target.schema, shaped);
    }
    return shaped;
  };
  return async (tx, run, target, shared) => {
    const shape = shapesIn(target);
    const events = await withoutErasedTenants(tx, run);
    const keyed = events.map((event) => {
      const key = spec.keyOf(event);
      return { event, key, id: key.join('/') };
    });
    const named = new Map(keyed.map(({ id, key }) => [id, key]));
    const rows = await load(tx, shape.rows, spec.rows, [...named.values()], shared);
    const changed = new Map<string, readonly string[]>();
    const added: { [Name in keyof Totals]?: Totals[Name][] } = {};
    for (const { event, key, id } of keyed) {
      const before = rows.get(id);
      const step = spec.fold(before, event);
      if (step.row === undefined) rows.delete(id);
      else rows.set(id, step.row);
      if (step.row !== before) changed.set(id, key);
      for (const name of Object.keys(step.adds ?? {}) as (keyof Totals)[]) {
        (added[name] ??= []).push(...(step.adds?.[name] ?? []));
      }
    }
    const written = writeBack(
      shape.rows,
      spec.rows,
      [...changed].flatMap(([id, key]) => {
        const row = rows.get(id);
        return row === undefined ? [] : [{ key, row }];
      }),
    );
    const totals = shape.totals.map(({ name, shape: totalShape }) =>
      addUp(totalShape, spec.totals[name], added[name] ?? []),
    );
    const upserts = [written, ...totals].filter((upsert) => upsert !== undefined);
    if (shared) shared.writes.push(...upserts);
    else await sendTogether(tx, upserts);
    return true;
  };
}

/** A projection's handler: its bulk apply with a run of one event. */
export function runOfOne(apply: BulkApply): EventHandler {
  return async (tx, event, target) => {
    await apply(tx, [event], target);
  };
}
