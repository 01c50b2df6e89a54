import { z } from 'zod';

/** What the gateway answers, described with the same tool as what it accepts. */
export const commandResponse = z.object({
  aggregateId: z.string().uuid(),
  aggregateType: z.string(),
  version: z.number().int(),
  position: z.number().int().describe('global position of the last appended event'),
  eventIds: z.array(z.string().uuid()),
  correlationId: z.string(),
});

export const problem = z.object({
  type: z.string().url(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  currentVersion: z.number().int().optional().describe('with 409: the stream version now'),
  code: z.string().optional().describe('with 422: the business rule that refused the command'),
});

export const createdTenant = z.object({
  tenantId: z.string().uuid(),
  apiKey: z.string().describe('shown once; only its hash is stored'),
  keyId: z.string(),
  roles: z.array(z.enum(['admin', 'writer', 'reader'])),
});

export const tenantView = z.object({
  tenantId: z.string().uuid(),
  name: z.string(),
  plan: z.enum(['free', 'pro', 'enterprise']),
  status: z.enum(['active', 'suspended', 'offboarded']),
  suspensionReason: z.string().nullable().describe('why it is suspended, while it is and a reason was given'),
  quota: z.object({
    commandsPerMinute: z.number().int(),
    maxBurst: z.number().int(),
    eventsPerDay: z.number().int().describe('events the tenant may store per UTC day'),
  }),
  version: z.number().int(),
});

export const tenantPage = z.object({
  items: z.array(tenantView),
  nextCursor: z.string().nullable().describe('pass as `cursor` for the next page; null on the last'),
});

export const queryAnswer = z.object({
  data: z.unknown().describe('the answer; its shape is the query type’s'),
  position: z.number().int().describe('the position of the tenant’s last event the read model reflects'),
});

export const issuedKey = z.object({ keyId: z.string(), apiKey: z.string(), roles: z.array(z.string()) });

export const aggregateState = z.object({
  state: z.record(z.string(), z.unknown()),
  version: z.number().int(),
});

export const recordedEvent = z.object({
  eventId: z.string().uuid(),
  type: z.string(),
  schemaVersion: z.number().int(),
  aggregateType: z.string(),
  aggregateId: z.string().uuid(),
  version: z.number().int(),
  position: z.number().int(),
  data: z.record(z.string(), z.unknown()),
  correlationId: z.string(),
  causationId: z.string().nullable(),
  occurredAt: z.string().datetime(),
  recordedAt: z.string().datetime(),
});

export const eventList = z.object({ events: z.array(recordedEvent) });

export const readiness = z.object({
  status: z.enum(['ok', 'degraded', 'down']),
  checks: z.record(
    z.string(),
    z.object({
      status: z.enum(['up', 'down']),
      latencyMs: z.number().optional(),
      error: z.string().optional(),
    }),
  ),
});

export const openedPersonalData = z.object({
  data: z
    .unknown()
    .describe('what was sent, each sealed value replaced by its plaintext, or null when erased'),
  erased: z
    .array(z.string())
    .describe(
      'JSON pointers (into `data`) of the values whose subject was forgotten: their key is destroyed',
    ),
});
