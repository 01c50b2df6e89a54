import { eventCursor, type RecordedEvent } from '../../eventstore/index.ts';
import type { TenantId } from '../../platform/tenancy/index.ts';
import { holdsSealed, type PersonalData } from '../../privacy/index.ts';
import type { ReadModelRow } from '../../readmodels/index.ts';

/**
 * The lines of an export (docs/contracts.md §6.1), one JSON object each,
 * told apart by `kind`: the events in commit order, then the read-model rows,
 * then `end`, which only a complete export has.
 */
export type EventLine = ReturnType<typeof eventLine>;
export type RowLine = ReturnType<typeof rowLine>;

export interface EndLine {
  readonly kind: 'end';
  /** The event and row lines this answer held (after `after` when it resumed one). */
  readonly events: number;
  readonly rows: number;
  /** The last event line's cursor, or the one resumed after: `after` for the next export of what is new. */
  readonly cursor: string | null;
}

/** An event as the history API shows it, with its cursor: the place to resume after. */
export function eventLine(event: RecordedEvent) {
  return {
    kind: 'event' as const,
    cursor: eventCursor({ transactionId: event.transactionId, position: event.globalPosition }),
    eventId: event.eventId,
    type: event.type,
    schemaVersion: event.schemaVersion,
    aggregateType: event.streamType,
    aggregateId: event.streamId,
    version: event.streamVersion,
    position: event.globalPosition,
    occurredAt: event.occurredAt.toISOString(),
    recordedAt: event.recordedAt.toISOString(),
    correlationId: event.metadata.correlationId,
    causationId: event.metadata.causationId ?? null,
    data: event.data,
  };
}

export function rowLine(row: ReadModelRow) {
  return { kind: 'row' as const, readModel: row.readModel, table: row.table, row: row.row };
}

const LINE_POINTER = /^\/(\d+)(\/.*)?$/;

/** What of a line may hold personal data: an event's data, a row's columns; and its name in the line. */
function payloadOf(line: EventLine | RowLine): { readonly name: 'data' | 'row'; readonly value: unknown } {
  return line.kind === 'event' ? { name: 'data', value: line.data } : { name: 'row', value: line.row };
}

/**
 * The lines with their sealed personal data opened, each saying under
 * `erased` (JSON pointers into the line) which values read null because their
 * subject was forgotten. Only the payloads holding sealed values are opened,
 * those of a page in one call, so its keys are looked up once. Without a
 * key-encryption key nothing can be opened: lines go as they are.
 */
export async function openedLines(
  personalData: PersonalData | undefined,
  tenant: TenantId,
  lines: readonly (EventLine | RowLine)[],
): Promise<object[]> {
  const sealed = personalData
    ? lines.flatMap((line, i) => (holdsSealed(payloadOf(line).value) ? [i] : []))
    : [];
  if (!personalData || sealed.length === 0) return lines.map((line) => ({ ...line, erased: [] }));
  const { data, erased } = await personalData.open(
    tenant,
    sealed.map((i) => payloadOf(lines[i] as EventLine | RowLine).value),
  );
  const opened = new Map(
    sealed.map((line, j) => [line, { value: (data as unknown[])[j], erased: [] as string[] }]),
  );
  for (const pointer of erased) {
    const [, index, rest] = LINE_POINTER.exec(pointer) ?? [];
    const line = sealed[Number(index)];
    if (line === undefined) continue;
    opened.get(line)?.erased.push(`/${payloadOf(lines[line] as EventLine | RowLine).name}${rest ?? ''}`);
  }
  return lines.map((line, i) => {
    const open = opened.get(i);
    return open
      ? { ...line, [payloadOf(line).name]: open.value, erased: open.erased }
      : { ...line, erased: [] };
  });
}
