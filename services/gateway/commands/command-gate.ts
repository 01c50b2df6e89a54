import { randomUUID } from 'node:crypto';
import type { IPolicy } from 'cockatiel';
import { Counter, type Registry } from 'prom-client';
import type { CommandEnvelope, CommandHandler, CommandOutcome } from '../../commands/index.ts';
import { deciderForCommand } from '../../domain/contexts.ts';
import { hasRole, type Principal, type TenantDirectory } from '../../identity/index.ts';
import {
  EventlineError,
  ForbiddenError,
  GoneError,
  QuotaExceededError,
} from '../../platform/errors/index.ts';
import type { TenantId } from '../../platform/tenancy/index.ts';
import type { CommandQuota, DailyEventQuota } from '../../quotas/index.ts';
import type { TenantRecord } from '../../identity/index.ts';
import { parseWith } from '../routes/parse.ts';
import { AdmittedEvents } from './admitted-events.ts';
import { type CommandRequest, commandRequest } from './command-request.ts';
import { routedCommands } from './routed-commands.ts';

/** Commands only the platform administrator may send, through /api/v1/tenants/{id}/commands/execute. */
const PLATFORM_COMMANDS = new Set(['SuspendTenant', 'ReactivateTenant', 'SetTenantQuota']);

/** Most commands append one event: reserved with the command's token, it needs no second round trip. */
const EVENTS_GUESSED = 1;

export interface CommandContext {
  readonly principal: Principal;
  readonly tenant: TenantId;
  readonly correlationId: string;
  readonly traceparent?: string;
}

export interface CommandResponseBody {
  readonly aggregateId: string;
  readonly aggregateType: string;
  readonly version: number;
  readonly position: number;
  readonly eventIds: readonly string[];
  readonly correlationId: string;
}

/**
 * Everything between an authenticated request and the command handler that is
 * not a business rule: who may send which command, suspension and quota. (The
 * tenant directory follows Tenant aggregates by itself, inside their appends.)
 */
export class CommandGate {
  private readonly outcomes: Counter<'type' | 'outcome'>;
  private readonly quotaRejections: Counter<'plan' | 'limit'>;

  constructor(
    private readonly handler: CommandHandler,
    private readonly directory: TenantDirectory,
    private readonly quota: CommandQuota,
    private readonly dailyEvents: DailyEventQuota,
    /** PostgreSQL's circuit breaker: while the database is away, commands get a 503 at once. */
    private readonly databaseGuard: IPolicy,
    registry: Registry,
  ) {
    this.outcomes = new Counter({
      name: 'commands_total',
      help: 'Commands by type and outcome',
      labelNames: ['type', 'outcome'],
      registers: [registry],
    });
    // Per plan, not per tenant: tenants are unbounded, plans are three.
    this.quotaRejections = new Counter({
      name: 'quota_rejections_total',
      help: 'Commands refused for quota, by plan and limit (commands per minute, events per day)',
      labelNames: ['plan', 'limit'],
      registers: [registry],
    });
  }

  /** The request body is parsed here, so a malformed one is counted with the other outcomes. */
  async execute(
    body: unknown,
    context: CommandContext,
  ): Promise<{ status: number; body: CommandResponseBody }> {
    const named = typeof body === 'object' && body !== null ? (body as { type?: unknown }).type : undefined;
    // Only known types become label values: a client cannot grow the series.
    const type = typeof named === 'string' && deciderForCommand(named) ? named : 'unknown';
    try {
      const request = parseWith(commandRequest, body, 'command');
      const outcome = await this.databaseGuard.execute(() => this.admitAndHandle(request, context));
      this.outcomes.inc({ type, outcome: 'accepted' });
      return {
        status: outcome.created ? 201 : 200,
        body: {
          aggregateId: outcome.aggregateId,
          aggregateType: outcome.aggregateType,
          version: outcome.version,
          position: outcome.position,
          eventIds: outcome.eventIds,
          correlationId: context.correlationId,
        },
      };
    } catch (error) {
      this.outcomes.inc({ type, outcome: error instanceof EventlineError ? error.kind : 'error' });
      throw error;
    }
  }

  private async admitAndHandle(request: CommandRequest, context: CommandContext): Promise<CommandOutcome> {
    const { principal, tenant } = context;
    const decider = deciderForCommand(request.type);
    const isTenantCommand = decider?.aggregateType === 'Tenant';
    const route = routedCommands[request.type];
    if (route) throw new ForbiddenError(`${request.type} is sent with ${route}`);
    if (PLATFORM_COMMANDS.has(request.type) && principal.kind !== 'platform-admin') {
      throw new ForbiddenError(`${request.type} is for the platform administrator`);
    }
    if (principal.kind === 'tenant' && !hasRole(principal, isTenantCommand ? 'admin' : 'writer')) {
      throw new ForbiddenError(
        `the ${isTenantCommand ? 'admin' : 'writer'} role is required for ${request.type}`,
      );
    }
    const record = await this.directory.find(tenant);
    if (!record) throw new ForbiddenError('this tenant does not exist');
    if (record.status === 'offboarded') throw new GoneError('this tenant was offboarded');
    if (record.status === 'suspended' && principal.kind !== 'platform-admin') {
      throw new ForbiddenError('this tenant is suspended');
    }
    if (principal.kind !== 'tenant')
      return this.handler.handle(this.envelope(request, context, isTenantCommand));
    const admitted = await this.admit(record);
    try {
      return await this.handler.handle(this.envelope(request, context, isTenantCommand), admitted);
    } finally {
      await admitted.settle();
    }
  }

  private envelope(
    request: CommandRequest,
    context: CommandContext,
    isTenantCommand: boolean,
  ): CommandEnvelope {
    const { principal, tenant } = context;
    return {
      commandId: randomUUID(),
      type: request.type,
      // A tenant's own aggregate is the tenant: its id is never the caller's to choose.
      aggregateId: isTenantCommand ? tenant : request.aggregateId,
      ...(request.expectedVersion !== undefined ? { expectedVersion: request.expectedVersion } : {}),
      payload: request.payload,
      tenant,
      userId: principal.subject,
      correlationId: context.correlationId,
      ...(context.traceparent ? { traceparent: context.traceparent } : {}),
    };
  }

  /**
   * The command's token, refused at once when the tenant is over its commands
   * per minute, and with it (one Redis round trip) the events a command most
   * often appends; the rest of the tenant's events per UTC day is settled once
   * the decision says how many it appends.
   */
  private async admit(record: TenantRecord): Promise<AdmittedEvents> {
    const { tenantId, quota, plan } = record;
    const guess = Math.min(EVENTS_GUESSED, quota.eventsPerDay);
    const decision = await this.quota.admit(
      tenantId,
      quota,
      this.dailyEvents.reservation(tenantId, guess, quota.eventsPerDay),
    );
    if (!decision.allowed) {
      this.quotaRejections.inc({ plan, limit: 'commands' });
      throw new QuotaExceededError(
        `over the quota of ${quota.commandsPerMinute} commands per minute`,
        decision.retryAfterMs,
      );
    }
    return new AdmittedEvents(
      this.dailyEvents,
      tenantId,
      quota.eventsPerDay,
      decision.eventsReserved,
      (retryAfterMs) => {
        this.quotaRejections.inc({ plan, limit: 'events' });
        throw new QuotaExceededError(
          `over the quota of ${quota.eventsPerDay} events per day (UTC)`,
          retryAfterMs,
        );
      },
    );
  }
}
