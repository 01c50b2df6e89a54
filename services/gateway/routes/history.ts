import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { aggregateStateAt, loadAggregate } from '../../commands/index.ts';
import { deciderForAggregateType } from '../../domain/contexts.ts';
import { type EventStore, type RecordedEvent, type StreamId, streamId } from '../../eventstore/index.ts';
import { NotFoundError } from '../../platform/errors/index.ts';
import type { TenantId } from '../../platform/tenancy/index.ts';
import type { PersonalData } from '../../privacy/index.ts';
import { tenantWithRole } from '../auth/authorize.ts';
import { withPersonalData } from '../http/personal-data.ts';
import { principalOf } from '../http/request-context.ts';
import { parseWith } from './parse.ts';

const pointQuery = z
  .object({
    version: z.coerce.number().int().min(1).optional(),
    at: z
      .string()
      .datetime({ offset: true, message: 'must be an ISO-8601 instant' })
      .transform((value) => new Date(value))
      .optional(),
  })
  .strict()
  .refine((query) => !(query.version !== undefined && query.at !== undefined), {
    message: 'give version or at, not both',
  });

const eventsQuery = z
  .object({
    fromVersion: z.coerce.number().int().min(1).default(1),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

const correlationQuery = z.object({ correlationId: z.string().min(1).max(128) }).strict();

/** An event as the API shows it. */
export function eventView(event: RecordedEvent) {
  return {
    eventId: event.eventId,
    type: event.type,
    schemaVersion: event.schemaVersion,
    aggregateType: event.streamType,
    aggregateId: event.streamId,
    version: event.streamVersion,
    position: event.globalPosition,
    data: event.data,
    correlationId: event.metadata.correlationId,
    causationId: event.metadata.causationId,
    occurredAt: event.occurredAt.toISOString(),
    recordedAt: event.recordedAt.toISOString(),
  };
}

/** Which aggregate a history call is about, as its path names it. */
export interface AggregateRef {
  readonly aggregateType: string;
  readonly aggregateId: string;
}

function refOf(req: Request): AggregateRef {
  return { aggregateType: String(req.params.aggregateType), aggregateId: String(req.params.aggregateId) };
}

/** A foreign, missing or malformed id, or an unknown type, all answer the same 404. */
function target(ref: AggregateRef) {
  const decider = deciderForAggregateType(ref.aggregateType);
  let id: StreamId;
  try {
    id = streamId(ref.aggregateId);
  } catch {
    throw new NotFoundError('no such aggregate');
  }
  if (!decider) throw new NotFoundError('no such aggregate');
  return { decider, id };
}

/** Whose history a request reads, and whether its sealed personal data is opened in the answer. */
export interface HistoryReader {
  readonly tenant: TenantId;
  readonly opensPersonalData: boolean;
}

export interface HistoryDependencies {
  readonly store: EventStore;
  readonly personalData: PersonalData | undefined;
}

/** The stream's events from a version, as the API shows them (with personal data opened when the reader may). */
export async function streamEvents(
  deps: HistoryDependencies,
  reader: HistoryReader,
  ref: AggregateRef,
  query: unknown,
): Promise<Record<string, unknown>> {
  const { decider, id } = target(ref);
  const { fromVersion, limit } = parseWith(eventsQuery, query, 'query', '/query');
  const events = await deps.store.readStream(reader.tenant, id, { fromVersion, maxCount: limit });
  if (events.some((event) => event.streamType !== decider.aggregateType))
    throw new NotFoundError('no such aggregate');
  if (events.length === 0 && fromVersion === 1) throw new NotFoundError('no such aggregate');
  return opened(deps, reader, { events: events.map(eventView) });
}

/** The aggregate's state now, or as of the version or instant the query names. */
export async function aggregateState(
  deps: HistoryDependencies,
  reader: HistoryReader,
  ref: AggregateRef,
  query: unknown,
): Promise<{ state: unknown; version: number }> {
  const { decider, id } = target(ref);
  const point = parseWith(pointQuery, query, 'query', '/query');
  if (point.version !== undefined || point.at !== undefined) {
    const at = point.version !== undefined ? { version: point.version } : { at: point.at as Date };
    return aggregateStateAt(deps.store, decider, reader.tenant, id, at);
  }
  const loaded = await loadAggregate(deps.store, decider, reader.tenant, id);
  if (!loaded.found) throw new NotFoundError('no such aggregate');
  return { state: loaded.state, version: loaded.version };
}

export async function correlatedEvents(
  deps: HistoryDependencies,
  reader: HistoryReader,
  query: unknown,
): Promise<Record<string, unknown>> {
  const { correlationId } = parseWith(correlationQuery, query, 'query', '/query');
  const events = await deps.store.readByCorrelationId(reader.tenant, correlationId);
  return opened(deps, reader, { events: events.map(eventView) });
}

function opened(deps: HistoryDependencies, reader: HistoryReader, answer: object) {
  return reader.opensPersonalData
    ? withPersonalData(deps.personalData, reader.tenant, answer)
    : Promise.resolve({ ...answer });
}

/**
 * The history routes under `prefix`, for the readers `readerOf` admits: a
 * tenant's own callers at /api/v1, its administrators at /api/v1/tenants/{id}.
 */
export function historyRoutesAt(
  prefix: string,
  deps: HistoryDependencies,
  readerOf: (req: Request, res: Response) => HistoryReader,
): Router {
  const router = Router();
  router.get(`${prefix}/aggregates/:aggregateType/:aggregateId`, async (req: Request, res: Response) => {
    res.json(await aggregateState(deps, readerOf(req, res), refOf(req), req.query));
  });
  router.get(
    `${prefix}/aggregates/:aggregateType/:aggregateId/events`,
    async (req: Request, res: Response) => {
      res.json(await streamEvents(deps, readerOf(req, res), refOf(req), req.query));
    },
  );
  router.get(`${prefix}/events`, async (req: Request, res: Response) => {
    res.json(await correlatedEvents(deps, readerOf(req, res), req.query));
  });
  return router;
}

/** docs/contracts.md §6: state as of a point in time, the event stream, and events by correlation. */
export function historyRoutes(deps: HistoryDependencies): Router {
  return historyRoutesAt('/api/v1', deps, (_req, res) => ({
    tenant: tenantWithRole(principalOf(res), 'reader'),
    opensPersonalData: true,
  }));
}
