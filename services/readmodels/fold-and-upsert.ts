import type { DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { sql } from '../platform/database/index.ts';
import { withoutErasedTenants } from './erased-tenants.ts';
import type { BulkApply, EventHandler, ProjectedEvent, ReadModelTarget } from './projection.ts';
import { tableIn } from './projection.ts';

/** How the multi-row statements pass a column's values: as an array of this PostgreSQL type. */
type ColumnType = 'uuid' | 'text' | 'int4' | 'int8' | 'bool' | 'numeric' | 'jsonb' | 'timestamptz';

export interface Column<Row> {
  readonly name: string;
  readonly type: ColumnType;
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
    columns.map((column) => sql.array(rows.map(column.value), column.type)),
    COMMA,
  );
}

/** A stored row as load reads it: its key's values as text, its columns as one JSON object. */
function storedRow<Stored>(rows: { readonly stored: z.ZodType<Stored> }) {
  return z.object({ key: z.array(z.string()), stored: rows.stored });
}

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
  read: ReturnType<typeof storedRow<Stored>>,
  keys: readonly (readonly string[])[],
): Promise<Map<string, Row>> {
  const stored = await tx.any(sql.type(read)`
    SELECT ARRAY[${shape.keyAsText}] AS key, ${shape.asJson} AS stored
      FROM ${shape.table}
     WHERE (${shape.keyNames}) IN (SELECT * FROM unnest(${sql.join(
       rows.key.map((column, i) =>
         sql.array(
           keys.map((key) => key[i] ?? null),
           column.type,
         ),
       ),
       COMMA,
     )}))
       FOR UPDATE`);
  return new Map(stored.map((row) => [row.key.join('/'), rows.toRow(row.stored)]));
}

function writeBack<Row, Stored>(
  shape: RowsShape,
  rows: FoldedRows<Row, Stored>,
  written: readonly { readonly key: readonly string[]; readonly row: Row }[],
): Fragment | undefined {
  if (written.length === 0) return undefined;
  const keyArrays = rows.key.map((column, i) =>
    sql.array(
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

/**
 * A projection's bulk apply, in two statements whatever the run: the rows a
 * run of events names are read once (and locked), the events are folded over
 * them in memory with the projection's own fold, in order, then one statement
 * writes the rows that changed (a multi-row upsert) and adds each table of
 * totals its additions, or hands those writes to the caller's statement
 * (DeferredWrites). A handler is this with a run of one (runOfOne). Events
 * of offboarded tenants are skipped: their read models stay erased.
 */
export function foldAndUpsert<Row, Stored, Totals extends object>(
  spec: FoldAndUpsert<Row, Stored, Totals>,
): BulkApply {
  const read = storedRow(spec.rows);
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
  return async (tx, run, target, deferred) => {
    const shape = shapesIn(target);
    const events = await withoutErasedTenants(tx, run);
    const keyed = events.map((event) => ({ event, key: spec.keyOf(event) }));
    const named = new Map(keyed.map(({ key }) => [key.join('/'), key]));
    const rows = await load(tx, shape.rows, spec.rows, read, [...named.values()]);
    const changed = new Map<string, readonly string[]>();
    const added: { [Name in keyof Totals]?: Totals[Name][] } = {};
    for (const { event, key } of keyed) {
      const id = key.join('/');
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
    if (deferred) deferred.push(...upserts);
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
