import { type Request, type Response, Router } from 'express';
import { DependencyUnavailableError } from '../../platform/errors/index.ts';
import { requirePlatformAdmin } from '../auth/authorize.ts';
import { principalOf } from '../http/request-context.ts';
import type { KafkaOperations } from '../operations/kafka-operations.ts';

/** The Kafka operations, or a 503 saying what this gateway lacks for them. */
export function kafkaOf(operations: KafkaOperations | undefined): KafkaOperations {
  if (!operations) {
    throw new DependencyUnavailableError(
      'operations',
      'Kafka operations are off on this gateway: set OPERATIONS_DATABASE_URL (docs/console.md)',
    );
  }
  return operations;
}

/** docs/contracts.md §12: topics with their offsets, and consumer groups with their lag, for the platform admin. */
export function kafkaRoutes(deps: { kafka: KafkaOperations | undefined }): Router {
  const router = Router();

  router.get('/api/v1/kafka/topics', async (_req: Request, res: Response) => {
    requirePlatformAdmin(principalOf(res));
    res.json(await kafkaOf(deps.kafka).topics());
  });

  router.get('/api/v1/kafka/consumer-groups', async (_req: Request, res: Response) => {
    requirePlatformAdmin(principalOf(res));
    res.json(await kafkaOf(deps.kafka).consumerGroups());
  });

  return router;
}
