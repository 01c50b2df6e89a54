/**
 * A schema registry process of a test's own, on its own PostgreSQL database, so
 * a test can stop and restart it without disturbing the shared one.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { GenericContainer, type StartedTestContainer, Wait } from 'testcontainers';
import { endpoints } from './endpoints.ts';
import { IMAGES } from './global-setup.ts';
import { freePort } from './ports.ts';
import { waitFor } from './wait.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface RegistryInstance {
  url: string;
  stop(): Promise<void>;
}

/** Runs one statement as the stack's admin login. */
async function asAdmin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: endpoints().adminDatabaseUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** A database of the test's own for a registry; drop() removes it once the test's registries are stopped. */
export async function createRegistryDatabase(
  name: string,
): Promise<{ jdbcUrl: string; user: string; password: string; drop(): Promise<void> }> {
  const admin = new URL(endpoints().adminDatabaseUrl);
  await asAdmin(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  const host = process.env.EVENTLINE_TEST_STACK === 'containers' ? 'postgres' : admin.hostname;
  const port = process.env.EVENTLINE_TEST_STACK === 'containers' ? '5432' : admin.port || '5432';
  return {
    jdbcUrl: `jdbc:postgresql://${host}:${port}/${name}`,
    user: decodeURIComponent(admin.username),
    password: decodeURIComponent(admin.password),
    drop: () => asAdmin(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`),
  };
}

function registryEnvironment(db: {
  jdbcUrl: string;
  user: string;
  password: string;
}): Record<string, string> {
  return {
    APICURIO_STORAGE_KIND: 'sql',
    APICURIO_STORAGE_SQL_KIND: 'postgresql',
    APICURIO_DATASOURCE_URL: db.jdbcUrl,
    APICURIO_DATASOURCE_USERNAME: db.user,
    APICURIO_DATASOURCE_PASSWORD: db.password,
    APICURIO_RULES_GLOBAL_COMPATIBILITY: 'BACKWARD',
  };
}

async function untilServing(url: string): Promise<void> {
  await waitFor(
    `the registry at ${url}`,
    async () =>
      (await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2000) })).ok ? true : undefined,
    { timeoutMs: 120_000, intervalMs: 250 },
  );
}

async function startProcess(db: {
  jdbcUrl: string;
  user: string;
  password: string;
}): Promise<RegistryInstance> {
  const runtime = Object.fromEntries(
    execFileSync('bash', [join(ROOT, 'scripts/stack/registry.sh'), 'runtime'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((line) => line.split('=', 2) as [string, string]),
  );
  const [port, managementPort] = [await freePort(), await freePort()];
  const child: ChildProcess = spawn(
    runtime.REGISTRY_JAVA ?? 'java',
    ['-Xms64m', '-Xmx384m', '-jar', 'quarkus-run.jar'],
    {
      cwd: runtime.REGISTRY_APP_DIR,
      env: {
        ...process.env,
        ...registryEnvironment(db),
        QUARKUS_HTTP_HOST: '127.0.0.1',
        QUARKUS_HTTP_PORT: String(port),
        QUARKUS_MANAGEMENT_HOST: '127.0.0.1',
        QUARKUS_MANAGEMENT_PORT: String(managementPort),
      },
      stdio: 'ignore',
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}/apis/ccompat/v7`;
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
  };
  try {
    await untilServing(url);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}

async function startContainer(db: {
  jdbcUrl: string;
  user: string;
  password: string;
}): Promise<RegistryInstance> {
  const network = process.env.EVENTLINE_TEST_NETWORK;
  let builder = new GenericContainer(IMAGES.registry)
    .withEnvironment(registryEnvironment(db))
    .withExposedPorts(8080)
    .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080));
  if (network) builder = builder.withNetworkMode(network);
  const container: StartedTestContainer = await builder.start();
  return {
    url: `http://${container.getHost()}:${container.getMappedPort(8080)}/apis/ccompat/v7`,
    stop: async () => void (await container.stop()),
  };
}

export async function startRegistryInstance(db: {
  jdbcUrl: string;
  user: string;
  password: string;
}): Promise<RegistryInstance> {
  return process.env.EVENTLINE_TEST_STACK === 'containers' ? startContainer(db) : startProcess(db);
}
