import { z } from 'zod';
import { tenantPlans } from '../../domain/tenants/index.ts';
import { env, loadConfig } from '../../platform/config/index.ts';
import { openDatabase } from '../../platform/database/index.ts';
import { tenantArgument } from '../arguments.ts';
import { type CommandSpec, UsageError } from '../command-line.ts';
import { GatewayClient } from '../gateway-client.ts';
import { asOwner, OWNER_STATEMENT_TIMEOUT_MS } from '../owner-database.ts';
import { recoverTenant, type TenantRecoveryReport } from '../tenant-recovery.ts';

const created = z.object({
  tenantId: z.string(),
  apiKey: z.string(),
  keyId: z.string(),
  roles: z.array(z.string()),
});

// An instant with its zone: a time without one would be read in whatever zone the operator's shell has.
const INSTANT = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$/i;

function asOfOption(given: string | boolean | undefined): Date | undefined {
  if (given === undefined) return undefined;
  const at = typeof given === 'string' && INSTANT.test(given) ? new Date(given) : undefined;
  if (!at || Number.isNaN(at.getTime()))
    throw new UsageError(
      `--as-of must be an ISO 8601 time with its zone (2026-12-01T18:20:00Z), not "${String(given)}"`,
    );
  return at;
}

/** Where the copy is, without its credentials. */
function sourceName(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}

function printRecovery(report: TenantRecoveryReport): void {
  const { events, keys } = report;
  console.log(
    `tenant ${report.tenantId} recovered as of ${report.asOf} in ${report.seconds} s ` +
      `(its commands refused for ${report.lockedSeconds} s)`,
  );
  console.log(
    `events: ${events.kept} kept, ${events.withdrawn} withdrawn, ${events.restored} restored; ` +
      `${report.streams} streams, ${report.snapshots} snapshots; ${report.outboxRowsDropped} outbox rows dropped`,
  );
  console.log(`keys: ${keys.restored} restored, ${keys.stillForgotten} left forgotten`);
  console.log(`idempotency records forgotten: ${report.idempotencyRecordsForgotten}`);
  for (const model of report.readModels) {
    console.log(
      `${model.projection}: ${model.rowsDeleted} rows replaced by ${model.eventsApplied} events replayed`,
    );
  }
}

export const tenantsCommands: readonly CommandSpec[] = [
  {
    path: ['tenants', 'recover'],
    summary:
      "Recovers one tenant's events, streams, snapshots, keys and read models as of a point in time from a " +
      'restored copy of the store (RECOVERY_SOURCE_DATABASE_URL), in one transaction, while other tenants go on. ' +
      'The tenant’s commands are refused meanwhile; see docs/recovery.md.',
    args: [{ name: 'tenant-id', description: "the tenant's UUID" }],
    options: {
      'as-of': {
        type: 'string',
        value: '<time>',
        description: 'recover up to this ISO 8601 time, with its zone (default: all the copy holds)',
      },
      json: { type: 'boolean', description: 'print the report as JSON instead of lines' },
    },
    environment: ['ADMIN_DATABASE_URL', 'RECOVERY_SOURCE_DATABASE_URL'],
    async run({ args, options }) {
      const tenant = tenantArgument(String(args['tenant-id']));
      const asOf = asOfOption(options['as-of']);
      const { RECOVERY_SOURCE_DATABASE_URL: url } = loadConfig({
        RECOVERY_SOURCE_DATABASE_URL: env.RECOVERY_SOURCE_DATABASE_URL,
      });
      if (!options.json) console.log(`recovering tenant ${tenant} from ${sourceName(url)}`);
      const source = await openDatabase(url, {
        maximumPoolSize: 1,
        statementTimeoutMs: OWNER_STATEMENT_TIMEOUT_MS,
      });
      try {
        const report = await asOwner((live) => recoverTenant(live, source, tenant, asOf ? { asOf } : {}));
        if (options.json) console.log(JSON.stringify(report));
        else printRecovery(report);
      } finally {
        await source.end();
      }
    },
  },
  {
    path: ['tenants', 'create'],
    summary:
      'Creates a tenant through the gateway, as the platform admin, with its first API key (every role), ' +
      'which is shown this once: keep it. The contact, if given, is personal data, stored sealed.',
    options: {
      name: { type: 'string', value: '<name>', description: 'the tenant’s name (required)' },
      plan: { type: 'string', value: '<plan>', description: `one of ${tenantPlans.join(', ')} (required)` },
      'contact-name': { type: 'string', value: '<name>', description: 'the tenant’s contact person' },
      'contact-email': { type: 'string', value: '<email>', description: 'the contact’s email address' },
      json: { type: 'boolean', description: 'print the answer as JSON instead of lines' },
    },
    environment: ['EVENTLINE_API_URL', 'EVENTLINE_API_TOKEN'],
    async run({ options }) {
      const text = (name: string) => (typeof options[name] === 'string' ? options[name] : undefined);
      const name = text('name');
      const plan = text('plan');
      if (name === undefined) throw new UsageError('--name is required');
      if (plan === undefined) throw new UsageError('--plan is required');
      if (!(tenantPlans as readonly string[]).includes(plan))
        throw new UsageError(`--plan must be one of ${tenantPlans.join(', ')}, not "${plan}"`);
      const contactName = text('contact-name');
      const contactEmail = text('contact-email');
      const answer = await GatewayClient.fromEnvironment().json('POST', GatewayClient.apiPath('tenants'), {
        body: {
          name,
          plan,
          ...(contactName === undefined ? {} : { contactName }),
          ...(contactEmail === undefined ? {} : { contactEmail }),
        },
      });
      if (options.json) {
        console.log(JSON.stringify(answer));
        return;
      }
      const tenant = created.parse(answer);
      console.log(`tenant ${tenant.tenantId}`);
      console.log(
        `api key ${tenant.apiKey} (id ${tenant.keyId}, roles ${tenant.roles.join(',')}): shown once`,
      );
    },
  },
];
