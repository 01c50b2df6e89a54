import { once } from 'node:events';
import { createServer, type Server, Socket } from 'node:net';
import { DeadlineMissed, withinDeadline } from './deadline.ts';

/** Keeps the event loop from running, as a burst of requests does. */
function busyFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

describe('withinDeadline', () => {
  let server: Server;
  let client: Socket;
  let peer: Socket;

  beforeAll(async () => {
    server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const accepted = once(server, 'connection');
    const address = server.address();
    client = new Socket().connect(typeof address === 'object' && address ? address.port : 0, '127.0.0.1');
    await once(client, 'connect');
    [peer] = (await accepted) as [Socket];
  });

  afterAll(async () => {
    client.destroy();
    peer.destroy();
    server.close();
    await once(server, 'close');
  });

  test('an answer that arrived in time counts, even when the process only reads it after the deadline', async () => {
    const answered = withinDeadline(once(client, 'data'), 20);
    peer.write('answer');
    busyFor(100);
    const [data] = (await answered) as [Buffer];
    expect(data.toString()).toBe('answer');
  });

  test('no answer by the deadline is a DeadlineMissed, at about the deadline', async () => {
    const started = performance.now();
    await expect(withinDeadline(new Promise(() => undefined), 20)).rejects.toThrow(DeadlineMissed);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  test("the call's own failure is passed on", async () => {
    await expect(withinDeadline(Promise.reject(new Error('refused')), 20)).rejects.toThrow('refused');
  });
});
