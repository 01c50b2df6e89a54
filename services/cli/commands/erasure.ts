import { z } from 'zod';
import { tenantArgument } from '../arguments.ts';
import type { CommandSpec } from '../command-line.ts';
import { GatewayClient } from '../gateway-client.ts';

const ENVIRONMENT = ['EVENTLINE_API_URL', 'EVENTLINE_API_TOKEN'];

const json = { json: { type: 'boolean', description: 'print the report as JSON instead of lines' } } as const;

/** The reports as docs/contracts.md §11 gives them: what the lines print. */
const forgetReport = z.object({
  subject: z.string(),
  auditEventId: z.string(),
  keysDestroyed: z.number(),
  unreadableFrom: z.array(z.string()),
});

const offboardReport = z.object({
  tenantId: z.string(),
  auditEventId: z.string().nullable(),
  erased: z.object({
    dataKeys: z.number(),
    apiKeys: z.number(),
    readModelRows: z.record(z.string(), z.number()),
    redisKeys: z.number(),
  }),
  remains: z.object({
    events: z.string(),
    kafka: z.array(z.object({ topic: z.string(), retainedUntil: z.string().nullable() })),
  }),
});

export const erasureCommands: readonly CommandSpec[] = [
  {
    path: ['subjects', 'forget'],
    summary:
      "Forgets a data subject of a tenant (GDPR art. 17) through the gateway, as its platform admin or the tenant's " +
      'admin: destroys their data keys with an audit event, so every copy of their personal data reads as ' +
      'erased. Safe to run again.',
    args: [
      { name: 'tenant-id', description: "the tenant's UUID" },
      { name: 'subject', description: 'whose data: e.g. a customer id, or contact' },
    ],
    options: json,
    environment: ENVIRONMENT,
    async run({ args, options }) {
      const tenant = tenantArgument(String(args['tenant-id']));
      const answer = await GatewayClient.fromEnvironment().json(
        'POST',
        GatewayClient.apiPath('tenants', tenant, 'subjects', String(args.subject), 'forget'),
      );
      if (options.json) {
        console.log(JSON.stringify(answer));
        return;
      }
      const report = forgetReport.parse(answer);
      console.log(
        `forgot ${report.subject}: ${report.keysDestroyed} data key(s) destroyed` +
          `${report.keysDestroyed === 0 ? ' (forgotten before)' : ''}; audit event ${report.auditEventId}`,
      );
      console.log(`unreadable from now on in: ${report.unreadableFrom.join(', ')}`);
    },
  },
  {
    path: ['tenants', 'offboard'],
    summary:
      "Offboards a tenant through the gateway, as its platform admin or the tenant's admin: destroys its data keys, revokes its " +
      'API keys, deletes its read models, cache entries and quota counters; prints what was erased and ' +
      'what remains until when. Export it first if it asked for its data. Run again after a failure.',
    args: [{ name: 'tenant-id', description: "the tenant's UUID" }],
    options: {
      reason: {
        type: 'string',
        value: '<text>',
        description: 'why the tenant leaves, recorded in the event',
      },
      ...json,
    },
    environment: ENVIRONMENT,
    async run({ args, options }) {
      const tenant = tenantArgument(String(args['tenant-id']));
      const reason = typeof options.reason === 'string' ? options.reason : undefined;
      const answer = await GatewayClient.fromEnvironment().json(
        'POST',
        GatewayClient.apiPath('tenants', tenant, 'offboard'),
        { body: reason === undefined ? {} : { reason } },
      );
      if (options.json) {
        console.log(JSON.stringify(answer));
        return;
      }
      const report = offboardReport.parse(answer);
      const { erased } = report;
      const rows = Object.entries(erased.readModelRows)
        .filter(([, count]) => count > 0)
        .map(([table, count]) => `${table} ${count}`);
      console.log(
        `offboarded ${report.tenantId}` +
          `${report.auditEventId ? `: audit event ${report.auditEventId}` : ' (offboarded before; finished now)'}`,
      );
      console.log(
        `erased: ${erased.dataKeys} data key(s), ${erased.apiKeys} API key(s), ${erased.redisKeys} Redis key(s), ` +
          `read-model rows: ${rows.length > 0 ? rows.join(', ') : 'none'}`,
      );
      console.log(`remains: ${report.remains.events}`);
      for (const { topic, retainedUntil } of report.remains.kafka)
        console.log(`remains: ${topic} until ${retainedUntil ?? 'no time limit (retention.ms -1)'}`);
    },
  },
];
