import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { TenantRecord } from '../../identity/index.ts';
import { NotFoundError } from '../../platform/errors/index.ts';
import { parseWith } from '../routes/parse.ts';
import {
  aggregateState,
  type AggregateRef,
  correlatedEvents,
  type HistoryDependencies,
  type HistoryReader,
  streamEvents,
} from '../routes/history.ts';
import {
  administeredRecord,
  streamList,
  type TenantAdministration,
} from '../routes/tenant-administration.ts';
import { consolePath, type Html, html } from './html.ts';
import { formatInstant, page, type Viewer } from './layout.ts';
import { viewerOf } from './viewer.ts';

/** Events shown per page of a stream: a screenful to read, and a bounded page to render however long the stream. */
const EVENTS_PER_PAGE = 100;

interface ShownEvent {
  readonly eventId: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly version: number;
  readonly position: number;
  readonly data: unknown;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly occurredAt: string;
  readonly recordedAt: string;
}

function eventsOf(answer: Record<string, unknown>): readonly ShownEvent[] {
  return answer.events as readonly ShownEvent[];
}

/** The platform admin reads personal data sealed, as stored; the tenant's own admin reads it opened. */
function readerFor(viewer: Viewer, tenant: TenantRecord): HistoryReader {
  return { tenant: tenant.tenantId, opensPersonalData: viewer.principal.kind === 'tenant' };
}

function streamLink(
  tenant: TenantRecord,
  type: string,
  id: string,
  query: Record<string, number> = {},
): string {
  return consolePath(['tenants', tenant.tenantId, 'streams', type, id], query);
}

function eventArticle(tenant: TenantRecord, event: ShownEvent, onPage: ReadonlySet<string>): Html {
  const causation =
    event.causationId === null
      ? 'none'
      : onPage.has(event.causationId)
        ? html`<a href="#event-${event.causationId}">${event.causationId}</a>`
        : html`<code>${event.causationId}</code>`;
  return html`<article class="event" id="event-${event.eventId}">
    <h3>v${event.version} ${event.type}</h3>
    <dl class="facts">
      <dt>Event id</dt>
      <dd><code>${event.eventId}</code></dd>
      <dt>Schema version</dt>
      <dd>${event.schemaVersion}</dd>
      <dt>Global position</dt>
      <dd>${event.position}</dd>
      <dt>Occurred</dt>
      <dd>${formatInstant(event.occurredAt)}</dd>
      <dt>Recorded</dt>
      <dd>${formatInstant(event.recordedAt)}</dd>
      <dt>Correlation</dt>
      <dd>
        <a href="${consolePath(['tenants', tenant.tenantId, 'correlations', event.correlationId])}"
          >${event.correlationId}</a
        >
      </dd>
      <dt>Causation</dt>
      <dd>${causation}</dd>
    </dl>
    <p>
      <a
        href="${streamLink(tenant, event.aggregateType, event.aggregateId, { version: event.version })}#state"
        >State as of v${event.version}</a
      >
    </p>
    <pre class="json" aria-label="Payload of v${event.version}">${JSON.stringify(event.data, null, 2)}</pre>
  </article>`;
}

const streamPageQuery = z.strictObject({
  from: z.coerce.number().int().min(1).optional(),
  version: z.coerce.number().int().min(1).optional(),
});

function streamView(
  tenant: TenantRecord,
  ref: AggregateRef,
  current: { version: number },
  shown: { state: unknown; version: number },
  from: number,
  events: readonly ShownEvent[],
): Html {
  const onPage = new Set(events.map((event) => event.eventId));
  const last = Math.max(1, current.version - EVENTS_PER_PAGE + 1);
  const pages = html`<nav class="pages" aria-label="Pages of events">
    ${
      from > 1
        ? html`<a href="${streamLink(tenant, ref.aggregateType, ref.aggregateId, { from: 1 })}">First</a>
            <a
              href="${streamLink(tenant, ref.aggregateType, ref.aggregateId, { from: Math.max(1, from - EVENTS_PER_PAGE) })}"
              >Older</a
            >`
        : null
    }
    ${
      from + EVENTS_PER_PAGE <= current.version
        ? html`<a
              href="${streamLink(tenant, ref.aggregateType, ref.aggregateId, { from: from + EVENTS_PER_PAGE })}"
              >Newer</a
            >
            <a href="${streamLink(tenant, ref.aggregateType, ref.aggregateId, { from: last })}">Latest</a>`
        : null
    }
  </nav>`;
  return html`<p>
      <a href="${consolePath(['tenants', tenant.tenantId, 'streams'])}">Streams of ${tenant.name}</a>
    </p>
    <h1>${ref.aggregateType} <code>${ref.aggregateId}</code></h1>
    <p>Version ${current.version}. Showing events v${from}–v${from + events.length - 1}.</p>
    <section id="state" aria-labelledby="state-heading">
      <h2 id="state-heading">
        State as of v${shown.version}${shown.version === current.version ? ' (now)' : ''}
      </h2>
      <form method="get" action="${streamLink(tenant, ref.aggregateType, ref.aggregateId)}" class="inline">
        <label for="as-of">As of version</label>
        <input
          id="as-of"
          name="version"
          type="number"
          min="1"
          max="${current.version}"
          value="${shown.version}"
        />
        <button type="submit">Show</button>
      </form>
      <pre class="json" aria-label="State">${JSON.stringify(shown.state, null, 2)}</pre>
    </section>
    <section aria-labelledby="events-heading">
      <h2 id="events-heading">Events</h2>
      ${pages} ${events.map((event) => eventArticle(tenant, event, onPage))} ${pages}
    </section>`;
}

