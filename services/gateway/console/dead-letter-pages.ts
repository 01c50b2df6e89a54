import { type Request, type Response, Router } from 'express';
import { NotFoundError } from '../../platform/errors/index.ts';
import { projections } from '../../readmodels/index.ts';
import type { DeadLetterOperations, DeadLetterView } from '../operations/dead-letter-operations.ts';
import { deadLetterQuery, deadLettersOf } from '../routes/dead-letters.ts';
import { parseWith } from '../routes/parse.ts';
import { consolePath, type Html, html } from './html.ts';
import { actionResult, formatInstant, page } from './layout.ts';
import { viewerOf } from './viewer.ts';

function given(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function replayForm(projection: string, eventId: string | undefined, label: string, confirm: string): Html {
  return html`<form
    data-api="/api/v1/dead-letters/replay"
    data-method="POST"
    data-reveal="*"
    data-confirm="${confirm}"
  >
    <input type="hidden" name="projection" value="${projection}" />
    ${eventId ? html`<input type="hidden" name="eventId" value="${eventId}" />` : null}
    <button type="submit">${label}</button>
    ${actionResult}
  </form>`;
}

function rows(items: readonly DeadLetterView[]): Html {
  if (items.length === 0)
    return html`<tr>
      <td colspan="7">No parked event matches.</td>
    </tr>`;
  return html`${items.map(
    (item) =>
      html`<tr>
        <td>
          <a href="${consolePath(['dead-letters', item.projection, item.eventId])}">${item.eventType}</a>
        </td>
        <td>${item.projection}</td>
        <td>
          <a href="${consolePath(['tenants', item.tenantId])}"><code>${item.tenantId}</code></a>
        </td>
        <td>${item.error}</td>
        <td class="number">${item.attempts}</td>
        <td>${formatInstant(item.parkedAt)}</td>
        <td>${item.replayedAt ? html`replayed ${formatInstant(item.replayedAt)}` : 'parked'}</td>
      </tr>`,
  )}`;
}

/** Dead letters: parked events filtered by projection, tenant, error and state; one decoded; replay one or all. */
export function deadLetterPages(deps: { deadLetters: DeadLetterOperations | undefined }): Router {
  const router = Router();

  router.get('/admin/dead-letters', async (req: Request, res: Response) => {
    const viewer = viewerOf(res);
    if (viewer.principal.kind !== 'platform-admin') throw new NotFoundError('no such page');
    const raw = {
      projection: given(req.query.projection),
      tenant: given(req.query.tenant),
      error: given(req.query.error),
      state: given(req.query.state),
    };
    const filter = parseWith(deadLetterQuery, raw, 'query', '/query');
    const { items, truncated } = await deadLettersOf(deps.deadLetters).list(filter);
    const parkedProjections = [
      ...new Set(items.filter((item) => !item.replayedAt).map((item) => item.projection)),
    ];
    const body = html`<h1>Dead letters</h1>
      <form method="get" action="/admin/dead-letters" class="search" role="search">
        <label for="dl-projection">Projection</label>
        <select id="dl-projection" name="projection">
          <option value="">any</option>
          ${projections.map(
            (projection) =>
              html`<option
                value="${projection.name}"
                ${filter.projection === projection.name ? html`selected` : null}
              >
                ${projection.name}
              </option>`,
          )}
        </select>
        <label for="dl-tenant">Tenant id</label>
        <input id="dl-tenant" name="tenant" value="${filter.tenant ?? ''}" />
        <label for="dl-error">Error contains</label>
        <input id="dl-error" name="error" value="${filter.error ?? ''}" />
        <label for="dl-state">State</label>
        <select id="dl-state" name="state">
          <option value="">any</option>
          <option value="parked" ${filter.state === 'parked' ? html`selected` : null}>parked</option>
          <option value="replayed" ${filter.state === 'replayed' ? html`selected` : null}>replayed</option>
        </select>
        <button type="submit">Filter</button>
      </form>
      <table>
        <caption>
          Parked events, newest first${truncated ? ' (the first 500)' : ''}
        </caption>
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">Projection</th>
            <th scope="col">Tenant</th>
            <th scope="col">Error</th>
            <th scope="col">Attempts</th>
            <th scope="col">Parked</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          ${rows(items)}
        </tbody>
      </table>
      ${parkedProjections.map((projection) =>
        replayForm(
          projection,
          undefined,
          `Replay every event ${projection} parked`,
          `Replay every event ${projection} parked, with the code this gateway runs? Each is applied at most once.`,
        ),
      )}`;
    res.type('html').send(page('Dead letters', body, viewer).text);
  });

  router.get('/admin/dead-letters/:projection/:eventId', async (req: Request, res: Response) => {
    const viewer = viewerOf(res);
    if (viewer.principal.kind !== 'platform-admin') throw new NotFoundError('no such page');
    const { parked, event } = await deadLettersOf(deps.deadLetters).show(
      String(req.params.projection),
      String(req.params.eventId),
    );
    const body = html`<p><a href="/admin/dead-letters">Dead letters</a></p>
      <h1>${parked.eventType} parked by ${parked.projection}</h1>
      <dl class="facts">
        <dt>Error</dt>
        <dd class="problem">${parked.error}</dd>
        <dt>Attempts</dt>
        <dd>${parked.attempts}</dd>
        <dt>Parked</dt>
        <dd>${formatInstant(parked.parkedAt)} on <code>${parked.deadLetterTopic}</code></dd>
        <dt>State</dt>
        <dd>${parked.replayedAt ? `replayed ${formatInstant(parked.replayedAt)}` : 'parked'}</dd>
        <dt>Source</dt>
        <dd><code>${parked.topic}</code> partition ${parked.partition}, offset ${parked.offset}</dd>
        <dt>Event id</dt>
        <dd><code>${parked.eventId}</code></dd>
        <dt>Tenant</dt>
        <dd>
          <a href="${consolePath(['tenants', parked.tenantId])}"><code>${parked.tenantId}</code></a>
        </dd>
        ${
          event
            ? html`<dt>Stream</dt>
                <dd>
                  <a
                    href="${consolePath(['tenants', parked.tenantId, 'streams', event.streamType, event.streamId])}"
                    >${event.streamType} <code>${event.streamId}</code></a
                  >, v${event.streamVersion}
                </dd>
                <dt>Correlation</dt>
                <dd><code>${event.metadata.correlationId}</code></dd>`
            : null
        }
      </dl>
      <h2>The event, decoded</h2>
      ${
        event
          ? html`<pre class="json" aria-label="Payload">${JSON.stringify(event.data, null, 2)}</pre>`
          : html`<p>The event store has no event with this id.</p>`
      }
      ${
        parked.replayedAt
          ? null
          : replayForm(
              parked.projection,
              parked.eventId,
              'Replay this event',
              `Replay ${parked.eventType} ${parked.eventId} into ${parked.projection}, with the code this gateway runs?`,
            )
      }`;
    res.type('html').send(page(`${parked.eventType} parked`, body, viewer).text);
  });

  return router;
}
