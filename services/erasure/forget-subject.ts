import { randomUUID } from 'node:crypto';
import type { ErasureDeps, ErasureRequest } from './erasure-deps.ts';

/** docs/privacy.md, "Forgetting a person": what was done, and what holds the subject's data now. */
export interface ForgetReport {
  readonly tenantId: string;
  readonly subject: string;
  readonly forgottenAt: string;
  /** The SubjectForgotten event that audits this request (a repeat is audited too). */
  readonly auditEventId: string;
  /** Data keys destroyed now: 0 when the subject had been forgotten already, or never had data. */
  readonly keysDestroyed: number;
  /**
   * Copies of the subject's data in plaintext that had to be erased: none, by
   * design. Every copy (events, outbox, Kafka and dead-letter topics, read
   * models, cached answers, snapshots, backups, exports made from now on)
   * holds ciphertext under the destroyed keys, and reads as erased.
   */
  readonly plaintextCopiesErased: 0;
  readonly unreadableFrom: readonly string[];
}

const UNREADABLE = [
  'events',
  'outbox',
  'kafka event topics',
  'kafka dead-letter topics',
  'read models',
  'query cache',
  'backups',
] as const;

/**
 * Forgets a data subject of the tenant (GDPR art. 17): destroys their data
 * keys in the same transaction as the SubjectForgotten event that audits it,
 * so the erasure and its record commit together or not at all. Forgetting
 * again destroys nothing more and is audited again.
 */
export async function forgetSubject(
  deps: ErasureDeps,
  request: ErasureRequest & { readonly subject: string },
): Promise<ForgetReport> {
  const { tenant, subject } = request;
  let keysDestroyed = 0;
  const outcome = await deps.handler.handle(
    {
      commandId: randomUUID(),
      type: 'ForgetSubject',
      aggregateId: tenant,
      payload: { subject },
      tenant,
      userId: request.requestedBy,
      correlationId: request.correlationId,
      ...(request.traceparent ? { traceparent: request.traceparent } : {}),
    },
    undefined,
    {
      alongside: async (tx) => {
        keysDestroyed = await deps.keys.destroy(tx, tenant, subject);
      },
    },
  );
  const auditEventId = outcome.eventIds[0];
  if (!auditEventId) throw new Error(`forgetting a subject of tenant ${tenant} appended no event`);
  return {
    tenantId: tenant,
    subject,
    forgottenAt: (deps.now?.() ?? new Date()).toISOString(),
    auditEventId,
    keysDestroyed,
    plaintextCopiesErased: 0,
    unreadableFrom: UNREADABLE,
  };
}
