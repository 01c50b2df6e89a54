import { boundedContexts } from './contexts.ts';
import type { DomainEvent } from './kernel/index.ts';
import {
  orderCancelled,
  orderDelivered,
  orderItemAdded,
  orderPlaced,
  orderShipped,
} from './orders/order.samples.ts';
import {
  subjectForgotten,
  tenantCreated,
  tenantOffboarded,
  tenantQuotaChanged,
  tenantReactivated,
  tenantRenamed,
  tenantSuspended,
} from './tenants/tenant.samples.ts';

/** One event as a downstream team sees it in the AsyncAPI document: its data and whose it is. */
export interface EventExample {
  readonly context: string;
  readonly eventType: string;
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly tenantId: string;
  readonly data: unknown;
}

const TENANT_ID = '3f1c7a52-8d4e-4b6a-9c0d-2e5f7a8b9c01';
/** Any other aggregate's id (an order's). */
const AGGREGATE_ID = 'a7e2c4d1-5b3f-4e8a-8d6c-1f0b9e2a3c45';

/**
 * The events the specs and the schema test use (samples, which that test fits to
 * the Avro schemas), one per event type, in the order of an aggregate's life. A
 * tenant is its own aggregate: its id is both the tenant id and the aggregate id.
 */
const samples: readonly DomainEvent[] = [
  tenantCreated,
  tenantRenamed,
  tenantSuspended,
  tenantReactivated,
  tenantQuotaChanged,
  subjectForgotten,
  tenantOffboarded,
  orderPlaced,
  orderItemAdded,
  orderShipped,
  orderDelivered,
  orderCancelled,
];

export const eventExamples: readonly EventExample[] = samples.map((event) => {
  const decider = boundedContexts.find((candidate) => event.type in candidate.events);
  if (!decider) throw new Error(`no bounded context declares the sample event ${event.type}`);
  return {
    context: decider.context,
    eventType: event.type,
    aggregateType: decider.aggregateType,
    aggregateId: decider.aggregateType === 'Tenant' ? TENANT_ID : AGGREGATE_ID,
    tenantId: TENANT_ID,
    data: event.data,
  };
});
