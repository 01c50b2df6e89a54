import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { aggregateStateAt, loadAggregate } from '../../commands/index.ts';
import { deciderForAggregateType } from '../../domain/contexts.ts';
import { type EventStore, type RecordedEvent, type StreamId, streamId } from '../../eventstore/index.ts';
import { NotFoundError } from '../../platform/errors/index.ts';
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

function eventView(event: RecordedEvent) {
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

/** A foreign, missing or malformed id, or an unknown type, all answer the same 404. */
function target(req: Request) {
  const decider = deciderForAggregateType(String(req.params.aggregateType));
  let id: StreamId;
  try {
    id = streamId(String(req.params.aggregateId));
  } catch {
    throw new NotFoundError('no such aggregate');
  }
  if (!decider) throw new NotFoundError('no such aggregate');
  return { decider, id };
}

/** docs/contracts.md §6: state as of a point in time, the event stream, and events by correlation. */
export function historyRoutes(deps: { store: EventStore; personalData: PersonalData | undefined }): Router {
  const router = Router();

  router.get('/api/v1/aggregates/:aggregateType/:aggregateId', async (req: Request, res: Response) => {
    const tenant = tenantWithRole(principalOf(res), 'reader');
    const { decider, id } = target(req);
    const point = parseWith(pointQuery, req.query, 'query', '/query');
    if (point.version !== undefined || point.at !== undefined) {
      const at = point.version !== undefined ? { version: point.version } : { at: point.at as Date };
      res.json(await aggregateStateAt(deps.store, decider, tenant, id, at));
      return;
    }
    const loaded = await loadAggregate(deps.store, decider, tenant, id);
    if (!loaded.found) throw new NotFoundError('no such aggregate');
    res.json({ state: loaded.state, version: loaded.version });
  });

  router.get('/api/v1/aggregates/:aggregateType/:aggregateId/events', async (req: Request, res: Response) => {
    const tenant = tenantWithRole(principalOf(res), 'reader');
    const { decider, id } = target(req);
    const { fromVersion, limit } = parseWith(eventsQuery, req.query, 'query', '/query');
    const events = await deps.store.readStream(tenant, id, { fromVersion, maxCount: limit });
    if (events.some((event) => event.streamType !== decider.aggregateType))
      throw new NotFoundError('no such aggregate');
    if (events.length === 0 && fromVersion === 1) throw new NotFoundError('no such aggregate');
    res.json(await withPersonalData(deps.personalData, tenant, { events: events.map(eventView) }));
  });

  router.get('/api/v1/events', async (req: Request, res: Response) => {
    const tenant = tenantWithRole(principalOf(res), 'reader');
    const { correlationId } = parseWith(correlationQuery, req.query, 'query', '/query');
    const events = await deps.store.readByCorrelationId(tenant, correlationId);
    res.json(await withPersonalData(deps.personalData, tenant, { events: events.map(eventView) }));
  });

  return router;
}