function streamTable(
  tenant: TenantRecord,
  type: string | undefined,
  list: Awaited<ReturnType<typeof streamList>>,
): Html {
  const next = list.nextCursor
    ? html`<a
        rel="next"
        href="${consolePath(['tenants', tenant.tenantId, 'streams'], { type, cursor: list.nextCursor })}"
        >Next page</a
      >`
    : null;
  return html`<p><a href="${consolePath(['tenants', tenant.tenantId])}">${tenant.name}</a></p>
    <h1>Streams of ${tenant.name}</h1>
    <ul class="types" aria-label="Aggregate types">
      <li>
        <a
          href="${consolePath(['tenants', tenant.tenantId, 'streams'])}"
          ${type === undefined ? html`aria-current="page"` : null}
          >All types</a
        >
      </li>
      ${list.types.map(
        (each) =>
          html`<li>
            <a
              href="${consolePath(['tenants', tenant.tenantId, 'streams'], { type: each.aggregateType })}"
              ${type === each.aggregateType ? html`aria-current="page"` : null}
              >${each.aggregateType}</a
            >
            (${each.streams})
          </li>`,
      )}
    </ul>
    <table>
      <caption>
        ${type ?? 'All'} streams
      </caption>
      <thead>
        <tr>
          <th scope="col">Type</th>
          <th scope="col">Aggregate id</th>
          <th scope="col">Version</th>
          <th scope="col">Last change</th>
        </tr>
      </thead>
      <tbody>
        ${
          list.items.length === 0
            ? html`<tr>
                <td colspan="4">No streams.</td>
              </tr>`
            : list.items.map(
                (stream) =>
                  html`<tr>
                    <td>${stream.aggregateType}</td>
                    <td>
                      <a href="${streamLink(tenant, stream.aggregateType, stream.aggregateId)}"
                        ><code>${stream.aggregateId}</code></a
                      >
                    </td>
                    <td class="number">${stream.version}</td>
                    <td>${formatInstant(stream.updatedAt)}</td>
                  </tr>`,
              )
        }
      </tbody>
    </table>
    <nav class="pages" aria-label="Pages">${next}</nav>`;
}

/** Streams: a tenant's aggregates by type, one stream's events and state as of any version, a correlation. */
export function streamPages(deps: TenantAdministration & HistoryDependencies): Router {
  const router = Router();

  router.get('/admin/tenants/:tenantId/streams', async (req: Request, res: Response) => {
    const viewer = viewerOf(res);
    const tenant = await administeredRecord(deps, res, String(req.params.tenantId));
    const type = typeof req.query.type === 'string' && req.query.type ? req.query.type : undefined;
    const cursor = typeof req.query.cursor === 'string' && req.query.cursor ? req.query.cursor : undefined;
    const list = await streamList(deps, tenant.tenantId, { type, cursor });
    res.type('html').send(page(`Streams of ${tenant.name}`, streamTable(tenant, type, list), viewer).text);
  });

  router.get(
    '/admin/tenants/:tenantId/streams/:aggregateType/:aggregateId',
    async (req: Request, res: Response) => {
      const viewer = viewerOf(res);
      const tenant = await administeredRecord(deps, res, String(req.params.tenantId));
      const reader = readerFor(viewer, tenant);
      const ref = {
        aggregateType: String(req.params.aggregateType),
        aggregateId: String(req.params.aggregateId),
      };
      const { from, version } = parseWith(streamPageQuery, req.query, 'query', '/query');
      const stream = await deps.streams.find(tenant.tenantId, ref.aggregateId);
      if (!stream || stream.aggregateType !== ref.aggregateType) throw new NotFoundError('no such aggregate');
      const start = from ?? 1;
      // The state as of the newest event on the page unless a version is asked for: a page of a long
      // stream then replays at most its own events, not the whole stream.
      const asOf = version ?? Math.min(stream.version, start + EVENTS_PER_PAGE - 1);
      const [shown, answer] = await Promise.all([
        // The state now is loaded from the latest snapshot; an earlier one is replayed from the stream's start.
        aggregateState(deps, reader, ref, asOf >= stream.version ? {} : { version: asOf }),
        streamEvents(deps, reader, ref, { fromVersion: start, limit: EVENTS_PER_PAGE }),
      ]);
      const body = streamView(tenant, ref, stream, shown, start, eventsOf(answer));
      res.type('html').send(page(`${ref.aggregateType} ${ref.aggregateId}`, body, viewer).text);
    },
  );

  router.get('/admin/tenants/:tenantId/correlations/:correlationId', async (req: Request, res: Response) => {
    const viewer = viewerOf(res);
    const tenant = await administeredRecord(deps, res, String(req.params.tenantId));
    const correlationId = String(req.params.correlationId);
    const events = eventsOf(await correlatedEvents(deps, readerFor(viewer, tenant), { correlationId }));
    const onPage = new Set(events.map((event) => event.eventId));
    const body = html`<p>
        <a href="${consolePath(['tenants', tenant.tenantId, 'streams'])}">Streams of ${tenant.name}</a>
      </p>
      <h1>Correlation <code>${correlationId}</code></h1>
      <p>${events.length} events, in the order they were stored.</p>
      ${events.map(
        (event) =>
          html`<p class="stream-of">
              In
              <a href="${streamLink(tenant, event.aggregateType, event.aggregateId)}"
                >${event.aggregateType} <code>${event.aggregateId}</code></a
              >
            </p>
            ${eventArticle(tenant, event, onPage)}`,
      )}`;
    res.type('html').send(page(`Correlation ${correlationId}`, body, viewer).text);
  });

  return router;
}
