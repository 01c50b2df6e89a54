import { type Request, type Response, Router } from 'express';
import { NotFoundError } from '../../platform/errors/index.ts';
import type { HaltedTenantView, RelayOperations, RelayStatus } from '../operations/relay-operations.ts';
import { relayOf } from '../routes/relay.ts';
import { consolePath, type Html, html } from './html.ts';
import { actionResult, formatInstant, page } from './layout.ts';
import { viewerOf } from './viewer.ts';

/** Seconds between refreshes of the live part of the page. */
const REFRESH_SECONDS = 2;

function replicaRows(status: RelayStatus): Html {
  if (status.replicas.length === 0)
    return html`<tr>
      <td colspan="3">No relay replica is running: nothing is published.</td>
    </tr>`;
  return html`${status.replicas.map(
    (replica) =>
      html`<tr>
        <td><code>${replica.replica}</code></td>
        <td>${formatInstant(replica.seenAt)}</td>
        <td data-replica-lanes="${replica.replica}">
          ${replica.lanes.length}${replica.lanes.length > 0 ? html`: ${replica.lanes.join(', ')}` : null}
        </td>
      </tr>`,
  )}`;
}

function laneRows(status: RelayStatus): Html {
  return html`${status.lanes.map(
    (lane) =>
      html`<tr class="${lane.holder === null && lane.backlog > 0 ? 'stalled' : ''}">
        <td class="number">${lane.lane}</td>
        <td>${lane.holder === null ? 'nobody' : html`<code>${lane.holder}</code>`}</td>
        <td class="number">${lane.epoch}</td>
        <td>${formatInstant(lane.leaseExpiresAt)}</td>
        <td class="number">${lane.backlog}</td>
      </tr>`,
  )}`;
}

function haltedSection(halted: readonly HaltedTenantView[]): Html {
  const rows =
    halted.length === 0
      ? html`<tr>
          <td colspan="5">No tenant is halted.</td>
        </tr>`
      : html`${halted.map(
          (tenant) =>
            html`<tr>
              <td>
                <a href="${consolePath(['tenants', tenant.tenantId])}"><code>${tenant.tenantId}</code></a>
              </td>
              <td>${tenant.eventType} <code>${tenant.eventId}</code></td>
              <td>${tenant.reason}</td>
              <td>${formatInstant(tenant.haltedAt)}</td>
              <td>
                <form
                  data-api="${`/api/v1/relay/halted-tenants/${encodeURIComponent(tenant.tenantId)}/resume`}"
                  data-method="POST"
                  data-confirm="Resume publishing tenant ${tenant.tenantId}'s events from ${tenant.eventType} ${tenant.eventId}? Fix its schema first, or it halts again."
                >
                  <button type="submit" aria-label="Resume tenant ${tenant.tenantId}">Resume</button>
                  ${actionResult}
                </form>
              </td>
            </tr>`,
        )}`;
  return html`<section aria-labelledby="halted-heading">
    <h2 id="halted-heading">Halted tenants</h2>
    <p>
      A tenant whose next event cannot be encoded stops alone: its events wait, in order, until it is resumed.
    </p>
    <table>
      <caption>
        Tenants halted at an event the relay cannot encode
      </caption>
      <thead>
        <tr>
          <th scope="col">Tenant</th>
          <th scope="col">Event</th>
          <th scope="col">Reason</th>
          <th scope="col">Halted</th>
          <th scope="col">Action</th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
  </section>`;
}

/** The relay: the outbox's backlog and oldest age, live; replicas and the lanes they hold; halted tenants, resumed. */
export function relayPages(deps: { relay: RelayOperations | undefined }): Router {
  const router = Router();

  router.get('/admin/relay', async (_req: Request, res: Response) => {
    const viewer = viewerOf(res);
    if (viewer.principal.kind !== 'platform-admin') throw new NotFoundError('no such page');
    const status = await relayOf(deps.relay).status();
    const body = html`<h1>Relay</h1>
      <p>
        Refreshed every ${REFRESH_SECONDS} seconds. Tenants are hashed into ${status.lanes.length} lanes; each
        relay replica holds a lease on its share of them and publishes their outbox rows in commit order.
      </p>
      <div id="relay-live" data-live="${REFRESH_SECONDS}" aria-live="polite">
        <dl class="facts">
          <dt>Outbox backlog</dt>
          <dd><strong data-backlog>${status.backlog.rows}</strong> rows waiting to be published</dd>
          <dt>Oldest unpublished</dt>
          <dd><span data-oldest-age>${status.backlog.oldestAgeSeconds.toFixed(1)}</span> seconds old</dd>
          <dt>Lanes held</dt>
          <dd>
            <span data-lanes-held>${status.lanes.length - status.unheldLanes}</span> of ${status.lanes.length}
          </dd>
        </dl>
        <section aria-labelledby="replicas-heading">
          <h2 id="replicas-heading">Replicas</h2>
          <table>
            <caption>
              Relay replicas seen lately, and the lanes each holds
            </caption>
            <thead>
              <tr>
                <th scope="col">Replica</th>
                <th scope="col">Last seen</th>
                <th scope="col">Lanes held</th>
              </tr>
            </thead>
            <tbody>
              ${replicaRows(status)}
            </tbody>
          </table>
        </section>
      </div>
      ${haltedSection(status.halted)}
      <div id="lanes-live" data-live="${REFRESH_SECONDS}" aria-live="polite">
        <section aria-labelledby="lanes-heading">
          <h2 id="lanes-heading">Lanes</h2>
          <table>
            <caption>
              Each lane's holder and backlog; a lane with rows and no holder is marked
            </caption>
            <thead>
              <tr>
                <th scope="col">Lane</th>
                <th scope="col">Holder</th>
                <th scope="col">Epoch</th>
                <th scope="col">Lease until</th>
                <th scope="col">Backlog (rows)</th>
              </tr>
            </thead>
            <tbody>
              ${laneRows(status)}
            </tbody>
          </table>
        </section>
      </div>`;
    res.type('html').send(page('Relay', body, viewer).text);
  });

  return router;
}
