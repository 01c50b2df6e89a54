import {
  DEFAULT_REWRAP_BATCH,
  LocalKeyEncryption,
  type RewrapReport,
  rewrapDataKeys,
} from '../../privacy/index.ts';
import { type CommandSpec, UsageError } from '../command-line.ts';
import { asOwner } from '../owner-database.ts';

function describe(report: RewrapReport, kekId: string): string {
  return (
    `${report.examined} keys examined: ${report.rewrapped} re-wrapped under key-encryption key "${kekId}", ` +
    `${report.alreadyCurrent} already under it, ${report.changedMeanwhile} destroyed or changed meanwhile, ` +
    `${report.unreadable} unreadable`
  );
}

/** Re-wraps, printing progress at most once a second; Ctrl-C stops it between two batches. */
async function rewrap(batchSize: number, json: boolean): Promise<void> {
  // Before connecting: a missing or malformed key-encryption key is the first thing an operator should hear of.
  const encryption = LocalKeyEncryption.fromEnvironment();
  const stop = new AbortController();
  const interrupt = () => stop.abort(new Error('rewrap interrupted; run it again to resume'));
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  let printedAt = Date.now();
  try {
    const report = await asOwner((pool) =>
      rewrapDataKeys(pool, encryption, {
        batchSize,
        signal: stop.signal,
        onBatch(soFar) {
          if (json || Date.now() - printedAt < 1000) return;
          printedAt = Date.now();
          console.log(describe(soFar, encryption.currentId));
        },
      }),
    );
    console.log(
      json
        ? JSON.stringify({ ...report, kekId: encryption.currentId })
        : describe(report, encryption.currentId),
    );
    if (report.unreadable > 0)
      throw new Error(
        `${report.unreadable} keys stay as they were: ${report.unreadableReasons.join('; ')} ` +
          '(give their key-encryption key in PERSONAL_DATA_PREVIOUS_KEKS and run again)',
      );
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}

export const personalDataCommands: readonly CommandSpec[] = [
  {
    path: ['personal-data', 'rewrap'],
    summary:
      "Re-wraps every stored subject's data key under the current key-encryption key (PERSONAL_DATA_KEK), " +
      'reading older ones with PERSONAL_DATA_PREVIOUS_KEKS; events are not touched. Resumable and idempotent: ' +
      'keys already under the current key are skipped. Exits 1 when a key could not be read.',
    options: {
      'batch-size': {
        type: 'string',
        value: '<keys>',
        description: `keys read and written per batch (default ${DEFAULT_REWRAP_BATCH})`,
      },
      json: { type: 'boolean', description: 'print the counts as JSON, without progress lines' },
    },
    environment: ['ADMIN_DATABASE_URL', 'PERSONAL_DATA_KEK', 'PERSONAL_DATA_PREVIOUS_KEKS'],
    async run({ options }) {
      const given = options['batch-size'];
      const size = typeof given === 'string' ? Number(given) : DEFAULT_REWRAP_BATCH;
      if (!Number.isInteger(size) || size < 1 || size > 10_000)
        throw new UsageError(`--batch-size must be a whole number from 1 to 10000, not "${String(given)}"`);
      await rewrap(size, options.json === true);
    },
  },
];
