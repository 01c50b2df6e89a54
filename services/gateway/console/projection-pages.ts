import { type Request, type Response, Router } from 'express';
import { NotFoundError } from '../../platform/errors/index.ts';
import type {
  PartitionLag,
  ProjectionLag,
  ProjectionOperations,
  RebuildView,
} from '../operations/projection-operations.ts';
import { operationsOf } from '../routes/projections.ts';
import { type Html, html } from './html.ts';
import { actionResult, formatInstant, page } from './layout.ts';
import { viewerOf } from './viewer.ts';

/** Seconds between refreshes of the live part of the page. */
const REFRESH_SECONDS = 2;

function partitionState(partition: PartitionLag): string {
  if (partition.stalled) return 'stalled';
  return partition.lag > 0 ? 'behind' : 'caught up';
}

/** Partitions that never held a record: counted, not listed, so a page of many projections stays readable. */
function emptyPartitions(projection: ProjectionLag): number {
  return projection.partitions.filter((partition) => partition.endOffset === 0).length;
}

function partitionRows(projection: ProjectionLag): Html {
  const shown = projection.partitions.filter((partition) => partition.endOffset > 0);
  if (shown.length === 0)
    return html`<tr>
      <td colspan="8">No records yet.</td>
    </tr>`;
  return html`${shown.map(
    (partition) =>
      html`<tr class="${partition.stalled ? 'stalled' : ''}">
        <td>${partition.topic}</td>
        <td class="number">${partition.partition}</td>
        <td class="number">${partition.nextOffset}</td>
        <td class="number">${partition.endOffset}</td>
        <td class="number">${partition.lag}</td>
        <td class="number">${partition.secondsBehind}</td>
        <td>${formatInstant(partition.lastAppliedAt)}</td>
        <td>${partitionState(partition)}</td>
      </tr>`,
  )}`;
}

function projectionSection(projection: ProjectionLag): Html {
  const heading = `projection-${projection.projection}`;
  return html`<section aria-labelledby="${heading}">
    <h2 id="${heading}">${projection.projection}</h2>
    <p>
      Consumer group <code>${projection.group}</code>; lag
      <strong data-lag="${projection.projection}">${projection.lag}</strong> messages;
      <a href="/admin/dead-letters?projection=${projection.projection}">${projection.parked} parked</a
      >${projection.stalled ? html`; <strong class="stalled">stalled</strong>` : null}.
    </p>
    <table>
      <caption>
        ${projection.projection} per
        partition${
          emptyPartitions(projection) > 0
            ? html` (${emptyPartitions(projection)} that never held a record not listed)`
            : null
        }
      </caption>
      <thead>
        <tr>
          <th scope="col">Topic</th>
          <th scope="col">Partition</th>
          <th scope="col">Next offset</th>
          <th scope="col">End offset</th>
          <th scope="col">Lag (messages)</th>
          <th scope="col">Behind (s)</th>
          <th scope="col">Last applied</th>
          <th scope="col">State</th>
        </tr>
      </thead>
      <tbody>
        ${partitionRows(projection)}
      </tbody>
    </table>
  </section>`;
}

function rebuildRows(rebuilds: readonly RebuildView[]): Html {
  if (rebuilds.length === 0)
    return html`<tr>
      <td colspan="5">No rebuild yet.</td>
    </tr>`;
  return html`${rebuilds.map((rebuild) => {
    const total = Math.max(rebuild.eventsTotal, rebuild.eventsApplied, 1);
    const outcome = rebuild.failure
      ? html`failed: ${rebuild.failure}`
      : rebuild.swappedAt
        ? html`swapped in ${formatInstant(rebuild.swappedAt)}`
        : html`${rebuild.running ? 'running' : 'resumable'}, pass ${rebuild.pass}`;
    return html`<tr>
      <td>${rebuild.projection}</td>
      <td data-rebuild-state="${rebuild.projection}">${rebuild.state}</td>
      <td>
        <progress
          max="${total}"
          value="${rebuild.eventsApplied}"
          aria-label="Rebuild of ${rebuild.projection}"
        ></progress>
        ${rebuild.eventsApplied}/${rebuild.eventsTotal} events
      </td>
      <td>${formatInstant(rebuild.startedAt)}</td>
      <td>${outcome}</td>
    </tr>`;
  })}`;
}

function actions(projections: readonly ProjectionLag[]): Html {
  return html`<section aria-labelledby="actions-heading">
    <h2 id="actions-heading">Rebuild or verify</h2>
    ${projections.map(
      (projection) =>
        html`<div class="actions">
          <form
            data-api="/api/v1/projections/${projection.projection}/rebuild"
            data-method="POST"
            data-confirm="Rebuild ${projection.projection} from the event store? The live tables keep serving until the swap."
          >
            <button type="submit" aria-label="Rebuild ${projection.projection}">
              Rebuild ${projection.projection}
            </button>
            ${actionResult}
          </form>
          <form
            data-api="/api/v1/projections/${projection.projection}/verify"
            data-method="POST"
            data-reveal="*"
          >
            <button type="submit" aria-label="Verify ${projection.projection}">
              Verify ${projection.projection}
            </button>
            ${actionResult}
          </form>
        </div>`,
    )}
  </section>`;
}

/** Projections: lag per partition, live; stalled partitions marked; rebuilds with their progress; verify. */
export function projectionPages(deps: { operations: ProjectionOperations | undefined }): Router {
  const router = Router();

  router.get('/admin/projections', async (_req: Request, res: Response) => {
    const viewer = viewerOf(res);
    if (viewer.principal.kind !== 'platform-admin') throw new NotFoundError('no such page');
    const operations = operationsOf(deps.operations);
    const [projections, rebuilds] = await Promise.all([operations.lag(), operations.rebuilds()]);
    const body = html`<h1>Projections</h1>
      <p>
        Refreshed every ${REFRESH_SECONDS} seconds. A partition is stalled when it is behind and nothing was
        applied for longer than the projector's threshold.
      </p>
      <div id="projections-live" data-live="${REFRESH_SECONDS}" aria-live="polite">
        ${projections.map(projectionSection)}
        <section aria-labelledby="rebuilds-heading">
          <h2 id="rebuilds-heading">Rebuilds</h2>
          <table>
            <caption>
              Rebuilds, running and done
            </caption>
            <thead>
              <tr>
                <th scope="col">Projection</th>
                <th scope="col">State</th>
                <th scope="col">Progress</th>
                <th scope="col">Started</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              ${rebuildRows(rebuilds)}
            </tbody>
          </table>
        </section>
      </div>
      ${actions(projections)}`;
    res.type('html').send(page('Projections', body, viewer).text);
  });

  return router;
}
