import { randomUUID } from 'node:crypto';
import { ValidationError } from '../platform/errors/index.ts';

declare const streamIdBrand: unique symbol;
declare const eventIdBrand: unique symbol;

/** A stream's id, which is the aggregate's id: a UUID, unique within its tenant. */
export type StreamId = string & { readonly [streamIdBrand]: true };
/** An event's id: a UUID, unique across the store, kept by every republish. */
export type EventId = string & { readonly [eventIdBrand]: true };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function streamId(value: string): StreamId {
  if (!UUID.test(value)) throw new ValidationError(`not a UUID: ${JSON.stringify(value)}`);
  return value.toLowerCase() as StreamId;
}

export function newStreamId(): StreamId {
  return randomUUID() as StreamId;
}

export function newEventId(): EventId {
  return randomUUID() as EventId;
}
