/**
 * The one error hierarchy. Each kind maps to one HTTP status in the gateway's
 * problem+json mapping; building blocks throw these and never pick a status.
 */
export type ErrorKind =
  | 'invalid' // the input is malformed or breaks a schema
  | 'too-large'
  | 'unsupported-media-type'
  | 'unauthenticated'
  | 'forbidden'
  | 'not-found'
  | 'gone' // it existed and was deleted for good (an offboarded tenant)
  | 'method-not-allowed' // the resource exists, the method does not
  | 'conflict' // a concurrency check failed
  | 'rejected' // a business rule refused the command
  | 'quota-exceeded'
  | 'unavailable' // a dependency cannot be reached; retry later
  | 'timed-out' // waited as long as the caller allowed for something not yet there
  | 'internal';

export interface FieldIssue {
  /** JSON-pointer-like path of the offending field, e.g. "/payload/items/0/quantity". */
  readonly path: string;
  readonly message: string;
}

export abstract class EventlineError extends Error {
  abstract readonly kind: ErrorKind;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ValidationError extends EventlineError {
  readonly kind = 'invalid';
  constructor(
    message: string,
    readonly issues: readonly FieldIssue[] = [],
  ) {
    super(message);
  }
}

export class UnauthenticatedError extends EventlineError {
  readonly kind = 'unauthenticated';
}

export class ForbiddenError extends EventlineError {
  readonly kind = 'forbidden';
}

/** The path names a resource the method does not apply to; `allowed` are those that do. */
export class MethodNotAllowedError extends EventlineError {
  readonly kind = 'method-not-allowed';
  constructor(
    message: string,
    readonly allowed: readonly string[],
  ) {
    super(message);
  }
}

export class PayloadTooLargeError extends EventlineError {
  readonly kind = 'too-large';
}

export class UnsupportedMediaTypeError extends EventlineError {
  readonly kind = 'unsupported-media-type';
}

/** The tenant is over its quota; retry after the given delay. */
export class QuotaExceededError extends EventlineError {
  readonly kind = 'quota-exceeded';
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

/** The same Idempotency-Key arrived with a different request. */
export class IdempotencyMismatchError extends EventlineError {
  readonly kind = 'rejected';
}

export class NotFoundError extends EventlineError {
  readonly kind = 'not-found';
}

/** It existed and never will again: an offboarded tenant's commands and queries. */
export class GoneError extends EventlineError {
  readonly kind = 'gone';
}

/** The stream was not at the expected version; nothing was appended. */
export class ConcurrencyError extends EventlineError {
  readonly kind = 'conflict';
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number | 'no-stream' | 'any',
    readonly currentVersion: number,
  ) {
    super(`stream ${streamId} is at version ${currentVersion}, expected ${expectedVersion}`);
  }
}

/** A business rule refused the command; nothing was appended. */
export class CommandRejectedError extends EventlineError {
  readonly kind = 'rejected';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class DependencyUnavailableError extends EventlineError {
  readonly kind = 'unavailable';
  constructor(
    readonly dependency: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The caller asked to wait for something (a read model catching up) that did not arrive in time. */
export class WaitTimedOutError extends EventlineError {
  readonly kind = 'timed-out';
}

/** A stored event whose type or schema version no reader knows: never silently dropped. */
export class UnknownEventError extends EventlineError {
  readonly kind = 'internal';
  constructor(
    readonly eventType: string,
    readonly schemaVersion: number,
    detail: string,
  ) {
    super(`cannot read event ${eventType} v${schemaVersion}: ${detail}`);
  }
}
