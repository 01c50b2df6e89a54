import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** kafkajs' record decoder as patches/kafkajs+2.2.4.patch leaves it. */
interface PatchedRecordDecoder {
  readonly readHeaderValuesAsText?: (asText: boolean) => void;
}

/**
 * Every Kafka consumer of this process reads record header values as strings
 * from now on, where kafkajs makes a Buffer view of the fetched bytes for each
 * (patches/kafkajs+2.2.4.patch): for the projector, whose every header is text
 * (docs/contracts.md §8) and for which those views, a dozen per record, were the
 * largest part of what a catch-up allocated. Process-wide, as kafkajs' decoder
 * is. A value that is not UTF-8, which no Eventline producer writes, would come
 * out with replacement characters.
 */
export function readFetchedHeadersAsText(): void {
  const decoder = require('kafkajs/src/protocol/recordBatch/record/v0/decoder.js') as PatchedRecordDecoder;
  if (typeof decoder.readHeaderValuesAsText !== 'function')
    throw new Error('kafkajs is not patched (patches/kafkajs+2.2.4.patch): run npm ci');
  decoder.readHeaderValuesAsText(true);
}
