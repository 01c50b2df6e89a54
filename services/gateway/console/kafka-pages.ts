import { type Request, type Response, Router } from 'express';
import { NotFoundError } from '../../platform/errors/index.ts';
import type { ConsumerGroupView, KafkaOperations, TopicView } from '../operations/kafka-operations.ts';
import { kafkaOf } from '../routes/kafka.ts';
import { type Html, html } from './html.ts';
import { page } from './layout.ts';
import { viewerOf } from './viewer.ts';

/** Seconds between refreshes of the live part of the page. */
const REFRESH_SECONDS = 5;

function topicRows(topics: readonly TopicView[]): Html {
  if (topics.length === 0)
    return html`<tr>
      <td colspan="4">No topic carries this deployment's prefix.</td>
    </tr>`;
  return html`${topics.map(
    (topic) =>
      html`<tr>
        <td><code>${topic.topic}</code></td>
        <td class="number">${topic.partitions.length}</td>
        <td class="number" data-topic-messages="${topic.topic}">${topic.messages}</td>
        <td>
          <ul class="offsets" aria-label="End offsets of ${topic.topic}">
            ${topic.partitions.map(
              (partition) => html`<li>${partition.partition}: <strong>${partition.endOffset}</strong></li>`,
            )}
          </ul>
        </td>
      </tr>`,
  )}`;
}

function groupRows(groups: readonly ConsumerGroupView[]): Html {
  if (groups.length === 0)
    return html`<tr>
      <td colspan="5">No consumer group carries this deployment's prefix.</td>
    </tr>`;
  return html`${groups.map(
    (group) =>
      html`<tr>
        <td><code>${group.group}</code></td>
        <td>${group.state}</td>
        <td class="number">${group.members}</td>
        <td class="number">${group.partitions.length}</td>
        <td class="number" data-group-lag="${group.group}">${group.lag}</td>
      </tr>`,
  )}`;
}

/** The partitions of the groups that are behind: where their lag is. */
function behindRows(groups: readonly ConsumerGroupView[]): Html {
  const behind = groups.flatMap((group) =>
    group.partitions.filter((partition) => partition.lag > 0).map((partition) => ({ group, partition })),
  );
  if (behind.length === 0)
    return html`<tr>
      <td colspan="6">Every group has consumed up to the end of every partition it committed.</td>
    </tr>`;
  return html`${behind.map(
    ({ group, partition }) =>
      html`<tr>
        <td><code>${group.group}</code></td>
        <td><code>${partition.topic}</code></td>
        <td class="number">${partition.partition}</td>
        <td class="number">${partition.committedOffset}</td>
        <td class="number">${partition.endOffset}</td>
        <td class="number">${partition.lag}</td>
      </tr>`,
  )}`;
}

/** Kafka: the deployment's topics with partitions and end offsets, and each consumer group's lag, live. */
export function kafkaPages(deps: { kafka: KafkaOperations | undefined }): Router {
  const router = Router();

  router.get('/admin/kafka', async (_req: Request, res: Response) => {
    const viewer = viewerOf(res);
    if (viewer.principal.kind !== 'platform-admin') throw new NotFoundError('no such page');
    const kafka = kafkaOf(deps.kafka);
    const [{ prefix, topics }, { groups }] = await Promise.all([kafka.topics(), kafka.consumerGroups()]);
    const body = html`<h1>Kafka</h1>
      <p>
        Topics and consumer groups ${prefix === '' ? 'of the cluster' : html`named <code>${prefix}…</code>`},
        refreshed every ${REFRESH_SECONDS} seconds. A group's lag is each partition's end offset less the
        offset it committed.
      </p>
      <div id="kafka-live" data-live="${REFRESH_SECONDS}" aria-live="polite">
        <section aria-labelledby="topics-heading">
          <h2 id="topics-heading">Topics</h2>
          <table>
            <caption>
              Topics with their partitions and each partition's end offset
            </caption>
            <thead>
              <tr>
                <th scope="col">Topic</th>
                <th scope="col">Partitions</th>
                <th scope="col">Messages held</th>
                <th scope="col">End offset by partition</th>
              </tr>
            </thead>
            <tbody>
              ${topicRows(topics)}
            </tbody>
          </table>
        </section>
        <section aria-labelledby="groups-heading">
          <h2 id="groups-heading">Consumer groups</h2>
          <table>
            <caption>
              Consumer groups and their lag over the partitions they committed offsets of
            </caption>
            <thead>
              <tr>
                <th scope="col">Group</th>
                <th scope="col">State</th>
                <th scope="col">Members</th>
                <th scope="col">Partitions committed</th>
                <th scope="col">Lag (messages)</th>
              </tr>
            </thead>
            <tbody>
              ${groupRows(groups)}
            </tbody>
          </table>
          <table>
            <caption>
              Partitions behind their end, by group
            </caption>
            <thead>
              <tr>
                <th scope="col">Group</th>
                <th scope="col">Topic</th>
                <th scope="col">Partition</th>
                <th scope="col">Committed offset</th>
                <th scope="col">End offset</th>
                <th scope="col">Lag (messages)</th>
              </tr>
            </thead>
            <tbody>
              ${behindRows(groups)}
            </tbody>
          </table>
        </section>
      </div>`;
    res.type('html').send(page('Kafka', body, viewer).text);
  });

  return router;
}
