/**
 * Backpressure and a client going away, over a real HTTP connection on the
 * loopback (nothing else runs).
 */
import { type IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Response } from 'express';
import { ClientGoneError, NdjsonResponse } from './ndjson-response.ts';

const LINE = { kind: 'event', data: 'x'.repeat(64 * 1024) };

test('a write waits while the client reads nothing, and throws ClientGoneError once it has gone', async () => {
  let written = 0;
  let outcome: Promise<unknown> = Promise.resolve();
  const app = express();
  app.get('/stream', (_req, res: Response) => {
    const out = new NdjsonResponse(res);
    out.begin();
    outcome = (async () => {
      // Without backpressure this loop would write without end: nothing stops it but a failed write.
      for (;;) {
        await out.write([LINE]);
        written++;
      }
    })().catch((error: unknown) => error);
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const answer = await new Promise<IncomingMessage>((resolve) =>
      request({ port, host: '127.0.0.1', path: '/stream' }, resolve).end(),
    );
    expect(answer.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    answer.pause();
    // The writer stops once the socket's buffers are full, and stays stopped: polled, within a deadline.
    const deadline = Date.now() + 10_000;
    let before = -1;
    for (let stable = 0; stable < 5;) {
      if (Date.now() > deadline) throw new Error(`the writer never stopped: ${written} lines written`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      stable = written === before ? stable + 1 : 0;
      before = written;
    }
    expect(written * 64 * 1024).toBeLessThan(64 * 1024 * 1024);
    answer.destroy();
    expect(await outcome).toBeInstanceOf(ClientGoneError);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
