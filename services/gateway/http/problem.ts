import type { Response } from 'express';
import {
  CommandRejectedError,
  ConcurrencyError,
  MethodNotAllowedError,
  type ErrorKind,
  EventlineError,
  type FieldIssue,
  QuotaExceededError,
  ValidationError,
} from '../../platform/errors/index.ts';
import { isConnectionOutage } from '../../platform/resilience/index.ts';

/** An RFC 9457 problem document, as every error of the HTTP API is sent. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly errors?: readonly FieldIssue[];
  readonly currentVersion?: number;
  readonly code?: string;
  /** Sent as the Retry-After header, not in the body. */
  readonly retryAfterSeconds?: number;
  /** With 405: sent as the Allow header, not in the body. */
  readonly allow?: readonly string[];
}

const byKind: Readonly<Record<ErrorKind, { status: number; title: string; slug: string }>> = {
  invalid: { status: 400, title: 'Invalid request', slug: 'invalid-request' },
  unauthenticated: { status: 401, title: 'Not authenticated', slug: 'unauthenticated' },
  forbidden: { status: 403, title: 'Forbidden', slug: 'forbidden' },
  'not-found': { status: 404, title: 'Not found', slug: 'not-found' },
  gone: { status: 410, title: 'Gone', slug: 'gone' },
  'method-not-allowed': { status: 405, title: 'Method not allowed', slug: 'method-not-allowed' },
  conflict: { status: 409, title: 'Version conflict', slug: 'version-conflict' },
  'too-large': { status: 413, title: 'Request too large', slug: 'request-too-large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type', slug: 'unsupported-media-type' },
  rejected: { status: 422, title: 'Command rejected', slug: 'command-rejected' },
  'quota-exceeded': { status: 429, title: 'Quota exceeded', slug: 'quota-exceeded' },
  unavailable: { status: 503, title: 'Service unavailable', slug: 'service-unavailable' },
  'timed-out': { status: 504, title: 'Read model behind', slug: 'read-model-behind' },
  internal: { status: 500, title: 'Internal error', slug: 'internal-error' },
};

const PROBLEM_BASE = 'https://eventline.dev/problems/';

/** PostgreSQL gone or restarting, seen through pg or slonik: the client should retry. */
/** The one mapping from errors to HTTP: anything unknown is a 500 that reveals nothing. */
export function problemFor(error: unknown): Problem {
  if (error instanceof EventlineError) {
    const { status, title, slug } = byKind[error.kind];
    return {
      type: `${PROBLEM_BASE}${error instanceof CommandRejectedError ? `rejected/${error.code}` : slug}`,
      title,
      status,
      detail: error.message,
      ...(error instanceof ValidationError ? { errors: error.issues } : {}),
      ...(error instanceof ConcurrencyError ? { currentVersion: error.currentVersion } : {}),
      ...(error instanceof CommandRejectedError ? { code: error.code } : {}),
      ...(error instanceof QuotaExceededError
        ? { retryAfterSeconds: Math.max(1, Math.ceil(error.retryAfterMs / 1000)) }
        : {}),
      ...(error.kind === 'unavailable' ? { retryAfterSeconds: 1 } : {}),
      ...(error instanceof MethodNotAllowedError ? { allow: error.allowed } : {}),
    };
  }
  // A connection lost, refused or timed out, or PostgreSQL's circuit open: the client may retry.
  if (isConnectionOutage(error)) {
    return { ...problemFor(new DatabaseUnavailable()), retryAfterSeconds: 1 };
  }
  const { status, title, slug } = byKind.internal;
  return {
    type: `${PROBLEM_BASE}${slug}`,
    title,
    status,
    detail: 'an unexpected error occurred; it has been logged',
  };
}

class DatabaseUnavailable extends EventlineError {
  readonly kind = 'unavailable';
  constructor() {
    super('the database is unavailable; retry shortly');
  }
}

export function sendProblem(res: Response, problem: Problem): void {
  const { retryAfterSeconds, allow, ...body } = problem;
  if (retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(retryAfterSeconds));
  if (allow !== undefined) res.setHeader('Allow', allow.join(', '));
  if (problem.status === 401) res.setHeader('WWW-Authenticate', 'Bearer, ApiKey');
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(body));
}
