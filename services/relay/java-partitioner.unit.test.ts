import { randomUUID } from 'node:crypto';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { JavaCompatiblePartitioner } from './java-partitioner.ts';

function metadata(partitions: number): PartitionMetadata[] {
  return Array.from({ length: partitions }, (_, partitionId) => ({
    partitionId,
    leader: 1,
    replicas: [1],
    isr: [1],
    partitionErrorCode: 0,
  }));
}

test('gives every key the partition kafkajs’ DefaultPartitioner (the Java client’s) gives it', () => {
  const ours = JavaCompatiblePartitioner();
  const theirs = Partitioners.DefaultPartitioner();
  // Tenant ids, and keys of every length modulo 4 with multi-byte characters.
  const keys = [
    ...Array.from({ length: 2_000 }, () => randomUUID()),
    ...Array.from({ length: 200 }, (_, n) => 'é€😀x'.repeat(n % 7) + 'k'.repeat(n % 5)),
  ];
  for (const partitions of [1, 6, 12, 13]) {
    for (const key of keys) {
      for (let time = 0; time < 2; time++) {
        const args = { topic: 't', partitionMetadata: metadata(partitions), message: { key, value: null } };
        expect(ours(args)).toBe(theirs(args));
      }
    }
  }
});
