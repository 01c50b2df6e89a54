/**
 * Issue #15: a tenant's events, its directory row (and, at creation, its
 * first API key) are one decision, committed in one transaction. Here the
 * directory write fails, and the gateway process is killed while the append
 * waits inside its transaction: either way nothing is split.
 */
import pg from 'pg';
import { call } from '../support/http.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { type GatewayProcess, startGatewayProcess } from '../support/gateway-process.ts';
import { waitFor } from '../support/wait.ts';

let db: TestDatabase;
let owner: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase('atomic');
  owner = new pg.Client({ connectionString: db.adminUrl });
  await owner.connect();
});

afterAll(async () => {
  await owner.end();
  await db.drop();
});

async function count(query: string, values: unknown[] = []): Promise<number> {
  return Number((await owner.query<{ n: string }>(query, values)).rows[0]?.n);
}

/** What the store, the directory and the keys hold of one tenant (by id) or of a tenant name. */
async function traces(of: { tenantId?: string; name?: string }) {
  const byName = of.name !== undefined;
  const value = byName ? of.name : of.tenantId;
  return {
    events: await count(
      byName
        ? `SELECT count(*) AS n FROM events WHERE event_type = 'TenantCreated' AND data->>'name' = $1`
        : 'SELECT count(*) AS n FROM events WHERE tenant_id = $1',
      [value],
    ),
    directory: await count(`SELECT count(*) AS n FROM tenants WHERE ${byName ? 'name' : 'tenant_id'} = $1`, [
      value,
    ]),
  };
}

const admin = (gateway: GatewayProcess) => ({ authorization: `Bearer ${gateway.adminToken}` });

function createTenant(gateway: GatewayProcess, name: string) {
  return call(gateway.url, 'POST', '/api/v1/tenants', {
    headers: admin(gateway),
    body: { name, plan: 'pro' },
  });
}

function suspend(gateway: GatewayProcess, tenantId: string) {
  return call(gateway.url, 'POST', `/api/v1/tenants/${tenantId}/commands/execute`, {
    headers: admin(gateway),
    body: { type: 'SuspendTenant', payload: { reason: 'unpaid' } },
  });
}

describe('when the directory write fails', () => {
  let gateway: GatewayProcess;

  beforeAll(async () => {
    gateway = await startGatewayProcess({ databaseUrl: db.appUrl });
    // The owner makes the directory refuse one name, and any suspension: a write that fails mid-decision.
    await owner.query(`
      CREATE FUNCTION refuse_directory_write() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.name = 'Refused' OR NEW.status = 'suspended' THEN
          RAISE EXCEPTION 'the directory refuses this write';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_directory_write BEFORE INSERT OR UPDATE ON tenants
        FOR EACH ROW EXECUTE FUNCTION refuse_directory_write();`);
  });

  afterAll(async () => {
    await owner.query(
      'DROP TRIGGER refuse_directory_write ON tenants; DROP FUNCTION refuse_directory_write()',
    );
    await gateway.kill();
  });

  test('a tenant is not created: no event, no directory row, no key', async () => {
    const keysBefore = await count('SELECT count(*) AS n FROM api_keys');
    const answer = await createTenant(gateway, 'Refused');
    expect(answer.status).toBe(500);
    expect(await traces({ name: 'Refused' })).toEqual({ events: 0, directory: 0 });
    expect(await count('SELECT count(*) AS n FROM api_keys')).toBe(keysBefore);
  });

  test('a suspension is not stored, and the tenant stays active and served', async () => {
    const created = await createTenant(gateway, 'Payer');
    expect(created.status).toBe(201);
    const tenantId = String(created.body.tenantId);
    expect((await suspend(gateway, tenantId)).status).toBe(500);
    expect(
      await count(
        `SELECT count(*) AS n FROM events WHERE tenant_id = $1 AND event_type = 'TenantSuspended'`,
        [tenantId],
      ),
    ).toBe(0);
    const tenant = await call(gateway.url, 'GET', `/api/v1/tenants/${tenantId}`, { headers: admin(gateway) });
    expect(tenant.body).toMatchObject({ status: 'active', version: 1 });
  });
});

describe('when the gateway dies inside the decision', () => {
  /**
   * Holds the directory's table so the append's transaction waits at the
   * directory write, with its events written but not committed; resolves once
   * the gateway's transaction waits there.
   */
  async function holdDirectory(): Promise<pg.Client> {
    const holder = new pg.Client({ connectionString: db.adminUrl });
    await holder.connect();
    await holder.query('BEGIN');
    // Blocks INSERT and UPDATE (ROW EXCLUSIVE); reads and SELECT … FOR UPDATE of absent rows go on.
    await holder.query('LOCK TABLE tenants IN SHARE ROW EXCLUSIVE MODE');
    return holder;
  }

  /** pg_locks, unlike pg_stat_activity's wait columns, shows another role's waits to the owner. */
  async function gatewayWaiting(): Promise<void> {
    await waitFor('the gateway to wait on the directory inside its transaction', async () =>
      (await count(
        `SELECT count(*) AS n FROM pg_locks WHERE relation = 'tenants'::regclass AND NOT granted`,
      )) > 0
        ? true
        : undefined,
    );
  }

  test('a killed creation leaves no event, no directory row and no key', async () => {
    const gateway = await startGatewayProcess({ databaseUrl: db.appUrl });
    const keysBefore = await count('SELECT count(*) AS n FROM api_keys');
    const holder = await holdDirectory();
    try {
      const answer = createTenant(gateway, 'Killed').catch(() => undefined);
      await gatewayWaiting();
      await gateway.kill();
      await answer;
    } finally {
      await gateway.kill();
      await holder.query('ROLLBACK');
      await holder.end();
    }
    // The orphaned transaction ends when its backend finds its client gone.
    await waitFor('the killed gateway’s sessions to end', async () =>
      (await count(
        `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND usename = 'eventline_app'`,
      )) === 0
        ? true
        : undefined,
    );
    expect(await traces({ name: 'Killed' })).toEqual({ events: 0, directory: 0 });
    expect(await count('SELECT count(*) AS n FROM api_keys')).toBe(keysBefore);
  });

  test('a killed suspension is neither stored nor enforced', async () => {
    const first = await startGatewayProcess({ databaseUrl: db.appUrl });
    const created = await createTenant(first, 'Survivor');
    expect(created.status).toBe(201);
    const tenantId = String(created.body.tenantId);
    const holder = await holdDirectory();
    try {
      const answer = suspend(first, tenantId).catch(() => undefined);
      await gatewayWaiting();
      await first.kill();
      await answer;
    } finally {
      await first.kill();
      await holder.query('ROLLBACK');
      await holder.end();
    }
    const second = await startGatewayProcess({ databaseUrl: db.appUrl });
    try {
      expect(
        await count(
          `SELECT count(*) AS n FROM events WHERE tenant_id = $1 AND event_type = 'TenantSuspended'`,
          [tenantId],
        ),
      ).toBe(0);
      const placed = await call(second.url, 'POST', '/api/v1/commands/execute', {
        headers: { 'x-api-key': String(created.body.apiKey) },
        body: {
          type: 'PlaceOrder',
          payload: { customerId: 'c', currency: 'EUR', items: [{ sku: 's', quantity: 1, unitPrice: 1 }] },
        },
      });
      expect(placed.status).toBe(201);
      expect(await traces({ tenantId })).toEqual({ events: 2, directory: 1 });
    } finally {
      await second.kill();
    }
  });
});
