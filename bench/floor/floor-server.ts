/**
 * The floor under the gateway's CPU per command: a bare node:http server that
 * does for each PlaceOrder only the I/O the gateway cannot avoid, written by
 * hand so that nothing of ours or express's is in it. FLOOR_WORK says how much:
 * `http` parses the body and answers; `redis` also takes the command's token
 * and reserves its event with the gateway's own admission script (one round
 * trip, as the gateway does); `append` also appends the OrderPlaced through
 * append_to_stream with pg (one round trip per command, no batching).
 * Started by bench/scenarios/gateway-floor.ts; answers GET /ready once connected.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  ADMISSION_COMMAND,
  ADMISSION_SCRIPT,
  type AdmissionCommand,
} from '../../services/quotas/admission-script.ts';

const work = process.env.FLOOR_WORK;
if (work !== 'http' && work !== 'redis' && work !== 'append') {
  throw new Error(`FLOOR_WORK must be http, redis or append, not ${String(work)}`);
}
const setting = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const port = Number(setting('FLOOR_PORT'));
const tenant = setting('FLOOR_TENANT');

const redis =
  work === 'http'
    ? undefined
    : (() => {
        const client = new Redis(setting('FLOOR_REDIS_URL'), { enableAutoPipelining: false });
        client.defineCommand(ADMISSION_COMMAND, { numberOfKeys: 2, lua: ADMISSION_SCRIPT });
        return client as Redis & AdmissionCommand;
      })();
// The gateway's pool size (DB_POOL_SIZE's default).
const pool =
  work === 'append' ? new pg.Pool({ connectionString: setting('FLOOR_DATABASE_URL'), max: 20 }) : undefined;
const day = new Date().toISOString().slice(0, 10);

interface PlaceOrderBody {
  readonly type: string;
  readonly payload: Record<string, unknown>;
}

function parsed(body: Buffer): PlaceOrderBody {
  const value: unknown = JSON.parse(body.toString('utf8'));
  if (typeof value !== 'object' || value === null) throw new Error('not an object');
  const { type, payload } = value as { type?: unknown; payload?: unknown };
  if (typeof type !== 'string' || typeof payload !== 'object' || payload === null) {
    throw new Error('type and payload are required');
  }
  return { type, payload: payload as Record<string, unknown> };
}

async function handle(command: PlaceOrderBody): Promise<Record<string, unknown>> {
  const aggregateId = randomUUID();
  const eventId = randomUUID();
  const correlationId = randomUUID();
  if (redis) {
    const [allowed] = await redis[ADMISSION_COMMAND](
      `floor:bucket:${tenant}`,
      `floor:events:${tenant}:${day}`,
      1_000_000,
      1_000_000 / 60_000,
      1,
      61_000,
      1,
      1_000_000_000,
      Date.now() + 2 * 86_400_000,
    );
    if (allowed !== 1) throw new Error('over the floor quota');
  }
  let position = 0;
  if (pool) {
    const events = [
      {
        event_id: eventId,
        event_type: 'OrderPlaced',
        schema_version: 1,
        data: command.payload,
        metadata: { correlationId, causationId: null, tenantId: tenant },
        correlation_id: correlationId,
        causation_id: null,
        occurred_at: new Date().toISOString(),
      },
    ];
    const result = await pool.query<{ outcome: string; global_positions: number[] }>(
      `SELECT outcome, stream_version, global_positions
         FROM append_to_stream($1, $2, 'Order', 'orders', 0, $3::jsonb)`,
      [tenant, aggregateId, JSON.stringify(events)],
    );
    position = result.rows[0]?.global_positions[0] ?? 0;
  }
  return { aggregateId, aggregateType: 'Order', version: 1, position, eventIds: [eventId], correlationId };
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  if (req.method === 'GET' && req.url === '/ready') {
    answer(res, 200, { ready: true });
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    let command: PlaceOrderBody;
    try {
      command = parsed(Buffer.concat(chunks));
    } catch (error) {
      answer(res, 400, { title: error instanceof Error ? error.message : 'bad request' });
      return;
    }
    handle(command).then(
      (body) => answer(res, 201, body),
      (error: unknown) => answer(res, 503, { title: error instanceof Error ? error.message : 'failed' }),
    );
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1');

const stop = () => {
  server.close();
  void Promise.all([redis?.quit(), pool?.end()]).finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
