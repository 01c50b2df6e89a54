/**
 * The headers of docs/contracts.md §8 as JSON Schema, for the AsyncAPI document:
 * what every event record carries, and what a dead letter adds. The relay's
 * kafkaRecord and the projector's DeadLetters write them; a unit test holds the
 * names here to what they write.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

const UUID = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const DIGITS = '^(0|[1-9][0-9]*)$';
const POSITIVE = '^[1-9][0-9]*$';

/** A header's schema: every header is a UTF-8 string, so only its description and shape vary. */
function header(description: string, shape: JsonObject = {}): JsonObject {
  return { type: 'string', description, ...shape };
}

/** Every event record's headers, in the order the relay writes them; all but traceparent are always there. */
export const EVENT_HEADERS: Readonly<Record<string, JsonObject>> = {
  'event-id': header("The event's UUID; the same on every re-publish.", { format: 'uuid', pattern: UUID }),
  'event-type': header('The event type, e.g. `OrderPlaced`: also the Avro record name.'),
  'event-schema-version': header(
    'The version of the `.avsc` the event was written with (`schemas/<context>/<Event>.v<N>.avsc`).',
    { pattern: POSITIVE },
  ),
  'aggregate-type': header('The aggregate type, e.g. `Order`.'),
  'aggregate-id': header("The aggregate's UUID.", { format: 'uuid', pattern: UUID }),
  'aggregate-version': header(
    "The aggregate's version after this event; strictly increasing per aggregate.",
    { pattern: POSITIVE },
  ),
  'tenant-id': header("The tenant's UUID; also the record key.", { format: 'uuid', pattern: UUID }),
  'global-position': header(
    "The event's position in the store: an identifier, not an order (sequence values are taken before " +
      'commit, so it can go backwards along a tenant’s records). Never deduplicate or checkpoint by it.',
    { pattern: POSITIVE },
  ),
  'correlation-id': header('The request that caused the event.'),
  'causation-id': header('The event or command that caused it; empty when none.'),
  'occurred-at': header('When the event was recorded, ISO-8601 in UTC.', { format: 'date-time' }),
  'event-cursor': header(
    "The store's commit order: transaction id and position, 20 zero-padded digits each. Strictly " +
      "increasing, compared as strings, along each key's (tenant's) records in publish order; a re-publish " +
      'carries the same value. Keep the last one per key: a record whose cursor is not greater is a ' +
      'duplicate, and it is the checkpoint to resume from.',
    { pattern: '^[0-9]{20}-[0-9]{20}$' },
  ),
  traceparent: header('W3C trace context; present only when the event was stored within a trace.', {
    pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
  }),
};

/** Headers a record may lack: the rest are on every record, empty when there is no value. */
export const OPTIONAL_EVENT_HEADERS: ReadonlySet<string> = new Set(['traceparent']);

/** What a projector adds when it parks an event on `<source topic>.<projection>.dlq`. */
export const DEAD_LETTER_HEADERS: Readonly<Record<string, JsonObject>> = {
  'dlq-error': header('Why the projection could not apply the event: the error, at most 2,000 characters.'),
  'dlq-attempts': header('How many times the projection tried before parking it.', { pattern: POSITIVE }),
  'dlq-source-partition': header('The partition of the source topic the record was read from.', {
    pattern: DIGITS,
  }),
  'dlq-source-offset': header('Its offset there.', { pattern: DIGITS }),
  'dlq-failed-at': header('When it was parked, ISO-8601 in UTC.', { format: 'date-time' }),
};

function headersSchema(headers: Readonly<Record<string, JsonObject>>, description: string): JsonObject {
  const names = Object.keys(headers);
  return {
    type: 'object',
    description,
    properties: { ...headers },
    required: names.filter((name) => !OPTIONAL_EVENT_HEADERS.has(name)),
  };
}

/** The header schema of an event record. */
export function eventHeadersSchema(): JsonObject {
  return headersSchema(
    EVENT_HEADERS,
    'Every event record carries every one of these (UTF-8 strings), empty when there is no value; ' +
      'traceparent only when the event was stored within a trace.',
  );
}

/** The header schema of a dead letter: the original record's headers, and the dlq-* ones. */
export function deadLetterHeadersSchema(): JsonObject {
  return headersSchema(
    { ...EVENT_HEADERS, ...DEAD_LETTER_HEADERS },
    "The original record's headers, unchanged, and the dlq-* headers the projector adds.",
  );
}
