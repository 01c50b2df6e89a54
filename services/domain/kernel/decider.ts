import type { z } from 'zod';

/**
 * The shape every aggregate of every bounded context takes, after Emmett's
 * deciders: pure functions from (command, state) to events and from
 * (state, event) to state. Nothing here performs I/O; handlers do.
 */

/** An event as the domain sees it: its type and its data, nothing about storage. */
export interface DomainEvent<Type extends string = string, Data extends object = object> {
  readonly type: Type;
  readonly data: Data;
}

/** A command as the domain sees it, already validated against its payload schema. */
export interface DomainCommand<Type extends string = string, Payload extends object = object> {
  readonly type: Type;
  readonly payload: Payload;
}

/** A business rule refused the command; nothing is appended. */
export interface Rejection {
  readonly rejected: true;
  /** Stable, machine-readable reason, e.g. "order-not-placed". */
  readonly code: string;
  readonly message: string;
}

export function reject(code: string, message: string): Rejection {
  return { rejected: true, code, message };
}

export function isRejection(value: unknown): value is Rejection {
  return typeof value === 'object' && value !== null && (value as Rejection).rejected === true;
}

/** How a command relates to the aggregate's existence. */
export type CommandTarget =
  /** Creates the aggregate; a new id is generated when the caller gives none. */
  | 'create'
  /** Acts on an existing aggregate; a missing one is "not found". */
  | 'existing';

export interface CommandDefinition<Payload extends object> {
  readonly payload: z.ZodType<Payload, unknown>;
  readonly target: CommandTarget;
  /**
   * Whether a concurrency conflict may be resolved by loading again and
   * deciding again. True when the decision depends only on the latest state.
   */
  readonly retryOnConflict: boolean;
}

export interface EventDefinition {
  /** The schema version new events of this type are written with. */
  readonly currentVersion: number;
}

export interface Decider<Command extends DomainCommand, Event extends DomainEvent, State> {
  /** The bounded context, which is also the Kafka topic's stem: `<context>.events`. */
  readonly context: string;
  /** The aggregate type, as stored in the event store and sent as `aggregate-type`. */
  readonly aggregateType: string;
  readonly initialState: State;
  /**
   * The shape of State, as stored in snapshots. Bump it whenever State changes
   * shape: snapshots taken with another version are then ignored, not trusted.
   */
  readonly stateVersion?: number;
  /** Whether the state stands for an aggregate that exists (has had its creating event). */
  exists(state: State): boolean;
  decide(command: Command, state: State): readonly Event[] | Rejection;
  evolve(state: State, event: Event): State;
  readonly commands: {
    readonly [Type in Command['type']]: CommandDefinition<Extract<Command, { type: Type }>['payload']>;
  };
  readonly events: { readonly [Type in Event['type']]: EventDefinition };
}

/** Folds events onto a state: what loading an aggregate means. */
export function replay<Event extends DomainEvent, State>(
  decider: Pick<Decider<DomainCommand, Event, State>, 'evolve'>,
  state: State,
  events: Iterable<Event>,
): State {
  let current = state;
  for (const event of events) current = decider.evolve(current, event);
  return current;
}
