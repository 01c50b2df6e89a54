import type { z } from 'zod';
import { type AnyDecider, boundedContexts, deciderForCommand } from '../domain/contexts.ts';
import { type CommandDefinition, isRejection } from '../domain/kernel/index.ts';
import {
  type AppendOptions,
  type EventStore,
  newStreamId,
  type StreamId,
  streamId,
} from '../eventstore/index.ts';
import {
  CommandRejectedError,
  ConcurrencyError,
  type FieldIssue,
  NotFoundError,
  ValidationError,
} from '../platform/errors/index.ts';
import { inSpan, tracerFor } from '../platform/telemetry/index.ts';
import { loadAggregate } from './aggregate-loader.ts';
import type { CommandEnvelope, CommandOutcome, EventAdmission } from './command.ts';
import { SnapshotScheduler } from './snapshot-scheduler.ts';

export interface CommandHandlerOptions {
  /** Events between snapshots, per aggregate type; default 100. */
  readonly snapshotEvery?: Readonly<Record<string, number>>;
  /** Load-decide-append attempts when a concurrent writer wins the race; default 3. */
  readonly maxAttempts?: number;
  readonly onSnapshotError?: (error: unknown) => void;
}

const DEFAULT_SNAPSHOT_EVERY = 100;

const tracer = tracerFor('commands');

function issuesOf(error: z.ZodError, prefix: string): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: `${prefix}${issue.path.length > 0 ? `/${issue.path.join('/')}` : ''}`,
    message: issue.message,
  }));
}

function knownCommandTypes(): string {
  return boundedContexts.flatMap((decider) => Object.keys(decider.commands)).join(', ');
}

/**
 * Load (snapshot + events) → decide → append with the loaded version as the
 * expected one. A concurrent writer's win is retried from the load when the
 * command allows it and the caller named no expectedVersion of its own.
 */
export class CommandHandler {
  private readonly snapshots: SnapshotScheduler;
  private readonly maxAttempts: number;

  constructor(
    private readonly store: EventStore,
    private readonly options: CommandHandlerOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 3;
    this.snapshots = new SnapshotScheduler(store, options.onSnapshotError);
  }

  /** `append.alongside` writes more of the same decision in the append's transaction (a new tenant's first key). */
  handle(
    command: CommandEnvelope,
    admission?: EventAdmission,
    append?: AppendOptions,
  ): Promise<CommandOutcome> {
    const attributes = { 'eventline.command.type': command.type, 'eventline.tenant_id': command.tenant };
    return inSpan(tracer, `command ${command.type}`, { attributes }, () =>
      this.decideAndAppend(command, admission, append),
    );
  }

  private async decideAndAppend(
    command: CommandEnvelope,
    admission: EventAdmission | undefined,
    append: AppendOptions | undefined,
  ): Promise<CommandOutcome> {
    const decider = deciderForCommand(command.type);
    const definition = decider?.commands[command.type as keyof typeof decider.commands];
    if (!decider || !definition) {
      throw new ValidationError(`unknown command type "${command.type}"`, [
        { path: '/type', message: `expected one of: ${knownCommandTypes()}` },
      ]);
    }
    const parsed = definition.payload.safeParse(command.payload);
    if (!parsed.success) {
      throw new ValidationError(`invalid ${command.type} payload`, issuesOf(parsed.error, '/payload'));
    }
    const id = this.aggregateIdOf(command, definition.target);
    // An id generated just now names no stream yet: loading it would be a round trip that finds nothing.
    const fresh = command.aggregateId === undefined;

    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(decider, definition, command, id, parsed.data, fresh, admission, append);
      } catch (error) {
        const retry =
          error instanceof ConcurrencyError &&
          definition.retryOnConflict &&
          command.expectedVersion === undefined &&
          attempt < this.maxAttempts;
        if (!retry) throw error;
      }
    }
  }

  /** Waits for snapshot writes still in flight: on shutdown, and in tests. */
  flushSnapshots(): Promise<void> {
    return this.snapshots.flush();
  }

  private aggregateIdOf(command: CommandEnvelope, target: 'create' | 'existing'): StreamId {
    if (command.aggregateId === undefined) {
      if (target === 'create') return newStreamId();
      throw new ValidationError(`${command.type} needs an aggregateId`, [
        { path: '/aggregateId', message: 'required for a command on an existing aggregate' },
      ]);
    }
    try {
      return streamId(command.aggregateId);
    } catch {
      throw new ValidationError('aggregateId must be a UUID', [
        { path: '/aggregateId', message: 'expected a UUID' },
      ]);
    }
  }

  private async attempt(
    decider: AnyDecider,
    definition: CommandDefinition<object>,
    command: CommandEnvelope,
    id: StreamId,
    payload: object,
    fresh: boolean,
    admission: EventAdmission | undefined,
    append: AppendOptions | undefined,
  ): Promise<CommandOutcome> {
    const loaded = fresh
      ? { state: decider.initialState, version: 0, found: false }
      : await loadAggregate(this.store, decider, command.tenant, id);
    if (definition.target === 'existing' && !loaded.found) {
      throw new NotFoundError(`no ${decider.aggregateType} ${id}`);
    }
    if (command.expectedVersion !== undefined && command.expectedVersion !== loaded.version) {
      throw new ConcurrencyError(id, command.expectedVersion, loaded.version);
    }
    const decision = decider.decide({ type: command.type, payload }, loaded.state);
    if (isRejection(decision)) throw new CommandRejectedError(decision.code, decision.message);
    const state = decision.reduce((current, event) => decider.evolve(current, event), loaded.state);
    const outcome = {
      aggregateId: id,
      aggregateType: decider.aggregateType,
      created: loaded.version === 0,
      state,
    };
    if (decision.length === 0) return { ...outcome, version: loaded.version, position: 0, eventIds: [] };

    await admission?.reserve(decision.length);
    let appended;
    try {
      appended = await this.store.appendToStream(
        command.tenant,
        { id, type: decider.aggregateType, context: decider.context },
        loaded.version === 0 ? 'no-stream' : loaded.version,
        decision.map((event) => ({ type: event.type, data: event.data })),
        {
          correlationId: command.correlationId,
          causationId: command.commandId,
          userId: command.userId,
          ...(command.traceparent ? { traceparent: command.traceparent } : {}),
        },
        append,
      );
    } catch (error) {
      await admission?.release(decision.length);
      throw error;
    }
    if (appended.duplicate) await admission?.release(decision.length);
    const every = this.options.snapshotEvery?.[decider.aggregateType] ?? DEFAULT_SNAPSHOT_EVERY;
    const crossed = Math.floor(appended.nextExpectedVersion / every) > Math.floor(loaded.version / every);
    if (crossed && !appended.duplicate) {
      this.snapshots.schedule(command.tenant, decider, id, appended.nextExpectedVersion, state);
    }
    return {
      ...outcome,
      version: appended.nextExpectedVersion,
      position: appended.globalPositions.at(-1) ?? 0,
      eventIds: appended.eventIds,
    };
  }
}
