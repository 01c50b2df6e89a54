import type { Redis } from 'ioredis';
import type { DatabasePool } from 'slonik';
import type { CommandHandler } from '../commands/index.ts';
import type { ApiKeys } from '../identity/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';
import type { SubjectKeys } from '../privacy/index.ts';

/** Destroys data keys in the caller's transaction: SubjectKeys, or without a key-encryption key destroySubjectKeys. */
export type KeyDestruction = Pick<SubjectKeys, 'destroy'>;

/** How long Kafka keeps a topic's records (and so the ciphertext in them), as the topology declares it. */
export interface TopicRetention {
  readonly topic: string;
  readonly retentionMs: number;
}

/** What forgetting and offboarding act through: each owner of what they erase. */
export interface ErasureDeps {
  readonly handler: CommandHandler;
  readonly keys: KeyDestruction;
  readonly apiKeys: ApiKeys;
  readonly pool: DatabasePool;
  readonly redis: Redis;
  readonly retention: readonly TopicRetention[];
  readonly now?: () => Date;
}

/** Who asks, for which tenant, under which correlation: what the audit event records. */
export interface ErasureRequest {
  readonly tenant: TenantId;
  readonly requestedBy: string;
  readonly correlationId: string;
  readonly traceparent?: string;
}
