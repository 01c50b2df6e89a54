import { type Request, type Response, Router } from 'express';
import { tenantPlans } from '../../domain/tenants/index.ts';
import type { TenantRecord } from '../../identity/index.ts';
import { NotFoundError } from '../../platform/errors/index.ts';
import { parseWith } from '../routes/parse.ts';
import {
  administeredRecord,
  apiKeyList,
  type TenantAdministration,
  tenantUsage,
} from '../routes/tenant-administration.ts';
import { tenantListQuery } from '../routes/tenants.ts';
import { consolePath, type Html, html } from './html.ts';
import { actionResult, formatInstant, page, type Viewer } from './layout.ts';
import { viewerOf } from './viewer.ts';

const PAGE_SIZE = 50;

function tenantRows(items: readonly TenantRecord[]): Html {
  if (items.length === 0)
    return html`<tr>
      <td colspan="5">No tenant matches.</td>
    </tr>`;
  return html`${items.map(
    (tenant) =>
      html`<tr>
        <td><a href="${consolePath(['tenants', tenant.tenantId])}">${tenant.name}</a></td>
        <td>${tenant.plan}</td>
        <td><span class="status ${tenant.status}">${tenant.status}</span></td>
        <td class="number">${tenant.quota.commandsPerMinute}</td>
        <td class="number">${tenant.quota.eventsPerDay}</td>
      </tr>`,
  )}`;
}

const createTenantForm = html`<section aria-labelledby="create-tenant">
  <h2 id="create-tenant">Create a tenant</h2>
  <form
    data-api="/api/v1/tenants"
    data-method="POST"
    data-reveal="apiKey"
    data-link="/admin/tenants/{tenantId}"
  >
    <label for="new-tenant-name">Name</label>
    <input id="new-tenant-name" name="name" required maxlength="200" />
    <label for="new-tenant-plan">Plan</label>
    <select id="new-tenant-plan" name="plan">
      ${tenantPlans.map((plan) => html`<option value="${plan}">${plan}</option>`)}
    </select>
    <button type="submit">Create</button>
    ${actionResult}
  </form>
</section>`;

function tenantList(
  req: Request,
  viewer: Viewer,
  page: { items: readonly TenantRecord[]; nextCursor: string | null },
) {
  const search = typeof req.query.search === 'string' ? req.query.search.trim() : '';
  const cursor = typeof req.query.cursor === 'string' ? req.query.cursor : undefined;
  const next = page.nextCursor
    ? html`<a
        rel="next"
        href="${consolePath(['tenants'], { search: search || undefined, cursor: page.nextCursor })}"
        >Next page</a
      >`
    : null;
  const first = cursor
    ? html`<a href="${consolePath(['tenants'], { search: search || undefined })}">First page</a>`
    : null;
  return html`<h1>Tenants</h1>
    <form method="get" action="/admin/tenants" class="search" role="search">
      <label for="tenant-search">Name contains</label>
      <input id="tenant-search" name="search" value="${search}" maxlength="200" />
      <button type="submit">Search</button>
    </form>
    <table>
      <caption>
        Tenants by name${search ? html`, matching “${search}”` : null}
      </caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Plan</th>
          <th scope="col">Status</th>
          <th scope="col">Commands/min</th>
          <th scope="col">Events/day</th>
        </tr>
      </thead>
      <tbody>
        ${tenantRows(page.items)}
      </tbody>
    </table>
    <nav class="pages" aria-label="Pages">${first} ${next}</nav>
    ${viewer.principal.kind === 'platform-admin' ? createTenantForm : null}`;
}

/** Where a tenant's own commands go: the platform admin's route names the tenant, a tenant admin's is its own. */
function commandPath(viewer: Viewer, tenant: TenantRecord): string {
  return viewer.principal.kind === 'platform-admin'
    ? `/api/v1/tenants/${tenant.tenantId}/commands/execute`
    : '/api/v1/commands/execute';
}

function platformActions(tenant: TenantRecord): Html {
  const commands = `/api/v1/tenants/${tenant.tenantId}/commands/execute`;
  const suspension =
    tenant.status === 'active'
      ? html`<form
          data-api="${commands}"
          data-method="POST"
          data-confirm="Suspend ${tenant.name}? Its commands will be refused."
        >
          <input type="hidden" name="type" value="SuspendTenant" />
          <label for="suspend-reason">Reason</label>
          <input id="suspend-reason" name="payload.reason" maxlength="500" />
          <button type="submit">Suspend</button>
          ${actionResult}
        </form>`
      : html`<form data-api="${commands}" data-method="POST">
          <input type="hidden" name="type" value="ReactivateTenant" />
          <label for="reactivate-reason">Reason</label>
          <input id="reactivate-reason" name="payload.reason" maxlength="500" />
          <button type="submit">Reactivate</button>
          ${actionResult}
        </form>`;
  return html`<section aria-labelledby="status-heading">
      <h2 id="status-heading">${tenant.status === 'active' ? 'Suspend' : 'Reactivate'}</h2>
      ${suspension}
    </section>
    <section aria-labelledby="quota-heading">
      <h2 id="quota-heading">Quota</h2>
      <form data-api="${commands}" data-method="POST">
        <input type="hidden" name="type" value="SetTenantQuota" />
        <label for="quota-cpm">Commands per minute</label>
        <input
          id="quota-cpm"
          name="payload.commandsPerMinute"
          type="number"
          min="1"
          required
          value="${tenant.quota.commandsPerMinute}"
        />
        <label for="quota-burst">Burst</label>
        <input
          id="quota-burst"
          name="payload.maxBurst"
          type="number"
          min="1"
          value="${tenant.quota.maxBurst}"
        />
        <label for="quota-events">Events per day</label>
        <input
          id="quota-events"
          name="payload.eventsPerDay"
          type="number"
          min="1"
          value="${tenant.quota.eventsPerDay}"
        />
        <button type="submit">Set quota</button>
        ${actionResult}
      </form>
    </section>`;
}

