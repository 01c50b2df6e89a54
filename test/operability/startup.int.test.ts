import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { health, startGatewayProcess } from '../support/gateway-process.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { waitFor } from '../support/wait.ts';

let db: TestDatabase;
let postgres: TcpProxy;

beforeAll(async () => {
  db = await createTestDatabase('startup');
  const target = new URL(db.appUrl);
  postgres = new TcpProxy(target.hostname, Number(target.port || 5432));
  // Listening once fixes the port the gateway is given; cut, it refuses as a database not up yet would.
  await postgres.start();
  await postgres.cut();
});

afterAll(async () => {
  await postgres.cut();
  await db.drop();
});

interface LogLine {
  msg?: string;
  dependency?: string;
  level?: number | string;
}

const parsed = (lines: readonly string[]): LogLine[] => lines.map((line) => JSON.parse(line) as LogLine);

test('started before its database, the gateway waits for it with a log line per try instead of exiting, then serves', async () => {
  const gateway = await startGatewayProcess({
    databaseUrl: postgres.urlFor(db.appUrl),
    logs: true,
    waitForHealth: false,
  });
  try {
    await waitFor('two waits for postgres in the log', () =>
      parsed(gateway.logLines).filter((line) => line.msg === 'waiting for postgres').length >= 2
        ? true
        : undefined,
    );
    expect(gateway.child.exitCode).toBeNull();

    await postgres.start();
    await health(gateway.url);
    await waitFor('/ready to say ok', async () => {
      const response = await fetch(`${gateway.url}/ready`);
      return response.status === 200 ? true : undefined;
    });
    expect(parsed(gateway.logLines).some((line) => line.msg === 'postgres reached')).toBe(true);
  } finally {
    await gateway.kill();
    await postgres.cut();
  }
}, 60_000);

test('SIGTERM while it still waits for its database: the gateway exits 0 at once', async () => {
  const gateway = await startGatewayProcess({
    databaseUrl: postgres.urlFor(db.appUrl),
    logs: true,
    waitForHealth: false,
  });
  try {
    await waitFor('a wait for postgres in the log', () =>
      parsed(gateway.logLines).some((line) => line.msg === 'waiting for postgres') ? true : undefined,
    );
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);
    expect(parsed(gateway.logLines).some((line) => line.msg === 'stopped')).toBe(true);
  } finally {
    await gateway.kill();
  }
}, 60_000);
