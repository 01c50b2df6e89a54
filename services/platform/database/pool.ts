import {
  createPool,
  createTypeParserPreset,
  type DatabasePool,
  type Interceptor,
  type QueryResultRow,
  SchemaValidationError,
} from 'slonik';
import { postgresTarget } from './postgres-target.ts';

export interface DatabasePoolOptions {
  /** Connections at most; size it to the process's concurrency, not higher. */
  maximumPoolSize?: number;
  /** How long a statement may run before PostgreSQL cancels it. */
  statementTimeoutMs?: number;
  /** How long making a connection may take before it fails. */
  connectTimeoutMs?: number;
}

// Positions, counts and offsets stay far below 2^53: plain numbers serialise to
// JSON and compare with ===, where slonik's default BigInt does neither.
const int8AsNumber = { name: 'int8', parse: (value: string) => Number.parseInt(value, 10) };

/**
 * Rows of a query written with sql.type(schema) are checked against it, so a
 * column renamed or retyped fails at once, naming the query, instead of being
 * cast into a wrong shape (slonik leaves the check to an interceptor).
 */
const rowsCheckedBySchema: Interceptor = {
  name: 'rows-checked-by-schema',
  transformRow: (context, query, row) => {
    const parser = context.resultParser;
    if (!parser) return row;
    const result = parser['~standard'].validate(row);
    if (result instanceof Promise) throw new TypeError(`an asynchronous row schema in ${query.sql}`);
    if (result.issues) throw new SchemaValidationError(query, row, result.issues);
    return result.value as QueryResultRow;
  },
};

/**
 * The one way a process opens PostgreSQL (TLS as the URL's libpq parameters
 * say: postgresTarget). Timestamps come back as numbers of milliseconds
 * (slonik's default), bigints as numbers.
 */
export async function openDatabase(url: string, options: DatabasePoolOptions = {}): Promise<DatabasePool> {
  const { connectionString, ssl } = postgresTarget(url);
  return createPool(connectionString, {
    ...(ssl ? { ssl } : {}),
    maximumPoolSize: options.maximumPoolSize ?? 10,
    statementTimeout: options.statementTimeoutMs ?? 30_000,
    connectionTimeout: options.connectTimeoutMs ?? 5_000,
    idleTimeout: 30_000,
    // slonik's default runs DISCARD ALL after every query: a round trip more, and
    // every plan (append_to_stream's, the RLS policies') made again. Nothing here
    // keeps session state: the tenant setting is transaction-local.
    resetConnection: async () => {},
    interceptors: [rowsCheckedBySchema],
    typeParsers: [...createTypeParserPreset().filter((parser) => parser.name !== 'int8'), int8AsNumber],
  });
}
