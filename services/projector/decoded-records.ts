import type { KafkaMessage } from 'kafkajs';
import type { ProjectedEvent } from '../readmodels/index.ts';
import { type EventDecoder, headersOf, shareHeaders, UnreadableRecordError } from './incoming-event.ts';

/** A record's event, or why no retry can make it readable. */
export type DecodedRecord = ProjectedEvent | UnreadableRecordError;

interface Entry {
  readonly headers: Readonly<Record<string, string>>;
  decoded?: DecodedRecord;
  /** Consumer groups of this process that reached the record. */
  visits: number;
}

/**
 * The records of a process's consumer groups, read once for all of them. The
 * shipped topology gives each topic one group (its projections share it), and
 * then nothing is kept: each batch's records are read and decoded as it comes
 * (not a map entry made and dropped per record); where topology/ gives a topic
 * several groups, each fetches every record, the first group to reach a record
 * reads its headers and decodes its value, and the others take that. A record
 * is let go once every group of the process reading its topic has reached it,
 * so only the records between the first group and the last are kept; and at
 * most so many per partition (a replica holding some groups' partitions only,
 * or a group far behind): past that the oldest go, and the late group decodes
 * for itself. The events are shared: read-only, as ProjectedEvent's fields say.
 */
export class DecodedRecords {
  /** Per topic and partition, records by offset, oldest first (a Map keeps insertion order). */
  private readonly partitions = new Map<string, Map<string, Entry>>();

  constructor(
    private readonly decoder: Pick<EventDecoder, 'decode' | 'decodeKnown'>,
    /** Per topic, how many consumer groups of this process read it. */
    private readonly groupsReading: ReadonlyMap<string, number>,
    /** Records kept at most per partition. */
    private readonly perPartition: number,
  ) {}

  /**
   * Per offset, the event of each record whose type `wanted` accepts (a record
   * with no type is: it cannot be read, which parks it). A dependency being
   * away is thrown and not kept: the next try decodes again.
   */
  async decodeBatch(
    topic: string,
    partition: number,
    messages: readonly KafkaMessage[],
    wanted: (type: string | undefined) => boolean,
  ): Promise<Map<string, DecodedRecord>> {
    const groups = this.groupsReading.get(topic) ?? 1;
    const decoded = new Map<string, DecodedRecord>();
    if (groups === 1) {
      // The shipped topology: no other group of the process will ask, so nothing is kept.
      for (const message of messages) {
        if (!wanted(headersOf(message)['event-type'])) continue;
        decoded.set(message.offset, this.decodeNow(message) ?? (await this.decodeFetching(message)));
      }
      return decoded;
    }
    const entries = this.entriesOf(topic, partition);
    for (const message of messages) {
      const entry = this.entryOf(entries, message);
      if (++entry.visits >= groups) entries.delete(message.offset);
      if (!wanted(entry.headers['event-type'])) continue;
      entry.decoded ??= this.decodeNow(message) ?? (await this.decodeFetching(message));
      decoded.set(message.offset, entry.decoded);
    }
    return decoded;
  }

  /** Without a promise per record: the writer schema is almost always known. */
  private decodeNow(message: KafkaMessage): DecodedRecord | undefined {
    try {
      return this.decoder.decodeKnown(message);
    } catch (error) {
      if (error instanceof UnreadableRecordError) return error;
      throw error;
    }
  }

  private async decodeFetching(message: KafkaMessage): Promise<DecodedRecord> {
    try {
      return await this.decoder.decode(message);
    } catch (error) {
      if (error instanceof UnreadableRecordError) return error;
      throw error;
    }
  }

  private entriesOf(topic: string, partition: number): Map<string, Entry> {
    const key = `${topic}:${partition}`;
    let entries = this.partitions.get(key);
    if (!entries) {
      entries = new Map();
      this.partitions.set(key, entries);
    }
    return entries;
  }

  private entryOf(entries: Map<string, Entry>, message: KafkaMessage): Entry {
    const known = entries.get(message.offset);
    if (known) {
      shareHeaders(message, known.headers);
      return known;
    }
    const entry: Entry = { headers: headersOf(message), visits: 0 };
    entries.set(message.offset, entry);
    if (entries.size > this.perPartition) {
      for (const oldest of entries.keys()) {
        entries.delete(oldest);
        break;
      }
    }
    return entry;
  }
}
