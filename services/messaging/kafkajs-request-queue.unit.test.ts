import { createRequire } from 'node:module';

// kafkajs 2.2.4's request queue as patches/kafkajs+2.2.4.patch leaves it (applied by npm ci's
// postinstall): with nothing pending it schedules no check. Without the patch every check
// scheduled the next at 1 ms, a timer loop per broker connection (kafkajs issue 1556); the
// first case below fails then.
const require = createRequire(import.meta.url);

interface Entry {
  readonly correlationId: number;
  readonly apiKey: number;
  readonly apiName: string;
  readonly apiVersion: number;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}
interface RequestQueue {
  readonly pending: readonly unknown[];
  readonly throttleCheckTimeoutId: unknown;
  push(request: { entry: Entry; expectResponse: boolean; sendRequest: () => void }): void;
  scheduleCheckPendingRequests(): void;
  maybeThrottle(ms: number): void;
  fulfillRequest(response: { correlationId: number; payload: Buffer; size: number }): void;
  destroy(): void;
}
const RequestQueueOf = require('kafkajs/src/network/requestQueue/index.js') as new (options: {
  maxInFlightRequests: number;
  requestTimeout: number;
  enforceRequestTimeout: boolean;
  clientId: string;
  broker: string;
  logger: Record<'debug' | 'info' | 'warn' | 'error', () => void>;
}) => RequestQueue;

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

function queueOf(maxInFlightRequests: number): RequestQueue {
  return new RequestQueueOf({
    maxInFlightRequests,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: 'test',
    broker: 'localhost:9092',
    logger: quiet,
  });
}

function request(correlationId: number, sent: number[]) {
  const entry: Entry = {
    correlationId,
    apiKey: 1,
    apiName: 'Fetch',
    apiVersion: 11,
    resolve: () => {},
    reject: () => {},
  };
  return { entry, expectResponse: true, sendRequest: () => sent.push(correlationId) };
}

async function until(what: string, condition: () => boolean, deadlineMs = 5_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not ${what} within ${deadlineMs} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("kafkajs' request queue, patched", () => {
  it('schedules no check while nothing is pending', () => {
    const queue = queueOf(1);
    queue.scheduleCheckPendingRequests();
    expect(queue.throttleCheckTimeoutId).toBeNull();
    queue.destroy();
  });

  it('sends a request held back by the in-flight limit once the one before is answered', async () => {
    const queue = queueOf(1);
    const sent: number[] = [];
    queue.push(request(1, sent));
    queue.push(request(2, sent));
    expect(sent).toEqual([1]);
    queue.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
    expect(sent).toEqual([1, 2]);
    // The check scheduled while request 2 waited runs once and schedules no other.
    await until('the checks over', () => queue.throttleCheckTimeoutId === null);
    queue.destroy();
  });

  it('sends a request held back by throttling once the throttle ends', async () => {
    const queue = queueOf(10);
    const sent: number[] = [];
    queue.maybeThrottle(20);
    queue.push(request(1, sent));
    expect(sent).toEqual([]);
    await until('sent after the throttle', () => sent.length === 1);
    expect(queue.pending).toHaveLength(0);
    await until('the checks over', () => queue.throttleCheckTimeoutId === null);
    queue.destroy();
  });
});
