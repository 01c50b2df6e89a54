#!/usr/bin/env node
/**
 * The projector: builds the read models from Kafka. Configuration comes from the
 * environment (docs/contracts.md §2); DATABASE_URL is the projector's own role
 * (eventline_projector_app locally), not the services' one.
 */
import { z } from 'zod';
import { kafkaConnection, kafkaEnv, registryConnection, registryEnv } from '../messaging/index.ts';
import { env } from '../platform/config/index.ts';
import { runService } from '../platform/lifecycle/index.ts';
import { redisConnection, redisEnv } from '../platform/redis/index.ts';
import { DEFAULT_MEMBERS_PER_GROUP, startProjector } from './start-projector.ts';

await runService(
  'projector',
  {
    DATABASE_URL: env.DATABASE_URL,
    ...redisEnv,
    ...kafkaEnv,
    ...registryEnv,
    KAFKA_TOPIC_PREFIX: env.KAFKA_TOPIC_PREFIX,
    PROJECTOR_PORT: env.PROJECTOR_PORT,
    HOST: env.HOST,
    /** Tries per event before it is parked on the dead-letter topic. */
    PROJECTOR_HANDLER_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3),
    /** Pause before the second try, doubling after. */
    PROJECTOR_RETRY_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(200),
    /** A partition with records behind and no batch applied for this long turns /ready degraded. */
    PROJECTOR_STALL_AFTER_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(60_000),
    /** Members of each consumer group in this process: a second one fetches while the first one's round commits. */
    PROJECTOR_MEMBERS_PER_GROUP: z.coerce.number().int().min(1).max(8).default(DEFAULT_MEMBERS_PER_GROUP),
    /** Comma-separated projection names to run; all of topology/ when unset. */
    PROJECTOR_PROJECTIONS: z
      .string()
      .optional()
      .transform((value) =>
        value
          ?.split(',')
          .map((name) => name.trim())
          .filter(Boolean),
      ),
  },
  async (config, { log, startup, timeouts }) => {
    const kafka = kafkaConnection(config, timeouts.kafkaRequestMs);
    for (const warning of kafka.warnings ?? []) log.warn(warning);
    const running = await startProjector({
      databaseUrl: config.DATABASE_URL,
      kafka,
      schemaRegistry: registryConnection(config),
      topicPrefix: config.KAFKA_TOPIC_PREFIX,
      host: config.HOST,
      port: config.PROJECTOR_PORT,
      redis: redisConnection(config),
      log,
      startup,
      timeouts,
      stallAfterMs: config.PROJECTOR_STALL_AFTER_MS,
      membersPerGroup: config.PROJECTOR_MEMBERS_PER_GROUP,
      retries: { attempts: config.PROJECTOR_HANDLER_ATTEMPTS, delayMs: config.PROJECTOR_RETRY_DELAY_MS },
      ...(config.PROJECTOR_PROJECTIONS ? { only: config.PROJECTOR_PROJECTIONS } : {}),
    });
    return [{ name: 'projector', close: () => running.close() }];
  },
);
