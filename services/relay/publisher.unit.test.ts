import { randomUUID } from 'node:crypto';
import type { Message, Producer, ProducerBatch } from 'kafkajs';
import { guardDependency } from '../platform/resilience/index.ts';
import { Publisher } from './publisher.ts';

/**
 * A stand-in for kafkajs' producer that records each request and lets the test
 * decide when it is acknowledged: what is under test is the order and the
 * concurrency of the publisher's requests, which a broker would make timing-bound.
 */
class RecordingProducers {
  readonly requests: { producer: number; messages: Message[]; settle: (error?: Error) => void }[] = [];
  private created = 0;

  create = (): Producer => {
    const producer = this.created++;
    const sendBatch = (batch: ProducerBatch) =>
      new Promise<void>((resolve, reject) => {
        const messages = (batch.topicMessages ?? []).flatMap((topic) => topic.messages);
        this.requests.push({
          producer,
          messages,
          settle: (error) => (error ? reject(error) : resolve()),
        });
      });
    return {
      connect: () => Promise.resolve(),
      disconnect: () => Promise.resolve(),
      sendBatch,
    } as unknown as Producer;
  };

  inFlight(producer: number): number {
    return this.requests.filter((request) => request.producer === producer).length;
  }
}

const record = (tenant: string, n: number): Message => ({ key: tenant, value: Buffer.from(String(n)) });

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

test('sends on several streams at once, every tenant through one of them in hand-over order', async () => {
  const producers = new RecordingProducers();
  const publisher = new Publisher(producers.create, guardDependency({}), () => {}, 3);
  const tenants = Array.from({ length: 60 }, () => randomUUID());
  const first = publisher.publish(new Map([['t', tenants.map((tenant) => record(tenant, 1))]]));
  const second = publisher.publish(new Map([['t', tenants.map((tenant) => record(tenant, 2))]]));
  // Three requests in flight, one per stream; the second hand-over waits behind each.
  await until(() => producers.requests.length === 3);
  expect(new Set(producers.requests.map((request) => request.producer)).size).toBe(3);
  for (const request of producers.requests.splice(0)) request.settle();
  await first;
  await until(() => producers.requests.length === 3);
  const seen = new Map<string, number>();
  for (const request of producers.requests) {
    for (const message of request.messages) {
      expect(message.value?.toString()).toBe('2');
      seen.set(String(message.key), request.producer);
    }
  }
  expect(seen.size).toBe(tenants.length);
  for (const request of producers.requests.splice(0)) request.settle();
  await second;
  // The same tenant, the same stream: a third hand-over goes where the second went.
  const third = publisher.publish(new Map([['t', tenants.map((tenant) => record(tenant, 3))]]));
  await until(() => producers.requests.length === 3);
  for (const request of producers.requests) {
    for (const message of request.messages) expect(request.producer).toBe(seen.get(String(message.key)));
  }
  for (const request of producers.requests.splice(0)) request.settle();
  await third;
  await publisher.close();
});

test('a failed send fails what waits in every stream, and the hand-over settles only when its sends have', async () => {
  const producers = new RecordingProducers();
  const publisher = new Publisher(producers.create, guardDependency({}), () => {}, 3);
  const tenants = Array.from({ length: 60 }, () => randomUUID());
  const first = publisher.publish(new Map([['t', tenants.map((tenant) => record(tenant, 1))]]));
  let firstSettled = false;
  first.catch(() => undefined).finally(() => (firstSettled = true));
  const second = publisher.publish(new Map([['t', tenants.map((tenant) => record(tenant, 2))]]));
  second.catch(() => undefined);
  await until(() => producers.requests.length === 3);
  const [failing, ...others] = producers.requests.splice(0);
  failing?.settle(new Error('broker gone'));
  await until(() => producers.requests.length === 0 && !firstSettled);
  // The other streams' requests are still in flight: the hand-over has not settled yet.
  await new Promise((resolve) => setImmediate(resolve));
  expect(firstSettled).toBe(false);
  for (const request of others) request.settle();
  await expect(first).rejects.toThrow('broker gone');
  // Queued behind the failure, in every stream: never sent.
  await expect(second).rejects.toThrow('broker gone');
  expect(producers.requests).toHaveLength(0);
  await expect(publisher.publish(new Map([['t', [record(tenants[0] as string, 3)]]]))).rejects.toThrow(
    'broker gone',
  );
  publisher.resume();
  const again = publisher.publish(new Map([['t', [record(tenants[0] as string, 3)]]]));
  await until(() => producers.requests.length === 1);
  producers.requests[0]?.settle();
  await again;
  await publisher.close();
});
