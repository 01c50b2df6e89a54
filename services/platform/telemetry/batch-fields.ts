/** What a batch's log line says about the events in it. */
export interface BatchItem {
  readonly tenantId: string;
  readonly correlationId?: string | null | undefined;
  readonly causationId?: string | null | undefined;
}

/** The one value every item shares, if they share one. */
function shared(values: readonly (string | null | undefined)[]): string | undefined {
  const [first] = values;
  return first && values.every((value) => value === first) ? first : undefined;
}

/**
 * The tenant, correlation and causation ids for a batch's one log line: each
 * named when the whole batch shares it (one command's events, one tenant's
 * backlog), else the number of tenants, so a line stays one line however large
 * the batch is.
 */
export function batchFields(items: readonly BatchItem[]): {
  tenant?: string;
  tenants: number;
  correlationId?: string;
  causationId?: string;
} {
  const tenant = shared(items.map((item) => item.tenantId));
  const correlationId = shared(items.map((item) => item.correlationId));
  const causationId = shared(items.map((item) => item.causationId));
  return {
    ...(tenant ? { tenant } : {}),
    tenants: new Set(items.map((item) => item.tenantId)).size,
    ...(correlationId ? { correlationId } : {}),
    ...(causationId ? { causationId } : {}),
  };
}
