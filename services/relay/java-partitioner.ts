import type { ICustomPartitioner, PartitionerArgs } from 'kafkajs';

/** Kafka's murmur2 (Java client, `Utils.murmur2`) over the key's UTF-8 bytes, in 32-bit arithmetic. */
export function murmur2(key: string): number {
  const data = Buffer.from(key, 'utf8');
  const length = data.length;
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ length;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k =
      (data[i4] as number) |
      ((data[i4 + 1] as number) << 8) |
      ((data[i4 + 2] as number) << 16) |
      ((data[i4 + 3] as number) << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  // The Java switch's fall-through cases, in order: the last one, two or three bytes.
  const tail = length & ~3;
  const rest = length % 4;
  if (rest === 3) h ^= (data[tail + 2] as number) << 16;
  if (rest >= 2) h ^= (data[tail + 1] as number) << 8;
  if (rest >= 1) {
    h ^= data[tail] as number;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Tenants remembered per partition count; past it the memory starts afresh. */
const REMEMBERED_KEYS = 100_000;

/**
 * The partition the Java client (and kafkajs' DefaultPartitioner) gives a keyed
 * record, `toPositive(murmur2(key)) % partitions`, remembered per key. kafkajs'
 * own murmur2 runs on 64-bit Long objects and cost the relay a tenth of its CPU
 * when draining a backlog; the keys (tenant ids) repeat, so most records cost a
 * map look-up.
 */
export const JavaCompatiblePartitioner: ICustomPartitioner = () => {
  const remembered = new Map<number, Map<string, number>>();
  return ({ partitionMetadata, message }: PartitionerArgs): number => {
    if (message.partition !== undefined && message.partition !== null) return message.partition;
    if (message.key === null || message.key === undefined) {
      throw new Error('the relay sends keyed records only');
    }
    const partitions = partitionMetadata.length;
    const key = typeof message.key === 'string' ? message.key : message.key.toString('utf8');
    let byKey = remembered.get(partitions);
    if (!byKey) remembered.set(partitions, (byKey = new Map()));
    let partition = byKey.get(key);
    if (partition === undefined) {
      if (byKey.size >= REMEMBERED_KEYS) byKey.clear();
      partition = (murmur2(key) & 0x7fffffff) % partitions;
      byKey.set(key, partition);
    }
    return partition;
  };
};
