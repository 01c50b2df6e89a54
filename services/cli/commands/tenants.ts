import { z } from 'zod';
import { tenantPlans } from '../../domain/tenants/index.ts';
import { type CommandSpec, UsageError } from '../command-line.ts';
import { GatewayClient } from '../gateway-client.ts';

const created = z.object({
  tenantId: z.string(),
  apiKey: z.string(),
  keyId: z.string(),
  roles: z.array(z.string()),
});

export const tenantsCommands: readonly CommandSpec[] = [
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
