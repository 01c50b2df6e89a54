import { EventSchemas } from '../../avro/index.ts';
import { Upcasters } from '../../eventstore/index.ts';
import { connectKafka, deadLetterTopic, schemaRegistry } from '../../messaging/index.ts';
import { EventDecoder, replayDeadLetters } from '../../projector/index.ts';
import { parkedEvents, projectionNamed, projections } from '../../readmodels/index.ts';
import { type CommandSpec, UsageError } from '../command-line.ts';
import { kafkaFromEnvironment, registryFromEnvironment } from '../connections.ts';
import { asOwner } from '../owner-database.ts';

async function replay(topic: string): Promise<void> {
  const decoder = new EventDecoder(
    schemaRegistry(registryFromEnvironment()),
    await EventSchemas.load(),
    new Upcasters(),
  );
  const kafka = connectKafka({
    connection: kafkaFromEnvironment(),
    clientId: 'eventline-cli',
    retry: { retries: 2 },
  });
  const outcomes = await asOwner((pool) => replayDeadLetters({ pool, kafka, decoder, projections, topic }));
  for (const { eventId, outcome, detail } of outcomes) {
    console.log(`${eventId}\t${outcome}${detail ? `\t${detail}` : ''}`);
  }
  const count = (kind: string) => outcomes.filter((each) => each.outcome === kind).length;
  console.log(
    `${topic}: ${count('applied')} applied, ${count('already replayed')} already replayed, ` +
      `${count('not recorded')} not recorded, ${count('failed')} failed`,
  );
  if (count('failed') > 0) throw new Error(`${count('failed')} parked events still fail; they stay parked`);
}

export const dlqCommands: readonly CommandSpec[] = [
  {
    path: ['dlq', 'list'],
    summary: 'Lists the parked events, as the projector recorded them with its checkpoints, oldest first.',
    options: {
      projection: { type: 'string', value: '<name>', description: "only this projection's" },
      json: { type: 'boolean', description: 'print JSON instead of lines' },
    },
    environment: ['ADMIN_DATABASE_URL'],
    async run({ options }) {
      const name = typeof options.projection === 'string' ? options.projection : undefined;
      if (name !== undefined) {
        try {
          projectionNamed(name);
        } catch (error) {
          throw new UsageError((error as Error).message);
        }
      }
      const parked = await asOwner((pool) => parkedEvents(pool, name));
      if (options.json) {
        console.log(
          JSON.stringify(
            parked.map((row) => ({ ...row, deadLetterTopic: deadLetterTopic(row.topic, row.projection) })),
          ),
        );
        return;
      }
      if (parked.length === 0) console.log('no parked events');
      for (const row of parked) {
        console.log(
          [
            deadLetterTopic(row.topic, row.projection),
            `${row.topic}[${row.partition}]@${row.offset}`,
            `event ${row.eventId}`,
            row.eventType,
            `tenant ${row.tenantId}`,
            `attempts ${row.attempts}`,
            `parked ${row.parkedAt.toISOString()}`,
            row.replayedAt === null ? 'parked' : `replayed ${row.replayedAt.toISOString()}`,
            row.error,
          ].join('\t'),
        );
      }
    },
  },
  {
    path: ['dlq', 'replay'],
    summary:
      "Applies each event parked on a dead-letter topic now, with the projections' current code, at most once; " +
      'one that still fails stays parked and the command exits 1 (docs/projector.md: what replay means).',
    args: [{ name: 'topic', description: 'the dead-letter topic, <source topic>.<projection>.dlq' }],
    environment: [
      'ADMIN_DATABASE_URL',
      'KAFKA_BROKERS',
      'KAFKA_SECURITY_PROTOCOL',
      'KAFKA_SSL_*',
      'KAFKA_SASL_*',
      'SCHEMA_REGISTRY_URL',
    ],
    run: ({ args }) => replay(args.topic as string),
  },
];
