import { createPool, createTypeParserPreset, type DatabasePool } from 'slonik';
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
    typeParsers: [...createTypeParserPreset().filter((parser) => parser.name !== 'int8'), int8AsNumber],
  });
}
