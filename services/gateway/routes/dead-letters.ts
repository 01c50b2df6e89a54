import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { DependencyUnavailableError } from '../../platform/errors/index.ts';
import { requirePlatformAdmin } from '../auth/authorize.ts';
import { principalOf } from '../http/request-context.ts';
import type { DeadLetterOperations } from '../operations/dead-letter-operations.ts';
import { eventView } from './history.ts';
import { parseWith } from './parse.ts';

export const deadLetterQuery = z.strictObject({
  projection: z.string().min(1).max(100).optional(),
  tenant: z.guid('must be a tenant id').optional(),
  error: z.string().trim().min(1).max(200).optional(),
  state: z.enum(['parked', 'replayed']).optional(),
});

export const replayRequest = z.strictObject({
  projection: z.string().min(1).max(100),
  eventId: z.guid('must be an event id').optional(),
});

/** The dead-letter operations, or a 503 saying what this gateway lacks for them. */
export function deadLettersOf(operations: DeadLetterOperations | undefined): DeadLetterOperations {
  if (!operations) {
    throw new DependencyUnavailableError(
      'operations',
      'dead-letter operations are off on this gateway: set OPERATIONS_DATABASE_URL (docs/console.md)',
    );
  }
  return operations;
}

/** docs/contracts.md §12: parked events, browsed and replayed, for the platform admin. */
export function deadLetterRoutes(deps: { deadLetters: DeadLetterOperations | undefined }): Router {
  const router = Router();

  router.get('/api/v1/dead-letters', async (req: Request, res: Response) => {
    requirePlatformAdmin(principalOf(res));
    const filter = parseWith(deadLetterQuery, req.query, 'query', '/query');
    res.json(await deadLettersOf(deps.deadLetters).list(filter));
  });

  router.get('/api/v1/dead-letters/:projection/:eventId', async (req: Request, res: Response) => {
    requirePlatformAdmin(principalOf(res));
    const { parked, event } = await deadLettersOf(deps.deadLetters).show(
      String(req.params.projection),
      String(req.params.eventId),
    );
    res.json({ parked, event: event ? eventView(event) : null });
  });

  router.post('/api/v1/dead-letters/replay', async (req: Request, res: Response) => {
    requirePlatformAdmin(principalOf(res));
    const { projection, eventId } = parseWith(replayRequest, req.body, 'replay request');
    res.json(await deadLettersOf(deps.deadLetters).replay(projection, eventId));
  });

  return router;
}
