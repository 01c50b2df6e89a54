import type { StreamId } from '../eventstore/index.ts';
import type { TenantId } from '../platform/tenancy/index.ts';

/** A command as it reaches the handler: authenticated, tenant resolved, payload not yet validated. */
export interface CommandEnvelope {
  /** Unique per command: the causation id of the events it produces. */
  readonly commandId: string;
  readonly type: string;
  readonly aggregateId?: string;
  /** The version the caller last saw; when given, a different current version is a conflict. */
  readonly expectedVersion?: number;
  readonly payload: unknown;
  readonly tenant: TenantId;
  readonly userId: string;
  readonly correlationId: string;
  readonly traceparent?: string;
}

export interface CommandOutcome {
  readonly aggregateId: StreamId;
  readonly aggregateType: string;
  readonly version: number;
  /** The global position of the last appended event (0 when the decision appended none). */
  readonly position: number;
  readonly eventIds: readonly string[];
  /** True when this command created the aggregate. */
  readonly created: boolean;
  /** The aggregate's state after the command, for callers that keep a view of it in step. */
  readonly state: unknown;
}

/**
 * Room for the events a command is about to append: asked for once the decision
 * is known, given back when the append stores nothing new, so that only stored
 * events count (a refused command never asks).
 */
export interface EventAdmission {
  /** Throws to refuse the command; nothing is appended then. */
  reserve(events: number): Promise<void>;
  release(events: number): Promise<void>;
}
