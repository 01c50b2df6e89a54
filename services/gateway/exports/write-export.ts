import {
  type Checkpoint,
  compareCheckpoints,
  eventCursor,
  type EventStore,
  type ReadAllResult,
  START,
} from '../../eventstore/index.ts';
import type { TenantId } from '../../platform/tenancy/index.ts';
import type { PersonalData } from '../../privacy/index.ts';
import type { ReadModelRows } from '../../readmodels/index.ts';
import { type EndLine, eventLine, openedLines, rowLine } from './export-lines.ts';

export interface ExportSources {
  readonly store: EventStore;
  readonly rows: Pick<ReadModelRows, 'eachPage'>;
  readonly personalData: PersonalData | undefined;
}

/** Where the lines go (an NdjsonResponse): each call returns once the client can take more, or throws once it has gone. */
export interface LineSink {
  write(lines: readonly object[]): Promise<void>;
  pause(ms: number): Promise<void>;
}

/**
 * What an export holds: the tenant's every event and row, or with `holding`
 * only those whose data holds one of these texts (a subject's sealed values).
 */
export interface ExportScope {
  readonly tenant: TenantId;
  readonly holding?: readonly string[];
  /** The cursor of the last event line a client has: the export resumes after it. */
  readonly after: Checkpoint;
  /** The tenant's last committed event when the export began: it ends there. */
  readonly upTo: Checkpoint;
}

/** Events read a page at a time: a page is opened and written as one chunk. */
const EVENTS_PER_PAGE = 500;
/** Events a subject's export walks per read, most of which it passes by. */
const EVENTS_PER_WALK = 5000;
/** How long to wait, at most, for older transactions to end before reading on. */
const LONGEST_PAUSE_MS = 1000;

/**
 * Writes an export: the events after `after` up to `upTo` in commit order,
 * then the read-model rows, then the end line. Memory holds one page at a
 * time; each write waits for the client to take the last one.
 *
 * The events are read as catch-up readers read them (EventStore.readAll: only
 * transactions older than every one still running), so no event can later
 * commit before a cursor already handed out, and a resumed export misses
 * nothing. While such an older transaction runs the walk finds nothing to
 * read: it waits for it rather than end early.
 */
export async function writeExport(sources: ExportSources, scope: ExportScope, out: LineSink): Promise<void> {
  const { tenant, holding, upTo } = scope;
  const read = (after: Checkpoint): Promise<ReadAllResult> =>
    holding
      ? sources.store.readAllHolding(tenant, after, holding, EVENTS_PER_WALK)
      : sources.store.readAll(tenant, after, EVENTS_PER_PAGE);
  let at = holding?.length === 0 ? upTo : scope.after;
  let events = 0;
  let cursor = compareCheckpoints(scope.after, START) > 0 ? eventCursor(scope.after) : null;
  let pauseMs = 25;
  // One page read ahead while the last is opened and written: the database works meanwhile.
  let next = compareCheckpoints(at, upTo) < 0 ? read(at) : undefined;
  try {
    while (next) {
      const page = await next;
      if (compareCheckpoints(page.checkpoint, at) === 0) {
        next = undefined;
        await out.pause(pauseMs);
        pauseMs = Math.min(LONGEST_PAUSE_MS, pauseMs * 2);
        next = read(at);
        continue;
      }
      pauseMs = 25;
      at = page.checkpoint;
      next = compareCheckpoints(at, upTo) < 0 ? read(at) : undefined;
      const lines = page.events
        .filter(
          (event) =>
            compareCheckpoints(
              { transactionId: event.transactionId, position: event.globalPosition },
              upTo,
            ) <= 0,
        )
        .map(eventLine);
      await out.write(await openedLines(sources.personalData, tenant, lines));
      events += lines.length;
      cursor = lines.at(-1)?.cursor ?? cursor;
    }
  } finally {
    // Left behind when the client went: its outcome no longer matters, but must not go unhandled.
    next?.catch(() => undefined);
  }
  const rows = await sources.rows.eachPage(
    tenant,
    async (page) => out.write(await openedLines(sources.personalData, tenant, page.map(rowLine))),
    holding ? { holding } : {},
  );
  const end: EndLine = { kind: 'end', events, rows, cursor };
  await out.write([end]);
}