function keySection(tenant: TenantRecord, keys: Awaited<ReturnType<typeof apiKeyList>>): Html {
  const rows = keys.items.map(
    (key) =>
      html`<tr>
        <td><code>${key.keyId}</code></td>
        <td>${key.roles.join(', ')}</td>
        <td>${formatInstant(key.createdAt)}</td>
        <td>
          ${
            key.revokedAt
              ? html`revoked ${formatInstant(key.revokedAt)}`
              : html`<form
                  data-api="/api/v1/tenants/${tenant.tenantId}/api-keys/${key.keyId}"
                  data-method="DELETE"
                  data-confirm="Revoke key ${key.keyId}? Callers using it are refused at once."
                >
                  <button type="submit" aria-label="Revoke key ${key.keyId}">Revoke</button>
                  ${actionResult}
                </form>`
          }
        </td>
      </tr>`,
  );
  return html`<section aria-labelledby="keys-heading">
    <h2 id="keys-heading">API keys</h2>
    <table>
      <caption>
        Keys of ${tenant.name}, newest first (secrets are never shown again)
      </caption>
      <thead>
        <tr>
          <th scope="col">Key id</th>
          <th scope="col">Roles</th>
          <th scope="col">Created</th>
          <th scope="col">State</th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
    <form data-api="/api/v1/tenants/${tenant.tenantId}/api-keys" data-method="POST" data-reveal="apiKey">
      <fieldset>
        <legend>Issue a key with the roles</legend>
        ${['admin', 'writer', 'reader'].map(
          (role) =>
            html`<label
              ><input type="checkbox" name="roles[]" value="${role}" ${role === 'reader' ? 'checked' : ''} />
              ${role}</label
            >`,
        )}
      </fieldset>
      <button type="submit">Issue key</button>
      ${actionResult}
    </form>
  </section>`;
}

function tenantDetails(
  viewer: Viewer,
  tenant: TenantRecord,
  usage: Awaited<ReturnType<typeof tenantUsage>>,
  keys: Awaited<ReturnType<typeof apiKeyList>>,
): Html {
  return html`<h1>${tenant.name}</h1>
    <dl class="facts">
      <dt>Tenant id</dt>
      <dd><code>${tenant.tenantId}</code></dd>
      <dt>Plan</dt>
      <dd>${tenant.plan}</dd>
      <dt>Status</dt>
      <dd>
        <span class="status ${tenant.status}">${tenant.status}</span
        >${tenant.suspensionReason ? html` (${tenant.suspensionReason})` : null}
      </dd>
      <dt>Version</dt>
      <dd>${tenant.version}</dd>
      <dt>Commands</dt>
      <dd>
        ${usage.commands.availableNow} of a burst of ${usage.commands.maxBurst} available now;
        ${usage.commands.perMinute} per minute
      </dd>
      <dt>Events today (UTC)</dt>
      <dd>${usage.events.storedToday} of ${usage.events.perDay}</dd>
    </dl>
    <p><a href="${consolePath(['tenants', tenant.tenantId, 'streams'])}">Streams of ${tenant.name}</a></p>
    <section aria-labelledby="rename-heading">
      <h2 id="rename-heading">Rename</h2>
      <form data-api="${commandPath(viewer, tenant)}" data-method="POST">
        <input type="hidden" name="type" value="RenameTenant" />
        <label for="rename-name">New name</label>
        <input id="rename-name" name="payload.name" required maxlength="200" value="${tenant.name}" />
        <button type="submit">Rename</button>
        ${actionResult}
      </form>
    </section>
    ${viewer.principal.kind === 'platform-admin' ? platformActions(tenant) : null} ${keySection(tenant, keys)}`;
}

/** Tenants: the list (platform admin) and one tenant's details and actions (it or its own admin). */
export function tenantPages(deps: TenantAdministration): Router {
  const router = Router();

  router.get('/admin/tenants', async (req: Request, res: Response) => {
    const viewer = viewerOf(res);
    // A tenant admin has no list: the page is as missing to it as any other tenant's.
    if (viewer.principal.kind !== 'platform-admin') throw new NotFoundError('no such page');
    const search =
      typeof req.query.search === 'string' && req.query.search.trim() ? req.query.search : undefined;
    const cursor = typeof req.query.cursor === 'string' && req.query.cursor ? req.query.cursor : undefined;
    const query = parseWith(tenantListQuery, { search, cursor, limit: PAGE_SIZE }, 'query', '/query');
    const found = await deps.directory.list(query);
    if (!found) throw new NotFoundError('that page of tenants is not one the console gave out');
    res.type('html').send(page('Tenants', tenantList(req, viewer, found), viewer).text);
  });

  router.get('/admin/tenants/:tenantId', async (req: Request, res: Response) => {
    const viewer = viewerOf(res);
    const tenant = await administeredRecord(deps, res, String(req.params.tenantId));
    const [usage, keys] = await Promise.all([tenantUsage(deps, tenant), apiKeyList(deps, tenant.tenantId)]);
    res.type('html').send(page(tenant.name, tenantDetails(viewer, tenant, usage, keys), viewer).text);
  });

  return router;
}
